//! HubSpot CRM v3 behind the domain's [`Crm`] port: contacts upserted by email or found by phone,
//! the qualification's custom properties created once per portal, deals and notes created with
//! inline associations, and HubSpot's errors mapped to what the sync job does next.

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use lead_domain::crm::{Crm, CrmError, CrmSettings, CustomProperty, Properties};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// HubSpot's public API root.
pub const DEFAULT_API_BASE_URL: &str = "https://api.hubapi.com";

/// The environment variable naming another API root (tests point it at a local server).
pub const API_BASE_URL_ENV: &str = "HUBSPOT_API_BASE_URL";

/// A request timeout that keeps a stuck CRM from holding a worker.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// HubSpot-defined association type ids (one per direction).
pub mod association {
    /// Deal to contact.
    pub const DEAL_TO_CONTACT: u32 = 3;
    /// Note to contact.
    pub const NOTE_TO_CONTACT: u32 = 202;
    /// Note to deal.
    pub const NOTE_TO_DEAL: u32 = 214;
}

/// The property group the qualification properties are created in.
pub const PROPERTY_GROUP: &str = "contactinformation";

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum HubspotSetupError {
    /// The base URL is not an absolute http(s) URL.
    #[error("invalid HubSpot API base URL {0:?}")]
    BaseUrl(String),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// Talks to HubSpot for every tenant; each call carries the tenant's token.
#[derive(Debug)]
pub struct HubspotClient {
    http: reqwest::Client,
    base: String,
    /// Fingerprints of the tokens whose portal has every custom property already.
    prepared: Mutex<HashSet<u64>>,
}

impl HubspotClient {
    /// A client for the API at `base_url` (`https://api.hubapi.com` or a local stand-in).
    ///
    /// # Errors
    /// [`HubspotSetupError`] when the URL is not http(s) or the HTTP client cannot be built.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, HubspotSetupError> {
        let parsed = url::Url::parse(base_url)
            .map_err(|_| HubspotSetupError::BaseUrl(base_url.to_owned()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(HubspotSetupError::BaseUrl(base_url.to_owned()));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("lead-server/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            prepared: Mutex::new(HashSet::new()),
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        settings: &CrmSettings,
        body: Option<Value>,
    ) -> Result<Value, CrmError> {
        let mut request = crate::trace_context::inject(
            self.http
                .request(method, format!("{}{path}", self.base))
                .bearer_auth(settings.access_token.expose()),
        );
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| CrmError::Unavailable(network_error(&e)))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let text = response
            .text()
            .await
            .map_err(|e| CrmError::Unavailable(network_error(&e)))?;
        if status.is_success() {
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text)
                .map_err(|e| CrmError::Unavailable(format!("unreadable HubSpot response: {e}")));
        }
        Err(classify(status, &text, retry_after))
    }

    fn token_key(settings: &CrmSettings) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        settings.access_token.expose().hash(&mut h);
        h.finish()
    }
}

fn network_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "HubSpot did not answer in time".to_owned()
    } else {
        "could not reach HubSpot".to_owned()
    }
}

/// The wait HubSpot asks for: `Retry-After` (seconds) when sent, else the rolling window named
/// by `X-HubSpot-RateLimit-Interval-Milliseconds` once `X-HubSpot-RateLimit-Remaining` is 0.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    number("retry-after").map(Duration::from_secs).or_else(|| {
        (number("x-hubspot-ratelimit-remaining") == Some(0))
            .then(|| number("x-hubspot-ratelimit-interval-milliseconds"))
            .flatten()
            .map(Duration::from_millis)
    })
}

/// The message of HubSpot's error body.
fn error_message(body: &str) -> String {
    let value: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    value
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| body.chars().take(200).collect())
}

/// The id in `... Existing ID: 123` of a 409 on create; HubSpot puts it only in the text.
pub fn existing_id(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("Existing ID:")?;
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

fn classify(status: StatusCode, body: &str, retry_after: Option<Duration>) -> CrmError {
    let message = error_message(body);
    match status.as_u16() {
        401 => CrmError::Unauthorized,
        404 => CrmError::NotFound(message),
        409 => CrmError::Conflict {
            existing_id: existing_id(&message),
        },
        429 => CrmError::RateLimited {
            retry_after: retry_after.or_else(|| policy_wait(body)),
        },
        s if s >= 500 => CrmError::Unavailable(format!("HubSpot answered {s}: {message}")),
        s => CrmError::Rejected(format!("HubSpot answered {s}: {message}")),
    }
}

/// The wait HubSpot's own clients use for a 429 without headers, by the limit's policy name.
fn policy_wait(body: &str) -> Option<Duration> {
    let value: Value = serde_json::from_str(body).ok()?;
    match value.get("policyName").and_then(Value::as_str)? {
        "TEN_SECONDLY_ROLLING" => Some(Duration::from_secs(10)),
        "SECONDLY" => Some(Duration::from_secs(1)),
        _ => None,
    }
}

fn id_of(value: &Value) -> Result<String, CrmError> {
    match value.get("id") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(CrmError::Unavailable(
            "HubSpot's answer has no record id".to_owned(),
        )),
    }
}

fn assoc(to: &str, type_id: u32) -> Value {
    json!({"to": {"id": to}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]})
}

fn property_input(p: &CustomProperty) -> Value {
    let (kind, field) = if p.numeric {
        ("number", "number")
    } else {
        ("string", "text")
    };
    json!({
        "groupName": PROPERTY_GROUP,
        "name": p.name,
        "label": p.label,
        "type": kind,
        "fieldType": field,
        "description": "Set by the lead qualification service.",
    })
}

fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

#[async_trait]
impl Crm for HubspotClient {
    async fn ensure_properties(
        &self,
        settings: &CrmSettings,
        properties: &[CustomProperty],
    ) -> Result<(), CrmError> {
        let key = Self::token_key(settings);
        if self
            .prepared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&key)
        {
            return Ok(());
        }
        let listed = self
            .call(
                reqwest::Method::GET,
                "/crm/v3/properties/contacts",
                settings,
                None,
            )
            .await?;
        let existing: HashSet<&str> = listed
            .get("results")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(|p| p.get("name").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        let missing: Vec<Value> = properties
            .iter()
            .filter(|p| !existing.contains(p.name))
            .map(property_input)
            .collect();
        if !missing.is_empty() {
            match self
                .call(
                    reqwest::Method::POST,
                    "/crm/v3/properties/contacts/batch/create",
                    settings,
                    Some(json!({"inputs": missing})),
                )
                .await
            {
                // Another worker created them a moment ago.
                Ok(_) | Err(CrmError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        self.prepared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key);
        Ok(())
    }

    async fn upsert_contact_by_email(
        &self,
        settings: &CrmSettings,
        email: &str,
        properties: &Properties,
    ) -> Result<String, CrmError> {
        let answer = self
            .call(
                reqwest::Method::POST,
                "/crm/v3/objects/contacts/batch/upsert",
                settings,
                Some(json!({"inputs": [{"idProperty": "email", "id": email, "properties": properties}]})),
            )
            .await?;
        if let Some(err) = answer
            .get("errors")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            let message = err
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("the upsert failed");
            return Err(CrmError::Rejected(message.to_owned()));
        }
        answer
            .get("results")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .ok_or_else(|| CrmError::Unavailable("HubSpot's upsert returned no result".to_owned()))
            .and_then(id_of)
    }

    async fn find_contact_by_phone(
        &self,
        settings: &CrmSettings,
        phone: &str,
    ) -> Result<Option<String>, CrmError> {
        let filter = |property: &str| json!({"filters": [{"propertyName": property, "operator": "EQ", "value": phone}]});
        let answer = self
            .call(
                reqwest::Method::POST,
                "/crm/v3/objects/contacts/search",
                settings,
                Some(json!({
                    "filterGroups": [filter("phone"), filter("mobilephone")],
                    "properties": ["email", "phone", "mobilephone"],
                    "sorts": ["createdate"],
                    "limit": 1,
                })),
            )
            .await?;
        answer
            .get("results")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .map(id_of)
            .transpose()
    }

    async fn create_contact(
        &self,
        settings: &CrmSettings,
        properties: &Properties,
    ) -> Result<String, CrmError> {
        let answer = self
            .call(
                reqwest::Method::POST,
                "/crm/v3/objects/contacts",
                settings,
                Some(json!({"properties": properties})),
            )
            .await?;
        id_of(&answer)
    }

    async fn update_contact(
        &self,
        settings: &CrmSettings,
        id: &str,
        properties: &Properties,
    ) -> Result<(), CrmError> {
        self.call(
            reqwest::Method::PATCH,
            &format!("/crm/v3/objects/contacts/{}", segment(id)),
            settings,
            Some(json!({"properties": properties})),
        )
        .await
        .map(drop)
    }

    async fn create_deal(
        &self,
        settings: &CrmSettings,
        contact_id: &str,
        properties: &Properties,
    ) -> Result<String, CrmError> {
        let answer = self
            .call(
                reqwest::Method::POST,
                "/crm/v3/objects/deals",
                settings,
                Some(json!({
                    "properties": properties,
                    "associations": [assoc(contact_id, association::DEAL_TO_CONTACT)],
                })),
            )
            .await?;
        id_of(&answer)
    }

    async fn update_deal(
        &self,
        settings: &CrmSettings,
        id: &str,
        properties: &Properties,
    ) -> Result<(), CrmError> {
        self.call(
            reqwest::Method::PATCH,
            &format!("/crm/v3/objects/deals/{}", segment(id)),
            settings,
            Some(json!({"properties": properties})),
        )
        .await
        .map(drop)
    }

    async fn create_note(
        &self,
        settings: &CrmSettings,
        body: &str,
        at: DateTime<Utc>,
        contact_id: &str,
        deal_id: Option<String>,
    ) -> Result<String, CrmError> {
        let mut props = json!({
            "hs_timestamp": at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "hs_note_body": body,
        });
        if let (Some(owner), Some(map)) = (&settings.owner_id, props.as_object_mut()) {
            map.insert("hubspot_owner_id".to_owned(), json!(owner));
        }
        let mut associations = vec![assoc(contact_id, association::NOTE_TO_CONTACT)];
        if let Some(deal) = deal_id {
            associations.push(assoc(&deal, association::NOTE_TO_DEAL));
        }
        let answer = self
            .call(
                reqwest::Method::POST,
                "/crm/v3/objects/notes",
                settings,
                Some(json!({"properties": props, "associations": associations})),
            )
            .await?;
        id_of(&answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_existing_id_is_read_from_the_conflict_message() {
        assert_eq!(
            existing_id("Contact already exists. Existing ID: 37765128953").as_deref(),
            Some("37765128953")
        );
        assert_eq!(existing_id("Contact already exists."), None);
    }
}
