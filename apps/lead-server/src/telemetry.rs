//! Logging setup: JSON or pretty lines through `tracing`, filtered by `RUST_LOG`, and masking helpers.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,actix_server=warn";

/// Installs the global subscriber; a second call (tests) is ignored.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE)
        .with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    // A subscriber is already installed when tests boot several applications in one process.
    drop(result);
}

/// A secret or personal value shortened for logs: the first characters and the length only.
pub fn mask(value: &str) -> String {
    let prefix: String = value.chars().take(3).collect();
    format!("{prefix}***({} chars)", value.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_hides_all_but_a_prefix() {
        assert_eq!(mask("lk_abcdefghijkl"), "lk_***(15 chars)");
        assert_eq!(mask(""), "***(0 chars)");
    }
}
