//! Rotating a client's public widget key: when a key is abused (floods from pages the client does
//! not control), a new one is issued and the old one stops working at once.

use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::routes::clients::{load, save};
use crate::state::AppState;
use crate::views::ClientView;
use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

/// A new random widget key (`wk_` and 128 random bits), the same shape clients are created with.
pub fn generate_widget_key() -> String {
    let bytes: [u8; 16] = rand::random();
    format!("wk_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Issues a new widget key; the old key is refused from now on (pages must embed the new one).
#[utoipa::path(
    post, path = "/api/v1/clients/{id}/rotate-widget-key", tag = "clients",
    operation_id = "rotate_widget_key",
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, description = "The client with its new widget_key", body = ClientView),
        (status = 401, description = "Missing or wrong admin token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
pub async fn rotate_widget_key(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut tenant = load(&state, id.into_inner()).await?;
    tenant.widget_key = generate_widget_key();
    tenant.updated_at = state.deps.clock.now();
    save(&state, &tenant).await?;
    tracing::info!(client_id = %tenant.id, "widget key rotated");
    Ok(HttpResponse::Ok().json(ClientView::from(&tenant)))
}
