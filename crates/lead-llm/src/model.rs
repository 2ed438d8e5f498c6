//! The domain's `LanguageModel` port, implemented over Anthropic and OpenAI-compatible servers and chosen by configuration.
//!
//! The adapters translate a domain [`ModelRequest`] into prompts, call the routing or the
//! qualification model, and translate the validated answer back into domain signals and usage
//! records. Scoring, escalation, budgets and the offline fallback stay in the domain.

use std::sync::Arc;

use async_trait::async_trait;
use lead_domain::language::Language;
use lead_domain::lead::ModelUsage;
use lead_domain::ports::{self, Intent, LanguageModel, ModelRequest, ModelTurn, RouteOutcome};
use lead_domain::qualification::{
    Budget, Currency, Evidence, Fact, Qualification, QualificationField,
};
use lead_domain::templates::format_opening;

use crate::anthropic::AnthropicClient;
use crate::assistant::{Assistant, TurnInput};
use crate::chat::{ChatClient, Role, Turn};
use crate::config::{LlmConfig, ProviderChoice};
use crate::error::{LlmError, Vendor};
use crate::openai::OpenAiClient;
use crate::prompt::{HoursState, ServiceEntry, TenantFacts, TurnContext};
use crate::qualification::{Extraction, Field, Lang, Timeline, Urgency};
use crate::router::TurnKind;
use crate::usage::{CallUsage, PriceTable};

/// The port's error type, named apart from this crate's richer [`LlmError`].
pub type PortError = ports::LlmError;

/// The Anthropic Messages API behind the `LanguageModel` port.
#[derive(Debug, Clone)]
pub struct AnthropicModel {
    assistant: Assistant,
}

impl AnthropicModel {
    /// Builds the adapter from the Anthropic settings, models, prices and policy of `config`.
    ///
    /// # Errors
    /// [`LlmError::NotConfigured`] when the key is missing or unusable.
    pub fn new(config: &LlmConfig) -> Result<Self, LlmError> {
        let client = AnthropicClient::new(&config.anthropic, config.policy.clone())?;
        Ok(Self::with_client(client, config))
    }

    /// Builds the adapter over a client made elsewhere (shared breaker, test clock).
    pub fn with_client(client: AnthropicClient, config: &LlmConfig) -> Self {
        AnthropicModel {
            assistant: Assistant::new(ChatClient::Anthropic(client), config),
        }
    }

    /// The vendor-neutral calls underneath.
    pub fn assistant(&self) -> &Assistant {
        &self.assistant
    }
}

/// An OpenAI-compatible chat completions server (OpenAI, Ollama, vLLM, llama.cpp) behind the `LanguageModel` port.
#[derive(Debug, Clone)]
pub struct OpenAiCompatibleModel {
    assistant: Assistant,
}

impl OpenAiCompatibleModel {
    /// Builds the adapter from the OpenAI settings, models, prices and policy of `config`.
    ///
    /// # Errors
    /// [`LlmError::NotConfigured`] when the key is not a valid header value.
    pub fn new(config: &LlmConfig) -> Result<Self, LlmError> {
        let client = OpenAiClient::new(&config.openai, config.policy.clone())?;
        Ok(Self::with_client(client, config))
    }

    /// Builds the adapter over a client made elsewhere.
    pub fn with_client(client: OpenAiClient, config: &LlmConfig) -> Self {
        OpenAiCompatibleModel {
            assistant: Assistant::new(ChatClient::OpenAi(client), config),
        }
    }

    /// The vendor-neutral calls underneath.
    pub fn assistant(&self) -> &Assistant {
        &self.assistant
    }
}

/// The model chosen by `LLM_PROVIDER`, or none: the offline path.
#[derive(Debug, Clone)]
pub enum ConfiguredModel {
    /// The Anthropic adapter.
    Anthropic(AnthropicModel),
    /// The OpenAI-compatible adapter.
    OpenAi(OpenAiCompatibleModel),
    /// No model; every call answers [`PortError::NotConfigured`] so the domain takes the offline path.
    Offline {
        /// Why no model is used, for the one line the server logs at start.
        reason: String,
    },
}

impl ConfiguredModel {
    /// Chooses and builds the adapter of the effective provider (see [`LlmConfig::effective_provider`]).
    ///
    /// # Errors
    /// [`LlmError::NotConfigured`] when the chosen provider's client cannot be built.
    pub fn from_config(config: &LlmConfig) -> Result<Self, LlmError> {
        let (provider, why) = config.effective_provider();
        Ok(match provider {
            ProviderChoice::Anthropic => ConfiguredModel::Anthropic(AnthropicModel::new(config)?),
            ProviderChoice::OpenAi => ConfiguredModel::OpenAi(OpenAiCompatibleModel::new(config)?),
            ProviderChoice::Offline => ConfiguredModel::Offline {
                reason: why.unwrap_or("LLM_PROVIDER is offline").to_owned(),
            },
        })
    }

    /// The provider in use.
    pub fn provider(&self) -> ProviderChoice {
        match self {
            ConfiguredModel::Anthropic(_) => ProviderChoice::Anthropic,
            ConfiguredModel::OpenAi(_) => ProviderChoice::OpenAi,
            ConfiguredModel::Offline { .. } => ProviderChoice::Offline,
        }
    }

    /// The port object the server wires into its use cases.
    pub fn into_port(self) -> Arc<dyn LanguageModel> {
        Arc::new(self)
    }

    fn assistant(&self) -> Option<&Assistant> {
        match self {
            ConfiguredModel::Anthropic(model) => Some(&model.assistant),
            ConfiguredModel::OpenAi(model) => Some(&model.assistant),
            ConfiguredModel::Offline { .. } => None,
        }
    }
}

/// The operator's default model plus every other provider the operator has credentials for, so
/// a tenant can choose its provider (`TenantSettings.llm.provider`); a provider the operator has
/// not configured answers `NotConfigured` and the domain's offline path takes over.
#[derive(Debug, Clone)]
pub struct ProviderSet {
    default: ConfiguredModel,
    anthropic: Option<AnthropicModel>,
    openai: Option<OpenAiCompatibleModel>,
}

impl ProviderSet {
    /// Builds the default adapter and, beside it, each other provider whose credentials are set,
    /// with that provider's default model ids.
    ///
    /// # Errors
    /// [`LlmError::NotConfigured`] when the default provider's client cannot be built.
    pub fn from_config(config: &LlmConfig) -> Result<Self, LlmError> {
        let default = ConfiguredModel::from_config(config)?;
        let with_models_of = |provider: ProviderChoice| {
            let mut c = config.clone();
            c.provider = provider;
            if provider != default.provider() {
                c.models = crate::config::ModelIds::defaults_for(provider);
            }
            c
        };
        let anthropic = match &default {
            ConfiguredModel::Anthropic(m) => Some(m.clone()),
            _ if config.anthropic.api_key.is_some() => {
                AnthropicModel::new(&with_models_of(ProviderChoice::Anthropic)).ok()
            }
            _ => None,
        };
        let openai = match &default {
            ConfiguredModel::OpenAi(m) => Some(m.clone()),
            _ => {
                let c = with_models_of(ProviderChoice::OpenAi);
                match c.effective_provider().0 {
                    ProviderChoice::OpenAi => OpenAiCompatibleModel::new(&c).ok(),
                    _ => None,
                }
            }
        };
        Ok(Self {
            default,
            anthropic,
            openai,
        })
    }

    /// The operator's default model.
    pub fn default_model(&self) -> &ConfiguredModel {
        &self.default
    }

    /// Whether any provider can answer at all.
    pub fn any_configured(&self) -> bool {
        self.anthropic.is_some() || self.openai.is_some()
    }

    fn assistant_for(&self, request: &ModelRequest) -> Option<&Assistant> {
        use lead_domain::tenant::LlmProviderName;
        match request
            .tenant
            .settings
            .llm
            .as_ref()
            .and_then(|o| o.provider)
        {
            None => self.default.assistant(),
            Some(LlmProviderName::Anthropic) => self.anthropic.as_ref().map(|m| &m.assistant),
            Some(LlmProviderName::Openai) => self.openai.as_ref().map(|m| &m.assistant),
            Some(LlmProviderName::Offline) => None,
        }
    }
}

#[async_trait]
impl LanguageModel for ProviderSet {
    async fn route(&self, request: &ModelRequest) -> Result<RouteOutcome, PortError> {
        match self.assistant_for(request) {
            Some(assistant) => route(assistant, request).await,
            None => Err(PortError::NotConfigured),
        }
    }

    async fn qualify(&self, request: &ModelRequest) -> Result<ModelTurn, PortError> {
        match self.assistant_for(request) {
            Some(assistant) => qualify(assistant, request).await,
            None => Err(PortError::NotConfigured),
        }
    }
}

#[async_trait]
impl LanguageModel for AnthropicModel {
    async fn route(&self, request: &ModelRequest) -> Result<RouteOutcome, PortError> {
        route(&self.assistant, request).await
    }

    async fn qualify(&self, request: &ModelRequest) -> Result<ModelTurn, PortError> {
        qualify(&self.assistant, request).await
    }
}

#[async_trait]
impl LanguageModel for OpenAiCompatibleModel {
    async fn route(&self, request: &ModelRequest) -> Result<RouteOutcome, PortError> {
        route(&self.assistant, request).await
    }

    async fn qualify(&self, request: &ModelRequest) -> Result<ModelTurn, PortError> {
        qualify(&self.assistant, request).await
    }
}

#[async_trait]
impl LanguageModel for ConfiguredModel {
    async fn route(&self, request: &ModelRequest) -> Result<RouteOutcome, PortError> {
        match self.assistant() {
            Some(assistant) => route(assistant, request).await,
            None => Err(PortError::NotConfigured),
        }
    }

    async fn qualify(&self, request: &ModelRequest) -> Result<ModelTurn, PortError> {
        match self.assistant() {
            Some(assistant) => qualify(assistant, request).await,
            None => Err(PortError::NotConfigured),
        }
    }
}

async fn route(assistant: &Assistant, request: &ModelRequest) -> Result<RouteOutcome, PortError> {
    let (facts, context, history) = prompt_inputs(request);
    let chosen = request.tenant.settings.llm.as_ref();
    let input = TurnInput {
        facts: &facts,
        context: &context,
        history: &history,
        model: chosen.and_then(|o| o.routing_model.as_deref()),
    };
    let routed = assistant.route(input).await.map_err(|e| {
        tracing::warn!(tenant = %request.tenant.id, error = %e, "routing call failed");
        port_error(e, assistant.prices(), assistant.client().vendor())
    })?;
    let vendor = assistant.client().vendor();
    Ok(RouteOutcome {
        intent: intent(routed.routing.kind),
        reply: routed.routing.simple_reply().map(str::to_owned),
        sources: routed.routing.sources.clone(),
        usage: vec![model_usage(vendor, &routed.call)],
    })
}

async fn qualify(assistant: &Assistant, request: &ModelRequest) -> Result<ModelTurn, PortError> {
    let (facts, context, history) = prompt_inputs(request);
    let chosen = request.tenant.settings.llm.as_ref();
    let input = TurnInput {
        facts: &facts,
        context: &context,
        history: &history,
        model: chosen.and_then(|o| o.qualification_model.as_deref()),
    };
    let qualified = assistant.qualify(input).await.map_err(|e| {
        tracing::warn!(tenant = %request.tenant.id, error = %e, "qualification call failed");
        port_error(e, assistant.prices(), assistant.client().vendor())
    })?;
    let vendor = assistant.client().vendor();
    let currency = request.tenant.settings.rules.currency;
    Ok(ModelTurn {
        reply: qualified.extraction.reply.clone(),
        sources: qualified.extraction.sources.clone(),
        qualification: to_qualification(&qualified.extraction, &request.turns, currency),
        usage: vec![model_usage(vendor, &qualified.call)],
    })
}

/// Translates this crate's error into the port's; a model failure keeps the tokens it spent so
/// they are recorded and paid for like any other call.
pub fn port_error(error: LlmError, prices: &PriceTable, vendor: Vendor) -> PortError {
    match error {
        LlmError::NotConfigured { .. } => PortError::NotConfigured,
        LlmError::CircuitOpen { .. } => PortError::CircuitOpen,
        LlmError::Timeout { .. } => PortError::Timeout,
        LlmError::RateLimited { .. } => PortError::RateLimited(error.to_string()),
        LlmError::Rejected { .. } => PortError::Rejected(error.to_string()),
        LlmError::Connect { .. }
        | LlmError::Transport { .. }
        | LlmError::Unavailable { .. }
        | LlmError::Decode { .. } => PortError::Unavailable(error.to_string()),
        LlmError::ModelOutput {
            ref model,
            ref usage,
            ..
        } => {
            let call = prices.record(model, *usage);
            PortError::InvalidOutput {
                reason: error.to_string(),
                usage: vec![model_usage(vendor, &call)],
            }
        }
    }
}

/// The usage record of one priced call.
pub fn model_usage(vendor: Vendor, call: &CallUsage) -> ModelUsage {
    ModelUsage {
        provider: vendor.provider_name().to_owned(),
        model: call.model.clone(),
        input_tokens: call.usage.input_tokens,
        output_tokens: call.usage.output_tokens,
        cache_write_tokens: call.usage.cache_creation_input_tokens,
        cache_read_tokens: call.usage.cache_read_input_tokens,
        cost_usd: call.cost_usd,
    }
}

fn intent(kind: TurnKind) -> Intent {
    match kind {
        TurnKind::Greeting => Intent::Greeting,
        TurnKind::Question => Intent::Question,
        TurnKind::QualificationInfo => Intent::QualificationInfo,
        TurnKind::WantsHuman => Intent::WantsHuman,
        TurnKind::OptOut => Intent::OptOut,
        TurnKind::Spam => Intent::Spam,
    }
}

fn lang(language: Language) -> Lang {
    match language {
        Language::En => Lang::En,
        Language::Ar => Lang::Ar,
    }
}

fn language(lang: Lang) -> Language {
    match lang {
        Lang::En => Language::En,
        Lang::Ar => Language::Ar,
    }
}

fn field(field: QualificationField) -> Field {
    match field {
        QualificationField::Service => Field::Service,
        QualificationField::Budget => Field::Budget,
        QualificationField::Timeline => Field::Timeline,
        QualificationField::DecisionMaker => Field::DecisionMaker,
        QualificationField::Location => Field::Location,
    }
}

fn urgency(urgency: Urgency) -> lead_domain::qualification::Urgency {
    use lead_domain::qualification::Urgency as U;
    match urgency {
        Urgency::High => U::High,
        Urgency::Medium => U::Medium,
        Urgency::Low => U::Low,
    }
}

fn timeline(timeline: Timeline) -> lead_domain::qualification::Timeline {
    use lead_domain::qualification::Timeline as T;
    match timeline {
        Timeline::Immediate => T::Immediate,
        Timeline::Within1Month => T::Within1Month,
        Timeline::Months1To3 => T::OneToThreeMonths,
        Timeline::Months3To6 => T::ThreeToSixMonths,
        Timeline::Over6Months => T::OverSixMonths,
    }
}

/// The prompt inputs of a domain request: tenant facts, this turn's context, the conversation.
pub fn prompt_inputs(request: &ModelRequest) -> (TenantFacts, TurnContext, Vec<Turn>) {
    let settings = &request.tenant.settings;
    let services = settings
        .services
        .iter()
        .map(|(key, def)| {
            let description = if def.synonyms.is_empty() {
                def.description.clone()
            } else {
                format!(
                    "{} (leads also say: {})",
                    def.description,
                    def.synonyms.join(", ")
                )
            };
            ServiceEntry {
                key: key.clone(),
                description,
            }
        })
        .collect();
    let facts = TenantFacts {
        business_name: request.tenant.business_name().to_owned(),
        industry: settings.industry.clone(),
        brand_voice: settings.brand_voice.clone().unwrap_or_default(),
        currency: settings.rules.currency.to_string(),
        services,
    };
    let hours = match (request.hours.open_now, request.hours.next_opening) {
        (true, _) => HoursState::Open,
        (false, Some(at)) => HoursState::Closed {
            next_opening: format_opening(at, &settings.business_hours, request.reply_language),
        },
        (false, None) => HoursState::Closed {
            next_opening: "not scheduled; say a team member will reply as soon as possible"
                .to_owned(),
        },
    };
    let context = TurnContext {
        today: request.today.format("%Y-%m-%d").to_string(),
        language: lang(request.reply_language),
        hours,
        unknown_fields: request.missing.iter().copied().map(field).collect(),
        known: known_facts(&request.known),
        knowledge: request.knowledge.clone(),
    };
    let history = request
        .turns
        .iter()
        .map(|t| Turn {
            role: match t.role {
                ports::Role::Lead => Role::Lead,
                ports::Role::Agent => Role::Agent,
            },
            text: t.text.clone(),
        })
        .collect();
    (facts, context, history)
}

fn known_facts(known: &Qualification) -> Vec<(Field, String)> {
    let mut out = Vec::new();
    if let Some(service) = &known.service {
        out.push((Field::Service, service.value.clone()));
    }
    if let Some(budget) = &known.budget {
        let b = &budget.value;
        let text = match (b.min, b.max) {
            (Some(min), Some(max)) => format!("{min} to {max} {}", b.currency),
            (Some(min), None) => format!("at least {min} {}", b.currency),
            (None, Some(max)) => format!("up to {max} {}", b.currency),
            (None, None) => format!("in {}", b.currency),
        };
        out.push((Field::Budget, text));
    }
    if let Some(urgency) = &known.urgency {
        out.push((Field::Urgency, urgency.value.as_str().to_owned()));
    }
    if let Some(timeline) = &known.timeline {
        out.push((Field::Timeline, timeline.value.as_str().to_owned()));
    }
    if let Some(decision_maker) = &known.decision_maker {
        out.push((Field::DecisionMaker, decision_maker.value.to_string()));
    }
    if let Some(location) = &known.location {
        out.push((Field::Location, location.value.clone()));
    }
    out
}

/// Where the model's quote for a field was said: the newest lead turn containing it verbatim,
/// else the newest lead turn without a span (the model paraphrased or normalised the words).
fn evidence(turns: &[ports::Turn], quote: Option<&String>) -> Option<Evidence> {
    let lead_turns = || {
        turns
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, t)| t.role == ports::Role::Lead)
    };
    let quote = quote.map(String::as_str).unwrap_or_default();
    if !quote.is_empty() {
        for (index, turn) in lead_turns() {
            if let Some(start) = turn.text.find(quote) {
                return Some(Evidence {
                    message_id: turn.message_id,
                    turn: index,
                    span: Some((start, start + quote.len())),
                    quote: quote.to_owned(),
                });
            }
        }
    }
    let (index, turn) = lead_turns().next()?;
    Some(Evidence {
        message_id: turn.message_id,
        turn: index,
        span: None,
        quote: quote.to_owned(),
    })
}

/// A value the model read, with the lead's words it quoted for `field`.
fn read<T>(value: T, field: Field, extraction: &Extraction, turns: &[ports::Turn]) -> Fact<T> {
    Fact {
        value,
        evidence: evidence(turns, extraction.evidence.get(&field)),
    }
}

/// Translates a validated extraction into the domain's qualification reading.
///
/// Unknown fields stay `None` so the domain's merge keeps earlier values. `wants_human` and
/// `not_interested` are reported when true, and when false only with the lead's words behind
/// it ("actually I am interested"), since a false without words means the lead said nothing.
/// An amount without a currency is in the tenant's currency.
pub fn to_qualification(
    extraction: &Extraction,
    turns: &[ports::Turn],
    tenant_currency: Currency,
) -> Qualification {
    let flag = |value: bool, f: Field| {
        (value || extraction.evidence.contains_key(&f)).then(|| read(value, f, extraction, turns))
    };
    let budget =
        (extraction.budget_min.is_some() || extraction.budget_max.is_some()).then(|| Budget {
            min: extraction.budget_min,
            max: extraction.budget_max,
            currency: extraction
                .currency
                .as_deref()
                .and_then(|c| Currency::parse(c).ok())
                .unwrap_or(tenant_currency),
            confirmed: false,
        });
    Qualification {
        service: extraction
            .service
            .clone()
            .map(|s| read(s, Field::Service, extraction, turns)),
        budget: budget.map(|b| read(b, Field::Budget, extraction, turns)),
        urgency: extraction
            .urgency
            .map(|u| read(urgency(u), Field::Urgency, extraction, turns)),
        timeline: extraction
            .timeline
            .map(|t| read(timeline(t), Field::Timeline, extraction, turns)),
        decision_maker: extraction
            .decision_maker
            .map(|d| read(d, Field::DecisionMaker, extraction, turns)),
        location: extraction
            .location
            .clone()
            .map(|l| read(l, Field::Location, extraction, turns)),
        wants_human: flag(extraction.wants_human, Field::WantsHuman),
        not_interested: flag(extraction.not_interested, Field::NotInterested),
        language: Some(language(extraction.language)),
        // The confidence is validated to lie in 0..1, which f32 represents well enough.
        confidence: Some(extraction.confidence as f32),
        // The route call classifies the turn; the qualifier call reads facts.
        intent: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
