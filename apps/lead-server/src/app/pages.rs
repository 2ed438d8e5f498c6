//! The inbox's read pages: the inbox, the searchable lead list with its CSV export, and a lead
//! with its conversations, evidence, score reasons, history, escalations and actions.

use crate::app::auth::{PageError, Viewer};
use crate::app::format::{self, Segment};
use crate::app::i18n::Tr;
use crate::state::AppState;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use lead_domain::ids::LeadId;
use lead_domain::inbox::LeadSearch;
use lead_domain::lead::{ALL_CHANNELS, Channel, Direction, Lead, Sender};
use lead_domain::lifecycle::{ALL_STATES, LeadState};
use lead_domain::ports::{LeadFilter, Page};
use lead_domain::qualification::{Evidence, Qualification};
use lead_domain::scoring::Score;
use lead_domain::usecases::leads::legal_targets;
use serde::Deserialize;
use uuid::Uuid;

/// Renders a template into a page body.
///
/// # Errors
/// [`PageError::Internal`] when rendering fails.
pub fn render<T: Template>(page: &T) -> Result<String, PageError> {
    page.render()
        .map_err(|e| PageError::Internal(anyhow::anyhow!("rendering a page: {e}")))
}

/// An HTML 200 response, never cached (pages carry the viewer's data and CSRF token).
///
/// # Errors
/// [`PageError::Internal`] when rendering fails.
pub fn html<T: Template>(page: &T) -> Result<HttpResponse, PageError> {
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(render(page)?))
}

/// What every signed-in page shows around its content.
pub struct Chrome {
    /// Strings.
    pub t: Tr,
    /// The viewer's name.
    pub user_name: String,
    /// The tenant's name.
    pub business: String,
    /// Whether the owner-only links show.
    pub is_owner: bool,
    /// The session's CSRF token for the page's forms.
    pub csrf: String,
    /// Which navigation entry is current.
    pub active: &'static str,
    /// The path to come back to after switching language.
    pub back: String,
}

impl Chrome {
    /// The chrome of a page for a viewer.
    pub fn of(viewer: &Viewer, active: &'static str, req: &HttpRequest) -> Self {
        let back = match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        };
        Self {
            t: viewer.tr(),
            user_name: viewer.user.name.clone(),
            business: viewer.tenant.name.clone(),
            is_owner: viewer.user.role == lead_domain::users::Role::Owner,
            csrf: viewer.session.csrf_token.clone(),
            active,
            back,
        }
    }

    /// `aria-current="page"` for the current navigation entry.
    pub fn current(&self, entry: &str) -> &'static str {
        if self.active == entry {
            "page"
        } else {
            "false"
        }
    }
}

/// A lead as a row of a list.
pub struct LeadRow {
    /// Id.
    pub id: String,
    /// Name or a placeholder.
    pub name: String,
    /// Phone or email.
    pub contact: String,
    /// State, readable.
    pub state: String,
    /// Score name (`HOT`), for the badge's class.
    pub score: &'static str,
    /// Score shown.
    pub score_label: String,
    /// First-contact channel.
    pub source: String,
    /// Created, local time.
    pub created: String,
    /// Waiting time, for waiting rows.
    pub waited: String,
    /// Whether the conversation is escalated.
    pub escalated: bool,
}

fn score_label(t: Tr, score: Score) -> String {
    t.get(&format!("score_{}", score.as_str())).to_owned()
}

/// A lifecycle state in the viewer's language.
pub fn state_label(t: Tr, state: LeadState) -> String {
    t.get(&format!("state_{}", state.as_str())).to_owned()
}

fn lead_row(viewer: &Viewer, lead: &Lead) -> LeadRow {
    let t = viewer.tr();
    let tz = tenant_tz(viewer);
    LeadRow {
        id: lead.id.to_string(),
        name: lead
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "—".to_owned()),
        contact: lead
            .phone
            .as_ref()
            .map(ToString::to_string)
            .or_else(|| lead.email.as_ref().map(ToString::to_string))
            .unwrap_or_default(),
        state: state_label(t, lead.state),
        score: lead.score.score.as_str(),
        score_label: score_label(t, lead.score.score),
        source: lead.source.as_str().to_owned(),
        created: format::time(t.language, tz, lead.created_at),
        waited: String::new(),
        escalated: false,
    }
}

fn tenant_tz(viewer: &Viewer) -> Tz {
    viewer.tenant.settings.business_hours.timezone()
}

/// The inbox page.
#[derive(Template)]
#[template(path = "app/inbox.html")]
pub struct InboxPage {
    /// Around the content.
    pub chrome: Chrome,
    /// Escalations and hot leads, oldest waiting first.
    pub waiting: Vec<LeadRow>,
    /// Leads needing attention.
    pub attention: Vec<LeadRow>,
    /// Today's counts by state.
    pub by_state: Vec<(String, String)>,
    /// Today's counts by score.
    pub by_score: Vec<(String, String)>,
}

/// `GET /app`: the inbox.
pub async fn inbox(
    viewer: Viewer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let now = state.deps.clock.now();
    let tz = tenant_tz(&viewer);
    let t = viewer.tr();
    let reader = &state.inbox.reader;
    let tenant = viewer.tenant.id;
    let waiting = reader.waiting_leads(tenant, 100).await?;
    let attention = reader.attention_leads(tenant, 50).await?;
    let local_midnight = now
        .with_timezone(&tz)
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|m| tz.from_local_datetime(&m).earliest())
        .map_or(now, |m| m.with_timezone(&Utc));
    let counts = reader.lead_counts(tenant, local_midnight).await?;
    let page = InboxPage {
        waiting: waiting
            .iter()
            .map(|w| LeadRow {
                waited: format::waited(t.language, w.waiting_since, now),
                escalated: w.escalated,
                ..lead_row(&viewer, &w.lead)
            })
            .collect(),
        attention: attention.iter().map(|l| lead_row(&viewer, l)).collect(),
        by_state: counts
            .by_state
            .iter()
            .map(|(s, n)| {
                (
                    state_label(t, *s),
                    format::digits(t.language, &n.to_string()),
                )
            })
            .collect(),
        by_score: counts
            .by_score
            .iter()
            .map(|(s, n)| {
                (
                    score_label(t, *s),
                    format::digits(t.language, &n.to_string()),
                )
            })
            .collect(),
        chrome: Chrome::of(&viewer, "inbox", &req),
    };
    html(&page)
}

/// Filters of the lead list, as query parameters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    /// State name.
    pub state: Option<String>,
    /// Score name.
    pub score: Option<String>,
    /// Channel of any conversation.
    pub channel: Option<String>,
    /// First-contact channel.
    pub source: Option<String>,
    /// Created on or after this local date (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Created on or before this local date.
    pub to: Option<String>,
    /// Name, phone or email.
    pub q: Option<String>,
    /// 1-based page.
    pub page: Option<u64>,
}

const PAGE_SIZE: u32 = 50;

fn nonempty(v: Option<&String>) -> Option<&str> {
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn local_date(
    tz: Tz,
    raw: Option<&String>,
    field: &str,
) -> Result<Option<DateTime<Utc>>, PageError> {
    let Some(raw) = nonempty(raw) else {
        return Ok(None);
    };
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| PageError::Invalid(format!("{field}: expected a date YYYY-MM-DD")))?;
    Ok(date
        .and_hms_opt(0, 0, 0)
        .and_then(|m| tz.from_local_datetime(&m).earliest())
        .map(|d| d.with_timezone(&Utc)))
}

impl ListQuery {
    /// The search these parameters ask for, dates read in the tenant's time zone.
    ///
    /// # Errors
    /// [`PageError::Invalid`] naming the parameter that is not valid.
    pub fn search(&self, tz: Tz) -> Result<LeadSearch, PageError> {
        let bad = |f: &str| PageError::Invalid(format!("{f}: not a valid value"));
        let state = nonempty(self.state.as_ref())
            .map(|s| LeadState::parse(s).ok_or_else(|| bad("state")))
            .transpose()?;
        let score = nonempty(self.score.as_ref())
            .map(|s| Score::parse(s).ok_or_else(|| bad("score")))
            .transpose()?;
        let source = nonempty(self.source.as_ref())
            .map(|s| Channel::parse(s).ok_or_else(|| bad("source")))
            .transpose()?;
        let channel = nonempty(self.channel.as_ref())
            .map(|s| Channel::parse(s).ok_or_else(|| bad("channel")))
            .transpose()?;
        let created_from = local_date(tz, self.from.as_ref(), "from")?;
        let created_to =
            local_date(tz, self.to.as_ref(), "to")?.map(|d| d + chrono::Duration::days(1));
        Ok(LeadSearch {
            filter: LeadFilter {
                state,
                score,
                source,
                created_from,
                created_to,
                after: None,
            },
            channel,
            text: nonempty(self.q.as_ref()).map(|s| s.chars().take(100).collect()),
        })
    }

    /// The query string of these filters with another page.
    pub fn with_page(&self, page: u64) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for (k, v) in [
            ("state", &self.state),
            ("score", &self.score),
            ("channel", &self.channel),
            ("source", &self.source),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ] {
            if let Some(v) = nonempty(v.as_ref()) {
                pairs.push((k, v.to_owned()));
            }
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// A choice of a select.
pub struct Choice {
    /// Value sent.
    pub value: String,
    /// Label shown.
    pub label: String,
    /// Whether it is selected.
    pub selected: bool,
}

fn choices<I: IntoIterator<Item = (String, String)>>(
    items: I,
    current: Option<&String>,
) -> Vec<Choice> {
    let current = nonempty(current).map(str::to_ascii_uppercase);
    items
        .into_iter()
        .map(|(value, label)| Choice {
            selected: current.as_deref() == Some(value.to_ascii_uppercase().as_str()),
            value,
            label,
        })
        .collect()
}

/// The lead list page.
#[derive(Template)]
#[template(path = "app/leads.html")]
pub struct LeadsPage {
    /// Around the content.
    pub chrome: Chrome,
    /// The rows.
    pub rows: Vec<LeadRow>,
    /// Matches in all.
    pub total: String,
    /// Filters as given.
    pub query: ListQuery,
    /// State choices.
    pub states: Vec<Choice>,
    /// Score choices.
    pub scores: Vec<Choice>,
    /// Channel choices.
    pub channels: Vec<Choice>,
    /// Source choices.
    pub sources: Vec<Choice>,
    /// Current page, 1-based.
    pub page: u64,
    /// Pages in all.
    pub pages: u64,
    /// Link to the previous page, if any.
    pub prev: Option<String>,
    /// Link to the next page, if any.
    pub next: Option<String>,
    /// Link to the CSV of the same filters.
    pub csv: String,
}

impl LeadsPage {
    /// A filter's current value, for the form.
    pub fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

/// `GET /app/leads`: filters, search, pagination.
pub async fn leads(
    viewer: Viewer,
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let t = viewer.tr();
    let search = query.search(tenant_tz(&viewer))?;
    let page = query.page.unwrap_or(1).max(1);
    let result = state
        .inbox
        .reader
        .search_leads(
            viewer.tenant.id,
            &search,
            Page {
                limit: PAGE_SIZE,
                offset: (page - 1) * u64::from(PAGE_SIZE),
            },
        )
        .await?;
    let pages = result.total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let channel_choices = || {
        ALL_CHANNELS
            .iter()
            .map(|c| (c.as_str().to_owned(), c.as_str().to_owned()))
    };
    let page_view = LeadsPage {
        rows: result.items.iter().map(|l| lead_row(&viewer, l)).collect(),
        total: format::digits(t.language, &result.total.to_string()),
        states: choices(
            ALL_STATES
                .iter()
                .map(|s| (s.as_str().to_owned(), state_label(t, *s))),
            query.state.as_ref(),
        ),
        scores: choices(
            [Score::Hot, Score::Warm, Score::Cold, Score::Unscored]
                .iter()
                .map(|s| (s.as_str().to_owned(), score_label(t, *s))),
            query.score.as_ref(),
        ),
        channels: choices(channel_choices(), query.channel.as_ref()),
        sources: choices(channel_choices(), query.source.as_ref()),
        page,
        pages,
        prev: (page > 1).then(|| format!("/app/leads?{}", query.with_page(page - 1))),
        next: (page < pages).then(|| format!("/app/leads?{}", query.with_page(page + 1))),
        csv: format!("/app/leads/export.csv?{}", query.with_page(1)),
        query,
        chrome: Chrome::of(&viewer, "leads", &req),
    };
    html(&page_view)
}

/// One CSV cell: quoted when needed, and a leading `=`, `+`, `-` or `@` neutralised so a
/// spreadsheet does not run it as a formula.
pub(crate) fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The most rows one export holds.
const EXPORT_MAX: u64 = 50_000;

/// `GET /app/leads/export.csv`: the filtered list as CSV, times in the tenant's time zone.
pub async fn export_csv(
    viewer: Viewer,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let search = query.search(tenant_tz(&viewer))?;
    let tz = tenant_tz(&viewer);
    let mut out = String::from(
        "id,created_at,name,phone,email,state,score,points,source,source_detail,service,budget_max,currency,location\r\n",
    );
    let mut offset = 0;
    loop {
        let page = state
            .inbox
            .reader
            .search_leads(viewer.tenant.id, &search, Page { limit: 200, offset })
            .await?;
        for lead in &page.items {
            let q = &lead.qualification;
            let budget = q.budget.as_ref().map(|b| b.value);
            let cells = [
                lead.id.to_string(),
                lead.created_at.with_timezone(&tz).to_rfc3339(),
                lead.name.clone().unwrap_or_default(),
                lead.phone
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                lead.email
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                lead.state.as_str().to_owned(),
                lead.score.score.as_str().to_owned(),
                lead.score.points.to_string(),
                lead.source.as_str().to_owned(),
                lead.source_detail.clone().unwrap_or_default(),
                q.service
                    .as_ref()
                    .map(|f| f.value.clone())
                    .unwrap_or_default(),
                budget
                    .and_then(|b| b.reference_amount())
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
                budget.map(|b| b.currency.to_string()).unwrap_or_default(),
                q.location
                    .as_ref()
                    .map(|f| f.value.clone())
                    .unwrap_or_default(),
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        offset += page.items.len() as u64;
        if page.items.is_empty() || offset >= page.total || offset >= EXPORT_MAX {
            break;
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"leads.csv\"",
        ))
        .body(out))
}

/// A message as the lead page shows it.
pub struct MessageRow {
    /// Who wrote it, readable.
    pub who: &'static str,
    /// `inbound` or `outbound`, for the layout.
    pub side: &'static str,
    /// Sent at, local time.
    pub at: String,
    /// Channel it travelled on.
    pub channel: &'static str,
    /// Delivery state, for outbound messages.
    pub delivery: String,
    /// The text, with evidence quotes marked.
    pub segments: Vec<Segment>,
}

/// An escalation as the lead page shows it.
pub struct EscalationRow {
    /// Why.
    pub reason: String,
    /// Who raised it.
    pub by: String,
    /// When.
    pub at: String,
    /// When and by whom it was released, if it was.
    pub released: Option<String>,
}

/// A conversation with its messages and actions.
pub struct ConversationBlock {
    /// Id.
    pub id: String,
    /// Channel.
    pub channel: &'static str,
    /// Open or closed.
    pub open: bool,
    /// Whether a person has it.
    pub escalated: bool,
    /// Whether a reply can be sent.
    pub can_reply: bool,
    /// Messages, oldest first.
    pub messages: Vec<MessageRow>,
    /// Escalations, oldest first.
    pub escalations: Vec<EscalationRow>,
}

/// A qualification field as the lead page shows it.
pub struct FieldRow {
    /// Field key.
    pub key: &'static str,
    /// Label.
    pub label: &'static str,
    /// Value, readable, or none.
    pub value: Option<String>,
    /// The quoted words it was read from.
    pub quote: Option<String>,
    /// Whether a person set it.
    pub by_person: bool,
}

/// A lifecycle history entry as shown.
pub struct HistoryRow {
    /// From state.
    pub from: &'static str,
    /// To state.
    pub to: &'static str,
    /// Why.
    pub reason: String,
    /// When.
    pub at: String,
}

/// The lead page.
#[derive(Template)]
#[template(path = "app/lead.html")]
pub struct LeadPage {
    /// Around the content.
    pub chrome: Chrome,
    /// The lead's row.
    pub lead: LeadRow,
    /// Email, if known.
    pub email: String,
    /// Phone, if known.
    pub phone: String,
    /// Score points.
    pub points: String,
    /// Why the score is what it is.
    pub reasons: Vec<String>,
    /// Why a person set the score, if one did.
    pub score_override: Option<String>,
    /// Why replies cannot reach the lead, if they cannot.
    pub undeliverable: Option<String>,
    /// Another lead this may be.
    pub duplicate_of: Option<String>,
    /// Qualification fields.
    pub fields: Vec<FieldRow>,
    /// Conversations, newest first.
    pub conversations: Vec<ConversationBlock>,
    /// Lifecycle history, oldest first.
    pub history: Vec<HistoryRow>,
    /// States the lead may move to.
    pub targets: Vec<(&'static str, String)>,
    /// Score choices.
    pub scores: Vec<Choice>,
}

fn sender_label(sender: Sender) -> &'static str {
    match sender {
        Sender::Lead => "lead",
        Sender::Ai => "ai",
        Sender::Human => "human",
        Sender::System => "system",
    }
}

fn field_rows(
    t: Tr,
    q: &Qualification,
    language: lead_domain::language::Language,
) -> Vec<FieldRow> {
    fn row<T>(
        t: Tr,
        key: &'static str,
        fact: Option<&lead_domain::qualification::Fact<T>>,
        show: impl Fn(&T) -> String,
    ) -> FieldRow {
        FieldRow {
            key,
            label: t.get(key),
            value: fact.map(|f| show(&f.value)),
            quote: fact
                .and_then(|f| f.evidence.as_ref())
                .map(|e| e.quote.clone()),
            by_person: fact.is_some_and(|f| f.evidence.is_none()),
        }
    }
    vec![
        row(t, "service", q.service.as_ref(), Clone::clone),
        row(t, "budget", q.budget.as_ref(), |b| {
            let amount = match (b.min, b.max) {
                (Some(min), Some(max)) if min < max => {
                    format!(
                        "{} – {}",
                        format::number(language, min),
                        format::number(language, max)
                    )
                }
                (_, Some(v)) | (Some(v), None) => format::number(language, v),
                (None, None) => String::new(),
            };
            format!("{amount} {}", b.currency)
        }),
        row(t, "timeline", q.timeline.as_ref(), |v| {
            v.as_str().to_owned()
        }),
        row(t, "urgency", q.urgency.as_ref(), |v| v.as_str().to_owned()),
        row(t, "decision_maker", q.decision_maker.as_ref(), |v| {
            t.get(if *v { "yes" } else { "no" }).to_owned()
        }),
        row(t, "location", q.location.as_ref(), Clone::clone),
    ]
}

/// The quotes of a lead's facts that sit in a message: `(message, span, quote, field)`.
fn evidence_of(q: &Qualification) -> Vec<(&Evidence, &'static str)> {
    [
        (
            q.service.as_ref().and_then(|f| f.evidence.as_ref()),
            "service",
        ),
        (
            q.budget.as_ref().and_then(|f| f.evidence.as_ref()),
            "budget",
        ),
        (
            q.timeline.as_ref().and_then(|f| f.evidence.as_ref()),
            "timeline",
        ),
        (
            q.urgency.as_ref().and_then(|f| f.evidence.as_ref()),
            "urgency",
        ),
        (
            q.decision_maker.as_ref().and_then(|f| f.evidence.as_ref()),
            "decision_maker",
        ),
        (
            q.location.as_ref().and_then(|f| f.evidence.as_ref()),
            "location",
        ),
    ]
    .into_iter()
    .filter_map(|(e, field)| e.map(|e| (e, field)))
    .collect()
}

/// `GET /app/leads/{id}`: another tenant's lead is 404.
pub async fn lead(
    viewer: Viewer,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = Uuid::parse_str(&id).map_err(|_| PageError::NotFound)?;
    let t = viewer.tr();
    let lang = t.language;
    let tz = tenant_tz(&viewer);
    let tenant = viewer.tenant.id;
    let deps = &state.deps;
    let lead = deps
        .leads
        .get_lead(tenant, LeadId::from_uuid(id))
        .await?
        .ok_or(PageError::NotFound)?;
    let history = deps.leads.lead_history(tenant, lead.id).await?;
    let conversations = deps.leads.lead_conversations(tenant, lead.id).await?;
    let evidence = evidence_of(&lead.qualification);
    let mut blocks = Vec::with_capacity(conversations.len());
    for c in &conversations {
        let messages = deps
            .leads
            .list_messages(
                tenant,
                c.id,
                Page {
                    limit: 200,
                    offset: 0,
                },
            )
            .await?;
        let escalations = deps
            .escalations
            .conversation_escalations(tenant, c.id)
            .await?;
        blocks.push(ConversationBlock {
            id: c.id.to_string(),
            channel: c.channel.as_str(),
            open: c.status == lead_domain::lead::ConversationStatus::Open,
            escalated: c.escalated,
            can_reply: c.reply_to.is_some(),
            messages: messages
                .items
                .iter()
                .map(|m| {
                    let quotes = evidence
                        .iter()
                        .filter(|(e, _)| e.message_id == Some(m.id))
                        .filter_map(|(e, field)| {
                            format::locate(&m.body, e.span, &e.quote)
                                .map(|(s, en)| (s, en, t.get(field).to_owned()))
                        })
                        .collect();
                    MessageRow {
                        who: t.get(sender_label(m.sender)),
                        side: match m.direction {
                            Direction::Inbound => "inbound",
                            Direction::Outbound => "outbound",
                        },
                        at: format::time(lang, tz, m.created_at),
                        channel: m.channel.as_str(),
                        delivery: match m.direction {
                            Direction::Outbound => match &m.delivery_error {
                                Some(e) => format!("{} ({e})", m.delivery.as_str()),
                                None => m.delivery.as_str().to_owned(),
                            },
                            Direction::Inbound => String::new(),
                        },
                        segments: format::highlight(&m.body, quotes),
                    }
                })
                .collect(),
            escalations: escalations
                .iter()
                .map(|e| EscalationRow {
                    reason: e.reason.to_string(),
                    by: e.raised_by.clone(),
                    at: format::time(lang, tz, e.created_at),
                    released: e.released_at.map(|at| {
                        format!(
                            "{} {}{}",
                            t.get("released"),
                            format::time(lang, tz, at),
                            e.released_by
                                .as_deref()
                                .map(|b| format!(" · {b}"))
                                .unwrap_or_default()
                        )
                    }),
                })
                .collect(),
        });
    }
    let page = LeadPage {
        email: lead
            .email
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        phone: lead
            .phone
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        points: format::digits(lang, &lead.score.points.to_string()),
        reasons: lead.score.reasons.iter().map(ToString::to_string).collect(),
        score_override: lead.score_override.clone(),
        undeliverable: lead.undeliverable.clone(),
        duplicate_of: lead.possible_duplicate_of.map(|d| d.to_string()),
        fields: field_rows(t, &lead.qualification, lang),
        conversations: blocks,
        history: history
            .iter()
            .map(|h| HistoryRow {
                from: h.from.as_str(),
                to: h.to.as_str(),
                reason: h.reason.clone(),
                at: format::time(lang, tz, h.at),
            })
            .collect(),
        targets: legal_targets(lead.state)
            .iter()
            .map(|s| (s.as_str(), state_label(t, *s)))
            .collect(),
        scores: choices(
            [Score::Hot, Score::Warm, Score::Cold, Score::Unscored]
                .iter()
                .map(|s| (s.as_str().to_owned(), score_label(t, *s))),
            Some(&lead.score.score.as_str().to_owned()),
        ),
        lead: lead_row(&viewer, &lead),
        chrome: Chrome::of(&viewer, "leads", &req),
    };
    html(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+966500000000"), "'+966500000000");
    }
}
