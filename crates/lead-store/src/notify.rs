//! PostgreSQL `LISTEN` on the `lead_messages` channel, where a trigger (migration 000019)
//! announces every stored outbound message by its conversation id, from whichever process stored
//! it. SQLite has no such channel: its processes wake their streams in process.

use lead_domain::ids::ConversationId;
use lead_domain::ports::StoreError;
use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use uuid::Uuid;

use crate::{Backend, SeaOrmStore};

/// The channel the trigger notifies.
pub const OUTBOUND_CHANNEL: &str = "lead_messages";

/// What a listener heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// An outbound message was stored in this conversation.
    Outbound(ConversationId),
    /// The connection was lost and has been opened again: announcements in between may be
    /// missed, so every waiting reader should look again.
    Reconnected,
}

/// A dedicated connection listening for stored outbound messages; it reconnects by itself.
pub struct OutboundListener {
    listener: PgListener,
}

impl std::fmt::Debug for OutboundListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundListener").finish_non_exhaustive()
    }
}

impl SeaOrmStore {
    /// Listens for stored outbound messages on a connection of its own (outside the pool), with
    /// the main pool's settings; `None` on SQLite.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the connection or the `LISTEN` fails.
    pub async fn listen_outbound(&self) -> Result<Option<OutboundListener>, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let options = self.db.get_postgres_connection_pool().connect_options();
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect_lazy_with((*options).clone());
        let unavailable = |e: sea_orm::sqlx::Error| {
            StoreError::Unavailable(format!("listening for replies: {e}"))
        };
        let mut listener = PgListener::connect_with(&pool).await.map_err(unavailable)?;
        listener
            .listen(OUTBOUND_CHANNEL)
            .await
            .map_err(unavailable)?;
        Ok(Some(OutboundListener { listener }))
    }
}

impl OutboundListener {
    /// Waits for the next announcement. A payload that is not a conversation id is skipped.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the connection is lost and cannot be opened again; the
    /// next call tries again.
    pub async fn next(&mut self) -> Result<Heard, StoreError> {
        loop {
            let heard = self
                .listener
                .try_recv()
                .await
                .map_err(|e| StoreError::Unavailable(format!("listening for replies: {e}")))?;
            match heard {
                None => return Ok(Heard::Reconnected),
                Some(notification) => {
                    if let Ok(id) = Uuid::parse_str(notification.payload()) {
                        return Ok(Heard::Outbound(ConversationId::from_uuid(id)));
                    }
                }
            }
        }
    }
}
