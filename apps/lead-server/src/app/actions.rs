//! What a person does from a lead's page: take over, reply, release, change state, override the
//! score, correct a field, edit contact details. Each form carries the session's CSRF token,
//! calls one use case (the same the JSON API calls) and goes back to the lead (303).

use crate::app::auth::{PageError, Viewer};
use crate::phone;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use lead_domain::contact::Email;
use lead_domain::ids::{ConversationId, LeadId};
use lead_domain::lifecycle::LeadState;
use lead_domain::qualification::{Budget, Timeline, Urgency};
use lead_domain::scoring::Score;
use lead_domain::usecases::leads::{self, FieldCorrection, LeadEdit};
use serde::Deserialize;
use uuid::Uuid;

fn lead_id(raw: &str) -> Result<LeadId, PageError> {
    Uuid::parse_str(raw)
        .map(LeadId::from_uuid)
        .map_err(|_| PageError::NotFound)
}

fn back_to(id: LeadId) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/app/leads/{id}")))
        .finish()
}

/// The conversation a form names, checked to be one of this lead's.
async fn conversation_of(
    state: &AppState,
    viewer: &Viewer,
    lead: LeadId,
    raw: &str,
) -> Result<ConversationId, PageError> {
    let id = Uuid::parse_str(raw)
        .map(ConversationId::from_uuid)
        .map_err(|_| PageError::NotFound)?;
    let conversation = state
        .deps
        .leads
        .get_conversation(viewer.tenant.id, id)
        .await?
        .ok_or(PageError::NotFound)?;
    if conversation.lead_id != lead {
        return Err(PageError::NotFound);
    }
    Ok(id)
}

/// Fields of the take-over, release and reply forms.
#[derive(Debug, Deserialize)]
pub struct ConversationForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The conversation acted on.
    pub conversation_id: String,
    /// Why (take over) or the text (reply).
    #[serde(default)]
    pub text: String,
}

/// `POST /app/leads/{id}/take-over`.
pub async fn take_over(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ConversationForm>,
) -> Result<HttpResponse, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let lead = lead_id(&id)?;
    let conversation = conversation_of(&state, &viewer, lead, &form.conversation_id).await?;
    let note = match form.text.trim() {
        "" => format!("taken over by {}", viewer.user.name),
        t => t.chars().take(500).collect(),
    };
    leads::take_over(
        &state.deps,
        &viewer.tenant,
        conversation,
        note,
        &viewer.user.actor(),
    )
    .await?;
    Ok(back_to(lead))
}

/// `POST /app/leads/{id}/release`.
pub async fn release(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ConversationForm>,
) -> Result<HttpResponse, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let lead = lead_id(&id)?;
    let conversation = conversation_of(&state, &viewer, lead, &form.conversation_id).await?;
    leads::release(
        &state.deps,
        &viewer.tenant,
        conversation,
        &viewer.user.actor(),
    )
    .await?;
    Ok(back_to(lead))
}

/// `POST /app/leads/{id}/reply`: queued for delivery on the conversation's channel.
pub async fn reply(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ConversationForm>,
) -> Result<HttpResponse, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let lead = lead_id(&id)?;
    if form.text.chars().count() > 4000 {
        return Err(PageError::Invalid(
            "reply: at most 4000 characters".to_owned(),
        ));
    }
    let conversation = conversation_of(&state, &viewer, lead, &form.conversation_id).await?;
    leads::reply(&state.deps, &viewer.tenant, conversation, &form.text).await?;
    state.wake.notify_one();
    Ok(back_to(lead))
}

/// Fields of the state and score forms.
#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// Target state or score.
    pub value: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

fn reason(form: &ChangeForm) -> Result<String, PageError> {
    match form.reason.trim() {
        "" => Err(PageError::Invalid("reason: required".to_owned())),
        r if r.chars().count() > 500 => Err(PageError::Invalid(
            "reason: at most 500 characters".to_owned(),
        )),
        r => Ok(r.to_owned()),
    }
}

/// `POST /app/leads/{id}/state`: only legal transitions are accepted (409 otherwise).
pub async fn change_state(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let lead = lead_id(&id)?;
    let to = LeadState::parse(&form.value)
        .ok_or_else(|| PageError::Invalid("state: not a lead state".to_owned()))?;
    let reason = format!("{} ({})", reason(&form)?, viewer.user.actor());
    leads::edit_lead(
        &state.deps,
        &viewer.tenant,
        lead,
        LeadEdit {
            state: Some(to),
            reason,
            ..LeadEdit::default()
        },
    )
    .await?;
    Ok(back_to(lead))
}

/// `POST /app/leads/{id}/score`: the score stays as set until a person changes it again.
pub async fn override_score(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let lead = lead_id(&id)?;
    let score = Score::parse(&form.value).ok_or_else(|| {
        PageError::Invalid("score: expected HOT, WARM, COLD or UNSCORED".to_owned())
    })?;
    let reason = format!("{} ({})", reason(&form)?, viewer.user.actor());
    leads::override_score(&state.deps, &viewer.tenant, lead, score, &reason).await?;
    Ok(back_to(lead))
}

/// Fields of the field-correction form.
#[derive(Debug, Deserialize)]
pub struct FieldForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// `service`, `budget`, `timeline`, `urgency`, `decision_maker` or `location`.
    pub field: String,
    /// The corrected value.
    #[serde(default)]
    pub value: String,
}

/// Reads a correction from the form, in the tenant's terms (service keys, currency).
fn correction(state: &Viewer, form: &FieldForm) -> Result<FieldCorrection, PageError> {
    let value = form.value.trim();
    let bad = |why: &str| PageError::Invalid(format!("{}: {why}", form.field));
    if value.is_empty() || value.chars().count() > 200 {
        return Err(bad("between 1 and 200 characters"));
    }
    let settings = &state.tenant.settings;
    Ok(match form.field.as_str() {
        "service" => {
            if !settings.services.is_empty() && !settings.services.contains_key(value) {
                return Err(bad("not one of the client's services"));
            }
            FieldCorrection::Service(value.to_owned())
        }
        "budget" => {
            let amount: f64 = value
                .replace([',', ' ', '\u{066C}'], "")
                .parse()
                .map_err(|_| bad("a number"))?;
            if !(amount.is_finite() && amount >= 0.0) {
                return Err(bad("a positive number"));
            }
            FieldCorrection::Budget(Budget {
                min: None,
                max: Some(amount),
                currency: settings.rules.currency,
                confirmed: true,
            })
        }
        "timeline" => FieldCorrection::Timeline(
            serde_json::from_value::<Timeline>(serde_json::Value::String(value.to_owned()))
                .map_err(|_| {
                    bad("immediate, within_1_month, 1_3_months, 3_6_months or over_6_months")
                })?,
        ),
        "urgency" => FieldCorrection::Urgency(
            serde_json::from_value::<Urgency>(serde_json::Value::String(value.to_lowercase()))
                .map_err(|_| bad("high, medium or low"))?,
        ),
        "decision_maker" => FieldCorrection::DecisionMaker(match value.to_lowercase().as_str() {
            "yes" | "true" | "نعم" => true,
            "no" | "false" | "لا" => false,
            _ => return Err(bad("yes or no")),
        }),
        "location" => FieldCorrection::Location(value.to_owned()),
        _ => {
            return Err(PageError::Invalid(
                "field: not a qualification field".to_owned(),
            ));
        }
    })
}

/// `POST /app/leads/{id}/field`: a person's correction, kept over later readings of older messages.
pub async fn edit_field(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<FieldForm>,
) -> Result<HttpResponse, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let lead = lead_id(&id)?;
    let fix = correction(&viewer, &form)?;
    leads::correct_field(&state.deps, &viewer.tenant, lead, fix).await?;
    Ok(back_to(lead))
}

/// Fields of the contact form; empty fields stay as they are.
#[derive(Debug, Deserialize)]
pub struct ContactForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
    /// Email.
    #[serde(default)]
    pub email: String,
}

/// `POST /app/leads/{id}/contact`.
pub async fn edit_contact(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let lead = lead_id(&id)?;
    let phone = match form.phone.trim() {
        "" => None,
        p => Some(
            phone::normalise(p, &viewer.tenant.settings.default_region)
                .map_err(|e| PageError::Invalid(format!("phone: {}", e.message)))?,
        ),
    };
    let email = match form.email.trim() {
        "" => None,
        e => Some(Email::parse(e).map_err(|e| PageError::Invalid(format!("email: {e}")))?),
    };
    let name = match form.name.trim() {
        "" => None,
        n if n.chars().count() > 200 => {
            return Err(PageError::Invalid(
                "name: at most 200 characters".to_owned(),
            ));
        }
        n => Some(n.to_owned()),
    };
    leads::edit_lead(
        &state.deps,
        &viewer.tenant,
        lead,
        LeadEdit {
            name,
            phone,
            email,
            ..LeadEdit::default()
        },
    )
    .await?;
    Ok(back_to(lead))
}
