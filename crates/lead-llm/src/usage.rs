//! Token counts of a call and their price, so every call can be logged and billed per tenant and model.

use std::collections::BTreeMap;

/// The tokens one call consumed, in the categories vendors bill separately.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenUsage {
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
    /// Input tokens written to the prompt cache (billed above the input price).
    pub cache_creation_input_tokens: u64,
    /// Input tokens read from the prompt cache (billed far below the input price).
    pub cache_read_input_tokens: u64,
}

impl TokenUsage {
    /// All input tokens, cached or not, for budgets that count context size.
    pub fn total_input(&self) -> u64 {
        self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens
    }
}

/// What a model costs, in US dollars per million tokens of each kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPrice {
    /// Uncached input.
    pub input: f64,
    /// Output.
    pub output: f64,
    /// Cache writes.
    pub cache_write: f64,
    /// Cache reads.
    pub cache_read: f64,
}

impl ModelPrice {
    /// A price with every kind free, for local models.
    pub const FREE: ModelPrice = ModelPrice {
        input: 0.0,
        output: 0.0,
        cache_write: 0.0,
        cache_read: 0.0,
    };

    /// The cost of one call in US dollars.
    pub fn cost_usd(&self, usage: &TokenUsage) -> f64 {
        // Token counts stay far below 2^52, so the conversion to f64 is exact.
        let per_million = |tokens: u64, price: f64| tokens as f64 * price / 1_000_000.0;
        per_million(usage.input_tokens, self.input)
            + per_million(usage.output_tokens, self.output)
            + per_million(usage.cache_creation_input_tokens, self.cache_write)
            + per_million(usage.cache_read_input_tokens, self.cache_read)
    }

    /// Parses `input/output/cache_write/cache_read`, e.g. `3/15/3.75/0.3`; the cache prices may be left out.
    pub fn parse(text: &str) -> Option<ModelPrice> {
        let parts: Vec<f64> = text
            .split('/')
            .map(|p| {
                p.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
            })
            .collect::<Option<_>>()?;
        match parts.as_slice() {
            [input, output] => Some(ModelPrice {
                input: *input,
                output: *output,
                cache_write: *input,
                cache_read: *input,
            }),
            [input, output, cache_write, cache_read] => Some(ModelPrice {
                input: *input,
                output: *output,
                cache_write: *cache_write,
                cache_read: *cache_read,
            }),
            _ => None,
        }
    }
}

/// Prices per model id, from configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    prices: BTreeMap<String, ModelPrice>,
}

impl Default for PriceTable {
    /// List prices of the default models, in US dollars per million tokens.
    fn default() -> Self {
        let mut prices = BTreeMap::new();
        prices.insert(
            "claude-haiku-4-5".to_owned(),
            ModelPrice {
                input: 1.0,
                output: 5.0,
                cache_write: 1.25,
                cache_read: 0.10,
            },
        );
        prices.insert(
            "claude-sonnet-4-5".to_owned(),
            ModelPrice {
                input: 3.0,
                output: 15.0,
                cache_write: 3.75,
                cache_read: 0.30,
            },
        );
        prices.insert(
            "gpt-4.1-mini".to_owned(),
            ModelPrice {
                input: 0.40,
                output: 1.60,
                cache_write: 0.40,
                cache_read: 0.10,
            },
        );
        prices.insert(
            "gpt-4.1".to_owned(),
            ModelPrice {
                input: 2.0,
                output: 8.0,
                cache_write: 2.0,
                cache_read: 0.50,
            },
        );
        PriceTable { prices }
    }
}

impl PriceTable {
    /// A table with no prices, so every model is free until priced.
    pub fn empty() -> Self {
        PriceTable {
            prices: BTreeMap::new(),
        }
    }

    /// Sets or replaces the price of a model.
    pub fn set(&mut self, model: impl Into<String>, price: ModelPrice) {
        self.prices.insert(model.into(), price);
    }

    /// The configured price of a model, if any.
    pub fn get(&self, model: &str) -> Option<ModelPrice> {
        self.prices.get(model).copied()
    }

    /// The cost of a call; a model with no configured price costs nothing (local servers).
    pub fn cost_usd(&self, model: &str, usage: &TokenUsage) -> f64 {
        self.get(model).unwrap_or(ModelPrice::FREE).cost_usd(usage)
    }

    /// Prices the usage of a call into the record the usage log stores.
    pub fn record(&self, model: &str, usage: TokenUsage) -> CallUsage {
        CallUsage {
            model: model.to_owned(),
            cost_usd: self.cost_usd(model, &usage),
            usage,
            priced: self.get(model).is_some(),
        }
    }
}

/// One priced call: what the usage log needs.
#[derive(Debug, Clone, PartialEq)]
pub struct CallUsage {
    /// The model id that was asked (the configured id, which is what prices are keyed by).
    pub model: String,
    /// The tokens consumed.
    pub usage: TokenUsage,
    /// The cost in US dollars from the price table.
    pub cost_usd: f64,
    /// False when the model has no price in the table, so a zero cost is not mistaken for a real price.
    pub priced: bool,
}
