//! Prometheus metrics of one server process, through the `prometheus-client` crate
//! (the Prometheus project's Rust client: a registry per process, no global state,
//! so tests can run several servers in one process).
//!
//! They are served in the Prometheus text format on a listener of their own
//! (`serve --metrics-listen 127.0.0.1:9464`), never on the public API port: the
//! numbers tell who syncs how much, which is for the operator only. Every server
//! process has its own; a Prometheus scrapes each one.
//!
//! - `fieldaudit_http_requests_total{route,method,status}`
//! - `fieldaudit_http_request_duration_seconds{route}` (histogram)
//! - `fieldaudit_sync_duration_seconds{op="push"|"pull"}` (histogram)
//! - `fieldaudit_sync_ops_total{op="push"|"pull"}`: changes applied by pushes, sent by pulls
//! - `fieldaudit_sync_rejected_ops_total{code}`: pushed changes refused, by reason
//! - `fieldaudit_sign_in_failures_total{code}`
//! - `fieldaudit_http_requests_in_flight`
//! - `fieldaudit_db_pool_connections`, `fieldaudit_db_pool_available`, `fieldaudit_db_pool_waiting`

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::store::ServerStore;

/// A sync direction.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum SyncOp {
    /// Changes a device sends.
    push,
    /// Changes a device receives.
    pull,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpLabels {
    op: SyncOp,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The metrics of one server process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Family<RouteLabels, Histogram, fn() -> Histogram>,
    sync_seconds: Family<OpLabels, Histogram, fn() -> Histogram>,
    sync_ops: Family<OpLabels, Counter>,
    rejected_ops: Family<CodeLabels, Counter>,
    sign_in_failures: Family<CodeLabels, Counter>,
    in_flight: Gauge,
    pool_connections: Gauge,
    pool_available: Gauge,
    pool_waiting: Gauge<i64, std::sync::atomic::AtomicI64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Fresh metrics, all zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("fieldaudit");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let request_seconds =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram as fn() -> Histogram,
            );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            request_seconds.clone(),
        );
        let sync_seconds = Family::<OpLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "sync_duration_seconds",
            "Time to answer a push or a pull",
            sync_seconds.clone(),
        );
        let sync_ops = Family::<OpLabels, Counter>::default();
        registry.register(
            "sync_ops",
            "Changes applied by pushes and sent by pulls",
            sync_ops.clone(),
        );
        let rejected_ops = Family::<CodeLabels, Counter>::default();
        registry.register(
            "sync_rejected_ops",
            "Pushed changes the server refused, by reason",
            rejected_ops.clone(),
        );
        let sign_in_failures = Family::<CodeLabels, Counter>::default();
        registry.register(
            "sign_in_failures",
            "Refused sign-ins, by reason",
            sign_in_failures.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being answered now",
            in_flight.clone(),
        );
        let pool_connections = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Database connections the pool holds",
            pool_connections.clone(),
        );
        let pool_available = Gauge::default();
        registry.register(
            "db_pool_available",
            "Database connections idle in the pool",
            pool_available.clone(),
        );
        let pool_waiting = Gauge::<i64, std::sync::atomic::AtomicI64>::default();
        registry.register(
            "db_pool_waiting",
            "Requests waiting for a database connection",
            pool_waiting.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            sync_seconds,
            sync_ops,
            rejected_ops,
            sign_in_failures,
            in_flight,
            pool_connections,
            pool_available,
            pool_waiting,
        }
    }

    /// Counts changes a push applied and the refusals by code.
    pub fn pushed(&self, res: &fieldaudit_protocol::PushResponse) {
        self.sync_ops
            .get_or_create(&OpLabels { op: SyncOp::push })
            .inc_by(res.applied);
        for r in &res.rejected {
            let code = serde_json::to_value(r.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "unknown".into());
            self.rejected_ops.get_or_create(&CodeLabels { code }).inc();
        }
    }

    /// Counts changes a pull sent.
    pub fn pulled(&self, changes: usize) {
        self.sync_ops
            .get_or_create(&OpLabels { op: SyncOp::pull })
            .inc_by(changes as u64);
    }

    /// Counts a refused sign-in.
    pub fn sign_in_failed(&self, code: &str) {
        self.sign_in_failures
            .get_or_create(&CodeLabels {
                code: code.to_owned(),
            })
            .inc();
    }

    /// The metrics in Prometheus' text format, with the database pool read now.
    pub fn render(&self, store: &dyn ServerStore) -> String {
        let pool = store.pool_status();
        self.pool_connections.set(pool.connections as i64);
        self.pool_available.set(pool.available as i64);
        self.pool_waiting.set(pool.waiting as i64);
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// How the database's connections are used right now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open.
    pub connections: usize,
    /// Of those, idle.
    pub available: usize,
    /// Callers waiting for one.
    pub waiting: usize,
}

/// Middleware on every matched route: counts the request by route, method and
/// status and times it (pushes and pulls also as sync latency).
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    metrics.in_flight.inc();
    let res = next.run(req).await;
    metrics.in_flight.dec();
    let secs = start.elapsed().as_secs_f64();
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route: route.clone(),
            method,
            status: res.status().as_u16(),
        })
        .inc();
    let op = match route.as_str() {
        "/api/v1/sync/push" => Some(SyncOp::push),
        "/api/v1/sync/pull" => Some(SyncOp::pull),
        _ => None,
    };
    if let Some(op) = op {
        metrics
            .sync_seconds
            .get_or_create(&OpLabels { op })
            .observe(secs);
    }
    metrics
        .request_seconds
        .get_or_create(&RouteLabels { route })
        .observe(secs);
    res
}

/// The `/metrics` answer for the metrics listener.
pub fn response(metrics: &Metrics, store: &dyn ServerStore) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.render(store),
    )
        .into_response()
}

/// A router serving only `GET /metrics`, for its own listener.
pub fn router(metrics: Arc<Metrics>, store: Arc<dyn ServerStore>) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let (metrics, store) = (metrics.clone(), store.clone());
            async move { response(&metrics, store.as_ref()) }
        }),
    )
}
