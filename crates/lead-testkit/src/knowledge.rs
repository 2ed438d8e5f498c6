//! `InMemoryKnowledge`: the knowledge-base port in memory, ranked by BM25 over the analysed terms
//! like the SQLite index, held to the same contract as the database adapter.

use async_trait::async_trait;
use lead_domain::ids::{DocumentId, MessageId, TenantId};
use lead_domain::knowledge::{
    KnowledgeChunk, KnowledgeDocument, KnowledgeHit, KnowledgeStore, MessageSource,
};
use lead_domain::ports::StoreError;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

#[derive(Default)]
struct State {
    documents: BTreeMap<DocumentId, (KnowledgeDocument, Vec<KnowledgeChunk>)>,
    sources: Vec<(TenantId, MessageSource)>,
}

/// The knowledge base in memory; one mutex, so every method is atomic.
#[derive(Default)]
pub struct InMemoryKnowledge(Mutex<State>);

impl InMemoryKnowledge {
    /// An empty knowledge base.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl KnowledgeStore for InMemoryKnowledge {
    async fn create_document(
        &self,
        document: &KnowledgeDocument,
        chunks: &[KnowledgeChunk],
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.documents.contains_key(&document.id) {
            return Err(StoreError::Conflict(format!(
                "document {} exists",
                document.id
            )));
        }
        let mut doc = document.clone();
        doc.chunk_count = chunks.len() as u32;
        state.documents.insert(document.id, (doc, chunks.to_vec()));
        Ok(())
    }

    async fn replace_document(
        &self,
        document: &KnowledgeDocument,
        chunks: &[KnowledgeChunk],
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        match state.documents.get_mut(&document.id) {
            Some((old, old_chunks)) if old.tenant_id == document.tenant_id => {
                let created_at = old.created_at;
                *old = document.clone();
                old.created_at = created_at;
                old.chunk_count = chunks.len() as u32;
                *old_chunks = chunks.to_vec();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete_document(&self, tenant: TenantId, id: DocumentId) -> Result<bool, StoreError> {
        let mut state = self.state();
        let owned = state
            .documents
            .get(&id)
            .is_some_and(|(d, _)| d.tenant_id == tenant);
        if owned {
            state.documents.remove(&id);
        }
        Ok(owned)
    }

    async fn list_documents(&self, tenant: TenantId) -> Result<Vec<KnowledgeDocument>, StoreError> {
        let mut docs: Vec<KnowledgeDocument> = self
            .state()
            .documents
            .values()
            .filter(|(d, _)| d.tenant_id == tenant)
            .map(|(d, _)| KnowledgeDocument {
                content: String::new(),
                ..d.clone()
            })
            .collect();
        docs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        Ok(docs)
    }

    async fn get_document(
        &self,
        tenant: TenantId,
        id: DocumentId,
    ) -> Result<Option<(KnowledgeDocument, Vec<KnowledgeChunk>)>, StoreError> {
        Ok(self
            .state()
            .documents
            .get(&id)
            .filter(|(d, _)| d.tenant_id == tenant)
            .cloned())
    }

    async fn usage(&self, tenant: TenantId) -> Result<(u32, u64), StoreError> {
        let state = self.state();
        let mine = state
            .documents
            .values()
            .filter(|(d, _)| d.tenant_id == tenant);
        let (n, bytes) = mine.fold((0u32, 0u64), |(n, b), (d, _)| {
            (n + 1, b + d.content.chars().count() as u64)
        });
        Ok((n, bytes))
    }

    async fn search(
        &self,
        tenant: TenantId,
        terms: &[String],
        limit: u32,
    ) -> Result<Vec<KnowledgeHit>, StoreError> {
        let state = self.state();
        let query: HashSet<&str> = terms.iter().map(String::as_str).collect();
        let chunks: Vec<(&KnowledgeDocument, &KnowledgeChunk, Vec<&str>)> = state
            .documents
            .values()
            .filter(|(d, _)| d.tenant_id == tenant)
            .flat_map(|(d, cs)| {
                cs.iter()
                    .map(move |c| (d, c, c.search_terms.split_whitespace().collect()))
            })
            .collect();
        let n = chunks.len() as f64;
        let avg = chunks.iter().map(|(_, _, t)| t.len()).sum::<usize>() as f64 / n.max(1.0);
        let mut df: HashMap<&str, f64> = HashMap::new();
        for (_, _, t) in &chunks {
            let unique: HashSet<&str> = t.iter().copied().collect();
            for term in unique.intersection(&query) {
                *df.entry(term).or_default() += 1.0;
            }
        }
        let mut hits: Vec<(f64, &KnowledgeDocument, &KnowledgeChunk)> = chunks
            .iter()
            .filter_map(|(d, c, t)| {
                let len = t.len() as f64;
                let mut score = 0.0;
                for term in &query {
                    let tf = t.iter().filter(|x| *x == term).count() as f64;
                    if tf == 0.0 {
                        continue;
                    }
                    let df = df.get(term).copied().unwrap_or(0.0);
                    let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                    score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len / avg.max(1.0)));
                }
                (score > 0.0).then_some((score, *d, *c))
            })
            .collect();
        hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.position.cmp(&b.2.position)));
        Ok(hits
            .into_iter()
            .take(limit.min(100) as usize)
            .map(|(score, d, c)| KnowledgeHit {
                document_id: d.id,
                chunk_id: c.id,
                title: d.title.clone(),
                language: d.language,
                heading_path: c.heading_path.clone(),
                text: c.text.clone(),
                score,
            })
            .collect())
    }

    async fn record_sources(
        &self,
        tenant: TenantId,
        sources: &[MessageSource],
    ) -> Result<(), StoreError> {
        self.state()
            .sources
            .extend(sources.iter().map(|s| (tenant, s.clone())));
        Ok(())
    }

    async fn message_sources(
        &self,
        tenant: TenantId,
        messages: &[MessageId],
    ) -> Result<Vec<MessageSource>, StoreError> {
        Ok(self
            .state()
            .sources
            .iter()
            .filter(|(t, s)| *t == tenant && messages.contains(&s.message_id))
            .map(|(_, s)| s.clone())
            .collect())
    }
}
