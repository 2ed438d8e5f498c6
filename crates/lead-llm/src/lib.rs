//! Language-model adapters for lead qualification: vendor wire formats, one failure policy, prompts and validated extraction.
//!
//! The crate knows how to talk to the Anthropic Messages API and to OpenAI-compatible chat
//! completion servers, how to survive their failures (timeouts, retries, a circuit breaker),
//! how to build cache-friendly prompts from tenant facts, and how to turn a forced tool call
//! into typed qualification signals. It never scores or escalates: the domain decides.

pub mod anthropic;
pub mod assistant;
pub mod breaker;
pub mod chat;
pub mod config;
pub mod error;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod model;
pub mod openai;
pub mod policy;
pub mod prompt;
pub mod qualification;
pub mod router;
mod trace_context;
pub mod transport;
pub mod usage;

pub use assistant::{Assistant, Qualified, Routed, TurnInput};
pub use breaker::{BreakerState, CircuitBreaker, Clock};
pub use chat::{
    ChatClient, Role, StopReason, SystemPrompt, ToolReply, ToolRequest, ToolSpec, Turn,
};
pub use config::{
    AnthropicSettings, ConfigError, LlmConfig, ModelIds, OpenAiSettings, OutputMode, ProviderChoice,
};
pub use error::{LlmError, ModelFailure, Vendor};
pub use model::{AnthropicModel, ConfiguredModel, OpenAiCompatibleModel, ProviderSet};
pub use policy::{FailurePolicy, RetryDecision};
pub use prompt::{HoursState, Memory, ServiceEntry, TenantFacts, TurnContext};
pub use qualification::{Extraction, Field, Lang, Timeline, Urgency};
pub use router::{Routing, TurnKind};
pub use usage::{CallUsage, ModelPrice, PriceTable, TokenUsage};
