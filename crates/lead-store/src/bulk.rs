//! Several intakes in one transaction, with one statement per table for the
//! intakes of contacts the database has never seen.
//!
//! A statement's round trip to the database costs more than the rows it
//! writes, so a batch first asks in one query which of its contacts and
//! provider ids are already known. An intake whose contact, chat session and
//! provider id are all new, and shared with no earlier intake of the batch, is
//! "fresh": it creates a lead and opens its first conversation whatever else
//! the batch holds, so the fresh intakes are written together, one multi-row
//! insert per table. Every other intake then runs the one-by-one intake in
//! the same transaction, after the fresh ones, which is the order they would
//! have had anyway: each shares nothing with a fresh intake queued after it.

use std::collections::{HashMap, HashSet};

use lead_domain::ids::ConversationId;
use lead_domain::ports::{InboundIntake, IntakeReceipt};
use sea_orm::sea_query::{
    Alias, CommonTableExpression, Expr, InsertStatement, PostgresQueryBuilder, Query, WithClause,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait, Statement,
};
use uuid::Uuid;

use crate::WriteTxn;
use crate::entity::{conversations, jobs, leads, messages, processed_webhooks};
use crate::intake::{
    AttemptError, do_nothing, inbound_message_row, intake_in, intake_job, new_conversation_row,
    new_lead_row, trace_at, webhook_row,
};
use crate::jobs::job_row_traced;

/// One thing that identifies a contact or a delivery within a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Phone(String),
    Email(String),
    ChatSession(String),
    Delivery(String, String),
}

/// A lead's tenant, phone, email and chat session.
type ContactRow = (Uuid, Option<String>, Option<String>, Option<String>);

fn keys(intake: &InboundIntake) -> Vec<Key> {
    let contact = &intake.contact;
    let mut keys = Vec::with_capacity(4);
    if let Some(phone) = &contact.phone {
        keys.push(Key::Phone(phone.as_str().to_owned()));
    }
    if let Some(email) = &contact.email {
        keys.push(Key::Email(email.as_str().to_owned()));
    }
    if let Some(session) = &contact.chat_session {
        keys.push(Key::ChatSession(session.clone()));
    }
    if let Some((provider, id)) = &intake.dedup_key {
        keys.push(Key::Delivery(provider.clone(), id.clone()));
    }
    keys
}

/// Stores `intakes` in order inside `txn`; the caller commits or rolls back.
pub(crate) async fn intake_all_in(
    txn: &WriteTxn,
    intakes: &[InboundIntake],
    traces: &[Option<String>],
) -> Result<Vec<IntakeReceipt>, AttemptError> {
    let fresh = fresh_intakes(txn, intakes).await?;
    let mut receipts: Vec<Option<IntakeReceipt>> = vec![None; intakes.len()];
    let groups = chunks(intakes, &fresh);
    let postgres = txn.get_database_backend() == DbBackend::Postgres;
    if postgres && !groups.is_empty() {
        // The inserts choose no index, so their cached plans, and those of
        // the foreign-key checks they fire, are safe to reuse.
        txn.execute_unprepared("SET LOCAL plan_cache_mode = auto")
            .await?;
    }
    for chunk in &groups {
        insert_fresh(txn, intakes, traces, chunk, &mut receipts).await?;
    }
    if postgres && !groups.is_empty() && fresh.contains(&false) {
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
            .await?;
    }
    for (n, intake) in intakes.iter().enumerate() {
        if !fresh[n] {
            receipts[n] = Some(intake_in(txn, intake, trace_at(traces, n)).await?);
        }
    }
    receipts
        .into_iter()
        .map(|r| r.ok_or(AttemptError::Retry("an intake of the batch was not stored")))
        .collect()
}

/// Which intakes are fresh: none of their keys is in the database or in an
/// earlier intake of the batch.
async fn fresh_intakes(
    txn: &WriteTxn,
    intakes: &[InboundIntake],
) -> Result<Vec<bool>, AttemptError> {
    let mut seen: HashSet<(Uuid, Key)> = HashSet::new();
    let mut fresh = Vec::with_capacity(intakes.len());
    for intake in intakes {
        let tenant = intake.tenant_id.as_uuid();
        let mut new = true;
        for key in keys(intake) {
            new &= seen.insert((tenant, key));
        }
        fresh.push(new);
    }
    let known = known_keys(txn, intakes, &fresh).await?;
    if !known.is_empty() {
        for (n, intake) in intakes.iter().enumerate() {
            let tenant = intake.tenant_id.as_uuid();
            if fresh[n]
                && keys(intake)
                    .into_iter()
                    .any(|k| known.contains(&(tenant, k)))
            {
                fresh[n] = false;
            }
        }
    }
    Ok(fresh)
}

/// The keys of the candidate intakes that the database already holds: one
/// query for the leads' contacts and, when there are provider ids, one for them.
async fn known_keys(
    txn: &WriteTxn,
    intakes: &[InboundIntake],
    candidate: &[bool],
) -> Result<HashSet<(Uuid, Key)>, AttemptError> {
    let mut by_tenant: HashMap<Uuid, [Vec<String>; 3]> = HashMap::new();
    let mut deliveries = Condition::any();
    for (n, intake) in intakes.iter().enumerate() {
        if !candidate[n] {
            continue;
        }
        let tenant = intake.tenant_id.as_uuid();
        let lists = by_tenant.entry(tenant).or_default();
        for key in keys(intake) {
            match key {
                Key::Phone(v) => lists[0].push(v),
                Key::Email(v) => lists[1].push(v),
                Key::ChatSession(v) => lists[2].push(v),
                Key::Delivery(provider, id) => {
                    deliveries = deliveries.add(
                        Condition::all()
                            .add(processed_webhooks::Column::TenantId.eq(tenant))
                            .add(processed_webhooks::Column::Provider.eq(provider))
                            .add(processed_webhooks::Column::ProviderId.eq(id)),
                    );
                }
            }
        }
    }

    let mut contacts = Condition::any();
    for (tenant, [phones, emails, sessions]) in &by_tenant {
        let mut any = Condition::any();
        if !phones.is_empty() {
            any = any.add(leads::Column::Phone.is_in(phones.clone()));
        }
        if !emails.is_empty() {
            any = any.add(leads::Column::Email.is_in(emails.clone()));
        }
        if !sessions.is_empty() {
            any = any.add(leads::Column::ChatSession.is_in(sessions.clone()));
        }
        if !any.is_empty() {
            contacts = contacts.add(
                Condition::all()
                    .add(leads::Column::TenantId.eq(*tenant))
                    .add(any),
            );
        }
    }

    let mut known = HashSet::new();
    if !contacts.is_empty() {
        let rows: Vec<ContactRow> = leads::Entity::find()
            .select_only()
            .columns([
                leads::Column::TenantId,
                leads::Column::Phone,
                leads::Column::Email,
                leads::Column::ChatSession,
            ])
            .filter(contacts)
            .into_tuple()
            .all(txn)
            .await?;
        for (tenant, phone, email, session) in rows {
            known.extend(phone.map(|v| (tenant, Key::Phone(v))));
            known.extend(email.map(|v| (tenant, Key::Email(v))));
            known.extend(session.map(|v| (tenant, Key::ChatSession(v))));
        }
    }
    if !deliveries.is_empty() {
        let rows: Vec<(Uuid, String, String)> = processed_webhooks::Entity::find()
            .select_only()
            .columns([
                processed_webhooks::Column::TenantId,
                processed_webhooks::Column::Provider,
                processed_webhooks::Column::ProviderId,
            ])
            .filter(deliveries)
            .into_tuple()
            .all(txn)
            .await?;
        for (tenant, provider, id) in rows {
            known.insert((tenant, Key::Delivery(provider, id)));
        }
    }
    Ok(known)
}

/// The most intakes one multi-row insert writes.
const CHUNK_ROWS: usize = 8;

/// The most message text, in bytes, one multi-row insert of messages carries.
const CHUNK_TEXT_BYTES: usize = 6 * 1024;

/// The fresh intakes in groups whose inserts stay small: a statement that
/// fits in one TLS record (16 KiB) is sent in one write. The PostgreSQL driver
/// leaves Nagle's algorithm on, so a statement sent in several writes can wait
/// for the server's delayed acknowledgement (about 40 ms) before its last part
/// leaves. A fixed ceiling also keeps the number of distinct statements, each
/// prepared once per connection, small.
fn chunks(intakes: &[InboundIntake], fresh: &[bool]) -> Vec<Vec<usize>> {
    let mut chunks = Vec::new();
    let mut chunk: Vec<usize> = Vec::with_capacity(CHUNK_ROWS);
    let mut text = 0;
    for (n, intake) in intakes.iter().enumerate() {
        if !fresh[n] {
            continue;
        }
        let len = intake.body.as_ref().map_or(0, String::len);
        if !chunk.is_empty() && (chunk.len() == CHUNK_ROWS || text + len > CHUNK_TEXT_BYTES) {
            chunks.push(std::mem::take(&mut chunk));
            text = 0;
        }
        chunk.push(n);
        text += len;
    }
    if !chunk.is_empty() {
        chunks.push(chunk);
    }
    chunks
}

/// Writes a group of fresh intakes: their leads, conversations, messages, jobs
/// and provider ids, one statement per table.
async fn insert_fresh(
    txn: &WriteTxn,
    intakes: &[InboundIntake],
    traces: &[Option<String>],
    chosen: &[usize],
    receipts: &mut [Option<IntakeReceipt>],
) -> Result<(), AttemptError> {
    let mut lead_rows = Vec::with_capacity(chosen.len());
    let mut conversation_rows = Vec::with_capacity(chosen.len());
    let mut message_rows = Vec::new();
    let mut job_rows = Vec::new();
    for &n in chosen {
        let intake = &intakes[n];
        let lead = intake.ids.lead;
        let conversation: ConversationId = intake.ids.conversation;
        lead_rows.push(new_lead_row(intake)?);
        conversation_rows.push(new_conversation_row(intake, lead)?);
        let mut message_id = None;
        let mut job_id = None;
        if let Some(body) = &intake.body {
            let message = intake.ids.message;
            message_rows.push(inbound_message_row(intake, conversation, message, body)?);
            message_id = Some(message);
            if intake.enqueue {
                let job = intake_job(intake, lead, conversation, message);
                job_rows.push(job_row_traced(&job, trace_at(traces, n))?);
                job_id = Some(job.id);
            }
        }
        receipts[n] = Some(IntakeReceipt {
            lead_id: lead,
            conversation_id: conversation,
            message_id,
            job_id,
            lead_created: true,
            duplicate: false,
            request_mismatch: false,
        });
    }
    let mut webhook_rows = Vec::new();
    for &n in chosen {
        let intake = &intakes[n];
        if let (Some((provider, id)), Some(receipt)) = (&intake.dedup_key, &receipts[n]) {
            webhook_rows.push(webhook_row(intake, provider, id, receipt)?);
        }
    }
    let rows = [
        lead_rows.len(),
        conversation_rows.len(),
        message_rows.len(),
        job_rows.len(),
        webhook_rows.len(),
    ];
    let statements = [
        leads::Entity::insert_many(lead_rows)
            .on_conflict(do_nothing())
            .into_query(),
        conversations::Entity::insert_many(conversation_rows).into_query(),
        messages::Entity::insert_many(message_rows)
            .on_conflict(do_nothing())
            .into_query(),
        jobs::Entity::insert_many(job_rows)
            .on_conflict(do_nothing())
            .into_query(),
        processed_webhooks::Entity::insert_many(webhook_rows)
            .on_conflict(do_nothing())
            .into_query(),
    ];
    let inserts: Vec<(usize, InsertStatement)> = statements
        .into_iter()
        .enumerate()
        .filter(|(n, _)| rows[*n] > 0)
        .collect();
    let written = match txn.get_database_backend() {
        DbBackend::Postgres => write_in_one_statement(txn, inserts).await?,
        _ => write_one_by_one(txn, inserts).await?,
    };
    if written[0] != rows[0] as u64 {
        // Another transaction created one of these contacts since the batch
        // looked; the one-by-one intake sorts it out.
        return Err(AttemptError::Retry(
            "a lead of the batch is being created concurrently",
        ));
    }
    if written[4] != rows[4] as u64 {
        return Err(AttemptError::Retry(
            "a webhook of the batch is being stored concurrently",
        ));
    }
    Ok(())
}

/// How many rows each of the numbered inserts wrote.
async fn write_one_by_one(
    txn: &WriteTxn,
    inserts: Vec<(usize, InsertStatement)>,
) -> Result<[u64; 5], AttemptError> {
    let mut written = [0; 5];
    for (n, insert) in inserts {
        written[n] = txn.execute(&insert).await?.rows_affected();
    }
    Ok(written)
}

/// The same inserts as one PostgreSQL statement of data-modifying CTEs, one
/// round trip instead of five; foreign keys between its rows are checked at
/// the end of the statement. Returns how many leads and provider ids it
/// wrote (the other counts are not needed).
async fn write_in_one_statement(
    txn: &WriteTxn,
    inserts: Vec<(usize, InsertStatement)>,
) -> Result<[u64; 5], AttemptError> {
    let mut with = WithClause::new();
    let mut counted = Vec::new();
    for (n, mut insert) in inserts {
        let name = format!("w{n}");
        if n == 0 || n == 4 {
            insert.returning(Query::returning().expr(Expr::val(1)));
            counted.push((n, name.clone()));
        }
        with.cte(
            CommonTableExpression::new()
                .table_name(Alias::new(name))
                .query(insert)
                .to_owned(),
        );
    }
    let mut select = Query::select();
    for (n, name) in &counted {
        select.expr_as(
            Expr::cust(format!("(SELECT count(*) FROM {name})")),
            Alias::new(format!("c{n}")),
        );
    }
    let (sql, values) = with.query(select).build(PostgresQueryBuilder);
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    let mut written = [0; 5];
    if let Some(row) = row {
        for (n, _) in &counted {
            let count: i64 = row.try_get("", &format!("c{n}"))?;
            written[*n] = u64::try_from(count).unwrap_or(0);
        }
    }
    Ok(written)
}
