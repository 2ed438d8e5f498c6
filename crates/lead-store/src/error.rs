//! The one place database errors become the storage port's [`StoreError`].

use lead_domain::ports::StoreError;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// What kind of failure a database error is, for mapping and for retrying transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A unique constraint rejected the write.
    Unique,
    /// A foreign key points at a row that does not exist.
    MissingReference,
    /// Another transaction got in the way (SQLite busy, PostgreSQL serialization failure or deadlock).
    Contention,
    /// The database could not be reached.
    Unreachable,
    /// Anything else.
    Other,
}

/// Classifies a database error.
pub(crate) fn classify(err: &DbErr) -> Failure {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => return Failure::Unique,
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => return Failure::MissingReference,
        _ => {}
    }
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Failure::Unreachable,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            classify_sqlx(e)
        }
        _ => Failure::Other,
    }
}

fn classify_sqlx(err: &sea_orm::sqlx::Error) -> Failure {
    use sea_orm::sqlx::Error;
    match err {
        Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // SQLite: 5 SQLITE_BUSY, 6 SQLITE_LOCKED and their extended codes
            // (517 BUSY_SNAPSHOT, 261 BUSY_RECOVERY, 262 LOCKED_SHAREDCACHE).
            // PostgreSQL: 40001 serialization_failure, 40P01 deadlock_detected,
            // 55P03 lock_not_available.
            match code.as_ref() {
                "5" | "6" | "261" | "262" | "517" | "40001" | "40P01" | "55P03" => {
                    Failure::Contention
                }
                _ => Failure::Other,
            }
        }
        Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::Tls(_) => {
            Failure::Unreachable
        }
        _ => Failure::Other,
    }
}

/// Maps a database error to the port error, saying what was being attempted.
pub(crate) fn store_error(doing: &str, err: DbErr) -> StoreError {
    let message = format!("{doing}: {err}");
    match classify(&err) {
        Failure::Unique => {
            tracing::debug!(%message, "unique constraint rejected a write");
            StoreError::Conflict(unique_conflict(&message))
        }
        Failure::MissingReference => StoreError::Stale(message),
        Failure::Contention | Failure::Unreachable => StoreError::Unavailable(message),
        Failure::Other => StoreError::Unexpected(message),
    }
}

/// The unique columns a caller can collide with, as the API names them: `(text in the database's
/// error, field)`. The database's own words (constraint and table names) never reach a client.
const UNIQUE_FIELDS: &[(&str, &str)] = &[
    ("slug", "slug"),
    ("widget_key", "widget_key"),
    ("tenant_phone_numbers", "twilio.phone_numbers"),
    ("leads_tenant_phone", "phone"),
    ("leads.phone", "phone"),
    ("leads_tenant_email", "email"),
    ("leads.email", "email"),
    ("chat_session", "session_id"),
    ("key_hash", "api_key"),
];

/// The conflict message for a unique-constraint failure: the field that is taken
/// (`slug already in use`), or a plain sentence when the column is not one callers set.
pub(crate) fn unique_conflict(database_message: &str) -> String {
    UNIQUE_FIELDS
        .iter()
        .find(|(needle, _)| database_message.contains(needle))
        .map_or_else(
            || "a value that must be unique is already in use".to_owned(),
            |(_, field)| format!("{field} already in use"),
        )
}

/// An extension that maps a database result with the context of the operation.
pub(crate) trait Context<T> {
    /// Maps the error with [`store_error`].
    fn context(self, doing: &str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, DbErr> {
    fn context(self, doing: &str) -> Result<T, StoreError> {
        self.map_err(|e| store_error(doing, e))
    }
}

/// A stored value that the domain cannot read (a state name or JSON from a newer version).
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Unexpected(format!("cannot read stored {what}: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::unique_conflict;

    #[test]
    fn unique_failures_name_the_field_not_the_constraint() {
        assert_eq!(
            unique_conflict("inserting a tenant: UNIQUE constraint failed: clients.slug"),
            "slug already in use"
        );
        assert_eq!(
            unique_conflict(
                "inserting a tenant: duplicate key value violates unique constraint \"clients_slug_key\""
            ),
            "slug already in use"
        );
        assert_eq!(
            unique_conflict(
                "x: violates unique constraint \"ux_tenant_phone_numbers_number_kind\""
            ),
            "twilio.phone_numbers already in use"
        );
        assert_eq!(
            unique_conflict("x: UNIQUE constraint failed: other.thing"),
            "a value that must be unique is already in use"
        );
    }
}
