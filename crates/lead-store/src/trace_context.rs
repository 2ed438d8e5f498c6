//! The trace context a job is stored with: the W3C `traceparent` of the current `tracing` span,
//! as the process's OpenTelemetry propagator writes it. Nothing is stored when no span is being
//! traced (tracing off, or no OpenTelemetry layer installed).

use std::collections::HashMap;

use opentelemetry::global;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The header the W3C Trace Context propagator writes.
const TRACEPARENT: &str = "traceparent";

/// The current span's `traceparent`, when it belongs to a sampled or recorded trace.
pub(crate) fn current() -> Option<String> {
    let cx = tracing::Span::current().context();
    let mut carrier: HashMap<String, String> = HashMap::new();
    global::get_text_map_propagator(|propagator| propagator.inject_context(&cx, &mut carrier));
    carrier.remove(TRACEPARENT)
}
