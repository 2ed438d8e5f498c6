//! The owner's settings forms: hours and holidays, qualification rules, escalation triggers,
//! services, channels, notification contacts and webhooks. Each form becomes the same settings
//! change `PATCH /api/v1/clients/{id}` takes and goes through the same validation and save.

use crate::app::auth::{PageError, Viewer};
use crate::error::ApiError;
use crate::routes::clients::{UpdateClientRequest, update_client_settings};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use lead_domain::events::ALL_EVENT_TYPES;
use serde_json::{Map, Value, json};

/// A posted form as its `(name, value)` pairs, in order (checkboxes repeat a name).
pub type FormPairs = web::Form<Vec<(String, String)>>;

/// The days of the week in the order the hours form shows them.
pub const WEEK: [&str; 7] = [
    "saturday",
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
];

fn value<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

fn values<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .collect()
}

/// Items of a list field: one per line or separated by commas, blanks dropped.
pub fn items(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number(form: &[(String, String)], name: &str) -> Result<Value, PageError> {
    let raw = value(form, name).replace([',', ' ', '\u{066c}'], "");
    if raw.is_empty() {
        return Ok(Value::Null);
    }
    raw.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .map(|n| json!(n))
        .ok_or_else(|| PageError::Invalid(format!("{name}: expected a number")))
}

/// One day's shifts from `09:00-13:00, 16:00-20:00`; empty is closed.
///
/// # Errors
/// [`PageError::Invalid`] naming the day.
pub fn shifts(day: &str, text: &str) -> Result<Vec<Value>, PageError> {
    let mut out = Vec::new();
    for part in text
        .split([',', '،'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (start, end) = part
            .split_once(['-', '–'])
            .ok_or_else(|| PageError::Invalid(format!("{day}: expected HH:MM-HH:MM")))?;
        out.push(json!({"start": start.trim(), "end": end.trim()}));
    }
    Ok(out)
}

fn invalid(e: ApiError) -> PageError {
    match e {
        ApiError::Validation(errors) => PageError::Invalid(
            errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        ApiError::Conflict(m) => PageError::Conflict(m),
        other => PageError::Internal(anyhow::Error::new(other)),
    }
}

async fn save(state: &AppState, viewer: &Viewer, patch: Value) -> Result<HttpResponse, PageError> {
    save_with(state, viewer, patch).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/app/settings?saved=1"))
        .finish())
}

async fn save_with(
    state: &AppState,
    viewer: &Viewer,
    patch: Value,
) -> Result<(lead_domain::tenant::Tenant, crate::views::ClientView), PageError> {
    let body: UpdateClientRequest =
        serde_json::from_value(patch).map_err(|e| PageError::Invalid(e.to_string()))?;
    update_client_settings(state, viewer.tenant.clone(), body)
        .await
        .map_err(invalid)
}

fn owner_form(viewer: &Viewer, form: &[(String, String)]) -> Result<(), PageError> {
    viewer.require_owner()?;
    viewer.check_csrf(value(form, "csrf"))
}

/// `POST /app/settings/hours`: time zone, each day's shifts, holidays.
pub async fn hours(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: FormPairs,
) -> Result<HttpResponse, PageError> {
    owner_form(&viewer, &form)?;
    let mut days = Map::new();
    for day in WEEK {
        let list = shifts(day, value(&form, day))?;
        if !list.is_empty() {
            days.insert(day.to_owned(), Value::Array(list));
        }
    }
    let holidays: Vec<String> = items(value(&form, "holidays"));
    let mut patch = json!({"business_hours": days, "holidays": holidays});
    let tz = value(&form, "timezone");
    if !tz.is_empty() {
        patch["timezone"] = json!(tz);
    }
    save(&state, &viewer, patch).await
}

/// `POST /app/settings/rules`: currency, budgets and score thresholds (the rest kept).
pub async fn rules(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: FormPairs,
) -> Result<HttpResponse, PageError> {
    owner_form(&viewer, &form)?;
    let mut rules = serde_json::to_value(&viewer.tenant.settings.rules)
        .map_err(|e| PageError::Internal(e.into()))?;
    let currency = value(&form, "currency").to_ascii_uppercase();
    if !currency.is_empty() {
        rules["currency"] = json!(currency);
    }
    for (field, key) in [
        ("min_budget", "min_budget"),
        ("high_value", "high_value_threshold"),
        ("hot_threshold", "hot_at"),
        ("warm_threshold", "warm_at"),
    ] {
        let n = number(&form, field)?;
        if !n.is_null() {
            rules[key] = if key.ends_with("_at") {
                json!(n.as_f64().unwrap_or(0.0).round().max(0.0) as u64)
            } else {
                n
            };
        }
    }
    save(&state, &viewer, json!({"qualification_rules": rules})).await
}

/// `POST /app/settings/escalation`: the triggers and keywords.
pub async fn escalation(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: FormPairs,
) -> Result<HttpResponse, PageError> {
    owner_form(&viewer, &form)?;
    let mut policy = serde_json::to_value(&viewer.tenant.settings.escalation)
        .map_err(|e| PageError::Internal(e.into()))?;
    policy["on_human_request"] = json!(!value(&form, "on_human_request").is_empty());
    policy["on_high_value"] = json!(!value(&form, "on_high_value").is_empty());
    policy["max_exchanges"] = match number(&form, "max_exchanges")? {
        Value::Null => Value::Null,
        n => json!(n.as_f64().unwrap_or(0.0).round().max(0.0) as u64),
    };
    policy["min_confidence"] = number(&form, "min_confidence")?;
    policy["keywords"] = json!(items(value(&form, "keywords")));
    let on_hot = value(&form, "on_hot");
    if !on_hot.is_empty() {
        policy["on_hot"] = json!(on_hot);
    }
    save(&state, &viewer, json!({"escalation": policy})).await
}

/// `POST /app/settings/services`: one `key: description` per line; synonyms of kept keys stay.
pub async fn services(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: FormPairs,
) -> Result<HttpResponse, PageError> {
    owner_form(&viewer, &form)?;
    let current = &viewer.tenant.settings.services;
    let mut services = Map::new();
    for line in value(&form, "services").lines().map(str::trim) {
        if line.is_empty() {
            continue;
        }
        let (key, description) = line.split_once(':').ok_or_else(|| {
            PageError::Invalid(format!("services: expected key: description in \"{line}\""))
        })?;
        let key = key.trim().to_owned();
        let synonyms = current
            .get(&key)
            .map(|s| s.synonyms.clone())
            .unwrap_or_default();
        services.insert(
            key,
            json!({"description": description.trim(), "synonyms": synonyms}),
        );
    }
    save(&state, &viewer, json!({"services": services})).await
}

/// `POST /app/settings/channels`: widget origins and the phone reply channel.
pub async fn channels(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: FormPairs,
) -> Result<HttpResponse, PageError> {
    owner_form(&viewer, &form)?;
    let mut patch = json!({"allowed_origins": items(value(&form, "origins"))});
    let reply = value(&form, "phone_reply_channel");
    if !reply.is_empty() {
        patch["phone_reply_channel"] = json!(reply);
    }
    save(&state, &viewer, patch).await
}

/// `POST /app/settings/notifications`: who is paged, in which language, for which events.
pub async fn notifications(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: FormPairs,
) -> Result<HttpResponse, PageError> {
    owner_form(&viewer, &form)?;
    let mut patch = json!({
        "email": items(value(&form, "email")),
        "sms": items(value(&form, "sms")),
        "whatsapp": items(value(&form, "whatsapp")),
        "events": values(&form, "event"),
    });
    let language = value(&form, "language");
    if !language.is_empty() {
        patch["language"] = json!(language);
    }
    save(&state, &viewer, json!({"notifications": patch})).await
}

fn kept_webhooks(viewer: &Viewer, except: Option<&str>) -> Vec<Value> {
    viewer
        .tenant
        .settings
        .notifications
        .webhooks
        .iter()
        .filter(|w| Some(w.id.as_str()) != except)
        .map(|w| json!({"url": w.url, "events": w.events}))
        .collect()
}

/// `POST /app/settings/webhooks`: adds an endpoint; its signing secret is shown once, on the
/// page this answers with.
pub async fn add_webhook(
    viewer: Viewer,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: FormPairs,
) -> Result<HttpResponse, PageError> {
    owner_form(&viewer, &form)?;
    let url = value(&form, "url").to_owned();
    let mut events: Vec<&str> = values(&form, "event");
    if events.is_empty() {
        events.push("*");
    }
    let mut hooks = kept_webhooks(&viewer, None);
    hooks.push(json!({"url": url, "events": events, "secret": null}));
    let (tenant, view) = save_with(
        &state,
        &viewer,
        json!({"notifications": {"webhooks": hooks}}),
    )
    .await?;
    let secret = view
        .notifications
        .webhooks
        .iter()
        .find(|w| w.url == url)
        .and_then(|w| w.secret.clone());
    let mut viewer = viewer;
    viewer.tenant = tenant;
    let page = crate::app::settings::settings_page(&viewer, &req, &state, secret).await?;
    crate::app::pages::html(&page)
}

/// `POST /app/settings/webhooks/{id}/delete`: removes an endpoint.
pub async fn remove_webhook(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: FormPairs,
) -> Result<HttpResponse, PageError> {
    owner_form(&viewer, &form)?;
    let id = id.into_inner();
    if !viewer
        .tenant
        .settings
        .notifications
        .webhooks
        .iter()
        .any(|w| w.id == id)
    {
        return Err(PageError::NotFound);
    }
    let hooks = kept_webhooks(&viewer, Some(&id));
    save(
        &state,
        &viewer,
        json!({"notifications": {"webhooks": hooks}}),
    )
    .await
}

/// The event types a form offers, as `(name, checked)`.
pub fn event_choices(selected: &[String]) -> Vec<(&'static str, bool)> {
    ALL_EVENT_TYPES
        .iter()
        .map(|t| (t.as_str(), selected.iter().any(|s| s == t.as_str())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_and_lists_are_read_as_people_type_them() {
        assert_eq!(
            shifts("monday", "09:00-13:00, 16:00 - 20:00").unwrap(),
            vec![
                json!({"start": "09:00", "end": "13:00"}),
                json!({"start": "16:00", "end": "20:00"})
            ]
        );
        assert!(shifts("monday", "").unwrap().is_empty());
        assert!(shifts("monday", "nine to five").is_err());
        assert_eq!(
            items("a@x.com\n b@x.com, ,c@x.com"),
            ["a@x.com", "b@x.com", "c@x.com"]
        );
    }
}
