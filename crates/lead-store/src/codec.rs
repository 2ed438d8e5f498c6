//! Conversions between domain values and column values: names of enums, JSON, times, money and pages.

use chrono::{DateTime, SubsecRound, Utc};
use lead_domain::lead::YearMonth;
use lead_domain::ports::{Page, StoreError};
use sea_orm::prelude::Json;
use sea_orm::{DbBackend, Statement, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::corrupt;

/// A raw statement written with `$n` placeholders, rewritten to SQLite's
/// `?n` when needed, so each statement is written once for both backends.
pub(crate) fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DbBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// The largest page a caller may ask for.
const MAX_PAGE: u32 = 200;

/// A surrogate key for a row no port names (history, key, number and usage rows): time-ordered
/// so such rows insert at the end of their index. Ids that ports name come from `IdGenerator`.
#[allow(clippy::disallowed_methods)]
pub(crate) fn row_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

/// Times are stored to the microsecond, PostgreSQL's precision, so that a
/// value reads back the same from both backends.
pub(crate) fn ts(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The wire name of a unit enum (its serde name), as stored in text columns.
pub(crate) fn name_of<T: Serialize>(value: &T) -> Result<String, StoreError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(other) => Err(StoreError::Unexpected(format!(
            "expected a name, got {other}"
        ))),
        Err(e) => Err(StoreError::Unexpected(format!("encoding a name: {e}"))),
    }
}

/// Reads a unit enum back from its wire name.
pub(crate) fn parse_name<T: DeserializeOwned>(what: &str, name: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|e| corrupt(what, format!("{name:?}: {e}")))
}

/// A domain value as a JSON column.
pub(crate) fn to_json<T: Serialize>(what: &str, value: &T) -> Result<Json, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::Unexpected(format!("encoding {what}: {e}")))
}

/// A domain value from a JSON column.
pub(crate) fn from_json<T: DeserializeOwned>(what: &str, value: Json) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| corrupt(what, e))
}

/// `(limit, offset)` of a page, with the limit capped.
pub(crate) fn page_bounds(page: Page) -> (u64, u64) {
    (u64::from(page.limit.clamp(1, MAX_PAGE)), page.offset)
}

/// The `YYYY-MM` key of a month.
pub(crate) fn month_key(month: YearMonth) -> String {
    month.to_string()
}

const NANOS_PER_USD: f64 = 1e9;

/// US dollars as whole billionths, the unit sums are kept in.
pub(crate) fn usd_to_nanos(usd: f64) -> i64 {
    // Costs are small and non-negative; the float-to-int cast saturates on
    // anything absurd instead of wrapping.
    (usd * NANOS_PER_USD).round() as i64
}

/// Billionths of a dollar back to dollars.
pub(crate) fn nanos_to_usd(nanos: i64) -> f64 {
    nanos as f64 / NANOS_PER_USD
}

/// A non-negative counter read from the database.
pub(crate) fn to_u32(what: &str, value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| corrupt(what, value))
}

/// A non-negative total read from the database.
pub(crate) fn to_u64(what: &str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(what, value))
}

/// A token count to store.
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lead_domain::lifecycle::LeadState;

    #[test]
    fn names_round_trip_through_serde() {
        let name = name_of(&LeadState::AppointmentBooked).expect("encode");
        assert_eq!(name, "APPOINTMENT_BOOKED");
        let back: LeadState = parse_name("state", &name).expect("decode");
        assert_eq!(back, LeadState::AppointmentBooked);
        assert!(parse_name::<LeadState>("state", "BOGUS").is_err());
    }

    #[test]
    fn money_keeps_nano_dollars() {
        assert_eq!(usd_to_nanos(0.000_025), 25_000);
        assert_eq!(nanos_to_usd(usd_to_nanos(12.345_678_9)), 12.345_678_9);
    }

    #[test]
    fn pages_are_capped() {
        assert_eq!(
            page_bounds(Page {
                limit: 1000,
                offset: 7
            }),
            (200, 7)
        );
        assert_eq!(
            page_bounds(Page {
                limit: 0,
                offset: 0
            }),
            (1, 0)
        );
    }
}
