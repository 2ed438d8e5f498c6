//! Contract suite of the knowledge-base port: the in-memory fake and every database adapter must
//! pass it. Terms are given already analysed (the store never normalises), so the suite needs no
//! analyser.

use crate::contract::{Store, intake, random_phone, stored_tenant};
use chrono::{DateTime, Duration, Utc};
use lead_domain::ids::{ChunkId, DocumentId, MessageId, TenantId};
use lead_domain::knowledge::{
    DocumentFormat, KnowledgeChunk, KnowledgeDocument, KnowledgeStore, MessageSource,
};
use lead_domain::language::Language;
use lead_domain::ports::StoreError;

fn ok<T>(r: Result<T, StoreError>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// A document and its chunks; each chunk text is also its terms.
pub fn document(
    tenant: TenantId,
    title: &str,
    chunks: &[(&[&str], &str)],
    at: DateTime<Utc>,
) -> (KnowledgeDocument, Vec<KnowledgeChunk>) {
    let id = DocumentId::from_uuid(uuid::Uuid::new_v4());
    let chunks: Vec<KnowledgeChunk> = chunks
        .iter()
        .enumerate()
        .map(|(i, (path, text))| KnowledgeChunk {
            id: ChunkId::from_uuid(uuid::Uuid::new_v4()),
            document_id: id,
            position: i as u32,
            heading_path: path.iter().map(|s| (*s).to_owned()).collect(),
            text: (*text).to_owned(),
            search_terms: format!("{} {}", title.to_lowercase(), text.to_lowercase()),
        })
        .collect();
    let content = chunks
        .iter()
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    (
        KnowledgeDocument {
            id,
            tenant_id: tenant,
            title: title.to_owned(),
            format: DocumentFormat::Markdown,
            language: Some(Language::En),
            content,
            chunk_count: chunks.len() as u32,
            created_at: at,
            updated_at: at,
        },
        chunks,
    )
}

fn terms(q: &str) -> Vec<String> {
    q.split_whitespace().map(str::to_owned).collect()
}

/// Create, read, list, usage, replace (atomic re-chunking) and delete of documents.
pub async fn documents<S: Store + ?Sized, K: KnowledgeStore + ?Sized>(store: &S, kb: &K) {
    let (tenant, _) = stored_tenant(store).await;
    let t = tenant.id;
    let (doc, chunks) = document(
        t,
        "Price list",
        &[
            (&["Price list", "Villas"], "corner villa 3250000"),
            (&["Price list", "Flats"], "flat 865000 parking"),
        ],
        t0(),
    );
    ok(kb.create_document(&doc, &chunks).await, "create");
    let (read, read_chunks) = ok(kb.get_document(t, doc.id).await, "get").expect("stored");
    assert_eq!(read.title, "Price list");
    assert_eq!(read.content, doc.content);
    assert_eq!(read.format, DocumentFormat::Markdown);
    assert_eq!(read.language, Some(Language::En));
    assert_eq!(read.chunk_count, 2);
    assert_eq!(
        read_chunks, chunks,
        "chunks round-trip in order with their paths"
    );

    let (second, second_chunks) = document(
        t,
        "FAQ",
        &[(&[], "warranty ten years")],
        t0() + Duration::minutes(1),
    );
    ok(
        kb.create_document(&second, &second_chunks).await,
        "create second",
    );
    let listed = ok(kb.list_documents(t).await, "list");
    assert_eq!(
        listed.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![second.id, doc.id],
        "newest first"
    );
    assert!(
        listed.iter().all(|d| d.content.is_empty()),
        "lists leave content out"
    );
    let (count, size) = ok(kb.usage(t).await, "usage");
    assert_eq!(count, 2);
    assert_eq!(
        size,
        (doc.content.chars().count() + second.content.chars().count()) as u64
    );

    // Replacing re-chunks at once: the old passages are gone from search, the new ones found.
    let (mut replaced, mut new_chunks) = document(
        t,
        "Price list 2027",
        &[(&["Price list 2027"], "townhouse 1999000")],
        t0() + Duration::hours(1),
    );
    replaced.id = doc.id;
    replaced.created_at = doc.created_at;
    for c in &mut new_chunks {
        c.document_id = doc.id;
    }
    assert!(ok(
        kb.replace_document(&replaced, &new_chunks).await,
        "replace"
    ));
    let (read, read_chunks) = ok(kb.get_document(t, doc.id).await, "get").expect("stored");
    assert_eq!(read.title, "Price list 2027");
    assert_eq!(read.chunk_count, 1);
    assert_eq!(
        read.created_at, doc.created_at,
        "replacing keeps the creation time"
    );
    assert_eq!(read_chunks, new_chunks);
    assert!(ok(kb.search(t, &terms("villa"), 5).await, "search").is_empty());
    assert_eq!(
        ok(kb.search(t, &terms("townhouse"), 5).await, "search").len(),
        1
    );
    let (unknown, unknown_chunks) = document(t, "Nope", &[(&[], "x")], t0());
    assert!(!ok(
        kb.replace_document(&unknown, &unknown_chunks).await,
        "replace unknown"
    ));

    assert!(ok(kb.delete_document(t, doc.id).await, "delete"));
    assert!(!ok(kb.delete_document(t, doc.id).await, "delete twice"));
    assert!(ok(kb.get_document(t, doc.id).await, "get deleted").is_none());
    assert!(ok(kb.search(t, &terms("townhouse"), 5).await, "search").is_empty());
    assert_eq!(ok(kb.list_documents(t).await, "list").len(), 1);
}

/// Ranking: more matching terms rank first, the limit holds, rare terms weigh more, and terms
/// that look like query syntax are read as words.
pub async fn search<S: Store + ?Sized, K: KnowledgeStore + ?Sized>(store: &S, kb: &K) {
    let (tenant, _) = stored_tenant(store).await;
    let t = tenant.id;
    let (doc, chunks) = document(
        t,
        "Services",
        &[
            (&["Services", "AC"], "ac service 149 per unit"),
            (&["Services", "Duct"], "duct cleaning villa 1600"),
            (&["Services", "Heater"], "water heater replacement 780"),
            (&["Services", "Gas"], "ac gas top up 260"),
        ],
        t0(),
    );
    ok(kb.create_document(&doc, &chunks).await, "create");
    let hits = ok(kb.search(t, &terms("ac gas price"), 5).await, "search");
    assert_eq!(hits.len(), 2, "only passages with a term match");
    assert_eq!(hits[0].chunk_id, chunks[3].id, "two terms beat one");
    assert_eq!(hits[0].title, "Services");
    assert_eq!(
        hits[0].heading_path,
        vec!["Services".to_owned(), "Gas".to_owned()]
    );
    assert_eq!(hits[0].language, Some(Language::En));
    assert!(hits[0].score > hits[1].score);
    let hits = ok(kb.search(t, &terms("services"), 2).await, "limit");
    assert_eq!(hits.len(), 2, "the limit holds");
    assert!(ok(kb.search(t, &[], 5).await, "no terms").is_empty());
    let weird = vec![
        "\"".to_owned(),
        "OR".to_owned(),
        "duct*".to_owned(),
        "NEAR(a".to_owned(),
        "a:b".to_owned(),
        "'|&!".to_owned(),
    ];
    let hits = ok(kb.search(t, &weird, 5).await, "syntax is text");
    assert!(hits.iter().all(|h| h.chunk_id == chunks[1].id));
}

/// A tenant never reads, lists, searches, replaces or deletes another tenant's documents.
pub async fn isolation<S: Store + ?Sized, K: KnowledgeStore + ?Sized>(store: &S, kb: &K) {
    let (owner, _) = stored_tenant(store).await;
    let (other, _) = stored_tenant(store).await;
    let (doc, chunks) = document(owner.id, "Secret", &[(&[], "secret pricing 42")], t0());
    ok(kb.create_document(&doc, &chunks).await, "create");
    let (theirs, their_chunks) = document(other.id, "Theirs", &[(&[], "secret other")], t0());
    ok(
        kb.create_document(&theirs, &their_chunks).await,
        "create other",
    );
    let o = other.id;
    assert!(ok(kb.get_document(o, doc.id).await, "get").is_none());
    assert_eq!(
        ok(kb.list_documents(o).await, "list")
            .iter()
            .map(|d| d.id)
            .collect::<Vec<_>>(),
        vec![theirs.id]
    );
    let hits = ok(
        kb.search(o, &terms("secret pricing 42"), 10).await,
        "search",
    );
    assert!(hits.iter().all(|h| h.document_id == theirs.id), "{hits:?}");
    assert_eq!(ok(kb.usage(o).await, "usage").0, 1);
    let mut hijack = doc.clone();
    hijack.tenant_id = o;
    hijack.title = "Hijacked".into();
    assert!(!ok(
        kb.replace_document(&hijack, &their_chunks).await,
        "replace"
    ));
    assert!(!ok(kb.delete_document(o, doc.id).await, "delete"));
    let (still, _) = ok(kb.get_document(owner.id, doc.id).await, "get").expect("kept");
    assert_eq!(still.title, "Secret");
}

/// The passages a reply quoted are kept with it and read back per message, per tenant.
pub async fn sources<S: Store + ?Sized, K: KnowledgeStore + ?Sized>(store: &S, kb: &K) {
    let (tenant, _) = stored_tenant(store).await;
    let (other, _) = stored_tenant(store).await;
    let receipt = ok(
        store
            .record_inbound(&intake(tenant.id, Some(random_phone()), "price?", t0()))
            .await,
        "intake",
    );
    let message = receipt.message_id.expect("message stored");
    let (doc, chunks) = document(tenant.id, "Prices", &[(&[], "a"), (&[], "b")], t0());
    ok(kb.create_document(&doc, &chunks).await, "create");
    let sources: Vec<MessageSource> = chunks
        .iter()
        .map(|c| MessageSource {
            message_id: message,
            document_id: doc.id,
            chunk_id: c.id,
            title: doc.title.clone(),
        })
        .collect();
    ok(kb.record_sources(tenant.id, &sources).await, "record");
    let unrelated = MessageId::from_uuid(uuid::Uuid::new_v4());
    let read = ok(
        kb.message_sources(tenant.id, &[message, unrelated]).await,
        "read",
    );
    assert_eq!(read, sources, "in the order recorded");
    assert!(ok(kb.message_sources(other.id, &[message]).await, "other").is_empty());
    assert!(ok(kb.message_sources(tenant.id, &[]).await, "none").is_empty());
}

/// Every knowledge suite.
pub async fn all<S: Store + ?Sized, K: KnowledgeStore + ?Sized>(store: &S, kb: &K) {
    documents(store, kb).await;
    search(store, kb).await;
    isolation(store, kb).await;
    sources(store, kb).await;
}
