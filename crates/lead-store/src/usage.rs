//! Model usage per tenant, month and model, and the once-a-month budget alert: the `UsageLedger` port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::ids::TenantId;
use lead_domain::lead::{ModelUsageTotal, UsageRecord, YearMonth};
use lead_domain::ports::{StoreError, UsageLedger};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait, FromQueryResult};

use crate::SeaOrmStore;
use crate::codec::{month_key, nanos_to_usd, statement, to_i64, to_u64, ts, usd_to_nanos};
use crate::entity::{usage_alerts, usage_logs};
use crate::error::Context;

/// Sums are cast to BIGINT because PostgreSQL widens `SUM(bigint)` to `numeric`.
const MONTH_TOTALS: &str = "SELECT model, COUNT(*) AS calls, \
     CAST(COALESCE(SUM(tokens_in), 0) AS BIGINT) AS tokens_in, \
     CAST(COALESCE(SUM(tokens_out), 0) AS BIGINT) AS tokens_out, \
     CAST(COALESCE(SUM(cache_write_tokens), 0) AS BIGINT) AS cache_write_tokens, \
     CAST(COALESCE(SUM(cache_read_tokens), 0) AS BIGINT) AS cache_read_tokens, \
     CAST(COALESCE(SUM(cost_usd_nanos), 0) AS BIGINT) AS cost_usd_nanos \
     FROM usage_logs WHERE tenant_id = $1 AND month = $2 GROUP BY model ORDER BY model";

#[derive(Debug, FromQueryResult)]
struct Totals {
    model: String,
    calls: i64,
    tokens_in: i64,
    tokens_out: i64,
    cache_write_tokens: i64,
    cache_read_tokens: i64,
    cost_usd_nanos: i64,
}

#[async_trait]
impl UsageLedger for SeaOrmStore {
    async fn record_usage(&self, record: &UsageRecord) -> Result<(), StoreError> {
        let usage = &record.usage;
        let row = usage_logs::ActiveModel {
            id: Set(crate::codec::row_id()),
            tenant_id: Set(record.tenant_id.as_uuid()),
            conversation_id: Set(record.conversation_id.map(|c| c.as_uuid())),
            provider: Set(usage.provider.clone()),
            model: Set(usage.model.clone()),
            month: Set(month_key(YearMonth::of(record.at))),
            tokens_in: Set(to_i64(usage.input_tokens)),
            tokens_out: Set(to_i64(usage.output_tokens)),
            cache_read_tokens: Set(to_i64(usage.cache_read_tokens)),
            cache_write_tokens: Set(to_i64(usage.cache_write_tokens)),
            cost_usd_nanos: Set(usd_to_nanos(usage.cost_usd)),
            created_at: Set(ts(record.at)),
        };
        usage_logs::Entity::insert(row)
            .exec_without_returning(self.db())
            .await
            .context("recording model usage")?;
        Ok(())
    }

    async fn month_usage(
        &self,
        tenant: TenantId,
        month: YearMonth,
    ) -> Result<Vec<ModelUsageTotal>, StoreError> {
        let rows = Totals::find_by_statement(statement(
            self.db_backend(),
            MONTH_TOTALS,
            vec![tenant.as_uuid().into(), month_key(month).into()],
        ))
        .all(self.db())
        .await
        .context("summing model usage")?;
        rows.into_iter()
            .map(|t| {
                Ok(ModelUsageTotal {
                    model: t.model,
                    calls: to_u64("usage calls", t.calls)?,
                    input_tokens: to_u64("input tokens", t.tokens_in)?,
                    output_tokens: to_u64("output tokens", t.tokens_out)?,
                    cache_write_tokens: to_u64("cache write tokens", t.cache_write_tokens)?,
                    cache_read_tokens: to_u64("cache read tokens", t.cache_read_tokens)?,
                    cost_usd: nanos_to_usd(t.cost_usd_nanos),
                })
            })
            .collect()
    }

    async fn mark_budget_alert(
        &self,
        tenant: TenantId,
        month: YearMonth,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let row = usage_alerts::ActiveModel {
            id: Set(crate::codec::row_id()),
            tenant_id: Set(tenant.as_uuid()),
            month: Set(month_key(month)),
            created_at: Set(ts(at)),
        };
        // The unique (tenant, month) index makes "first time" atomic across workers.
        let inserted = usage_alerts::Entity::insert(row)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(self.db())
            .await
            .context("recording a budget alert")?;
        Ok(inserted == 1)
    }
}
