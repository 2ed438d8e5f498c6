//! The tenant's knowledge base: documents, their chunks with heading paths, the storage port that
//! searches them, the text-analysis port that normalises both sides of a search, and the pure
//! choices made from the hits (which passage answers a question, which of its sentences to quote).
//!
//! Retrieval is two-stage: the store ranks chunks by its full-text index (BM25 on SQLite,
//! `ts_rank_cd` on PostgreSQL) over the analyser's terms, then [`rerank`] orders the candidates by
//! how much of the question they cover, a figure that means the same on every backend and is what
//! the answer threshold is set on.

mod chunking;
mod select;
#[cfg(test)]
mod tests;

pub use chunking::{Block, BlockKind, ChunkDraft, MAX_CHUNK_CHARS, chunk_blocks, parse_blocks};
pub use select::{
    ANSWER_THRESHOLD, Answer, QueryWord, ScoredHit, answer_from, coverage, lead_in, rare_coverage,
    rerank,
};

use crate::ids::{ChunkId, DocumentId, MessageId, TenantId};
use crate::language::Language;
use crate::ports::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a document's content is written, which decides how it is split into passages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DocumentFormat {
    /// Plain text: paragraphs separated by blank lines, `-` or `*` list items.
    #[default]
    Text,
    /// Markdown: headings give the structure, tables are read row by row.
    Markdown,
    /// HTML, reduced to blocks by an HTML parser in the app before chunking.
    Html,
}

/// A document of a tenant's knowledge base, without its chunks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeDocument {
    /// Id.
    pub id: DocumentId,
    /// Owner.
    pub tenant_id: TenantId,
    /// Title shown to the team and prefixed to every passage for retrieval.
    pub title: String,
    /// How the content is written.
    pub format: DocumentFormat,
    /// The language the tenant declared, if any.
    pub language: Option<Language>,
    /// The content as uploaded.
    pub content: String,
    /// How many chunks it was split into.
    pub chunk_count: u32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last replaced.
    pub updated_at: DateTime<Utc>,
}

/// One retrievable passage of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeChunk {
    /// Id.
    pub id: ChunkId,
    /// The document it belongs to.
    pub document_id: DocumentId,
    /// Order within the document, from 0.
    pub position: u32,
    /// The headings above the passage, outermost first.
    pub heading_path: Vec<String>,
    /// The passage text, as quoted to leads.
    pub text: String,
    /// The analyser's index terms for title, headings and text, space separated: what the
    /// full-text index reads, so stores never normalise text themselves.
    pub search_terms: String,
}

/// A search result: a passage and how well the store ranked it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeHit {
    /// The document.
    pub document_id: DocumentId,
    /// The passage.
    pub chunk_id: ChunkId,
    /// The document's title.
    pub title: String,
    /// The document's declared language.
    pub language: Option<Language>,
    /// The headings above the passage.
    pub heading_path: Vec<String>,
    /// The passage text.
    pub text: String,
    /// The store's relevance, higher is better; only comparable within one result list.
    pub score: f64,
}

/// Which passage a reply quoted, kept with the reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageSource {
    /// The reply.
    pub message_id: MessageId,
    /// The document quoted.
    pub document_id: DocumentId,
    /// The passage quoted (it may since have been replaced).
    pub chunk_id: ChunkId,
    /// The document's title when it was quoted.
    pub title: String,
}

/// Stores documents and chunks and searches them, always within one tenant.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait KnowledgeStore: Send + Sync {
    /// Stores a new document with its chunks in one transaction.
    async fn create_document(
        &self,
        document: &KnowledgeDocument,
        chunks: &[KnowledgeChunk],
    ) -> Result<(), StoreError>;

    /// Replaces a document's title, content and every chunk in one transaction; `false` when the
    /// tenant has no such document.
    async fn replace_document(
        &self,
        document: &KnowledgeDocument,
        chunks: &[KnowledgeChunk],
    ) -> Result<bool, StoreError>;

    /// Deletes a document and its chunks; `false` when the tenant has no such document.
    async fn delete_document(&self, tenant: TenantId, id: DocumentId) -> Result<bool, StoreError>;

    /// The tenant's documents, newest first, without content.
    async fn list_documents(&self, tenant: TenantId) -> Result<Vec<KnowledgeDocument>, StoreError>;

    /// One document with its chunks in order.
    async fn get_document(
        &self,
        tenant: TenantId,
        id: DocumentId,
    ) -> Result<Option<(KnowledgeDocument, Vec<KnowledgeChunk>)>, StoreError>;

    /// How many documents the tenant holds and their total content size in bytes, for limits.
    async fn usage(&self, tenant: TenantId) -> Result<(u32, u64), StoreError>;

    /// The tenant's passages matching any of the query terms, best first, at most `limit`.
    async fn search(
        &self,
        tenant: TenantId,
        terms: &[String],
        limit: u32,
    ) -> Result<Vec<KnowledgeHit>, StoreError>;

    /// Records which passages a reply quoted.
    async fn record_sources(
        &self,
        tenant: TenantId,
        sources: &[MessageSource],
    ) -> Result<(), StoreError>;

    /// The passages quoted by the replies of a conversation's messages.
    async fn message_sources(
        &self,
        tenant: TenantId,
        messages: &[MessageId],
    ) -> Result<Vec<MessageSource>, StoreError>;
}

/// Turns text into search terms: one normalisation for indexing and for questions, so a question
/// in Arabic, English or Arabizi meets the passage that answers it. Implemented by the offline
/// reader (`lead-nlu`).
pub trait TextAnalyzer: Send + Sync {
    /// The terms a passage is indexed under (duplicates kept: they weigh in the ranking).
    fn index_terms(&self, text: &str) -> Vec<String>;

    /// The words of a question, each with every term that may match it in a passage.
    fn query_words(&self, text: &str) -> Vec<QueryWord>;
}

/// The knowledge base as a use case needs it: the store and the analyser.
#[derive(Clone)]
pub struct KnowledgeBase {
    /// Documents and the index.
    pub store: std::sync::Arc<dyn KnowledgeStore>,
    /// Normalisation shared by indexing and questions.
    pub analyzer: std::sync::Arc<dyn TextAnalyzer>,
}

/// Limits that keep one tenant's knowledge base from filling the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnowledgeLimits {
    /// The largest document content, in bytes.
    pub max_document_bytes: usize,
    /// The most documents per tenant.
    pub max_documents: u32,
    /// The most content per tenant, in bytes.
    pub max_total_bytes: u64,
    /// The longest title, in characters.
    pub max_title_chars: usize,
}

impl Default for KnowledgeLimits {
    fn default() -> Self {
        Self {
            max_document_bytes: 512 * 1024,
            max_documents: 2_000,
            max_total_bytes: 50 * 1024 * 1024,
            max_title_chars: 200,
        }
    }
}

/// The space-separated index terms of a passage: title, headings and text together.
pub fn passage_terms(
    analyzer: &dyn TextAnalyzer,
    title: &str,
    path: &[String],
    text: &str,
) -> String {
    let mut all = String::with_capacity(text.len() + 64);
    all.push_str(title);
    for h in path {
        all.push('\n');
        all.push_str(h);
    }
    all.push('\n');
    all.push_str(text);
    analyzer.index_terms(&all).join(" ")
}
