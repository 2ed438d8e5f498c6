//! The owner's pages: the account's settings (hours, rules, escalation, services, channels, the
//! widget snippet, users, with users added and removed here), and the month's model usage.

use crate::app::auth::{PageError, Viewer};
use crate::app::format;
use crate::app::pages::{Chrome, html};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use lead_domain::lead::YearMonth;
use lead_domain::usecases::users::{self as accounts, NewUser};
use lead_domain::users::{Role, UserId};
use serde::Deserialize;
use uuid::Uuid;

/// A user as the settings page lists it.
pub struct UserRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Role, readable.
    pub role: &'static str,
    /// Whether this is the viewer (who cannot remove themselves).
    pub me: bool,
}

/// The settings page.
#[derive(Template)]
#[template(path = "app/settings.html")]
pub struct SettingsPage {
    /// Around the content.
    pub chrome: Chrome,
    /// Time zone name.
    pub timezone: String,
    /// The weekly hours and holidays, as configured.
    pub hours: String,
    /// `(label, value)` of the qualification rules.
    pub rules: Vec<(&'static str, String)>,
    /// `(label, value)` of the escalation triggers.
    pub escalation: Vec<(&'static str, String)>,
    /// `(key, description)` of the services.
    pub services: Vec<(String, String)>,
    /// Twilio SMS and WhatsApp numbers.
    pub numbers: Vec<String>,
    /// Origins allowed to embed the chat widget.
    pub origins: Vec<String>,
    /// The script tag to paste on the business's site.
    pub snippet: String,
    /// Users of the account.
    pub users: Vec<UserRow>,
}

/// `GET /app/settings` (owners only).
pub async fn settings(
    viewer: Viewer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    viewer.require_owner()?;
    let t = viewer.tr();
    let lang = t.language;
    let s = &viewer.tenant.settings;
    let users = state.inbox.users.list_users(viewer.tenant.id).await?;
    let base = state
        .settings
        .public_base_url
        .clone()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned();
    let flag = |b: bool| t.get(if b { "yes" } else { "no" }).to_owned();
    let page = SettingsPage {
        timezone: s.business_hours.timezone().name().to_owned(),
        hours: serde_json::to_string_pretty(&s.business_hours).unwrap_or_default(),
        rules: vec![
            ("currency", s.rules.currency.to_string()),
            ("min_budget", format::number(lang, s.rules.min_budget)),
            (
                "high_value",
                format::number(lang, s.rules.high_value_threshold),
            ),
            (
                "hot_threshold",
                format::digits(lang, &s.rules.hot_at.to_string()),
            ),
            (
                "warm_threshold",
                format::digits(lang, &s.rules.warm_at.to_string()),
            ),
        ],
        escalation: vec![
            ("on_human_request", flag(s.escalation.on_human_request)),
            ("on_high_value", flag(s.escalation.on_high_value)),
            (
                "max_exchanges",
                s.escalation
                    .max_exchanges
                    .map_or_else(|| "—".to_owned(), |n| format::digits(lang, &n.to_string())),
            ),
            (
                "min_confidence",
                s.escalation
                    .min_confidence
                    .map_or_else(|| "—".to_owned(), |c| format!("{c:.2}")),
            ),
            ("keywords", s.escalation.keywords.join(", ")),
        ],
        services: s
            .services
            .iter()
            .map(|(k, v)| (k.clone(), v.description.clone()))
            .collect(),
        numbers: s
            .twilio
            .as_ref()
            .map(|tw| {
                tw.phone_numbers
                    .iter()
                    .map(|n| format!("SMS {n}"))
                    .chain(tw.whatsapp_numbers.iter().map(|n| format!("WhatsApp {n}")))
                    .collect()
            })
            .unwrap_or_default(),
        origins: s.allowed_origins.clone(),
        snippet: format!(
            "<script src=\"{base}/widget.js\" data-key=\"{}\" defer></script>",
            viewer.tenant.widget_key
        ),
        users: users
            .iter()
            .map(|u| UserRow {
                id: u.id.to_string(),
                name: u.name.clone(),
                email: u.email.clone(),
                role: t.get(u.role.as_str()),
                me: u.id == viewer.user.id,
            })
            .collect(),
        chrome: Chrome::of(&viewer, "settings", &req),
    };
    html(&page)
}

/// Fields of the add-user form.
#[derive(Debug, Deserialize)]
pub struct AddUserForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// Email.
    #[serde(default)]
    pub email: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// `owner` or `agent`.
    #[serde(default)]
    pub role: String,
    /// First password.
    #[serde(default)]
    pub password: String,
}

fn to_settings() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/app/settings"))
        .finish()
}

/// `POST /app/settings/users` (owners only).
pub async fn add_user(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: web::Form<AddUserForm>,
) -> Result<HttpResponse, PageError> {
    viewer.require_owner()?;
    viewer.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let role = Role::parse(&form.role)
        .ok_or_else(|| PageError::Invalid("role: owner or agent".to_owned()))?;
    accounts::create_user(
        state.inbox.accounts(&state.deps),
        viewer.tenant.id,
        NewUser {
            email: form.email,
            name: form.name,
            role,
            password: form.password,
            language: Some(viewer.user.language),
        },
    )
    .await?;
    Ok(to_settings())
}

/// `POST /app/settings/users/{user_id}/delete` (owners only; not oneself).
pub async fn remove_user(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<crate::app::auth::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    viewer.require_owner()?;
    viewer.check_csrf(&form.csrf)?;
    let id = Uuid::parse_str(&id)
        .map(UserId::from_uuid)
        .map_err(|_| PageError::NotFound)?;
    if id == viewer.user.id {
        return Err(PageError::Invalid("you cannot remove yourself".to_owned()));
    }
    accounts::delete_user(state.inbox.accounts(&state.deps), viewer.tenant.id, id).await?;
    Ok(to_settings())
}

/// One model's month-to-date usage.
pub struct UsageRow {
    /// Model id.
    pub model: String,
    /// Calls.
    pub calls: String,
    /// Input tokens.
    pub tokens_in: String,
    /// Output tokens.
    pub tokens_out: String,
    /// Cost in US dollars.
    pub cost: String,
}

/// The usage page.
#[derive(Template)]
#[template(path = "app/usage.html")]
pub struct UsagePage {
    /// Around the content.
    pub chrome: Chrome,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Per model.
    pub rows: Vec<UsageRow>,
    /// Total cost.
    pub total: String,
    /// Budget left, if a budget is set.
    pub left: Option<String>,
}

/// `GET /app/usage`: month-to-date model calls, tokens and cost by model, budget left.
pub async fn usage(
    viewer: Viewer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let lang = viewer.tr().language;
    let month = YearMonth::of(state.deps.clock.now());
    let totals = state
        .deps
        .usage
        .month_usage(viewer.tenant.id, month)
        .await?;
    let total: f64 = totals.iter().map(|t| t.cost_usd).sum();
    let money = |v: f64| format::digits(lang, &format!("{v:.4}"));
    let page = UsagePage {
        month: format::digits(lang, &month.to_string()),
        rows: totals
            .iter()
            .map(|u| UsageRow {
                model: u.model.clone(),
                calls: format::number(lang, u.calls as f64),
                tokens_in: format::number(lang, u.input_tokens as f64),
                tokens_out: format::number(lang, u.output_tokens as f64),
                cost: money(u.cost_usd),
            })
            .collect(),
        total: money(total),
        left: viewer
            .tenant
            .settings
            .monthly_budget_usd
            .map(|b| money((b - total).max(0.0))),
        chrome: Chrome::of(&viewer, "usage", &req),
    };
    html(&page)
}
