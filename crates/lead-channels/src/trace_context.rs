//! W3C trace context on outgoing HTTP calls: the current `tracing` span's context is written into
//! the request's headers (`traceparent`, `tracestate`) by the process's OpenTelemetry propagator,
//! which the application installs. Without a propagator, or outside a traced span, no header is
//! added; the adapter never depends on the application to do it.

use std::collections::HashMap;

use opentelemetry::global;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The request with the current span's trace context headers added.
pub(crate) fn inject(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    let cx = tracing::Span::current().context();
    let mut carrier: HashMap<String, String> = HashMap::new();
    global::get_text_map_propagator(|propagator| propagator.inject_context(&cx, &mut carrier));
    carrier.into_iter().fold(request, |request, (name, value)| {
        request.header(name, value)
    })
}
