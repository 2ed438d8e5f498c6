//! Signing in and out of the inbox: argon2 passwords, the session cookie, CSRF tokens, the
//! signed-in viewer extractor and the HTML error responses of the inbox's pages.

use crate::app::i18n::{Tr, language_from_header};
use crate::app::pages::render;
use crate::auth::sha256_hex;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier};
use askama::Template;
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::LocalBoxFuture;
use lead_domain::language::Language;
use lead_domain::tenant::Tenant;
use lead_domain::usecases::users::{self as accounts, AccountError, SignIn};
use lead_domain::users::{PasswordHasher, Role, Session, User};
use serde::Deserialize;
use std::fmt;
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "lead_session";
/// The cookie holding the sign-in form's CSRF token (there is no session yet to hold it).
pub const LOGIN_CSRF_COOKIE: &str = "lead_login_csrf";

/// Argon2id with the crate's recommended parameters, run on the blocking pool.
pub struct Argon2Hasher {
    /// A hash of a random password, verified against on unknown emails to spend the same time.
    dummy: String,
}

impl Argon2Hasher {
    /// A hasher with its dummy hash computed once.
    ///
    /// # Errors
    /// When argon2 refuses its parameters (never with the defaults).
    pub fn new() -> anyhow::Result<Self> {
        let bytes: [u8; 16] = rand::random();
        let dummy = Argon2::default()
            .hash_password(URL_SAFE_NO_PAD.encode(bytes).as_bytes())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
            .to_string();
        Ok(Self { dummy })
    }
}

fn verify_blocking(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> Result<String, String> {
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }

    async fn verify(&self, password: &str, hash: &str) -> bool {
        let (password, hash) = (password.to_owned(), hash.to_owned());
        tokio::task::spawn_blocking(move || verify_blocking(&password, &hash))
            .await
            .unwrap_or(false)
    }

    async fn waste_one_verification(&self, password: &str) {
        let (password, hash) = (password.to_owned(), self.dummy.clone());
        let _ = tokio::task::spawn_blocking(move || verify_blocking(&password, &hash)).await;
    }
}

/// A random URL-safe token of 256 bits, for session cookies and CSRF tokens.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The value of a cookie of the request, read from the `Cookie` header.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, path `/app`, `Secure` when the service is
/// published over https; `max_age` of zero removes the cookie.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> String {
    let secure = state
        .settings
        .public_base_url
        .as_deref()
        .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"));
    let mut out = format!("{name}={value}; Path=/app; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        out.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        out.push_str("; Secure");
    }
    out
}

/// Whether a presented CSRF token matches the expected one, compared in constant time.
pub fn csrf_matches(expected: &str, presented: &str) -> bool {
    !expected.is_empty()
        && expected.len() == presented.len()
        && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

/// Why an inbox page could not be shown; rendered as HTML, never as a problem document.
#[derive(Debug)]
pub enum PageError {
    /// No live session: go to the sign-in page.
    SignIn,
    /// The record is not the viewer's tenant's (or does not exist).
    NotFound,
    /// The viewer's role may not do this.
    Forbidden,
    /// The form's CSRF token is missing or wrong.
    Csrf,
    /// The request cannot be done as asked; the message says why.
    Invalid(String),
    /// The lifecycle refuses the change.
    Conflict(String),
    /// Something failed on our side.
    Internal(anyhow::Error),
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageError::SignIn => f.write_str("sign in required"),
            PageError::NotFound => f.write_str("not found"),
            PageError::Forbidden => f.write_str("forbidden"),
            PageError::Csrf => f.write_str("the form expired; reload the page and try again"),
            PageError::Invalid(m) | PageError::Conflict(m) => f.write_str(m),
            PageError::Internal(e) => write!(f, "internal error: {e}"),
        }
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "app/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    title_ar: &'a str,
    detail: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn => StatusCode::SEE_OTHER,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Forbidden | PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            PageError::Conflict(_) => StatusCode::CONFLICT,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let PageError::SignIn = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/app/login"))
                .finish();
        }
        if let PageError::Internal(e) = self {
            tracing::error!(error = %e, "inbox page failed");
        }
        let (title, title_ar) = match self {
            PageError::NotFound => ("Not found", "غير موجود"),
            PageError::Forbidden => ("Not allowed", "غير مسموح"),
            PageError::Csrf => ("Form expired", "انتهت صلاحية النموذج"),
            PageError::Invalid(_) => ("Cannot do that", "لا يمكن تنفيذ ذلك"),
            PageError::Conflict(_) => ("Not possible now", "غير ممكن الآن"),
            PageError::Internal(_) | PageError::SignIn => ("Something went wrong", "حدث خطأ"),
        };
        let detail = match self {
            PageError::Internal(_) => "please try again in a moment".to_owned(),
            other => other.to_string(),
        };
        let body = ErrorPage {
            title,
            title_ar,
            detail,
        }
        .render()
        .unwrap_or_else(|_| title.to_owned());
        HttpResponse::build(self.status_code())
            .content_type(ContentType::html())
            .body(body)
    }
}

impl From<lead_domain::ports::StoreError> for PageError {
    fn from(e: lead_domain::ports::StoreError) -> Self {
        PageError::Internal(anyhow::Error::new(e))
    }
}

impl From<AccountError> for PageError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Input(i) => PageError::Invalid(i.to_string()),
            AccountError::EmailTaken => PageError::Invalid(e.to_string()),
            AccountError::NotFound => PageError::NotFound,
            other => PageError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<lead_domain::usecases::leads::LeadError> for PageError {
    fn from(e: lead_domain::usecases::leads::LeadError) -> Self {
        use lead_domain::usecases::leads::LeadError;
        match e {
            LeadError::NotFound(_) => PageError::NotFound,
            LeadError::Illegal(i) => PageError::Conflict(i.to_string()),
            LeadError::NoReplyAddress | LeadError::EmptyReply => PageError::Invalid(e.to_string()),
            other => PageError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// The signed-in person of a request: their session, user record and tenant.
pub struct Viewer {
    /// The session (CSRF token, times).
    pub session: Session,
    /// The user.
    pub user: User,
    /// Their tenant; every read and write of the inbox is scoped to it.
    pub tenant: Tenant,
}

impl Viewer {
    /// Refuses a form whose CSRF token is not the session's.
    ///
    /// # Errors
    /// [`PageError::Csrf`].
    pub fn check_csrf(&self, presented: &str) -> Result<(), PageError> {
        if csrf_matches(&self.session.csrf_token, presented) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    /// Refuses a viewer who is not an owner of the tenant.
    ///
    /// # Errors
    /// [`PageError::Forbidden`].
    pub fn require_owner(&self) -> Result<(), PageError> {
        if self.user.role == Role::Owner {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }

    /// The viewer's interface strings.
    pub fn tr(&self) -> Tr {
        Tr::new(self.user.language)
    }
}

/// Resolves the session cookie of a request to a viewer, if signed in.
///
/// # Errors
/// Storage failures.
pub async fn viewer_of(state: &AppState, req: &HttpRequest) -> Result<Option<Viewer>, PageError> {
    let Some(token) = cookie(req, SESSION_COOKIE).filter(|t| !t.is_empty() && t.len() <= 128)
    else {
        return Ok(None);
    };
    let accounts = state.inbox.accounts(&state.deps);
    let Some((session, user)) = accounts::resolve_session(accounts, &sha256_hex(&token)).await?
    else {
        return Ok(None);
    };
    let Some(tenant) = state.deps.tenants.get_tenant(user.tenant_id).await? else {
        return Ok(None);
    };
    Ok(Some(Viewer {
        session,
        user,
        tenant,
    }))
}

impl FromRequest for Viewer {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| PageError::Internal(anyhow::anyhow!("application state missing")))?;
            viewer_of(&state, &req).await?.ok_or(PageError::SignIn)
        })
    }
}

/// The sign-in page.
#[derive(Template)]
#[template(path = "app/login.html")]
pub struct LoginPage {
    /// Strings.
    pub t: Tr,
    /// The form's CSRF token.
    pub csrf: String,
    /// The email typed, shown again after a failure.
    pub email: String,
    /// Why the last try failed.
    pub error: Option<String>,
}

fn login_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    email: String,
    error: Option<String>,
    language: Language,
) -> Result<HttpResponse, PageError> {
    let csrf = random_token();
    let page = LoginPage {
        t: Tr::new(language),
        csrf: csrf.clone(),
        email,
        error,
    };
    let _ = req;
    Ok(HttpResponse::build(status)
        .insert_header((
            header::SET_COOKIE,
            set_cookie(state, LOGIN_CSRF_COOKIE, &csrf, Some(3600)),
        ))
        .content_type(ContentType::html())
        .body(render(&page)?))
}

/// The language of a page shown before sign-in: `?lang=`, else the browser's preference.
fn guest_language(req: &HttpRequest) -> Language {
    web::Query::<LangQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.lang.as_deref().and_then(Language::from_code))
        .unwrap_or_else(|| language_from_header(req))
}

/// `?lang=` of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    /// `en` or `ar`.
    pub lang: Option<String>,
}

/// `GET /app/login`: the sign-in form (signed-in users go to the inbox).
pub async fn login_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    if viewer_of(&state, &req).await?.is_some() {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/app"))
            .finish());
    }
    login_page(
        &req,
        &state,
        StatusCode::OK,
        String::new(),
        None,
        guest_language(&req),
    )
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    /// Email.
    #[serde(default)]
    pub email: String,
    /// Password.
    #[serde(default)]
    pub password: String,
    /// CSRF token of the form.
    #[serde(default)]
    pub csrf: String,
}

/// The address failed sign-ins are counted against: the peer of the connection (a header could
/// be forged to escape the count).
fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

/// `POST /app/login`: 303 to `/app` with a session cookie, or the form again with why.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let language = guest_language(&req);
    let t = Tr::new(language);
    let expected = cookie(&req, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !csrf_matches(&expected, &form.csrf) {
        return Err(PageError::Csrf);
    }
    let token = random_token();
    let attempt = SignIn {
        email: form.email.clone(),
        password: form.password,
        address: client_address(&req),
        token_hash: sha256_hex(&token),
        csrf_token: random_token(),
    };
    match accounts::sign_in(state.inbox.accounts(&state.deps), attempt).await {
        Ok((_, user)) => {
            tracing::info!(user_id = %user.id, client_id = %user.tenant_id, "signed in");
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/app"))
                .append_header((
                    header::SET_COOKIE,
                    set_cookie(&state, SESSION_COOKIE, &token, None),
                ))
                .append_header((
                    header::SET_COOKIE,
                    set_cookie(&state, LOGIN_CSRF_COOKIE, "", Some(0)),
                ))
                .finish())
        }
        Err(AccountError::BadCredentials) => login_page(
            &req,
            &state,
            StatusCode::UNAUTHORIZED,
            form.email,
            Some(t.get("wrong_credentials").to_owned()),
            language,
        ),
        Err(AccountError::Throttled(wait)) => {
            let mut res = login_page(
                &req,
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                form.email,
                Some(format!(
                    "{} ({} s)",
                    t.get("throttled"),
                    wait.num_seconds().max(1)
                )),
                language,
            )?;
            if let Ok(v) = header::HeaderValue::from_str(&wait.num_seconds().max(1).to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

/// A form that carries only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
}

/// `POST /app/logout`: ends the session and removes the cookie.
pub async fn logout(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    viewer.check_csrf(&form.csrf)?;
    accounts::sign_out(
        state.inbox.accounts(&state.deps),
        &viewer.session.token_hash,
    )
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/app/login"))
        .insert_header((
            header::SET_COOKIE,
            set_cookie(&state, SESSION_COOKIE, "", Some(0)),
        ))
        .finish())
}

/// The language switch's fields.
#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// `en` or `ar`.
    pub language: String,
    /// The inbox page to go back to.
    #[serde(default)]
    pub back: String,
}

/// `POST /app/language`: saves the viewer's interface language and goes back.
pub async fn language(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: web::Form<LanguageForm>,
) -> Result<HttpResponse, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let language = Language::from_code(&form.language)
        .ok_or_else(|| PageError::Invalid("language: expected en or ar".to_owned()))?;
    accounts::choose_language(state.inbox.accounts(&state.deps), &viewer.user, language).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, safe_back(&form.back)))
        .finish())
}

/// A path inside the inbox to return to, or the inbox itself: never another site.
pub fn safe_back(back: &str) -> String {
    let ok = back.starts_with("/app")
        && !back.starts_with("//")
        && !back.contains("://")
        && !back.contains('\\')
        && !back.chars().any(char::is_control);
    if ok {
        back.to_owned()
    } else {
        "/app".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_compare_whole() {
        assert!(csrf_matches("abc", "abc"));
        assert!(!csrf_matches("abc", "abd"));
        assert!(!csrf_matches("abc", "ab"));
        assert!(!csrf_matches("", ""));
    }

    #[test]
    fn going_back_never_leaves_the_inbox() {
        assert_eq!(safe_back("/app/leads?page=2"), "/app/leads?page=2");
        assert_eq!(safe_back("https://evil.example/app"), "/app");
        assert_eq!(safe_back("//evil.example"), "/app");
        assert_eq!(safe_back("/api/v1/leads"), "/app");
    }
}
