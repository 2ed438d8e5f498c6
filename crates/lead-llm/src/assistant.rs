//! The two model calls of a turn, vendor-neutral: route with the fast model, qualify with the main model.

use crate::chat::{ChatClient, ToolRequest, Turn};
use crate::config::{LlmConfig, ModelIds};
use crate::error::{LlmError, ModelFailure};
use crate::prompt::{TenantFacts, TurnContext, qualification_prompt, routing_prompt, trim_history};
use crate::qualification::{self, Extraction};
use crate::router::{self, Routing};
use crate::usage::{CallUsage, PriceTable};

/// What one turn's calls need to know.
#[derive(Debug, Clone, Copy)]
pub struct TurnInput<'a> {
    /// The tenant's facts.
    pub facts: &'a TenantFacts,
    /// This turn's context.
    pub context: &'a TurnContext,
    /// The whole conversation, oldest first, ending with the lead's newest message.
    pub history: &'a [Turn],
    /// A model id the tenant chose for this call, instead of the configured one.
    pub model: Option<&'a str>,
}

/// A validated routing and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Routed {
    /// The classification.
    pub routing: Routing,
    /// The priced usage of the call.
    pub call: CallUsage,
}

/// A validated extraction and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Qualified {
    /// The signals and reply.
    pub extraction: Extraction,
    /// The priced usage of the call.
    pub call: CallUsage,
}

/// Runs routing and qualification calls against one client, with models, prices and budgets from configuration.
#[derive(Debug, Clone)]
pub struct Assistant {
    client: ChatClient,
    models: ModelIds,
    prices: PriceTable,
    qualification_max_tokens: u32,
    routing_max_tokens: u32,
    memory_budget_tokens: usize,
}

impl Assistant {
    /// An assistant over `client` with the models, prices and budgets of `config`.
    pub fn new(client: ChatClient, config: &LlmConfig) -> Self {
        Assistant {
            client,
            models: config.models.clone(),
            prices: config.prices.clone(),
            qualification_max_tokens: config.qualification_max_tokens,
            routing_max_tokens: config.routing_max_tokens,
            memory_budget_tokens: config.memory_budget_tokens,
        }
    }

    /// The client, for its vendor and circuit breaker.
    pub fn client(&self) -> &ChatClient {
        &self.client
    }

    /// The model ids in use.
    pub fn models(&self) -> &ModelIds {
        &self.models
    }

    /// The price table in use, to price the usage carried by a model failure.
    pub fn prices(&self) -> &PriceTable {
        &self.prices
    }

    /// Classifies the lead's newest message with the routing model.
    ///
    /// # Errors
    /// Any [`LlmError`]; invalid tool input is [`LlmError::ModelOutput`] with the usage spent.
    pub async fn route(&self, input: TurnInput<'_>) -> Result<Routed, LlmError> {
        let memory = trim_history(input.history, self.memory_budget_tokens);
        let request = ToolRequest {
            model: input
                .model
                .map_or_else(|| self.models.routing.clone(), str::to_owned),
            max_tokens: self.routing_max_tokens,
            system: routing_prompt(input.facts, input.context, memory.summary.as_deref()),
            turns: memory.turns,
            tool: router::tool(),
        };
        let reply = self.client.call_tool(&request).await?;
        let model = reply.model.clone();
        let (value, usage) = reply.into_input()?;
        let routing = router::parse_routing(value).map_err(|reason| LlmError::ModelOutput {
            model: model.clone(),
            failure: ModelFailure::SchemaViolation(reason),
            usage,
        })?;
        Ok(Routed {
            routing,
            call: self.prices.record(&model, usage),
        })
    }

    /// Extracts the qualification signals of the whole conversation and the reply, with the main model.
    ///
    /// # Errors
    /// Any [`LlmError`]; invalid tool input is [`LlmError::ModelOutput`] with the usage spent.
    pub async fn qualify(&self, input: TurnInput<'_>) -> Result<Qualified, LlmError> {
        let memory = trim_history(input.history, self.memory_budget_tokens);
        let keys = input.facts.service_keys();
        let request = ToolRequest {
            model: input
                .model
                .map_or_else(|| self.models.qualification.clone(), str::to_owned),
            max_tokens: self.qualification_max_tokens,
            system: qualification_prompt(input.facts, input.context, memory.summary.as_deref()),
            turns: memory.turns,
            tool: qualification::tool(&keys),
        };
        let reply = self.client.call_tool(&request).await?;
        let model = reply.model.clone();
        let (value, usage) = reply.into_input()?;
        let extraction = qualification::parse_extraction(value, &keys).map_err(|reason| {
            LlmError::ModelOutput {
                model: model.clone(),
                failure: ModelFailure::SchemaViolation(reason),
                usage,
            }
        })?;
        Ok(Qualified {
            extraction,
            call: self.prices.record(&model, usage),
        })
    }
}
