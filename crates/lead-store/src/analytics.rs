//! The facts behind the analytics report (`AnalyticsReader`) and the experiments with their
//! assignments (`ExperimentStore`), in SQL that runs unchanged on SQLite and PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lead_domain::analytics::{
    AnalyticsFacts, AnalyticsReader, LeadFact, ResponseFact, StateSet, UsageTotals, utc_offsets,
};
use lead_domain::experiments::{
    Experiment, ExperimentId, ExperimentStore, Metric, Status, Target, Variant, VariantCounts,
};
use lead_domain::ids::{LeadId, TenantId};
use lead_domain::lead::Channel;
use lead_domain::ports::StoreError;
use lead_domain::scoring::Score;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Value};
use uuid::Uuid;

use crate::SeaOrmStore;
use crate::codec::{nanos_to_usd, statement, to_u64, ts};
use crate::error::{Context, corrupt};

/// Leads created in the range counted by local day (`{day}`: integer arithmetic on the epoch with
/// the tenant's UTC offsets), source, score, every state reached (`reached_states`, kept by a
/// trigger on their history, with NEW and the current state) and whether they said they are not
/// interested (`{not_interested}` is the backend's JSON path expression): a few rows per day
/// instead of one per lead, read by `ix_leads_tenant_created`.
const LEADS: &str = "SELECT MIN(f.created_at) AS created_at, COUNT(*) AS n, f.source AS source, \
     f.score AS score, f.reached AS reached, f.not_interested AS not_interested FROM ( \
     SELECT l.created_at AS created_at, {day} AS day, l.source_channel AS source, \
     l.score AS score, {reached} AS reached, \
     CAST(CASE WHEN {not_interested} THEN 1 ELSE 0 END AS BIGINT) AS not_interested \
     FROM leads l WHERE l.tenant_id = $1 AND l.created_at >= $2 AND l.created_at < $3) f \
     GROUP BY f.day, f.source, f.score, f.reached, f.not_interested";

/// Every state a lead `l` has been in as `StateSet` bits: its history's (`reached_states`, kept by
/// a trigger), NEW and its current state.
const REACHED: &str = "CAST(l.reached_states | 1 | CASE l.state WHEN 'QUALIFYING' THEN 2 \
     WHEN 'QUALIFIED' THEN 4 WHEN 'APPOINTMENT_BOOKED' THEN 8 WHEN 'HANDED_OFF' THEN 16 \
     WHEN 'NURTURING' THEN 32 WHEN 'DISQUALIFIED' THEN 64 ELSE 0 END AS BIGINT)";

/// Each answered-or-not conversation of those leads with its first inbound message and first sent
/// reply, kept on the conversation by triggers on `messages` (migration 18), so no message is read
/// here; one join of the range's leads (`ix_leads_tenant_created`) to their conversations
/// (`ix_conversations_lead_first_inbound`).
const RESPONSES: &str = "SELECT c.channel AS channel, l.source_channel AS source, \
     {reached} AS reached, \
     c.first_inbound_at AS first_inbound, c.first_reply_at AS first_reply \
     FROM leads l JOIN conversations c ON c.lead_id = l.id \
     WHERE l.tenant_id = $1 AND l.created_at >= $2 AND l.created_at < $3 \
     AND c.first_inbound_at IS NOT NULL";

const ESCALATIONS: &str = "SELECT reason AS key, '' AS detail, COUNT(*) AS n FROM escalations \
     WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY reason";

const FAILURES: &str = "SELECT channel AS key, COALESCE(delivery_error, '') AS detail, \
     COUNT(*) AS n FROM messages \
     WHERE tenant_id = $1 AND delivery_status = 'failed' AND created_at >= $2 AND created_at < $3 \
     GROUP BY channel, delivery_error";

/// Sums are cast to BIGINT because PostgreSQL widens `SUM(bigint)` to `numeric`.
const USAGE: &str = "SELECT COUNT(*) AS calls, \
     CAST(COALESCE(SUM(tokens_in), 0) AS BIGINT) AS tokens_in, \
     CAST(COALESCE(SUM(tokens_out), 0) AS BIGINT) AS tokens_out, \
     CAST(COALESCE(SUM(cost_usd_nanos), 0) AS BIGINT) AS cost_usd_nanos \
     FROM usage_logs WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3";

#[derive(Debug, FromQueryResult)]
struct LeadRow {
    created_at: DateTime<Utc>,
    n: i64,
    source: String,
    score: String,
    reached: i64,
    not_interested: i64,
}

#[derive(Debug, FromQueryResult)]
struct ResponseRow {
    channel: String,
    source: String,
    reached: i64,
    first_inbound: DateTime<Utc>,
    first_reply: Option<DateTime<Utc>>,
}

#[derive(Debug, FromQueryResult)]
struct CountRow {
    key: String,
    detail: String,
    n: i64,
}

#[derive(Debug, FromQueryResult)]
struct UsageRow {
    calls: i64,
    tokens_in: i64,
    tokens_out: i64,
    cost_usd_nanos: i64,
}

fn channel(name: &str) -> Result<Channel, StoreError> {
    Channel::parse(name).ok_or_else(|| corrupt("channel", name))
}

fn window(tenant: TenantId, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Value> {
    vec![tenant.as_uuid().into(), ts(from).into(), ts(to).into()]
}

/// The states of a `REACHED` column.
fn reached(bits: i64) -> Result<StateSet, StoreError> {
    u8::try_from(bits)
        .map(StateSet::from_bits)
        .map_err(|_| corrupt("reached states", bits))
}

impl LeadRow {
    fn fact(&self) -> Result<LeadFact, StoreError> {
        Ok(LeadFact {
            created_at: self.created_at,
            count: to_u64("leads", self.n)?,
            source: channel(&self.source)?,
            score: Score::parse(&self.score).ok_or_else(|| corrupt("score", &self.score))?,
            reached: reached(self.reached)?,
            not_interested: self.not_interested > 0,
        })
    }
}

/// The local day number (days since 1970-01-01 in the tenant's zone) of `l.created_at`, from the
/// epoch and the zone's offsets over the range; only integers, so both backends agree.
fn local_day_sql(backend: DbBackend, pieces: &[(DateTime<Utc>, i32)]) -> String {
    let epoch = match backend {
        DbBackend::Sqlite => "CAST(strftime('%s', l.created_at) AS INTEGER)",
        _ => "CAST(FLOOR(EXTRACT(EPOCH FROM l.created_at)) AS BIGINT)",
    };
    let offset = match pieces {
        [] => "0".to_owned(),
        [(_, only)] => only.to_string(),
        [(_, first), rest @ ..] => {
            let mut case = String::from("CASE");
            let mut current = *first;
            for (since, next) in rest {
                case.push_str(&format!(
                    " WHEN {epoch} < {} THEN {current}",
                    since.timestamp()
                ));
                current = *next;
            }
            case.push_str(&format!(" ELSE {current} END"));
            case
        }
    };
    format!("(({epoch} + {offset}) / 86400)")
}

#[async_trait]
impl AnalyticsReader for SeaOrmStore {
    async fn analytics_facts(
        &self,
        tenant: TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        tz: Tz,
    ) -> Result<AnalyticsFacts, StoreError> {
        let backend = self.db_backend();
        // SQLite's JSON path starts with `$`, which `statement` reserves for placeholders, so it
        // is bound as a parameter.
        let mut values = window(tenant, from, to);
        let not_interested = match backend {
            DbBackend::Sqlite => {
                values.push("$.not_interested.value".into());
                "json_extract(l.qualification, $4) = 1"
            }
            _ => "(l.qualification -> 'not_interested' ->> 'value') = 'true'",
        };
        let leads_sql = LEADS
            .replace("{not_interested}", not_interested)
            .replace("{reached}", REACHED)
            .replace("{day}", &local_day_sql(backend, &utc_offsets(tz, from, to)));
        let responses_sql = RESPONSES.replace("{reached}", REACHED);
        let db = self.db();
        let counts = |sql: &'static str, what: &'static str| async move {
            CountRow::find_by_statement(statement(backend, sql, window(tenant, from, to)))
                .all(db)
                .await
                .context(what)
        };
        // Independent reads on separate pooled connections: the report waits for the slowest,
        // not for their sum.
        let (lead_rows, response_rows, escalation_rows, failure_rows, usage_row) = tokio::try_join!(
            async {
                LeadRow::find_by_statement(statement(backend, &leads_sql, values))
                    .all(db)
                    .await
                    .context("reading leads for analytics")
            },
            async {
                ResponseRow::find_by_statement(statement(
                    backend,
                    &responses_sql,
                    window(tenant, from, to),
                ))
                .all(db)
                .await
                .context("reading first responses")
            },
            counts(ESCALATIONS, "counting escalations by reason"),
            counts(FAILURES, "counting failed replies"),
            async {
                UsageRow::find_by_statement(statement(backend, USAGE, window(tenant, from, to)))
                    .one(db)
                    .await
                    .context("summing model usage for analytics")
            },
        )?;
        let leads = lead_rows
            .iter()
            .map(LeadRow::fact)
            .collect::<Result<Vec<_>, _>>()?;
        let responses = response_rows
            .into_iter()
            .map(|row| {
                Ok(ResponseFact {
                    channel: channel(&row.channel)?,
                    source: channel(&row.source)?,
                    reached: reached(row.reached)?,
                    first_inbound: row.first_inbound,
                    first_reply: row.first_reply,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let escalations = escalation_rows
            .into_iter()
            .map(|r| Ok((r.key, to_u64("escalations", r.n)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let failures = failure_rows
            .into_iter()
            .map(|r| Ok((channel(&r.key)?, r.detail, to_u64("failed replies", r.n)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let usage = usage_row
            .map(|u| -> Result<UsageTotals, StoreError> {
                Ok(UsageTotals {
                    calls: to_u64("usage calls", u.calls)?,
                    tokens_in: to_u64("input tokens", u.tokens_in)?,
                    tokens_out: to_u64("output tokens", u.tokens_out)?,
                    cost_usd: nanos_to_usd(u.cost_usd_nanos),
                })
            })
            .transpose()?
            .unwrap_or_default();
        Ok(AnalyticsFacts {
            leads,
            responses,
            escalations,
            failures,
            usage,
        })
    }
}

const EXPERIMENT_COLUMNS: &str = "id, tenant_id, name, target, metric, variants, traffic, status, \
     winner, created_at, stopped_at";

#[derive(Debug, FromQueryResult)]
struct ExperimentRow {
    id: Uuid,
    tenant_id: Uuid,
    name: String,
    target: String,
    metric: String,
    variants: String,
    traffic: f64,
    status: String,
    winner: Option<String>,
    created_at: DateTime<Utc>,
    stopped_at: Option<DateTime<Utc>>,
}

impl ExperimentRow {
    fn experiment(self) -> Result<Experiment, StoreError> {
        let variants: Vec<Variant> =
            serde_json::from_str(&self.variants).map_err(|e| corrupt("experiment variants", e))?;
        Ok(Experiment {
            id: ExperimentId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            name: self.name,
            target: Target::parse(&self.target)
                .ok_or_else(|| corrupt("experiment target", &self.target))?,
            variants,
            metric: Metric::parse(&self.metric)
                .ok_or_else(|| corrupt("experiment metric", &self.metric))?,
            traffic: self.traffic,
            status: match self.status.as_str() {
                "running" => Status::Running,
                "stopped" => Status::Stopped,
                other => return Err(corrupt("experiment status", other)),
            },
            winner: self.winner,
            created_at: self.created_at,
            stopped_at: self.stopped_at,
        })
    }
}

#[derive(Debug, FromQueryResult)]
struct VariantRow {
    variant: String,
}

#[derive(Debug, FromQueryResult)]
struct VariantCountRow {
    variant: String,
    exposures: i64,
    conversions: i64,
}

/// The conversion condition of each metric on an assignment row `a`.
const fn conversion(metric: Metric) -> &'static str {
    match metric {
        Metric::Replied => {
            "EXISTS (SELECT 1 FROM conversations c JOIN messages m ON m.conversation_id = c.id \
             WHERE c.lead_id = a.lead_id AND m.direction = 'inbound' AND m.sender = 'lead' \
             AND m.created_at > a.exposed_at)"
        }
        Metric::Qualified => {
            "EXISTS (SELECT 1 FROM lead_state_history h WHERE h.lead_id = a.lead_id \
             AND h.to_state IN ('QUALIFIED', 'APPOINTMENT_BOOKED') AND h.created_at >= a.exposed_at)"
        }
        Metric::Booked => {
            "EXISTS (SELECT 1 FROM lead_state_history h WHERE h.lead_id = a.lead_id \
             AND h.to_state = 'APPOINTMENT_BOOKED' AND h.created_at >= a.exposed_at)"
        }
    }
}

#[async_trait]
impl ExperimentStore for SeaOrmStore {
    async fn create_experiment(&self, e: &Experiment) -> Result<(), StoreError> {
        let variants = serde_json::to_string(&e.variants)
            .map_err(|err| StoreError::Unexpected(format!("encoding variants: {err}")))?;
        let sql = format!(
            "INSERT INTO experiments ({EXPERIMENT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        self.db()
            .execute_raw(statement(
                self.db_backend(),
                &sql,
                vec![
                    e.id.as_uuid().into(),
                    e.tenant_id.as_uuid().into(),
                    e.name.clone().into(),
                    e.target.name().into(),
                    e.metric.as_str().into(),
                    variants.into(),
                    e.traffic.into(),
                    e.status.as_str().into(),
                    e.winner.clone().into(),
                    ts(e.created_at).into(),
                    e.stopped_at.map(ts).into(),
                ],
            ))
            .await
            .context("storing an experiment")?;
        Ok(())
    }

    async fn get_experiment(
        &self,
        tenant: TenantId,
        id: ExperimentId,
    ) -> Result<Option<Experiment>, StoreError> {
        let sql = format!(
            "SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE tenant_id = $1 AND id = $2"
        );
        ExperimentRow::find_by_statement(statement(
            self.db_backend(),
            &sql,
            vec![tenant.as_uuid().into(), id.as_uuid().into()],
        ))
        .one(self.db())
        .await
        .context("reading an experiment")?
        .map(ExperimentRow::experiment)
        .transpose()
    }

    async fn list_experiments(&self, tenant: TenantId) -> Result<Vec<Experiment>, StoreError> {
        let sql = format!(
            "SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE tenant_id = $1 \
             ORDER BY created_at DESC, id DESC"
        );
        ExperimentRow::find_by_statement(statement(
            self.db_backend(),
            &sql,
            vec![tenant.as_uuid().into()],
        ))
        .all(self.db())
        .await
        .context("listing experiments")?
        .into_iter()
        .map(ExperimentRow::experiment)
        .collect()
    }

    async fn stop_experiment(
        &self,
        tenant: TenantId,
        id: ExperimentId,
        winner: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = self
            .db()
            .execute_raw(statement(
                self.db_backend(),
                "UPDATE experiments SET status = 'stopped', winner = $3, stopped_at = $4 \
                 WHERE tenant_id = $1 AND id = $2 AND status = 'running'",
                vec![
                    tenant.as_uuid().into(),
                    id.as_uuid().into(),
                    winner.into(),
                    ts(at).into(),
                ],
            ))
            .await
            .context("stopping an experiment")?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_exposure(
        &self,
        tenant: TenantId,
        experiment: ExperimentId,
        lead: LeadId,
        variant: &str,
        at: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        self.db()
            .execute_raw(statement(
                self.db_backend(),
                "INSERT INTO experiment_assignments \
                 (experiment_id, lead_id, tenant_id, variant, exposed_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (experiment_id, lead_id) DO NOTHING",
                vec![
                    experiment.as_uuid().into(),
                    lead.as_uuid().into(),
                    tenant.as_uuid().into(),
                    variant.into(),
                    ts(at).into(),
                ],
            ))
            .await
            .context("recording an exposure")?;
        self.assigned_variant(tenant, experiment, lead)
            .await?
            .ok_or_else(|| StoreError::Unexpected("the exposure was not recorded".to_owned()))
    }

    async fn assigned_variant(
        &self,
        tenant: TenantId,
        experiment: ExperimentId,
        lead: LeadId,
    ) -> Result<Option<String>, StoreError> {
        Ok(VariantRow::find_by_statement(statement(
            self.db_backend(),
            "SELECT variant FROM experiment_assignments \
             WHERE experiment_id = $1 AND lead_id = $2 AND tenant_id = $3",
            vec![
                experiment.as_uuid().into(),
                lead.as_uuid().into(),
                tenant.as_uuid().into(),
            ],
        ))
        .one(self.db())
        .await
        .context("reading an assignment")?
        .map(|r| r.variant))
    }

    async fn variant_counts(
        &self,
        experiment: &Experiment,
    ) -> Result<Vec<VariantCounts>, StoreError> {
        let sql = format!(
            "SELECT a.variant AS variant, COUNT(*) AS exposures, \
             CAST(COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS BIGINT) AS conversions \
             FROM experiment_assignments a WHERE a.experiment_id = $1 AND a.tenant_id = $2 \
             GROUP BY a.variant",
            conversion(experiment.metric)
        );
        VariantCountRow::find_by_statement(statement(
            self.db_backend(),
            &sql,
            vec![
                experiment.id.as_uuid().into(),
                experiment.tenant_id.as_uuid().into(),
            ],
        ))
        .all(self.db())
        .await
        .context("counting exposures and conversions")?
        .into_iter()
        .map(|r| {
            Ok(VariantCounts {
                key: r.variant,
                exposures: to_u64("exposures", r.exposures)?,
                conversions: to_u64("conversions", r.conversions)?,
            })
        })
        .collect()
    }
}
