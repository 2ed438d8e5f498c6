//! Live chat: the widget's message endpoint (the reply in the response when it is ready within
//! `LIVE_CHAT_WAIT_MS`), the per-session server-sent event stream of later replies, per-tenant CORS,
//! and the embeddable widget with its demo page, compiled into the binary.

use crate::error::ApiError;
use crate::extract::ValidJson;
use crate::routes::leads::parse_contact;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use chrono::{DateTime, SecondsFormat, Utc};
use lead_domain::contact::Address;
use lead_domain::ids::{ConversationId, MessageId, TenantId};
use lead_domain::lead::{Channel, Conversation, Direction, Message, Sender};
use lead_domain::ports::{Page, StoreError};
use lead_domain::tenant::Tenant;
use lead_domain::usecases::InboundRequest;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// The header a widget may send its key in instead of the body.
pub const WIDGET_KEY_HEADER: &str = "X-Widget-Key";

/// How often a waiting request or stream looks for new messages when no local worker announces
/// finished jobs (workers in another process, or a human reply from the API).
const POLL: Duration = Duration::from_millis(100);

/// How often the stream sends a comment so proxies keep the connection open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How long one stream stays open; the browser's `EventSource` reconnects with `Last-Event-ID`.
const STREAM_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// Messages read per page while looking for new ones.
const PAGE: u32 = 200;

/// The widget script, served at `/widget.js`.
const WIDGET_JS: &str = include_str!("../widget/widget.js");

/// The demo page, served at `/widget/demo.html`.
pub(crate) const DEMO_HTML: &str = include_str!("../widget/demo.html");

/// A visitor's chat message, as the widget posts it.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveChatRequest {
    /// The client's public widget key; may come in the `X-Widget-Key` header instead.
    #[validate(length(min = 1, max = 100))]
    pub widget_key: Option<String>,
    /// The visitor session the widget chose (1 to 128 letters, digits, `-` or `_`).
    #[validate(length(min = 1, max = 128))]
    pub session_id: String,
    /// What the visitor wrote.
    #[validate(length(min = 1, max = 5000))]
    pub message: String,
    /// The visitor's name, when the widget asked.
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// Email, when given.
    #[validate(length(max = 254))]
    pub email: Option<String>,
    /// Phone, when given; local numbers use the client's default region.
    #[validate(length(max = 32))]
    pub phone: Option<String>,
}

/// The reply to a chat message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatReply {
    /// The reply's message id (the same id the stream uses, so a widget shows it once).
    pub id: Uuid,
    /// The reply text.
    pub text: String,
    /// Its language (`en`, `ar`).
    pub language: Option<String>,
}

/// What the chat endpoint answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveChatAccepted {
    /// The visitor's conversation.
    pub conversation_id: Uuid,
    /// The stored visitor message.
    pub message_id: Option<Uuid>,
    /// The reply when it was ready within the configured wait, else `null` (it arrives on the stream).
    pub reply: Option<ChatReply>,
    /// The server-sent event stream of this conversation's replies after this message.
    pub stream_url: String,
}

/// One reply on the event stream (`event: message`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatEvent {
    /// The message id, also the event id.
    pub id: Uuid,
    /// The text.
    pub text: String,
    /// Its language (`en`, `ar`).
    pub language: Option<String>,
    /// When it was stored (RFC 3339).
    pub created_at: String,
}

/// The stream's query string.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// The client's public widget key.
    pub widget_key: String,
    /// The visitor session.
    pub session_id: String,
    /// The conversation, as the chat endpoint returned it.
    pub conversation_id: Uuid,
    /// Only messages after this one (the visitor message the chat endpoint stored); without it,
    /// and without `Last-Event-ID`, only messages stored from now on.
    pub after: Option<Uuid>,
}

/// The preflight's query string: the widget repeats its key there so the preflight knows the client.
#[derive(Debug, Clone, Deserialize)]
pub struct PreflightQuery {
    /// The client's public widget key.
    pub widget_key: Option<String>,
}

fn valid_session(session: &str) -> bool {
    !session.is_empty()
        && session.len() <= 128
        && session
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The origin of this service as the browser sees it, for same-origin pages such as the demo.
fn own_origin(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// How a request's `Origin` relates to the client's allowed origins.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OriginCheck {
    /// No `Origin` header: not a browser cross-origin request, CORS does not apply.
    Absent,
    /// Allowed; the value to echo in `Access-Control-Allow-Origin`.
    Allowed(String),
    /// Present and not allowed.
    Refused,
}

fn check_origin(req: &HttpRequest, tenant: Option<&Tenant>) -> OriginCheck {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return OriginCheck::Absent;
    };
    let Some(tenant) = tenant else {
        return OriginCheck::Refused;
    };
    let origin = origin.trim_end_matches('/');
    let allowed = origin.eq_ignore_ascii_case(&own_origin(req))
        || tenant
            .settings
            .allowed_origins
            .iter()
            .map(|o| o.trim().trim_end_matches('/'))
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin));
    if allowed {
        OriginCheck::Allowed(origin.to_owned())
    } else {
        OriginCheck::Refused
    }
}

fn cors_headers(builder: &mut HttpResponseBuilder, check: &OriginCheck) {
    if let OriginCheck::Allowed(origin) = check {
        builder.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.as_str()));
        builder.insert_header((header::VARY, "Origin"));
    }
}

fn with_cors(mut res: HttpResponse, check: &OriginCheck) -> HttpResponse {
    if let OriginCheck::Allowed(origin) = check
        && let Ok(value) = HeaderValue::from_str(origin)
    {
        res.headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        res.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    res
}

async fn tenant_by_key(state: &AppState, key: &str) -> Result<Tenant, ApiError> {
    state
        .deps
        .tenants
        .find_tenant_by_widget_key(key.trim())
        .await?
        .ok_or(ApiError::UnknownWidgetKey)
}

fn header_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get(WIDGET_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Every message of a conversation from `offset` on, page after page.
async fn messages_from(
    state: &AppState,
    tenant: TenantId,
    conversation: ConversationId,
    mut offset: u64,
) -> Result<Vec<Message>, StoreError> {
    let mut out = Vec::new();
    loop {
        let page = state
            .deps
            .leads
            .list_messages(
                tenant,
                conversation,
                Page {
                    limit: PAGE,
                    offset,
                },
            )
            .await?;
        let n = page.items.len();
        offset += n as u64;
        out.extend(page.items);
        if n < PAGE as usize {
            return Ok(out);
        }
    }
}

/// The position just after `message` in the conversation, or the end when it is not there.
async fn offset_after(
    state: &AppState,
    tenant: TenantId,
    conversation: ConversationId,
    message: Option<MessageId>,
) -> Result<u64, StoreError> {
    let all = messages_from(state, tenant, conversation, 0).await?;
    let end = all.len() as u64;
    Ok(message
        .and_then(|id| all.iter().position(|m| m.id == id))
        .map_or(end, |i| i as u64 + 1))
}

fn reply_of(message: &Message) -> ChatReply {
    ChatReply {
        id: message.id.as_uuid(),
        text: message.body.clone(),
        language: message.language.map(|l| l.code().to_owned()),
    }
}

/// Accepts a live-chat message and answers with the reply when it is ready within `LIVE_CHAT_WAIT_MS`.
#[utoipa::path(
    post, path = "/webhooks/live-chat", operation_id = "post_live_chat_message", tag = "webhooks",
    request_body(content = LiveChatRequest, content_type = "application/json", example = json!({
        "widget_key": "wk_0123456789abcdef", "session_id": "3f1c2b9a-visitor", "message": "مرحبا، كم سعر الشقة؟"
    })),
    security(("widget_key" = []), ()),
    responses(
        (status = 200, description = "Stored; the reply when ready in time, else null and the stream delivers it", body = LiveChatAccepted),
        (status = 400, description = "Broken JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown widget key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The page's origin is not allowed for this client", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn post_message(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ValidJson<LiveChatRequest>,
) -> Result<HttpResponse, ApiError> {
    let chat = body.0;
    let key = chat
        .widget_key
        .clone()
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .or_else(|| header_key(req.headers()))
        .ok_or(ApiError::UnknownWidgetKey)?;
    let tenant = tenant_by_key(&state, &key).await?;
    let origin = check_origin(&req, Some(&tenant));
    if origin == OriginCheck::Refused {
        return Err(ApiError::OriginNotAllowed);
    }
    let address = crate::proxies::client_ip(&req, &state.proxies);
    match accept(&state, &tenant, chat, &key, address).await {
        Ok(res) => Ok(with_cors(res, &origin)),
        // Errors carry the CORS header too, so the widget can read why it was refused.
        Err(err) => Ok(with_cors(
            actix_web::ResponseError::error_response(&err),
            &origin,
        )),
    }
}

async fn accept(
    state: &AppState,
    tenant: &Tenant,
    chat: LiveChatRequest,
    key: &str,
    address: std::net::IpAddr,
) -> Result<HttpResponse, ApiError> {
    if !valid_session(&chat.session_id) {
        return Err(ApiError::field(
            "session_id",
            "invalid",
            "must be 1 to 128 letters, digits, '-' or '_'",
        ));
    }
    state
        .limits
        .widget_post(&tenant.widget_key, &chat.session_id, address)
        .await?;
    let mut errors = Vec::new();
    let mut contact = parse_contact(
        tenant,
        chat.name.as_deref(),
        chat.phone.as_deref(),
        chat.email.as_deref(),
        &mut errors,
    );
    // The chat session identifies the visitor, so phone and email are optional here.
    errors.retain(|e| e.code != "required");
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    contact.chat_session = Some(chat.session_id.clone());
    // A number or address typed into the message is a claim too, stored on the chat's own lead.
    if contact.phone.is_none() {
        contact.phone = crate::phone::find_in_text(&chat.message, &tenant.settings.default_region);
    }
    if contact.email.is_none() {
        contact.email = crate::phone::email_in_text(&chat.message);
    }
    let receipt = super::accept(
        state,
        tenant,
        InboundRequest {
            channel: Some(Channel::LiveChat),
            contact,
            body: Some(chat.message),
            source_detail: Some("live chat".to_owned()),
            dedup_key: None,
            request_digest: None,
            sender: None,
        },
    )
    .await?;
    tracing::info!(
        client_id = %tenant.id,
        lead_id = %receipt.lead_id,
        lead_created = receipt.lead_created,
        queued = receipt.job_id.is_some(),
        "live chat message accepted"
    );
    let wait = Duration::from_millis(state.settings.live_chat_wait_ms);
    // A conversation a human owns gets no AI reply; the person's answer comes on the stream.
    let escalated = state
        .deps
        .leads
        .get_conversation(tenant.id, receipt.conversation_id)
        .await?
        .is_some_and(|c| c.escalated);
    let reply = match receipt.job_id {
        Some(_) if !wait.is_zero() && !escalated => {
            wait_for_reply(
                state,
                tenant.id,
                receipt.conversation_id,
                receipt.message_id,
                Instant::now() + wait,
            )
            .await?
        }
        // A paused client queues nothing, so no reply is coming.
        _ => None,
    };
    let mut stream_url = format!(
        "/webhooks/live-chat/stream?widget_key={}&session_id={}&conversation_id={}",
        query_escape(key),
        query_escape(&chat.session_id),
        receipt.conversation_id.as_uuid()
    );
    match (&reply, receipt.message_id) {
        (Some(reply), _) => stream_url.push_str(&format!("&after={}", reply.id.as_uuid())),
        (None, Some(id)) => stream_url.push_str(&format!("&after={}", id.as_uuid())),
        (None, None) => {}
    }
    Ok(HttpResponse::Ok().json(LiveChatAccepted {
        conversation_id: receipt.conversation_id.as_uuid(),
        message_id: receipt.message_id.map(|m| m.as_uuid()),
        reply: reply.as_ref().map(reply_of),
        stream_url,
    }))
}

/// Percent-encodes a query value; keys and session ids are URL-safe already, so this only guards
/// against surprises.
fn query_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The first outbound message stored after `inbound`, waiting for it until `deadline`.
async fn wait_for_reply(
    state: &AppState,
    tenant: TenantId,
    conversation: ConversationId,
    inbound: Option<MessageId>,
    deadline: Instant,
) -> Result<Option<Message>, ApiError> {
    let mut offset = offset_after(state, tenant, conversation, inbound).await?;
    let done: Arc<Notify> = state.jobs_done.clone();
    let stored = state.storage.wakeups.watch(conversation);
    loop {
        // Registered before looking, so a batch finishing in between is not missed.
        let notified = done.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let heard = stored.notified();
        tokio::pin!(heard);
        heard.as_mut().enable();
        let fresh = messages_from(state, tenant, conversation, offset).await?;
        offset += fresh.len() as u64;
        if let Some(reply) = fresh
            .into_iter()
            .find(|m| m.direction == Direction::Outbound)
        {
            return Ok(Some(reply));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        let until = deadline.min(Instant::now() + POLL);
        tokio::select! {
            () = notified => {}
            () = heard => {}
            () = tokio::time::sleep_until(until) => {}
        }
    }
}

/// Answers the browser's CORS preflight for the chat endpoints: allowed when the origin is one of
/// the client's (the widget repeats its key as `?widget_key=`); otherwise no `Access-Control-Allow-Origin`.
pub async fn preflight(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PreflightQuery>,
) -> Result<HttpResponse, ApiError> {
    let key = query
        .widget_key
        .clone()
        .or_else(|| header_key(req.headers()));
    let tenant = match key {
        Some(key) => {
            state
                .deps
                .tenants
                .find_tenant_by_widget_key(key.trim())
                .await?
        }
        None => None,
    };
    let check = check_origin(&req, tenant.as_ref());
    let mut builder = HttpResponse::build(StatusCode::NO_CONTENT);
    if matches!(check, OriginCheck::Allowed(_)) {
        cors_headers(&mut builder, &check);
        builder.insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"));
        builder.insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Content-Type, X-Widget-Key, Last-Event-ID",
        ));
        builder.insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
    }
    Ok(builder.finish())
}

/// Server-sent events with each new reply in a visitor's conversation (`event: message`, data
/// [`ChatEvent`]), a keep-alive comment every 15 seconds.
#[utoipa::path(
    get, path = "/webhooks/live-chat/stream", operation_id = "stream_live_chat", tag = "webhooks",
    params(StreamQuery, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this message (sent by EventSource on reconnect)")),
    responses(
        (status = 200, description = "text/event-stream of `event: message` with ChatEvent data", body = ChatEvent, content_type = "text/event-stream"),
        (status = 401, description = "Unknown widget key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The page's origin is not allowed for this client", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such conversation for this client and session", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many open streams for this session, address or widget key", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let tenant = tenant_by_key(&state, &query.widget_key).await?;
    let origin = check_origin(&req, Some(&tenant));
    if origin == OriginCheck::Refused {
        return Err(ApiError::OriginNotAllowed);
    }
    let conversation_id = ConversationId::from_uuid(query.conversation_id);
    let conversation = state
        .deps
        .leads
        .get_conversation(tenant.id, conversation_id)
        .await?
        .filter(|c| {
            valid_session(&query.session_id)
                && c.reply_to == Some(Address::ChatSession(query.session_id.clone()))
        })
        .ok_or(ApiError::NotFound("conversation"))?;
    let last_event = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v.trim()).ok());
    let after = last_event.or(query.after).map(MessageId::from_uuid);
    let address = crate::proxies::client_ip(&req, &state.proxies);
    state.limits.widget_address(address).await?;
    let slot = state
        .streams
        .acquire(&tenant.widget_key, &query.session_id, address)?;
    let offset = offset_after(&state, tenant.id, conversation.id, after).await?;
    let feed = Feed {
        _slot: slot,
        stored: state.storage.wakeups.watch(conversation.id),
        closing: state.streams.closing(),
        state: state.clone(),
        tenant: tenant.id,
        conversation: conversation.id,
        offset,
        pending: Vec::new(),
        started: Instant::now(),
        last_sent: Instant::now(),
        opened: false,
    };
    let body = futures::stream::unfold(feed, |mut feed| async move {
        let chunk = feed.next_chunk().await?;
        Some((Ok::<_, actix_web::Error>(web::Bytes::from(chunk)), feed))
    });
    let mut builder = HttpResponse::Ok();
    cors_headers(&mut builder, &origin);
    Ok(builder
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// The state of one event stream between chunks.
struct Feed {
    /// Its place under the stream caps, freed when the stream is dropped.
    _slot: crate::streams::StreamSlot,
    /// Notified when a reply is stored in this conversation, by any process.
    stored: Arc<Notify>,
    /// Turns `true` when the service stops: the stream ends at once.
    closing: tokio::sync::watch::Receiver<bool>,
    state: web::Data<AppState>,
    tenant: TenantId,
    conversation: ConversationId,
    offset: u64,
    pending: Vec<Message>,
    started: Instant,
    last_sent: Instant,
    opened: bool,
}

impl Feed {
    /// The next chunk to write, or `None` when the stream ends (lifetime over, storage failing).
    async fn next_chunk(&mut self) -> Option<String> {
        if !self.opened {
            self.opened = true;
            // Tells EventSource how soon to reconnect, and flushes the headers at once.
            return Some("retry: 2000\n: connected\n\n".to_owned());
        }
        loop {
            if let Some(message) = self.pending.pop() {
                self.last_sent = Instant::now();
                return Some(event_of(&message));
            }
            if self.started.elapsed() >= STREAM_LIFETIME || *self.closing.borrow() {
                return None;
            }
            if self.last_sent.elapsed() >= KEEP_ALIVE {
                self.last_sent = Instant::now();
                return Some(": keep-alive\n\n".to_owned());
            }
            let done = self.state.jobs_done.clone();
            let notified = done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let stored = self.stored.clone();
            let heard = stored.notified();
            tokio::pin!(heard);
            heard.as_mut().enable();
            match messages_from(&self.state, self.tenant, self.conversation, self.offset).await {
                Ok(fresh) => {
                    self.offset += fresh.len() as u64;
                    // Kept newest first so `pop` hands them out oldest first.
                    self.pending = fresh
                        .into_iter()
                        .filter(|m| m.direction == Direction::Outbound)
                        .rev()
                        .collect();
                }
                Err(error) => {
                    tracing::warn!(%error, "live chat stream ends: messages could not be read");
                    return None;
                }
            }
            if !self.pending.is_empty() {
                continue;
            }
            // Without a signal, look again after the fallback interval: 1 s when only this
            // process's workers signal, 10 s while other processes' replies are heard too.
            let fallback = self.state.storage.wakeups.fallback();
            let until = (self.last_sent + KEEP_ALIVE).min(Instant::now() + fallback);
            tokio::select! {
                () = notified => {}
                () = heard => {}
                () = tokio::time::sleep_until(until) => {}
                _ = self.closing.changed() => return None,
            }
        }
    }
}

fn event_of(message: &Message) -> String {
    let event = ChatEvent {
        id: message.id.as_uuid(),
        text: message.body.clone(),
        language: message.language.map(|l| l.code().to_owned()),
        created_at: rfc3339(message.created_at),
    };
    let data = serde_json::to_string(&event).unwrap_or_else(|_| "{}".to_owned());
    format!("id: {}\nevent: message\ndata: {data}\n\n", event.id)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The widget's key, as the config and history routes take it in the query string.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfigQuery {
    /// The client's public widget key (or the `X-Widget-Key` header).
    pub widget_key: Option<String>,
}

/// The greeting the widget shows when it opens, in each language it speaks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WidgetGreeting {
    /// English.
    pub en: String,
    /// Arabic.
    pub ar: String,
}

/// What the widget needs before the first message: who it speaks for and how it says hello, so
/// an embedding page only has to give the key.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WidgetConfig {
    /// The business name the panel's header shows.
    pub business_name: String,
    /// The client's default language (`en`, `ar`), for pages that declare none.
    pub default_language: String,
    /// The greeting in English and Arabic.
    pub greeting: WidgetGreeting,
}

/// The history query: the session the widget keeps in the visitor's browser, and the conversation
/// the chat endpoint returned to it.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// The client's public widget key (or the `X-Widget-Key` header).
    pub widget_key: Option<String>,
    /// The visitor session (1 to 128 letters, digits, `-` or `_`).
    pub session_id: Option<String>,
    /// The conversation the chat endpoint returned to this session; without it, the session's
    /// latest live chat.
    pub conversation_id: Option<String>,
}

/// One message of a restored chat.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryMessage {
    /// The message id (the same id the reply and the stream use).
    pub id: Uuid,
    /// `inbound` (the visitor) or `outbound` (the business).
    pub direction: String,
    /// `lead`, `ai` or `human`.
    pub sender: String,
    /// The text.
    pub body: String,
    /// When it was stored (RFC 3339).
    pub created_at: String,
}

/// A visitor's chat so far, so the widget shows it again after a reload.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatHistory {
    /// The session's live-chat conversation, or `null` when it has none.
    pub conversation_id: Option<Uuid>,
    /// Its messages, oldest first; system notices are left out.
    pub messages: Vec<HistoryMessage>,
}

/// The client of a widget request and how its origin fares. A refusal is answered with the CORS
/// header of the asking page, so the widget on a page that is not allowed can read why and say
/// so; the refusal carries nothing of the client.
async fn widget_tenant(
    req: &HttpRequest,
    state: &AppState,
    key: Option<&str>,
) -> Result<(Tenant, OriginCheck), HttpResponse> {
    let key = key
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .or_else(|| header_key(req.headers()));
    let found = match key {
        Some(key) => tenant_by_key(state, &key).await,
        None => Err(ApiError::UnknownWidgetKey),
    };
    let readable = match req.headers().get(header::ORIGIN) {
        Some(origin) => origin.to_str().map_or(OriginCheck::Absent, |o| {
            OriginCheck::Allowed(o.trim_end_matches('/').to_owned())
        }),
        None => OriginCheck::Absent,
    };
    let tenant = match found {
        Ok(tenant) => tenant,
        Err(err) => {
            return Err(with_cors(
                actix_web::ResponseError::error_response(&err),
                &readable,
            ));
        }
    };
    let origin = check_origin(req, Some(&tenant));
    if origin == OriginCheck::Refused {
        return Err(with_cors(
            actix_web::ResponseError::error_response(&ApiError::OriginNotAllowed),
            &readable,
        ));
    }
    Ok((tenant, origin))
}

fn greeting(business: &str) -> WidgetGreeting {
    // The name is isolated (FSI .. PDI) so a Latin name in Arabic text, or the reverse, does not
    // pull the punctuation around it to the wrong side.
    let business = format!("\u{2068}{business}\u{2069}");
    WidgetGreeting {
        en: format!("Hi! Welcome to {business}. How can we help you today?"),
        ar: format!("أهلاً بك في {business}! كيف نقدر نساعدك اليوم؟"),
    }
}

/// The widget's settings for a client: business name, default language and greeting.
#[utoipa::path(
    get, path = "/webhooks/live-chat/config", operation_id = "get_live_chat_config", tag = "webhooks",
    params(ConfigQuery),
    responses(
        (status = 200, description = "The widget's settings", body = WidgetConfig),
        (status = 401, description = "Unknown widget key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The page's origin is not allowed for this client", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn config(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ConfigQuery>,
) -> HttpResponse {
    let (tenant, origin) = match widget_tenant(&req, &state, query.widget_key.as_deref()).await {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    let business = tenant.business_name().to_owned();
    let mut builder = HttpResponse::Ok();
    cors_headers(&mut builder, &origin);
    builder
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(WidgetConfig {
            greeting: greeting(&business),
            business_name: business,
            default_language: tenant.settings.default_language.code().to_owned(),
        })
}

/// The messages of one visitor session's live-chat conversation, oldest first, so the widget
/// restores the chat after a reload. Only a live-chat conversation whose replies go to this very
/// session is read; another session, another client or another channel gets nothing.
#[utoipa::path(
    get, path = "/webhooks/live-chat/history", operation_id = "get_live_chat_history", tag = "webhooks",
    params(HistoryQuery),
    responses(
        (status = 200, description = "The session's messages; empty when it has no conversation", body = ChatHistory),
        (status = 401, description = "Unknown widget key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The page's origin is not allowed for this client", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid session or conversation id", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn history(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<HistoryQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let (tenant, origin) = match widget_tenant(&req, &state, query.widget_key.as_deref()).await {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    match session_history(&state, &tenant, &query).await {
        Ok(history) => {
            let mut builder = HttpResponse::Ok();
            cors_headers(&mut builder, &origin);
            builder
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(history)
        }
        Err(err) => with_cors(actix_web::ResponseError::error_response(&err), &origin),
    }
}

async fn session_history(
    state: &AppState,
    tenant: &Tenant,
    query: &HistoryQuery,
) -> Result<ChatHistory, ApiError> {
    let session = query.session_id.as_deref().unwrap_or_default();
    if !valid_session(session) {
        return Err(ApiError::field(
            "session_id",
            "invalid",
            "must be 1 to 128 letters, digits, '-' or '_'",
        ));
    }
    let empty = ChatHistory {
        conversation_id: None,
        messages: Vec::new(),
    };
    let asked = query
        .conversation_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            Uuid::parse_str(c)
                .map(ConversationId::from_uuid)
                .map_err(|_| ApiError::field("conversation_id", "invalid", "must be a UUID"))
        })
        .transpose()?;
    // The session id is the visitor's secret: a conversation is shown only to the session its
    // replies go to, and only when it is a live chat (never a lead's SMS, WhatsApp or email).
    let of_session = |c: &Conversation| {
        c.channel == Channel::LiveChat
            && c.reply_to == Some(Address::ChatSession(session.to_owned()))
    };
    let owned = match asked {
        Some(id) => state
            .deps
            .leads
            .get_conversation(tenant.id, id)
            .await?
            .filter(of_session),
        // Without an id, the session's latest live chat: its lead is found by the session alone.
        None => match state
            .deps
            .leads
            .lead_by_chat_session(tenant.id, session)
            .await?
        {
            Some(lead) => state
                .deps
                .leads
                .lead_conversations(tenant.id, lead.id)
                .await?
                .into_iter()
                .filter(of_session)
                .max_by_key(|c| c.updated_at),
            None => None,
        },
    };
    let Some(conversation) = owned else {
        return Ok(empty);
    };
    let messages = messages_from(state, tenant.id, conversation.id, 0)
        .await?
        .into_iter()
        .filter(|m| m.channel == Channel::LiveChat && m.sender != Sender::System)
        .map(|m| HistoryMessage {
            id: m.id.as_uuid(),
            direction: enum_name(&m.direction),
            sender: enum_name(&m.sender),
            body: m.body,
            created_at: rfc3339(m.created_at),
        })
        .collect();
    Ok(ChatHistory {
        conversation_id: Some(conversation.id.as_uuid()),
        messages,
    })
}

/// The wire name of a snake_case enum (`inbound`, `ai`).
fn enum_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// The embeddable chat widget (plain JavaScript, no external assets).
/// Served with an `ETag`, so browsers revalidate with `If-None-Match` and get `304`.
pub async fn widget_js(req: HttpRequest) -> HttpResponse {
    static ETAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let etag = ETAG.get_or_init(|| crate::conventions::entity_tag(WIDGET_JS.as_bytes()));
    crate::conventions::fixed_document(
        &req,
        "text/javascript; charset=utf-8",
        "public, max-age=300",
        WIDGET_JS.as_bytes(),
        etag,
    )
}

/// A demo page embedding the widget for the client whose key is in `?key=`.
pub async fn demo_html() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(DEMO_HTML)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_url_safe_tokens() {
        assert!(valid_session("a1-B2_c3"));
        assert!(!valid_session(""));
        assert!(!valid_session("has space"));
        assert!(!valid_session("ä"));
        assert!(!valid_session(&"x".repeat(129)));
    }

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(query_escape("wk_ab-C"), "wk_ab-C");
        assert_eq!(query_escape("a b&c"), "a%20b%26c");
    }
}
