//! Knowledge-base use cases: storing a document as passages, searching it the way the AI sees it,
//! and answering a lead's question from it (the passages for the model, the offline quote, the
//! sources kept with the reply).

use super::{Deps, ReplyTurn, compose_reply};
use crate::ids::{ChunkId, DocumentId, MessageId, TenantId};
use crate::knowledge::{
    Answer, Block, DocumentFormat, KnowledgeBase, KnowledgeChunk, KnowledgeDocument,
    KnowledgeLimits, MessageSource, QueryWord, ScoredHit, TextAnalyzer, answer_from, chunk_blocks,
    lead_in, parse_blocks, passage_terms, rare_coverage, rerank,
};
use crate::language::Language;
use crate::lead::Lead;
use crate::ports::{IdGenerator, StoreError};
use crate::qualification::MessageIntent;
use crate::templates::{TemplateContext, TemplateKind, render};
use crate::tenant::Tenant;
use chrono::{DateTime, SubsecRound, Utc};
use std::collections::HashSet;

/// Why a document was refused.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    /// The content (or the tenant's total) is larger than the limit.
    #[error("{0}")]
    TooLarge(String),
    /// A field is wrong: the name of the field and why.
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// The tenant holds the most documents allowed.
    #[error("{0}")]
    LimitReached(String),
    /// No such document for this tenant.
    #[error("document not found")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A document as the API hands it over.
#[derive(Debug, Clone)]
pub struct DocumentInput {
    /// Title.
    pub title: String,
    /// Content as uploaded.
    pub content: String,
    /// How it is written.
    pub format: DocumentFormat,
    /// Declared language.
    pub language: Option<Language>,
    /// The content already read into blocks (HTML is parsed by the app); `None` reads the content
    /// as its format says.
    pub blocks: Option<Vec<Block>>,
}

/// Checks a document against the limits and splits it into passages with their index terms.
///
/// # Errors
/// [`KnowledgeError::TooLarge`], [`KnowledgeError::Invalid`], [`KnowledgeError::LimitReached`];
/// storage failures reading the tenant's usage.
#[allow(clippy::too_many_arguments)]
pub async fn save_document(
    kb: &KnowledgeBase,
    limits: &KnowledgeLimits,
    ids: &dyn IdGenerator,
    tenant: TenantId,
    replacing: Option<DocumentId>,
    input: DocumentInput,
    now: DateTime<Utc>,
) -> Result<(KnowledgeDocument, Vec<KnowledgeChunk>), KnowledgeError> {
    // Stores keep microseconds; the times handed back must be the ones read later.
    let now = now.trunc_subsecs(6);
    let title = input.title.trim().to_owned();
    if title.is_empty() {
        return Err(KnowledgeError::Invalid {
            field: "title",
            message: "must not be empty".into(),
        });
    }
    if title.chars().count() > limits.max_title_chars {
        return Err(KnowledgeError::Invalid {
            field: "title",
            message: format!("at most {} characters", limits.max_title_chars),
        });
    }
    if input.content.len() > limits.max_document_bytes {
        return Err(KnowledgeError::TooLarge(format!(
            "a document holds at most {} bytes",
            limits.max_document_bytes
        )));
    }
    let previous = match replacing {
        Some(id) => Some(
            kb.store
                .get_document(tenant, id)
                .await?
                .ok_or(KnowledgeError::NotFound)?
                .0,
        ),
        None => None,
    };
    let (count, total) = kb.store.usage(tenant).await?;
    if previous.is_none() && count >= limits.max_documents {
        return Err(KnowledgeError::LimitReached(format!(
            "a client holds at most {} documents",
            limits.max_documents
        )));
    }
    let freed = previous
        .as_ref()
        .map_or(0, |d| d.content.chars().count() as u64);
    let after = total.saturating_sub(freed) + input.content.chars().count() as u64;
    if after > limits.max_total_bytes {
        return Err(KnowledgeError::TooLarge(format!(
            "a client's documents hold at most {} characters in all",
            limits.max_total_bytes
        )));
    }
    let blocks = input
        .blocks
        .unwrap_or_else(|| parse_blocks(&input.content, input.format));
    let drafts = chunk_blocks(&blocks);
    if drafts.is_empty() {
        return Err(KnowledgeError::Invalid {
            field: "content",
            message: "has no text to answer from".into(),
        });
    }
    let id = replacing.unwrap_or_else(|| DocumentId::from_uuid(ids.new_uuid()));
    let chunks: Vec<KnowledgeChunk> = drafts
        .into_iter()
        .enumerate()
        .map(|(i, d)| KnowledgeChunk {
            id: ChunkId::from_uuid(ids.new_uuid()),
            document_id: id,
            position: i as u32,
            search_terms: passage_terms(kb.analyzer.as_ref(), &title, &d.heading_path, &d.text),
            heading_path: d.heading_path,
            text: d.text,
        })
        .collect();
    let document = KnowledgeDocument {
        id,
        tenant_id: tenant,
        title,
        format: input.format,
        language: input.language,
        content: input.content,
        chunk_count: chunks.len() as u32,
        created_at: previous.as_ref().map_or(now, |d| d.created_at),
        updated_at: now,
    };
    if previous.is_some() {
        if !kb.store.replace_document(&document, &chunks).await? {
            return Err(KnowledgeError::NotFound);
        }
    } else {
        kb.store.create_document(&document, &chunks).await?;
    }
    Ok((document, chunks))
}

/// How many candidates the index returns for the reranking, at least.
const CANDIDATES: u32 = 24;

/// How many of the best candidates' documents are weighed against the tenant's business.
const AFFINITY_DOCUMENTS: usize = 8;

/// How much a document about the tenant's own business weighs in the ranking: enough to choose
/// between passages that answer a generic question ("where are you?", "are you open on
/// Saturday?") equally well, too little to outweigh a passage that fits the question better.
const AFFINITY_WEIGHT: f64 = 0.1;

/// How much of a document is read to tell what it is about: its title and opening.
const AFFINITY_CHARS: usize = 2_000;

/// How much more the tenant's name and industry weigh than the words of one service description
/// when telling which documents are about its business.
const IDENTITY_WEIGHT: f32 = 3.0;

/// The tenant's business as search words: its name and industry (weighing most), then the
/// descriptions of its services.
fn business_words(analyzer: &dyn TextAnalyzer, tenant: &Tenant) -> Vec<QueryWord> {
    let identity = format!(
        "{}\n{}",
        tenant.business_name(),
        tenant.settings.industry.replace('_', " ")
    );
    let mut words: Vec<QueryWord> = analyzer
        .query_words(&identity)
        .into_iter()
        .map(|mut w| {
            w.weight *= IDENTITY_WEIGHT;
            w
        })
        .collect();
    for service in tenant.settings.services.values() {
        for word in analyzer.query_words(&service.description) {
            if !words.iter().any(|w| w.terms == word.terms) {
                words.push(word);
            }
        }
    }
    words
}

/// The tenant's passages for a question, best first: the index's candidates reranked by how much
/// of the question they cover, passages of documents about the tenant's own business (its
/// industry and services) winning ties. This is what the AI sees.
///
/// # Errors
/// Storage failures.
pub async fn search(
    kb: &KnowledgeBase,
    tenant: &Tenant,
    question: &str,
    limit: u32,
) -> Result<Vec<ScoredHit>, StoreError> {
    let words = kb.analyzer.query_words(question);
    let terms: Vec<String> = words.iter().flat_map(|w| w.terms.clone()).collect();
    let hits = kb
        .store
        .search(tenant.id, &terms, CANDIDATES.max(limit.saturating_mul(4)))
        .await?;
    let mut ranked = rerank(kb.analyzer.as_ref(), &words, hits);
    prefer_own_business(kb, tenant, &mut ranked).await?;
    ranked.truncate(limit as usize);
    Ok(ranked)
}

/// Adds to each of the best passages' rank how much its document's opening speaks of the
/// tenant's business (relative to the other candidates' documents), then re-sorts.
async fn prefer_own_business(
    kb: &KnowledgeBase,
    tenant: &Tenant,
    ranked: &mut [ScoredHit],
) -> Result<(), StoreError> {
    let business = business_words(kb.analyzer.as_ref(), tenant);
    if business.is_empty() || ranked.len() < 2 {
        return Ok(());
    }
    let mut documents: Vec<(DocumentId, HashSet<String>)> = Vec::new();
    for hit in ranked.iter() {
        if documents.len() >= AFFINITY_DOCUMENTS {
            break;
        }
        let id = hit.hit.document_id;
        if documents.iter().any(|(d, _)| *d == id) {
            continue;
        }
        let Some((document, _)) = kb.store.get_document(tenant.id, id).await? else {
            continue;
        };
        let opening: String = document.content.chars().take(AFFINITY_CHARS).collect();
        let terms: HashSet<String> = kb
            .analyzer
            .index_terms(&format!("{}\n{opening}", document.title))
            .into_iter()
            .collect();
        documents.push((id, terms));
    }
    // A business word every candidate document holds ("installments") tells them apart less
    // than one only some hold ("car", "solar").
    let sets: Vec<HashSet<String>> = documents.iter().map(|(_, t)| t.clone()).collect();
    let affinity: Vec<(DocumentId, f64)> = documents
        .iter()
        .map(|(id, terms)| (*id, rare_coverage(&business, &sets, terms)))
        .collect();
    let most = affinity.iter().map(|(_, a)| *a).fold(0.0, f64::max);
    if most <= 0.0 {
        return Ok(());
    }
    for hit in ranked.iter_mut() {
        if let Some((_, a)) = affinity.iter().find(|(d, _)| *d == hit.hit.document_id) {
            hit.rank += AFFINITY_WEIGHT * a / most;
        }
    }
    ranked.sort_by(|a, b| b.rank.total_cmp(&a.rank));
    Ok(())
}

/// What the knowledge base says about one lead message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lookup {
    /// The best passages, for the model.
    pub passages: Vec<ScoredHit>,
    /// The offline answer, when the best passage covers enough of the message.
    pub answer: Option<Answer>,
}

/// How many passages the model receives.
const MODEL_PASSAGES: u32 = 4;

/// Looks a lead message up in the tenant's knowledge base; `None` when there is none configured.
///
/// # Errors
/// Storage failures.
pub async fn look_up(
    deps: &Deps,
    tenant: &Tenant,
    message: &str,
) -> Result<Option<Lookup>, StoreError> {
    let Some(kb) = &deps.knowledge else {
        return Ok(None);
    };
    let words = kb.analyzer.query_words(message);
    let passages = search(kb, tenant, message, MODEL_PASSAGES).await?;
    let answer = answer_from(kb.analyzer.as_ref(), &words, &passages);
    Ok(Some(Lookup { passages, answer }))
}

/// The passages as the model prompt lists them, each with the id it must cite.
pub fn model_passages(lookup: Option<&Lookup>) -> Vec<String> {
    lookup.map_or_else(Vec::new, |l| {
        l.passages
            .iter()
            .map(|p| {
                let mut place = p.hit.title.clone();
                for h in &p.hit.heading_path {
                    if *h != p.hit.title {
                        place.push_str(" > ");
                        place.push_str(h);
                    }
                }
                format!(
                    "[{}] {place}: {}",
                    p.hit.chunk_id,
                    p.hit.text.replace('\n', " ")
                )
            })
            .collect()
    })
}

/// The offline reply when the knowledge base answers the lead's message: the greeting on a first
/// reply, a bilingual lead-in when the passage is in the other language, the quote, then the next
/// qualifying question. `None` when there is no answer or the turn is not one to answer (a hand-off,
/// a goodbye, thanks, a greeting alone, a system notice).
pub fn reply_with_answer(
    turn: &ReplyTurn,
    lead: &Lead,
    language: Language,
    ctx: &TemplateContext<'_>,
    lookup: Option<&Lookup>,
) -> Option<(String, Answer)> {
    let answer = lookup?.answer.clone()?;
    let answerable = matches!(
        turn.intent,
        None | Some(MessageIntent::Question)
            | Some(MessageIntent::Information)
            | Some(MessageIntent::Unclear)
    );
    if turn.system_notice || turn.handing_off || !answerable || lead.qualification.not_interested()
    {
        return None;
    }
    let next = compose_reply(
        &ReplyTurn {
            first_reply: false,
            intent: None,
            ..*turn
        },
        lead,
        language,
        ctx,
    );
    let mut parts: Vec<String> = Vec::new();
    if turn.first_reply {
        parts.push(render(TemplateKind::Greeting, language, ctx));
    }
    if let Some(line) = lead_in(language, answer.language) {
        parts.push(line.to_owned());
    }
    parts.push(answer.text.clone());
    parts.push(next);
    Some((parts.join(" "), answer))
}

/// Keeps which of the passages given to the model its reply cites; ids the model was not given
/// are ignored. A failure is reported, not raised, as for [`record_quote`].
pub async fn record_citations(
    deps: &Deps,
    tenant: TenantId,
    message: MessageId,
    lookup: Option<&Lookup>,
    cited: &[String],
) -> Option<String> {
    let (Some(kb), Some(lookup)) = (&deps.knowledge, lookup) else {
        return None;
    };
    let sources: Vec<MessageSource> = lookup
        .passages
        .iter()
        .filter(|p| cited.iter().any(|id| *id == p.hit.chunk_id.to_string()))
        .map(|p| MessageSource {
            message_id: message,
            document_id: p.hit.document_id,
            chunk_id: p.hit.chunk_id,
            title: p.hit.title.clone(),
        })
        .collect();
    if sources.is_empty() {
        return None;
    }
    kb.store
        .record_sources(tenant, &sources)
        .await
        .err()
        .map(|e| format!("the reply's sources were not recorded: {e}"))
}

/// Keeps which passage a reply quoted. A failure is reported, not raised: the reply is already
/// stored and queued, and retrying the job would send it twice.
pub async fn record_quote(
    deps: &Deps,
    tenant: TenantId,
    message: MessageId,
    answer: Option<&Answer>,
) -> Option<String> {
    let (Some(kb), Some(answer)) = (&deps.knowledge, answer) else {
        return None;
    };
    let source = MessageSource {
        message_id: message,
        document_id: answer.hit.document_id,
        chunk_id: answer.hit.chunk_id,
        title: answer.hit.title.clone(),
    };
    kb.store
        .record_sources(tenant, &[source])
        .await
        .err()
        .map(|e| format!("the reply's source was not recorded: {e}"))
}
