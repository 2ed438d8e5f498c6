//! Configuration of the model adapters, read from environment variables by the server.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;

use crate::policy::FailurePolicy;
use crate::usage::{ModelPrice, PriceTable};

/// The default Anthropic API base URL.
pub const DEFAULT_ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// The Anthropic API version this crate's wire types follow.
pub const DEFAULT_ANTHROPIC_VERSION: &str = "2023-06-01";
/// The default OpenAI API base URL.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com";

/// Which model provider answers leads (`LLM_PROVIDER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderChoice {
    /// The Anthropic Messages API.
    Anthropic,
    /// An OpenAI-compatible chat completions server.
    OpenAi,
    /// No model: the offline qualifier and templates.
    Offline,
}

impl FromStr for ProviderChoice {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "anthropic" => Ok(ProviderChoice::Anthropic),
            "openai" => Ok(ProviderChoice::OpenAi),
            "offline" => Ok(ProviderChoice::Offline),
            _ => Err(ConfigError::Invalid {
                var: "LLM_PROVIDER",
                reason: format!("{s:?} is not anthropic, openai or offline"),
            }),
        }
    }
}

impl fmt::Display for ProviderChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProviderChoice::Anthropic => "anthropic",
            ProviderChoice::OpenAi => "openai",
            ProviderChoice::Offline => "offline",
        })
    }
}

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// An environment variable holds a value that does not parse.
    #[error("reading {var} failed: {reason}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// Settings of the Anthropic client.
#[derive(Debug, Clone)]
pub struct AnthropicSettings {
    /// `ANTHROPIC_API_KEY`.
    pub api_key: Option<SecretString>,
    /// `ANTHROPIC_BASE_URL`, default `https://api.anthropic.com`.
    pub base_url: String,
    /// `ANTHROPIC_VERSION`, default `2023-06-01`.
    pub version: String,
}

impl Default for AnthropicSettings {
    fn default() -> Self {
        AnthropicSettings {
            api_key: None,
            base_url: DEFAULT_ANTHROPIC_BASE_URL.to_owned(),
            version: DEFAULT_ANTHROPIC_VERSION.to_owned(),
        }
    }
}

/// How an OpenAI-compatible server is asked for structured output (`OPENAI_OUTPUT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputMode {
    /// A forced function call (`tools` and `tool_choice`), the default.
    #[default]
    Tools,
    /// A JSON answer constrained by `response_format: json_schema`, for servers without tool calling.
    JsonSchema,
}

impl FromStr for OutputMode {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tools" => Ok(OutputMode::Tools),
            "json_schema" => Ok(OutputMode::JsonSchema),
            _ => Err(ConfigError::Invalid {
                var: "OPENAI_OUTPUT",
                reason: format!("{s:?} is not tools or json_schema"),
            }),
        }
    }
}

/// Settings of the OpenAI-compatible client.
#[derive(Debug, Clone)]
pub struct OpenAiSettings {
    /// `OPENAI_API_KEY`; local servers usually need none.
    pub api_key: Option<SecretString>,
    /// `OPENAI_BASE_URL`, default `https://api.openai.com`; with or without `/v1`.
    pub base_url: String,
    /// `OPENAI_OUTPUT`: `tools` (default) or `json_schema`.
    pub output: OutputMode,
}

impl Default for OpenAiSettings {
    fn default() -> Self {
        OpenAiSettings {
            api_key: None,
            base_url: DEFAULT_OPENAI_BASE_URL.to_owned(),
            output: OutputMode::Tools,
        }
    }
}

/// The model ids of the two roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelIds {
    /// The fast model that classifies each turn and answers simple ones (`LLM_ROUTING_MODEL`).
    pub routing: String,
    /// The main model that qualifies (`LLM_QUALIFICATION_MODEL`).
    pub qualification: String,
}

impl ModelIds {
    /// The defaults of a provider: a current Haiku and Sonnet for Anthropic, GPT-4.1 mini and GPT-4.1 for OpenAI.
    pub fn defaults_for(provider: ProviderChoice) -> Self {
        let (routing, qualification) = match provider {
            ProviderChoice::OpenAi => ("gpt-4.1-mini", "gpt-4.1"),
            ProviderChoice::Anthropic | ProviderChoice::Offline => {
                ("claude-haiku-4-5", "claude-sonnet-4-5")
            }
        };
        ModelIds {
            routing: routing.to_owned(),
            qualification: qualification.to_owned(),
        }
    }
}

/// Everything the model adapters need, read once at start.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// The provider asked for (`LLM_PROVIDER`); see [`LlmConfig::effective_provider`] for the one used.
    pub provider: ProviderChoice,
    /// Anthropic settings.
    pub anthropic: AnthropicSettings,
    /// OpenAI-compatible settings.
    pub openai: OpenAiSettings,
    /// Model ids.
    pub models: ModelIds,
    /// Prices per model (`LLM_PRICES`, merged over the defaults).
    pub prices: PriceTable,
    /// Timeouts, retries, circuit breaker.
    pub policy: FailurePolicy,
    /// The most tokens the qualification model may write (`LLM_MAX_TOKENS`).
    pub qualification_max_tokens: u32,
    /// The most tokens the routing model may write.
    pub routing_max_tokens: u32,
    /// The token budget of the conversation history sent with each call (`LLM_MEMORY_TOKENS`).
    pub memory_budget_tokens: usize,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            provider: ProviderChoice::Offline,
            anthropic: AnthropicSettings::default(),
            openai: OpenAiSettings::default(),
            models: ModelIds::defaults_for(ProviderChoice::Anthropic),
            prices: PriceTable::default(),
            policy: FailurePolicy::default(),
            qualification_max_tokens: 1024,
            routing_max_tokens: 400,
            memory_budget_tokens: 6000,
        }
    }
}

impl LlmConfig {
    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first variable that does not parse.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process environment.
    ///
    /// An unset `LLM_PROVIDER` means Anthropic when `ANTHROPIC_API_KEY` is set and offline otherwise.
    /// `LLM_PRICES` is a comma-separated list of `model=input/output/cache_write/cache_read`
    /// (US dollars per million tokens; the two cache prices may be left out).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first variable that does not parse.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let secret = |name: &str| get(name).map(SecretString::from);
        let anthropic = AnthropicSettings {
            api_key: secret("ANTHROPIC_API_KEY"),
            base_url: get("ANTHROPIC_BASE_URL")
                .unwrap_or_else(|| DEFAULT_ANTHROPIC_BASE_URL.to_owned()),
            version: get("ANTHROPIC_VERSION")
                .unwrap_or_else(|| DEFAULT_ANTHROPIC_VERSION.to_owned()),
        };
        let openai = OpenAiSettings {
            api_key: secret("OPENAI_API_KEY"),
            base_url: get("OPENAI_BASE_URL").unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.to_owned()),
            output: get("OPENAI_OUTPUT")
                .map(|v| v.parse())
                .transpose()?
                .unwrap_or_default(),
        };
        let provider = match get("LLM_PROVIDER") {
            Some(value) => value.parse()?,
            None if anthropic.api_key.is_some() => ProviderChoice::Anthropic,
            None => ProviderChoice::Offline,
        };
        let defaults = ModelIds::defaults_for(provider);
        let models = ModelIds {
            routing: get("LLM_ROUTING_MODEL").unwrap_or(defaults.routing),
            qualification: get("LLM_QUALIFICATION_MODEL").unwrap_or(defaults.qualification),
        };
        let mut prices = PriceTable::default();
        if let Some(list) = get("LLM_PRICES") {
            for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                let (model, price) = entry
                    .split_once('=')
                    .and_then(|(model, price)| Some((model.trim(), ModelPrice::parse(price)?)))
                    .filter(|(model, _)| !model.is_empty())
                    .ok_or_else(|| ConfigError::Invalid {
                        var: "LLM_PRICES",
                        reason: format!(
                            "{entry:?} is not model=input/output[/cache_write/cache_read]"
                        ),
                    })?;
                prices.set(model, price);
            }
        }
        let number = |var: &'static str| -> Result<Option<u64>, ConfigError> {
            get(var)
                .map(|v| {
                    v.parse::<u64>().map_err(|_| ConfigError::Invalid {
                        var,
                        reason: format!("{v:?} is not a whole number"),
                    })
                })
                .transpose()
        };
        let defaults = LlmConfig::default();
        let mut policy = FailurePolicy::default();
        if let Some(ms) = number("LLM_CONNECT_TIMEOUT_MS")? {
            policy.connect_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = number("LLM_TIMEOUT_MS")? {
            policy.total_timeout = Duration::from_millis(ms);
        }
        if let Some(n) = number("LLM_MAX_RETRIES")? {
            policy.max_retries = u32::try_from(n).unwrap_or(u32::MAX);
        }
        if let Some(n) = number("LLM_BREAKER_THRESHOLD")? {
            policy.breaker_threshold = u32::try_from(n).unwrap_or(u32::MAX);
        }
        if let Some(secs) = number("LLM_BREAKER_COOLDOWN_SECS")? {
            policy.breaker_cooldown = Duration::from_secs(secs);
        }
        Ok(LlmConfig {
            provider,
            anthropic,
            openai,
            models,
            prices,
            policy,
            qualification_max_tokens: number("LLM_MAX_TOKENS")?
                .map_or(defaults.qualification_max_tokens, |n| {
                    u32::try_from(n).unwrap_or(u32::MAX)
                }),
            routing_max_tokens: defaults.routing_max_tokens,
            memory_budget_tokens: number("LLM_MEMORY_TOKENS")?
                .map_or(defaults.memory_budget_tokens, |n| {
                    usize::try_from(n).unwrap_or(usize::MAX)
                }),
        })
    }

    /// The provider that will actually be used, and why it differs from the one asked for.
    ///
    /// Anthropic without a key, or OpenAI's own endpoint without a key, fall back to offline; a
    /// custom `OPENAI_BASE_URL` (a local server) needs no key.
    pub fn effective_provider(&self) -> (ProviderChoice, Option<&'static str>) {
        match self.provider {
            ProviderChoice::Anthropic if self.anthropic.api_key.is_none() => (
                ProviderChoice::Offline,
                Some("LLM_PROVIDER is anthropic but ANTHROPIC_API_KEY is not set"),
            ),
            ProviderChoice::OpenAi
                if self.openai.api_key.is_none()
                    && self.openai.base_url.trim_end_matches('/') == DEFAULT_OPENAI_BASE_URL =>
            {
                (
                    ProviderChoice::Offline,
                    Some("LLM_PROVIDER is openai but OPENAI_API_KEY is not set"),
                )
            }
            other => (other, None),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<LlmConfig, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        LlmConfig::from_lookup(|name| env.get(name).cloned())
    }

    #[test]
    fn no_variables_means_offline_with_default_models() {
        let c = config(&[]).unwrap();
        assert_eq!(c.provider, ProviderChoice::Offline);
        assert_eq!(c.models.routing, "claude-haiku-4-5");
        assert_eq!(c.models.qualification, "claude-sonnet-4-5");
        assert_eq!(c.anthropic.base_url, "https://api.anthropic.com");
        assert_eq!(c.anthropic.version, "2023-06-01");
    }

    #[test]
    fn an_anthropic_key_alone_selects_anthropic() {
        let c = config(&[("ANTHROPIC_API_KEY", "sk-ant-x")]).unwrap();
        assert_eq!(c.effective_provider(), (ProviderChoice::Anthropic, None));
        assert_eq!(c.anthropic.api_key.unwrap().expose_secret(), "sk-ant-x");
    }

    #[test]
    fn a_provider_without_its_key_falls_back_to_offline() {
        let c = config(&[("LLM_PROVIDER", "anthropic")]).unwrap();
        assert_eq!(c.effective_provider().0, ProviderChoice::Offline);
        let c = config(&[("LLM_PROVIDER", "openai")]).unwrap();
        assert_eq!(c.effective_provider().0, ProviderChoice::Offline);
        let c = config(&[
            ("LLM_PROVIDER", "OpenAI"),
            ("OPENAI_BASE_URL", "http://localhost:11434/v1"),
        ])
        .unwrap();
        assert_eq!(c.effective_provider(), (ProviderChoice::OpenAi, None));
        assert_eq!(c.models.qualification, "gpt-4.1");
        assert_eq!(c.openai.output, OutputMode::Tools);
        let c = config(&[("OPENAI_OUTPUT", "JSON_SCHEMA")]).unwrap();
        assert_eq!(c.openai.output, OutputMode::JsonSchema);
    }

    #[test]
    fn models_prices_and_policy_are_read() {
        let c = config(&[
            ("LLM_PROVIDER", "openai"),
            ("OPENAI_API_KEY", "k"),
            ("LLM_ROUTING_MODEL", "llama3.2"),
            ("LLM_QUALIFICATION_MODEL", "qwen2.5:14b"),
            (
                "LLM_PRICES",
                "qwen2.5:14b=0.5/1.5, claude-sonnet-4-5=2/10/2.5/0.2",
            ),
            ("LLM_TIMEOUT_MS", "1500"),
            ("LLM_MAX_RETRIES", "0"),
        ])
        .unwrap();
        assert_eq!(
            c.models,
            ModelIds {
                routing: "llama3.2".into(),
                qualification: "qwen2.5:14b".into()
            }
        );
        assert_eq!(
            c.prices.get("qwen2.5:14b"),
            Some(ModelPrice {
                input: 0.5,
                output: 1.5,
                cache_write: 0.5,
                cache_read: 0.5
            })
        );
        assert_eq!(
            c.prices.get("claude-sonnet-4-5").map(|p| p.cache_read),
            Some(0.2)
        );
        assert_eq!(
            c.prices.get("claude-haiku-4-5").map(|p| p.output),
            Some(5.0)
        );
        assert_eq!(c.policy.total_timeout, Duration::from_millis(1500));
        assert_eq!(c.policy.max_retries, 0);
    }

    #[test]
    fn bad_values_name_their_variable() {
        assert!(matches!(
            config(&[("LLM_PROVIDER", "gemini")]),
            Err(ConfigError::Invalid {
                var: "LLM_PROVIDER",
                ..
            })
        ));
        assert!(matches!(
            config(&[("LLM_PRICES", "x=1")]),
            Err(ConfigError::Invalid {
                var: "LLM_PRICES",
                ..
            })
        ));
        assert!(matches!(
            config(&[("LLM_TIMEOUT_MS", "soon")]),
            Err(ConfigError::Invalid {
                var: "LLM_TIMEOUT_MS",
                ..
            })
        ));
        assert!(matches!(
            config(&[("OPENAI_OUTPUT", "xml")]),
            Err(ConfigError::Invalid {
                var: "OPENAI_OUTPUT",
                ..
            })
        ));
    }
}
