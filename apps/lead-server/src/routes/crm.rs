//! CRM sync: the tenant's CRM settings as the API takes and shows them (the token is
//! write-only), each lead's CRM ids, and `POST /api/v1/leads/{id}/crm-sync` to force a sync.

use crate::auth::TenantAuth;
use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use lead_domain::crm::{CrmLink, CrmProvider, CrmSettings, CrmSettingsError, DealSettings};
use lead_domain::ids::LeadId;
use lead_domain::lifecycle::LeadState;
use lead_domain::tenant::Secret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// The `crm` object of `PATCH /api/v1/clients/{id}`; a field left out keeps its value, so the
/// write-only token need not be sent again to change `sync`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrmPatch {
    /// `hubspot`.
    #[schema(value_type = Option<String>)]
    pub provider: Option<CrmProvider>,
    /// The private-app token (`pat-...`); never shown back. Replacing it repairs a broken
    /// connection.
    pub access_token: Option<String>,
    /// Lead states that send the lead to the CRM.
    #[schema(value_type = Option<Vec<String>>)]
    pub sync: Option<Vec<LeadState>>,
    /// `{"pipeline", "stage_by_state": {state: stage}}`.
    #[schema(value_type = Option<Object>)]
    pub deal: Option<DealSettings>,
    /// The CRM user owning created records.
    pub owner_id: Option<String>,
}

/// Merges a patch into the stored settings, collecting field errors.
pub fn merge_crm(
    current: Option<&CrmSettings>,
    patch: CrmPatch,
    errors: &mut Vec<FieldError>,
) -> Option<CrmSettings> {
    let token_replaced = patch.access_token.is_some();
    let access_token = match (patch.access_token, current) {
        (Some(t), _) => Secret::new(t.trim()),
        (None, Some(c)) => c.access_token.clone(),
        (None, None) => {
            errors.push(FieldError::new(
                "crm.access_token",
                "required",
                "the HubSpot access token is required to connect the CRM",
            ));
            return None;
        }
    };
    let settings = CrmSettings {
        provider: patch
            .provider
            .or(current.map(|c| c.provider))
            .unwrap_or_default(),
        access_token,
        sync: patch
            .sync
            .or(current.map(|c| c.sync.clone()))
            .unwrap_or_else(|| {
                vec![
                    LeadState::Qualified,
                    LeadState::AppointmentBooked,
                    LeadState::HandedOff,
                ]
            }),
        deal: patch
            .deal
            .or(current.map(|c| c.deal.clone()))
            .unwrap_or_default(),
        owner_id: patch
            .owner_id
            .filter(|o| !o.trim().is_empty())
            .or(current.and_then(|c| c.owner_id.clone())),
        broken: if token_replaced {
            None
        } else {
            current.and_then(|c| c.broken.clone())
        },
    };
    if let Err(e) = settings.validate() {
        let field = match e {
            CrmSettingsError::EmptyToken => "crm.access_token",
            CrmSettingsError::UnknownState(_) => "crm.deal.stage_by_state",
            CrmSettingsError::EmptyStage => "crm.deal",
        };
        errors.push(FieldError::new(field, "invalid", e.to_string()));
        return None;
    }
    Some(settings)
}

/// The CRM settings as `GET /api/v1/clients/{id}` shows them: whether the token is set, never
/// its value, and whether the CRM refused it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CrmView {
    /// `hubspot`.
    pub provider: String,
    /// Whether a token is stored.
    pub access_token_set: bool,
    /// Lead states that sync.
    pub sync: Vec<String>,
    /// Deal pipeline and stage by state.
    pub deal: CrmDealView,
    /// The CRM user owning created records.
    pub owner_id: Option<String>,
    /// Why the connection is broken (the CRM refused the token); `null` when it works.
    pub broken: Option<String>,
}

/// Where deals go.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CrmDealView {
    /// The pipeline.
    pub pipeline: String,
    /// Lead state to deal stage.
    pub stage_by_state: BTreeMap<String, String>,
}

impl CrmView {
    /// The view of a tenant's settings.
    pub fn of(s: &CrmSettings) -> Self {
        Self {
            provider: match s.provider {
                CrmProvider::Hubspot => "hubspot".to_owned(),
            },
            access_token_set: !s.access_token.expose().is_empty(),
            sync: s.sync.iter().map(|st| st.as_str().to_owned()).collect(),
            deal: CrmDealView {
                pipeline: s.deal.pipeline.clone(),
                stage_by_state: s.deal.stage_by_state.clone(),
            },
            owner_id: s.owner_id.clone(),
            broken: s.broken.clone(),
        }
    }
}

/// A lead's records in the CRM, on `GET /api/v1/leads/{id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeadCrmView {
    /// The CRM contact's id.
    pub contact_id: Option<String>,
    /// The CRM deal's id.
    pub deal_id: Option<String>,
    /// The last successful sync.
    pub synced_at: Option<DateTime<Utc>>,
    /// The last failure; cleared by a successful sync.
    pub last_error: Option<String>,
}

impl From<&CrmLink> for LeadCrmView {
    fn from(l: &CrmLink) -> Self {
        Self {
            contact_id: l.contact_id.clone(),
            deal_id: l.deal_id.clone(),
            synced_at: l.synced_at,
            last_error: l.last_error.clone(),
        }
    }
}

/// The answer of `POST /api/v1/leads/{id}/crm-sync`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CrmSyncQueued {
    /// The queued job, to follow at `GET /api/v1/jobs`.
    pub job_id: Uuid,
}

/// Queues a sync of the lead to the client's CRM now.
#[utoipa::path(
    post, path = "/api/v1/leads/{id}/crm-sync", operation_id = "sync_lead_to_crm", tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id")),
    responses(
        (status = 202, description = "The sync is queued", body = CrmSyncQueued),
        (status = 404, description = "No such lead, or the client has no CRM", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn sync(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let job = lead_domain::usecases::crm::queue_crm_sync(
        &state.deps,
        &tenant,
        LeadId::from_uuid(id.into_inner()),
    )
    .await
    .map_err(crate::routes::leads::usecase_error)?;
    Ok(HttpResponse::Accepted().json(CrmSyncQueued {
        job_id: job.as_uuid(),
    }))
}
