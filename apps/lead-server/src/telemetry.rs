//! Logging and tracing setup: JSON or pretty lines through `tracing`, filtered by `RUST_LOG`, span
//! export to an OpenTelemetry collector over OTLP/HTTP when one is configured, and masking helpers.

use crate::config::{LogFormat, OtlpProtocol, TraceExport};
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{ExporterBuildError, Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::runtime;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use std::time::Duration;
use tracing::Subscriber;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,actix_server=warn";

/// How long flushing or stopping the exporter may hold up shutdown.
pub const EXPORT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Crates whose own spans and events are never exported: the exporter sends its batches through
/// them, so exporting their spans would feed every batch back into the next one.
const EXPORT_TRANSPORT_TARGETS: &[&str] = &["opentelemetry", "hyper", "h2", "reqwest", "tower"];

/// Why span export could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The OTLP exporter refused its configuration.
    #[error("building the OTLP span exporter for {url}")]
    Exporter {
        /// The traces URL it was built for.
        url: String,
        /// What the exporter reported.
        #[source]
        source: ExporterBuildError,
    },
    /// The batch span processor runs on Tokio, and no runtime was running.
    #[error("starting span export outside a Tokio runtime")]
    NoRuntime,
    /// Flushing or stopping the exporter failed (the collector refused or did not answer).
    #[error("{action} the span exporter")]
    Export {
        /// `flushing` or `stopping`.
        action: &'static str,
        /// What the SDK reported.
        #[source]
        source: OTelSdkError,
    },
    /// Flushing or stopping the exporter took longer than [`EXPORT_SHUTDOWN_TIMEOUT`].
    #[error("{action} the span exporter timed out")]
    Timeout {
        /// `flushing` or `stopping`.
        action: &'static str,
    },
}

/// Holds the span exporter so buffered spans can be flushed and sent before the process exits;
/// holds nothing when export is off.
#[derive(Debug, Default)]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Whether spans are being exported.
    pub fn is_exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Sends the spans buffered so far and waits for the collector's answer.
    ///
    /// # Errors
    /// [`TelemetryError`] when the collector refuses the batch or does not answer in time.
    pub async fn flush(&self) -> Result<(), TelemetryError> {
        match &self.provider {
            Some(provider) => {
                let provider = provider.clone();
                off_runtime("flushing", move || provider.force_flush()).await
            }
            None => Ok(()),
        }
    }

    /// Sends the buffered spans and stops the exporter; spans ended afterwards are dropped.
    ///
    /// # Errors
    /// [`TelemetryError`] when the last batch cannot be delivered.
    pub async fn shutdown(mut self) -> Result<(), TelemetryError> {
        match self.provider.take() {
            Some(provider) => off_runtime("stopping", move || provider.shutdown()).await,
            None => Ok(()),
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        // Stopping blocks until the batch task on the Tokio runtime answers; doing that on a
        // runtime thread could wait for a task that thread itself has to run, so it happens on a
        // thread of its own. A runtime already gone closes the channel and ends the wait.
        if let Some(provider) = self.provider.take() {
            let stop = std::thread::Builder::new()
                .name("otel-shutdown".to_owned())
                .spawn(move || provider.shutdown());
            drop(stop);
        }
    }
}

/// Runs a blocking flush or shutdown of the span pipeline on Tokio's blocking pool, so the batch
/// task it waits for can keep running on the runtime's own threads, within
/// [`EXPORT_SHUTDOWN_TIMEOUT`].
async fn off_runtime(
    action: &'static str,
    call: impl FnOnce() -> Result<(), OTelSdkError> + Send + 'static,
) -> Result<(), TelemetryError> {
    let task = tokio::task::spawn_blocking(call);
    match tokio::time::timeout(EXPORT_SHUTDOWN_TIMEOUT, task).await {
        Ok(Ok(result)) => result.map_err(|source| TelemetryError::Export { action, source }),
        Ok(Err(_)) => Err(TelemetryError::Export {
            action,
            source: OTelSdkError::InternalFailure("the span exporter task panicked".to_owned()),
        }),
        Err(_) => Err(TelemetryError::Timeout { action }),
    }
}

/// Builds the layer that turns `tracing` spans into OpenTelemetry spans and exports them in batches
/// from a task on the current Tokio runtime, with the guard that flushes and stops it.
///
/// # Errors
/// [`TelemetryError::NoRuntime`] outside a Tokio runtime; [`TelemetryError::Exporter`] when the
/// exporter cannot be built for the configured URL.
pub fn export_layer<S>(
    export: &TraceExport,
) -> Result<(impl Layer<S>, TelemetryGuard), TelemetryError>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    tokio::runtime::Handle::try_current().map_err(|_| TelemetryError::NoRuntime)?;
    let protocol = match export.protocol() {
        OtlpProtocol::HttpProtobuf => Protocol::HttpBinary,
        OtlpProtocol::HttpJson => Protocol::HttpJson,
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(protocol)
        .with_endpoint(export.traces_url())
        .build()
        .map_err(|source| TelemetryError::Exporter {
            url: export.traces_url().to_owned(),
            source,
        })?;
    let resource = Resource::builder()
        .with_service_name(export.service_name().to_owned())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::builder(exporter, runtime::Tokio).build())
        .with_resource(resource)
        .build();
    let tracer = provider.tracer(env!("CARGO_PKG_NAME"));
    // Spans are exported whatever `RUST_LOG` says of log lines: INFO and above, without the
    // database drivers' per-statement detail.
    let own_traffic = EXPORT_TRANSPORT_TARGETS.iter().fold(
        Targets::new()
            .with_default(LevelFilter::INFO)
            .with_target("sqlx", LevelFilter::WARN)
            .with_target("sea_orm", LevelFilter::WARN),
        |t, target| t.with_target(*target, LevelFilter::OFF),
    );
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(own_traffic);
    Ok((
        layer,
        TelemetryGuard {
            provider: Some(provider),
        },
    ))
}

/// Installs the global subscriber writing log lines only; a second call (tests) is ignored.
pub fn init(format: LogFormat) {
    drop(install(format, None, false));
}

/// Installs the global subscriber: log lines in `format`, span export when `export` is set, and
/// the Sentry tracing integration when `reporting` (errors become reports, see
/// [`crate::error_reporting::is_report`]).
/// When a subscriber is already installed (tests boot several applications in one process) the
/// call changes nothing and the returned guard exports nothing.
///
/// # Errors
/// [`TelemetryError`] when span export is configured and cannot start.
pub fn install(
    format: LogFormat,
    export: Option<&TraceExport>,
    reporting: bool,
) -> Result<TelemetryGuard, TelemetryError> {
    if tracing::dispatcher::has_been_set() {
        return Ok(TelemetryGuard::default());
    }
    let (spans, guard) = match export {
        Some(export) => {
            let (layer, guard) = export_layer(export)?;
            (Some(layer), guard)
        }
        None => (None, TelemetryGuard::default()),
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let lines = tracing_subscriber::fmt::layer()
        .with_span_events(FmtSpan::NONE)
        .with_writer(std::io::stderr);
    // Sentry's own spans are not used: traces go to the OpenTelemetry collector.
    // The breadcrumb layer comes first so an error's own breadcrumbs are in its report.
    let sentry = reporting.then(|| {
        use sentry::integrations::tracing::{BreadcrumbLayer, ErrorLayer};
        use tracing_subscriber::filter::filter_fn;
        BreadcrumbLayer::new()
            .with_filter(filter_fn(crate::error_reporting::is_breadcrumb))
            .and_then(ErrorLayer::new().with_filter(filter_fn(crate::error_reporting::is_report)))
    });
    // `RUST_LOG` filters the log lines only; span export and error reporting have filters of
    // their own.
    let subscriber = tracing_subscriber::registry().with(spans).with(sentry);
    let result = match format {
        LogFormat::Json => subscriber
            .with(
                lines
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_filter(filter),
            )
            .try_init(),
        LogFormat::Pretty => subscriber
            .with(lines.compact().with_filter(filter))
            .try_init(),
    };
    // Another thread may have installed a subscriber since the check above; the guard then stops
    // an exporter that never receives a span.
    drop(result);
    Ok(guard)
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

    #[test]
    fn span_export_needs_a_tokio_runtime() {
        let export = TraceExport::new("http://127.0.0.1:4318", OtlpProtocol::HttpJson, "test");
        let Ok(export) = export else {
            panic!("valid export settings: {export:?}")
        };
        let built = export_layer::<tracing_subscriber::Registry>(&export);
        assert!(matches!(built, Err(TelemetryError::NoRuntime)));
    }

    #[tokio::test]
    async fn a_guard_without_export_flushes_and_stops_at_once() {
        let guard = TelemetryGuard::default();
        assert!(!guard.is_exporting());
        assert!(guard.flush().await.is_ok());
        assert!(guard.shutdown().await.is_ok());
    }
}
