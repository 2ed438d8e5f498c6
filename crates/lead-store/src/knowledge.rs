//! The tenant's knowledge base: the `KnowledgeStore` port on SQLite (FTS5, BM25) and PostgreSQL
//! (`tsvector` with the `simple` configuration, `ts_rank_cd`). The store never normalises text:
//! chunks arrive with their analysed terms and searches with the question's terms.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::ids::{ChunkId, DocumentId, MessageId, TenantId};
use lead_domain::knowledge::{
    DocumentFormat, KnowledgeChunk, KnowledgeDocument, KnowledgeHit, KnowledgeStore, MessageSource,
};
use lead_domain::language::Language;
use lead_domain::ports::StoreError;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use uuid::Uuid;

use crate::codec::{parse_name, statement, ts};
use crate::error::{Context, corrupt};
use crate::{Backend, SeaOrmStore};

/// The most search terms sent to the index (a question is cut long before this).
const MAX_TERMS: usize = 120;

fn format_name(f: DocumentFormat) -> &'static str {
    match f {
        DocumentFormat::Text => "text",
        DocumentFormat::Markdown => "markdown",
        DocumentFormat::Html => "html",
    }
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, col: &str) -> Result<T, StoreError> {
    row.try_get("", col)
        .map_err(|e| corrupt("knowledge row", format!("{col}: {e}")))
}

fn language_of(code: Option<String>) -> Result<Option<Language>, StoreError> {
    code.map(|c| parse_name("language", &c)).transpose()
}

fn document_from(row: &QueryResult, with_content: bool) -> Result<KnowledgeDocument, StoreError> {
    let format: String = get(row, "format")?;
    Ok(KnowledgeDocument {
        id: DocumentId::from_uuid(get(row, "id")?),
        tenant_id: TenantId::from_uuid(get(row, "tenant_id")?),
        title: get(row, "title")?,
        format: parse_name("document format", &format)?,
        language: language_of(get(row, "language")?)?,
        content: if with_content {
            get(row, "content")?
        } else {
            String::new()
        },
        chunk_count: u32::try_from(get::<i32>(row, "chunk_count")?).unwrap_or(0),
        created_at: get::<DateTime<Utc>>(row, "created_at")?,
        updated_at: get::<DateTime<Utc>>(row, "updated_at")?,
    })
}

fn path_of(row: &QueryResult) -> Result<Vec<String>, StoreError> {
    let raw: String = get(row, "heading_path")?;
    serde_json::from_str(&raw).map_err(|e| corrupt("heading path", e))
}

/// Only letters and digits reach the query languages, so a term can never be an operator.
fn clean_terms(terms: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in terms {
        let clean: String = t.chars().filter(|c| c.is_alphanumeric()).collect();
        if !clean.is_empty() && !out.contains(&clean) {
            out.push(clean);
        }
        if out.len() >= MAX_TERMS {
            break;
        }
    }
    out
}

impl SeaOrmStore {
    async fn insert_chunks<C: ConnectionTrait>(
        &self,
        txn: &C,
        document: &KnowledgeDocument,
        chunks: &[KnowledgeChunk],
    ) -> Result<(), StoreError> {
        let backend = self.db_backend();
        for chunk in chunks {
            let path = serde_json::to_string(&chunk.heading_path)
                .map_err(|e| StoreError::Unexpected(format!("encoding a heading path: {e}")))?;
            txn.execute_raw(statement(
                backend,
                "INSERT INTO knowledge_chunks (id, tenant_id, knowledge_base_id, position, content, \
                 created_at, heading_path, search_terms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                vec![
                    chunk.id.as_uuid().into(),
                    document.tenant_id.as_uuid().into(),
                    document.id.as_uuid().into(),
                    i32::try_from(chunk.position).unwrap_or(i32::MAX).into(),
                    chunk.text.clone().into(),
                    ts(document.updated_at).into(),
                    path.into(),
                    chunk.search_terms.clone().into(),
                ],
            ))
            .await
            .context("storing a knowledge chunk")?;
        }
        Ok(())
    }
}

#[async_trait]
impl KnowledgeStore for SeaOrmStore {
    async fn create_document(
        &self,
        document: &KnowledgeDocument,
        chunks: &[KnowledgeChunk],
    ) -> Result<(), StoreError> {
        let backend = self.db_backend();
        let txn = self
            .begin_write()
            .await
            .context("starting a document upload")?;
        txn.execute_raw(statement(
            backend,
            "INSERT INTO knowledge_base (id, tenant_id, title, content, created_at, updated_at, \
             format, language, chunk_count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                document.id.as_uuid().into(),
                document.tenant_id.as_uuid().into(),
                document.title.clone().into(),
                document.content.clone().into(),
                ts(document.created_at).into(),
                ts(document.updated_at).into(),
                format_name(document.format).into(),
                document.language.map(|l| l.code().to_owned()).into(),
                i32::try_from(chunks.len()).unwrap_or(i32::MAX).into(),
            ],
        ))
        .await
        .context("storing a knowledge document")?;
        self.insert_chunks(&txn, document, chunks).await?;
        txn.commit().await.context("committing a document upload")
    }

    async fn replace_document(
        &self,
        document: &KnowledgeDocument,
        chunks: &[KnowledgeChunk],
    ) -> Result<bool, StoreError> {
        let backend = self.db_backend();
        let txn = self
            .begin_write()
            .await
            .context("starting a document replacement")?;
        let updated = txn
            .execute_raw(statement(
                backend,
                "UPDATE knowledge_base SET title = $1, content = $2, updated_at = $3, format = $4, \
                 language = $5, chunk_count = $6 WHERE id = $7 AND tenant_id = $8",
                vec![
                    document.title.clone().into(),
                    document.content.clone().into(),
                    ts(document.updated_at).into(),
                    format_name(document.format).into(),
                    document.language.map(|l| l.code().to_owned()).into(),
                    i32::try_from(chunks.len()).unwrap_or(i32::MAX).into(),
                    document.id.as_uuid().into(),
                    document.tenant_id.as_uuid().into(),
                ],
            ))
            .await
            .context("replacing a knowledge document")?;
        if updated.rows_affected() == 0 {
            txn.rollback()
                .await
                .context("abandoning a document replacement")?;
            return Ok(false);
        }
        txn.execute_raw(statement(
            backend,
            "DELETE FROM knowledge_chunks WHERE knowledge_base_id = $1 AND tenant_id = $2",
            vec![
                document.id.as_uuid().into(),
                document.tenant_id.as_uuid().into(),
            ],
        ))
        .await
        .context("removing replaced chunks")?;
        self.insert_chunks(&txn, document, chunks).await?;
        txn.commit()
            .await
            .context("committing a document replacement")?;
        Ok(true)
    }

    async fn delete_document(&self, tenant: TenantId, id: DocumentId) -> Result<bool, StoreError> {
        let backend = self.db_backend();
        let txn = self
            .begin_write()
            .await
            .context("starting a document deletion")?;
        // Chunks first, so the SQLite index trigger sees every row go.
        txn.execute_raw(statement(
            backend,
            "DELETE FROM knowledge_chunks WHERE knowledge_base_id = $1 AND tenant_id = $2",
            vec![id.as_uuid().into(), tenant.as_uuid().into()],
        ))
        .await
        .context("deleting knowledge chunks")?;
        let deleted = txn
            .execute_raw(statement(
                backend,
                "DELETE FROM knowledge_base WHERE id = $1 AND tenant_id = $2",
                vec![id.as_uuid().into(), tenant.as_uuid().into()],
            ))
            .await
            .context("deleting a knowledge document")?;
        txn.commit()
            .await
            .context("committing a document deletion")?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn list_documents(&self, tenant: TenantId) -> Result<Vec<KnowledgeDocument>, StoreError> {
        let rows = self
            .db()
            .query_all_raw(statement(
                self.db_backend(),
                "SELECT id, tenant_id, title, format, language, chunk_count, created_at, updated_at \
                 FROM knowledge_base WHERE tenant_id = $1 ORDER BY created_at DESC, id",
                vec![tenant.as_uuid().into()],
            ))
            .await
            .context("listing knowledge documents")?;
        rows.iter().map(|r| document_from(r, false)).collect()
    }

    async fn get_document(
        &self,
        tenant: TenantId,
        id: DocumentId,
    ) -> Result<Option<(KnowledgeDocument, Vec<KnowledgeChunk>)>, StoreError> {
        let backend = self.db_backend();
        let Some(row) = self
            .db()
            .query_one_raw(statement(
                backend,
                "SELECT id, tenant_id, title, content, format, language, chunk_count, created_at, \
                 updated_at FROM knowledge_base WHERE id = $1 AND tenant_id = $2",
                vec![id.as_uuid().into(), tenant.as_uuid().into()],
            ))
            .await
            .context("reading a knowledge document")?
        else {
            return Ok(None);
        };
        let document = document_from(&row, true)?;
        let rows = self
            .db()
            .query_all_raw(statement(
                backend,
                "SELECT id, position, content, heading_path, search_terms FROM knowledge_chunks \
                 WHERE knowledge_base_id = $1 AND tenant_id = $2 ORDER BY position",
                vec![id.as_uuid().into(), tenant.as_uuid().into()],
            ))
            .await
            .context("reading knowledge chunks")?;
        let chunks = rows
            .iter()
            .map(|r| {
                Ok(KnowledgeChunk {
                    id: ChunkId::from_uuid(get(r, "id")?),
                    document_id: id,
                    position: u32::try_from(get::<i32>(r, "position")?).unwrap_or(0),
                    heading_path: path_of(r)?,
                    text: get(r, "content")?,
                    search_terms: get(r, "search_terms")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some((document, chunks)))
    }

    async fn usage(&self, tenant: TenantId) -> Result<(u32, u64), StoreError> {
        let row = self
            .db()
            .query_one_raw(statement(
                self.db_backend(),
                "SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(content)), 0) AS bytes \
                 FROM knowledge_base WHERE tenant_id = $1",
                vec![tenant.as_uuid().into()],
            ))
            .await
            .context("counting knowledge documents")?;
        let Some(row) = row else {
            return Ok((0, 0));
        };
        let n: i64 = get(&row, "n")?;
        let bytes: i64 = get(&row, "bytes")?;
        Ok((
            u32::try_from(n).unwrap_or(u32::MAX),
            u64::try_from(bytes).unwrap_or(0),
        ))
    }

    async fn search(
        &self,
        tenant: TenantId,
        terms: &[String],
        limit: u32,
    ) -> Result<Vec<KnowledgeHit>, StoreError> {
        let terms = clean_terms(terms);
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::from(limit.min(100));
        let (sql, values): (&str, Vec<Value>) = match self.backend {
            Backend::Sqlite => {
                let tenant_token = format!("t{}", tenant.as_uuid().simple());
                let quoted: Vec<String> = terms.iter().map(|t| format!("\"{t}\"")).collect();
                let query = format!("tenant : {tenant_token} AND ({})", quoted.join(" OR "));
                (
                    "SELECT c.id AS chunk_id, c.knowledge_base_id AS document_id, b.title, b.language, \
                     c.heading_path, c.content, -bm25(knowledge_chunks_fts, 0.0, 1.0) AS score \
                     FROM knowledge_chunks_fts f \
                     JOIN knowledge_chunks c ON c.id = f.chunk_id \
                     JOIN knowledge_base b ON b.id = c.knowledge_base_id \
                     WHERE knowledge_chunks_fts MATCH $1 AND c.tenant_id = $2 \
                     ORDER BY score DESC, c.position LIMIT $3",
                    vec![query.into(), tenant.as_uuid().into(), limit.into()],
                )
            }
            Backend::Postgres => (
                "SELECT c.id AS chunk_id, c.knowledge_base_id AS document_id, b.title, b.language, \
                 c.heading_path, c.content, ts_rank_cd(c.search_vector, q)::float8 AS score \
                 FROM knowledge_chunks c \
                 JOIN knowledge_base b ON b.id = c.knowledge_base_id, \
                 to_tsquery('simple', $1) q \
                 WHERE c.tenant_id = $2 AND c.search_vector @@ q \
                 ORDER BY score DESC, c.position LIMIT $3",
                vec![
                    terms.join(" | ").into(),
                    tenant.as_uuid().into(),
                    limit.into(),
                ],
            ),
        };
        let rows = self
            .db()
            .query_all_raw(statement(self.db_backend(), sql, values))
            .await
            .context("searching the knowledge base")?;
        rows.iter()
            .map(|r| {
                Ok(KnowledgeHit {
                    document_id: DocumentId::from_uuid(get(r, "document_id")?),
                    chunk_id: ChunkId::from_uuid(get(r, "chunk_id")?),
                    title: get(r, "title")?,
                    language: language_of(get(r, "language")?)?,
                    heading_path: path_of(r)?,
                    text: get(r, "content")?,
                    score: get(r, "score")?,
                })
            })
            .collect()
    }

    async fn record_sources(
        &self,
        tenant: TenantId,
        sources: &[MessageSource],
    ) -> Result<(), StoreError> {
        if sources.is_empty() {
            return Ok(());
        }
        let backend = self.db_backend();
        let txn = self
            .begin_write()
            .await
            .context("starting to record sources")?;
        for (position, s) in sources.iter().enumerate() {
            txn.execute_raw(statement(
                backend,
                "INSERT INTO message_sources (message_id, position, tenant_id, document_id, chunk_id, \
                 title) VALUES ($1, $2, $3, $4, $5, $6)",
                vec![
                    s.message_id.as_uuid().into(),
                    i32::try_from(position).unwrap_or(i32::MAX).into(),
                    tenant.as_uuid().into(),
                    s.document_id.as_uuid().into(),
                    s.chunk_id.as_uuid().into(),
                    s.title.clone().into(),
                ],
            ))
            .await
            .context("recording a reply's source")?;
        }
        txn.commit().await.context("committing a reply's sources")
    }

    async fn message_sources(
        &self,
        tenant: TenantId,
        messages: &[MessageId],
    ) -> Result<Vec<MessageSource>, StoreError> {
        let mut out = Vec::new();
        let backend = self.db_backend();
        for batch in messages.chunks(200) {
            if batch.is_empty() {
                continue;
            }
            let placeholders: Vec<String> =
                (0..batch.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT message_id, document_id, chunk_id, title FROM message_sources \
                 WHERE tenant_id = $1 AND message_id IN ({}) ORDER BY message_id, position",
                placeholders.join(", ")
            );
            let mut values: Vec<Value> = vec![tenant.as_uuid().into()];
            values.extend(batch.iter().map(|m| Value::from(m.as_uuid())));
            let rows = self
                .db()
                .query_all_raw(statement(backend, &sql, values))
                .await
                .context("reading reply sources")?;
            for r in &rows {
                out.push(MessageSource {
                    message_id: MessageId::from_uuid(get::<Uuid>(r, "message_id")?),
                    document_id: DocumentId::from_uuid(get(r, "document_id")?),
                    chunk_id: ChunkId::from_uuid(get(r, "chunk_id")?),
                    title: get(r, "title")?,
                });
            }
        }
        Ok(out)
    }
}
