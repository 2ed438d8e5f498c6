//! Users of a client for the sales inbox: create, list, remove. Called with the platform admin
//! token or the client's own API key; the password is never returned.

use crate::auth::{AdminAuth, TenantAuth};
use crate::error::ApiError;
use crate::extract::ValidJson;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use futures::future::LocalBoxFuture;
use lead_domain::ids::TenantId;
use lead_domain::language::Language;
use lead_domain::usecases::users::{self as accounts, AccountError, NewUser};
use lead_domain::users::{Role, User, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// Who calls: the platform admin, or a client with its API key (which reaches only itself).
pub enum ClientCaller {
    /// The platform admin: any client.
    Admin,
    /// A client: only its own id.
    Client(TenantId),
}

impl FromRequest for ClientCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.headers().contains_key(header::AUTHORIZATION) {
            let admin = AdminAuth::from_request(req, payload);
            Box::pin(async move { admin.await.map(|_| ClientCaller::Admin) })
        } else {
            let tenant = TenantAuth::from_request(req, payload);
            Box::pin(async move { tenant.await.map(|t| ClientCaller::Client(t.0.id)) })
        }
    }
}

impl ClientCaller {
    /// The client the path names, when the caller may reach it; 404 otherwise.
    async fn client(&self, state: &AppState, id: Uuid) -> Result<TenantId, ApiError> {
        let id = TenantId::from_uuid(id);
        match self {
            ClientCaller::Client(own) if *own != id => Err(ApiError::NotFound("client")),
            _ => state
                .deps
                .tenants
                .get_tenant(id)
                .await?
                .map(|t| t.id)
                .ok_or(ApiError::NotFound("client")),
        }
    }
}

/// A user as the API shows it (never the password or its hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub id: Uuid,
    /// The client the user belongs to.
    pub client_id: Uuid,
    /// Sign-in email (lower-case).
    pub email: String,
    /// Display name.
    pub name: String,
    /// `owner` or `agent`.
    pub role: String,
    /// Interface language, `en` or `ar`.
    pub language: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.as_uuid(),
            client_id: u.tenant_id.as_uuid(),
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.as_str().to_owned(),
            language: u.language.code().to_owned(),
            created_at: u.created_at,
        }
    }
}

/// The body of `POST /api/v1/clients/{id}/users`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// Sign-in email, unique across the service.
    #[validate(length(min = 3, max = 254))]
    pub email: String,
    /// Display name.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// `owner` or `agent`.
    pub role: String,
    /// At least 12 characters.
    pub password: String,
    /// Interface language, `en` (default) or `ar`.
    pub language: Option<String>,
}

/// Maps account failures to HTTP.
pub fn account_error(e: AccountError) -> ApiError {
    match e {
        AccountError::Input(i) => ApiError::field(i.field(), "invalid", i.to_string()),
        AccountError::EmailTaken => ApiError::Conflict("a user with this email exists".to_owned()),
        AccountError::NotFound => ApiError::NotFound("user"),
        AccountError::Store(s) => s.into(),
        other => ApiError::Internal(anyhow::Error::new(other)),
    }
}

/// Creates a user of a client.
#[utoipa::path(
    post, path = "/api/v1/clients/{id}/users", tag = "clients", operation_id = "create_client_user",
    params(("id" = Uuid, Path, description = "Client id")),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "The user, without the password", body = UserView),
        (status = 404, description = "No such client for the caller", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid email, name, role or password", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn create(
    caller: ClientCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: ValidJson<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let tenant = caller.client(&state, id.into_inner()).await?;
    let req = body.0;
    let role = Role::parse(&req.role)
        .ok_or_else(|| ApiError::field("role", "invalid_role", "expected owner or agent"))?;
    let language =
        match req.language.as_deref() {
            None => None,
            Some(l) => Some(Language::from_code(l).ok_or_else(|| {
                ApiError::field("language", "invalid_language", "expected en or ar")
            })?),
        };
    let user = accounts::create_user(
        state.inbox.accounts(&state.deps),
        tenant,
        NewUser {
            email: req.email,
            name: req.name,
            role,
            password: req.password,
            language,
        },
    )
    .await
    .map_err(account_error)?;
    tracing::info!(client_id = %tenant, user_id = %user.id, role = user.role.as_str(), "user created");
    Ok(HttpResponse::Created().json(UserView::from(&user)))
}

/// Users of a client, by name.
#[utoipa::path(
    get, path = "/api/v1/clients/{id}/users", tag = "clients", operation_id = "list_client_users",
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, description = "The client's users", body = [UserView]),
        (status = 404, description = "No such client for the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn list(
    caller: ClientCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tenant = caller.client(&state, id.into_inner()).await?;
    let users = state.inbox.users.list_users(tenant).await?;
    Ok(HttpResponse::Ok().json(users.iter().map(UserView::from).collect::<Vec<_>>()))
}

/// Removes a user of a client and ends their sessions.
#[utoipa::path(
    delete, path = "/api/v1/clients/{id}/users/{user_id}", tag = "clients", operation_id = "delete_client_user",
    params(("id" = Uuid, Path, description = "Client id"), ("user_id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such client or user for the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn delete(
    caller: ClientCaller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (client, user) = path.into_inner();
    let tenant = caller.client(&state, client).await?;
    accounts::delete_user(
        state.inbox.accounts(&state.deps),
        tenant,
        UserId::from_uuid(user),
    )
    .await
    .map_err(account_error)?;
    tracing::info!(client_id = %tenant, user_id = %user, "user removed");
    Ok(HttpResponse::NoContent().finish())
}
