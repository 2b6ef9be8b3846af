//! Request ids, request logs and Prometheus metrics.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::state::AppState;

/// The id of a request, set by [`observe`], echoed as `x-request-id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The matched route of a response, set by the guard, for metric labels.
#[derive(Debug, Clone)]
pub struct RouteLabel(pub String);

const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<Histogram>,
}

impl Metrics {
    fn record(&self, route: &str, method: &str, status: u16, secs: f64) {
        *self
            .requests
            .lock()
            .expect("metrics lock")
            .entry((route.to_string(), method.to_string(), status))
            .or_default() += 1;
        let mut h = self.latency.lock().expect("metrics lock");
        h.count += 1;
        h.sum += secs;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
    }
}

pub async fn observe(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let span = tracing::info_span!("request", id = %id, %method, %path);
    let start = Instant::now();
    let mut resp = next.run(req).instrument(span.clone()).await;
    let secs = start.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    let route = resp
        .extensions()
        .get::<RouteLabel>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| "unmatched".into());
    st.metrics.record(&route, &method, status, secs);
    span.in_scope(|| tracing::info!(status, ms = secs * 1000.0, "served"));
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    use std::fmt::Write;
    let mut out = String::new();
    let head = st.core.store.head();
    let _ = writeln!(
        out,
        "# HELP ispmon_events_appended_total Events appended by this process."
    );
    let _ = writeln!(out, "# TYPE ispmon_events_appended_total counter");
    let _ = writeln!(
        out,
        "ispmon_events_appended_total {}",
        st.core.store.appended_total()
    );
    let _ = writeln!(
        out,
        "# HELP ispmon_event_log_head Global sequence of the last event."
    );
    let _ = writeln!(out, "# TYPE ispmon_event_log_head gauge");
    let _ = writeln!(out, "ispmon_event_log_head {head}");
    let _ = writeln!(
        out,
        "# HELP ispmon_projection_lag_events Events the projection has yet to fold."
    );
    let _ = writeln!(out, "# TYPE ispmon_projection_lag_events gauge");
    for (name, cp) in st.core.views.checkpoints() {
        let _ = writeln!(
            out,
            "ispmon_projection_lag_events{{projection=\"{name}\"}} {}",
            head.saturating_sub(cp)
        );
    }
    let _ = writeln!(
        out,
        "# HELP ispmon_http_requests_total HTTP requests by route, method and status."
    );
    let _ = writeln!(out, "# TYPE ispmon_http_requests_total counter");
    for ((route, method, status), n) in st.metrics.requests.lock().expect("metrics lock").iter() {
        let _ = writeln!(
            out,
            "ispmon_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
            label(route),
            label(method)
        );
    }
    let h = st.metrics.latency.lock().expect("metrics lock");
    let _ = writeln!(
        out,
        "# HELP ispmon_http_request_duration_seconds HTTP request latency."
    );
    let _ = writeln!(out, "# TYPE ispmon_http_request_duration_seconds histogram");
    for (i, b) in BUCKETS.iter().enumerate() {
        let _ = writeln!(
            out,
            "ispmon_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
            h.counts[i]
        );
    }
    let _ = writeln!(
        out,
        "ispmon_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
        h.count
    );
    let _ = writeln!(out, "ispmon_http_request_duration_seconds_sum {}", h.sum);
    let _ = writeln!(
        out,
        "ispmon_http_request_duration_seconds_count {}",
        h.count
    );
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        out,
    )
}
