//! A client's knowledge base: upload, list, read, replace and delete documents, and search them
//! the way the AI sees them. The platform admin token or the client's own API key.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use lead_domain::ids::DocumentId;
use lead_domain::knowledge::{
    Block, BlockKind, DocumentFormat, KnowledgeBase, KnowledgeChunk, KnowledgeDocument,
    KnowledgeLimits,
};
use lead_domain::language::Language;
use lead_domain::tenant::Tenant;
use lead_domain::usecases::knowledge::{self as kb_usecases, DocumentInput, KnowledgeError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::parse_json;
use crate::state::AppState;

/// The limits every client's knowledge base is held to.
pub const LIMITS: KnowledgeLimits = KnowledgeLimits {
    max_document_bytes: 512 * 1024,
    max_documents: 2_000,
    max_total_bytes: 50 * 1024 * 1024,
    max_title_chars: 200,
};

/// The largest request body: one document at its limit, JSON-escaped.
const MAX_BODY_BYTES: usize = 2 * 512 * 1024 + 16 * 1024;

/// The body of `POST` and `PUT /api/v1/clients/{id}/knowledge[/{doc_id}]`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentRequest {
    /// Title, shown to the team and matched by searches.
    pub title: String,
    /// The text.
    pub content: String,
    /// `text` (default), `markdown` or `html`.
    #[serde(default)]
    pub format: Option<String>,
    /// `en`, `ar` or null when unknown.
    #[serde(default)]
    pub language: Option<String>,
}

/// A stored document.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentCreated {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// How many passages it was split into.
    pub chunks: u32,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A document in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentSummary {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// `text`, `markdown` or `html`.
    pub format: String,
    /// `en`, `ar` or null.
    pub language: Option<String>,
    /// How many passages it was split into.
    pub chunks: u32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last replaced.
    pub updated_at: DateTime<Utc>,
}

/// The client's documents.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentList {
    /// Newest first.
    pub items: Vec<DocumentSummary>,
}

/// One passage of a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChunkView {
    /// Id, as cited in replies' `sources`.
    pub id: Uuid,
    /// Order in the document.
    pub position: u32,
    /// Headings above it, outermost first.
    pub heading_path: Vec<String>,
    /// Text.
    pub text: String,
}

/// A document with its content and passages.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentDetail {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// `text`, `markdown` or `html`.
    pub format: String,
    /// `en`, `ar` or null.
    pub language: Option<String>,
    /// The content as uploaded.
    pub content: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last replaced.
    pub updated_at: DateTime<Utc>,
    /// The passages, in order.
    pub chunks: Vec<ChunkView>,
}

/// Query of the search endpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The question, as a lead would write it.
    pub q: String,
    /// How many passages, 1 to 20 (default 5).
    pub limit: Option<u32>,
}

/// A passage found by a search.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchItem {
    /// The document.
    pub document_id: Uuid,
    /// The passage.
    pub chunk_id: Uuid,
    /// The document's title.
    pub title: String,
    /// Headings above the passage.
    pub heading_path: Vec<String>,
    /// The passage text.
    pub text: String,
    /// Share of the question the passage covers (0 to 1); the offline reply quotes the best
    /// passage from 0.5.
    pub score: f64,
}

/// Search results, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Passages.
    pub items: Vec<SearchItem>,
}

fn format_name(f: DocumentFormat) -> String {
    match f {
        DocumentFormat::Text => "text",
        DocumentFormat::Markdown => "markdown",
        DocumentFormat::Html => "html",
    }
    .to_owned()
}

/// The client a request may work on: any client with the admin token, its own with an API key.
async fn authorize(req: &HttpRequest, state: &AppState, id: Uuid) -> Result<Tenant, ApiError> {
    super::notifications::authorize_client(req, state, id)
        .await
        .map(|(tenant, _)| tenant)
}

fn knowledge(state: &AppState) -> Result<&KnowledgeBase, ApiError> {
    state
        .deps
        .knowledge
        .as_ref()
        .ok_or(ApiError::NotImplemented("the knowledge base"))
}

fn usecase_error(e: KnowledgeError) -> ApiError {
    match e {
        KnowledgeError::TooLarge(_) => ApiError::PayloadTooLarge {
            limit: LIMITS.max_document_bytes,
        },
        KnowledgeError::Invalid { field, message } => {
            ApiError::field(field, "invalid_document", message)
        }
        KnowledgeError::LimitReached(message) => {
            ApiError::field("content", "document_limit_reached", message)
        }
        KnowledgeError::NotFound => ApiError::NotFound("document"),
        KnowledgeError::Store(e) => e.into(),
    }
}

async fn read_body(mut payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::MalformedJson(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn document_input(request: DocumentRequest) -> Result<DocumentInput, ApiError> {
    let format = match request.format.as_deref() {
        None | Some("text") => DocumentFormat::Text,
        Some("markdown") => DocumentFormat::Markdown,
        Some("html") => DocumentFormat::Html,
        Some(_) => {
            return Err(ApiError::field(
                "format",
                "invalid_format",
                "expected text, markdown or html",
            ));
        }
    };
    let language = match request.language.as_deref() {
        None => None,
        Some("en") => Some(Language::En),
        Some("ar") => Some(Language::Ar),
        Some(_) => {
            return Err(ApiError::field(
                "language",
                "invalid_language",
                "expected en, ar or null",
            ));
        }
    };
    if request.content.len() > LIMITS.max_document_bytes {
        return Err(ApiError::PayloadTooLarge {
            limit: LIMITS.max_document_bytes,
        });
    }
    let blocks = (format == DocumentFormat::Html).then(|| html_blocks(&request.content));
    Ok(DocumentInput {
        title: request.title,
        content: request.content,
        format,
        language,
        blocks,
    })
}

async fn save(
    req: &HttpRequest,
    state: &AppState,
    client: Uuid,
    replacing: Option<DocumentId>,
    payload: web::Payload,
) -> Result<(KnowledgeDocument, Vec<KnowledgeChunk>), ApiError> {
    let tenant = authorize(req, state, client).await?;
    let kb = knowledge(state)?;
    let body = read_body(payload).await?;
    let input = document_input(parse_json(&body)?)?;
    kb_usecases::save_document(
        kb,
        &LIMITS,
        state.deps.ids.as_ref(),
        tenant.id,
        replacing,
        input,
        state.deps.clock.now(),
    )
    .await
    .map_err(usecase_error)
}

/// Uploads a document; it is split into passages and searchable at once.
#[utoipa::path(
    post, path = "/api/v1/clients/{id}/knowledge", tag = "knowledge",
    operation_id = "create_knowledge_document",
    params(("id" = Uuid, Path, description = "Client id")),
    request_body = DocumentRequest,
    responses(
        (status = 201, description = "Stored and indexed", body = DocumentCreated),
        (status = 401, description = "No admin token or API key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client for this caller", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The document or the client's knowledge base is too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, no text, or too many documents", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn create_document(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (document, _) = save(&req, &state, path.into_inner(), None, payload).await?;
    Ok(HttpResponse::Created().json(DocumentCreated {
        id: document.id.as_uuid(),
        title: document.title,
        chunks: document.chunk_count,
        created_at: document.created_at,
    }))
}

/// Replaces a document's title and content; its passages are rebuilt in one transaction.
#[utoipa::path(
    put, path = "/api/v1/clients/{id}/knowledge/{doc_id}", tag = "knowledge",
    operation_id = "replace_knowledge_document",
    params(("id" = Uuid, Path, description = "Client id"), ("doc_id" = Uuid, Path, description = "Document id")),
    request_body = DocumentRequest,
    responses(
        (status = 200, description = "Replaced and re-indexed", body = DocumentCreated),
        (status = 401, description = "No admin token or API key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client or document for this caller", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The document or the client's knowledge base is too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or no text", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn replace_document(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (client, doc) = path.into_inner();
    let (document, _) = save(
        &req,
        &state,
        client,
        Some(DocumentId::from_uuid(doc)),
        payload,
    )
    .await?;
    Ok(HttpResponse::Ok().json(DocumentCreated {
        id: document.id.as_uuid(),
        title: document.title,
        chunks: document.chunk_count,
        created_at: document.created_at,
    }))
}

/// Lists the client's documents, newest first.
#[utoipa::path(
    get, path = "/api/v1/clients/{id}/knowledge", tag = "knowledge",
    operation_id = "list_knowledge_documents",
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, description = "The documents", body = DocumentList),
        (status = 401, description = "No admin token or API key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client for this caller", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn list_documents(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tenant = authorize(&req, &state, path.into_inner()).await?;
    let docs = knowledge(&state)?.store.list_documents(tenant.id).await?;
    Ok(HttpResponse::Ok().json(DocumentList {
        items: docs
            .into_iter()
            .map(|d| DocumentSummary {
                id: d.id.as_uuid(),
                title: d.title,
                format: format_name(d.format),
                language: d.language.map(|l| l.code().to_owned()),
                chunks: d.chunk_count,
                created_at: d.created_at,
                updated_at: d.updated_at,
            })
            .collect(),
    }))
}

/// Shows one document with its passages.
#[utoipa::path(
    get, path = "/api/v1/clients/{id}/knowledge/{doc_id}", tag = "knowledge",
    operation_id = "get_knowledge_document",
    params(("id" = Uuid, Path, description = "Client id"), ("doc_id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document and its passages", body = DocumentDetail),
        (status = 401, description = "No admin token or API key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client or document for this caller", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn get_document(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (client, doc) = path.into_inner();
    let tenant = authorize(&req, &state, client).await?;
    let (d, chunks) = knowledge(&state)?
        .store
        .get_document(tenant.id, DocumentId::from_uuid(doc))
        .await?
        .ok_or(ApiError::NotFound("document"))?;
    Ok(HttpResponse::Ok().json(DocumentDetail {
        id: d.id.as_uuid(),
        title: d.title,
        format: format_name(d.format),
        language: d.language.map(|l| l.code().to_owned()),
        content: d.content,
        created_at: d.created_at,
        updated_at: d.updated_at,
        chunks: chunks
            .into_iter()
            .map(|c| ChunkView {
                id: c.id.as_uuid(),
                position: c.position,
                heading_path: c.heading_path,
                text: c.text,
            })
            .collect(),
    }))
}

/// Deletes a document and its passages.
#[utoipa::path(
    delete, path = "/api/v1/clients/{id}/knowledge/{doc_id}", tag = "knowledge",
    operation_id = "delete_knowledge_document",
    params(("id" = Uuid, Path, description = "Client id"), ("doc_id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No admin token or API key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client or document for this caller", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn delete_document(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (client, doc) = path.into_inner();
    let tenant = authorize(&req, &state, client).await?;
    if knowledge(&state)?
        .store
        .delete_document(tenant.id, DocumentId::from_uuid(doc))
        .await?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("document"))
    }
}

/// Searches the client's passages the way the AI does, so the client sees what it will quote.
#[utoipa::path(
    get, path = "/api/v1/clients/{id}/knowledge/search", tag = "knowledge",
    operation_id = "search_knowledge",
    params(("id" = Uuid, Path, description = "Client id"), SearchQuery),
    responses(
        (status = 200, description = "Passages, best first", body = SearchResults),
        (status = 401, description = "No admin token or API key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client for this caller", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty question or limit out of range", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let tenant = authorize(&req, &state, path.into_inner()).await?;
    let query = query.into_inner();
    if query.q.trim().is_empty() || query.q.len() > 2_000 {
        return Err(ApiError::field(
            "q",
            "invalid_query",
            "a question of 1 to 2000 bytes",
        ));
    }
    let limit = query.limit.unwrap_or(5);
    if !(1..=20).contains(&limit) {
        return Err(ApiError::field("limit", "invalid_limit", "1 to 20"));
    }
    let hits = kb_usecases::search(knowledge(&state)?, &tenant, &query.q, limit).await?;
    Ok(HttpResponse::Ok().json(SearchResults {
        items: hits
            .into_iter()
            .map(|h| SearchItem {
                document_id: h.hit.document_id.as_uuid(),
                chunk_id: h.hit.chunk_id.as_uuid(),
                title: h.hit.title,
                heading_path: h.hit.heading_path,
                text: h.hit.text,
                score: (h.coverage * 1000.0).round() / 1000.0,
            })
            .collect(),
    }))
}

/// HTML reduced to blocks with an HTML5 parser: headings, paragraphs, list items, table rows
/// ("header: cell; ..."), definition terms and quotes, in document order; scripts, styles and
/// navigation are never read.
pub fn html_blocks(html: &str) -> Vec<Block> {
    use scraper::{ElementRef, Html, Selector};
    let doc = Html::parse_document(html);
    let Ok(selector) =
        Selector::parse("h1, h2, h3, h4, h5, h6, p, li, tr, dt, dd, blockquote, pre, figcaption")
    else {
        return Vec::new();
    };
    let text_of = |e: &ElementRef<'_>| {
        e.text()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let skipped = |e: &ElementRef<'_>| {
        e.ancestors().filter_map(ElementRef::wrap).any(|a| {
            matches!(
                a.value().name(),
                "li" | "tr"
                    | "dd"
                    | "blockquote"
                    | "pre"
                    | "script"
                    | "style"
                    | "nav"
                    | "noscript"
                    | "template"
            )
        })
    };
    let mut blocks = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for e in doc.select(&selector) {
        if skipped(&e) {
            continue;
        }
        let name = e.value().name();
        if name == "tr" {
            let Ok(cells_sel) = Selector::parse("th, td") else {
                continue;
            };
            let cells: Vec<(bool, String)> = e
                .select(&cells_sel)
                .map(|c| (c.value().name() == "th", text_of(&c)))
                .collect();
            if cells.is_empty() {
                continue;
            }
            if cells.iter().all(|(th, _)| *th) {
                header = Some(cells.into_iter().map(|(_, t)| t).collect());
                continue;
            }
            let text = cells
                .iter()
                .enumerate()
                .filter(|(_, (_, t))| !t.is_empty())
                .map(|(i, (_, t))| match header.as_ref().and_then(|h| h.get(i)) {
                    Some(h) if !h.is_empty() => format!("{h}: {t}"),
                    _ => t.clone(),
                })
                .collect::<Vec<_>>()
                .join("; ");
            if !text.is_empty() {
                blocks.push(Block {
                    kind: BlockKind::TableRow,
                    text,
                });
            }
            continue;
        }
        let text = text_of(&e);
        if text.is_empty() {
            continue;
        }
        let kind = match name.as_bytes() {
            [b'h', level @ b'1'..=b'6'] => BlockKind::Heading(level - b'0'),
            b"li" | b"dd" | b"dt" => BlockKind::ListItem,
            _ => BlockKind::Paragraph,
        };
        blocks.push(Block { kind, text });
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_read_by_structure_without_scripts() {
        let html = "<html><head><style>p{}</style><script>var x = '<p>no</p>';</script></head>\
            <body><nav><li>Home</li></nav><h1>Prices</h1><p>All prices in <b>AED</b>.</p>\
            <h2>AC</h2><ul><li>General service: <strong>AED 149</strong></li></ul>\
            <table><tr><th>Service</th><th>Price</th></tr><tr><td>Gas top-up</td><td>AED 260</td></tr></table>\
            </body></html>";
        let blocks = html_blocks(html);
        let texts: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Prices",
                "All prices in AED.",
                "AC",
                "General service: AED 149",
                "Service: Gas top-up; Price: AED 260"
            ]
        );
        assert_eq!(blocks[0].kind, BlockKind::Heading(1));
        assert_eq!(blocks[2].kind, BlockKind::Heading(2));
        assert_eq!(blocks[3].kind, BlockKind::ListItem);
        assert_eq!(blocks[4].kind, BlockKind::TableRow);
    }
}
