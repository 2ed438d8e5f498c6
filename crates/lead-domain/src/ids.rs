//! Typed identifiers, so a lead id can never be passed where a tenant id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID that already identifies this kind of record.
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The UUID behind the id, for storage and wire formats.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    };
}

id_type!(
    /// Identifies a tenant (a business using the service, called a client in the API).
    TenantId
);
id_type!(
    /// Identifies a lead: one person or company that contacted a tenant.
    LeadId
);
id_type!(
    /// Identifies a conversation between a lead and a tenant on one channel.
    ConversationId
);
id_type!(
    /// Identifies one message of a conversation.
    MessageId
);
id_type!(
    /// Identifies an escalation record.
    EscalationId
);
id_type!(
    /// Identifies a queued job.
    JobId
);
id_type!(
    /// Identifies a document of a tenant's knowledge base.
    DocumentId
);
id_type!(
    /// Identifies one retrievable passage (chunk) of a knowledge-base document.
    ChunkId
);
