//! A fault-injecting HTTP proxy between devices and servers. Per request it may
//! refuse it (502, not forwarded), forward it and lose the answer (502 after the
//! server acted), forward it twice, delay it, or cut the answer short, each with a
//! configured probability. Requests go to one of the current upstream servers.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use axum::Router;
use tokio::runtime::Runtime;

/// Probabilities (0.0–1.0) of each fault per request.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// Refuse without forwarding.
    pub drop_request: f64,
    /// Forward, then answer 502 as if the answer was lost.
    pub drop_response: f64,
    /// Forward twice; answer with the second response.
    pub duplicate: f64,
    /// Wait up to 30 ms first.
    pub delay: f64,
    /// Forward, then send only part of the answer.
    pub truncate: f64,
}

struct Shared {
    upstreams: Vec<String>,
    faults: Faults,
    rng: fastrand::Rng,
}

/// A running proxy.
pub struct Proxy {
    /// Address devices talk to.
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

impl Proxy {
    /// Starts a proxy on the runtime, forwarding to `upstreams`.
    pub fn start(rt: &Runtime, upstreams: Vec<String>, faults: Faults, seed: u64) -> Proxy {
        let shared = Arc::new(Mutex::new(Shared {
            upstreams,
            faults,
            rng: fastrand::Rng::with_seed(seed),
        }));
        let client = reqwest::Client::builder()
            .no_gzip()
            .no_zstd()
            .build()
            .expect("proxy client");
        let state = (shared.clone(), client);
        let app = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (shared, client) = state.clone();
                async move { forward(shared, client, method, uri, headers, body).await }
            },
        );
        let url = rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind proxy");
            let addr = listener.local_addr().expect("proxy address");
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            format!("http://{addr}")
        });
        Proxy { url, shared }
    }

    /// Replaces the upstream servers (after a restart).
    pub fn set_upstreams(&self, upstreams: Vec<String>) {
        self.shared.lock().expect("proxy state").upstreams = upstreams;
    }

    /// Changes the fault probabilities.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.lock().expect("proxy state").faults = faults;
    }
}

fn bad_gateway(why: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::BAD_GATEWAY)
        .body(Body::from(why.to_owned()))
        .expect("response")
}

async fn forward(
    shared: Arc<Mutex<Shared>>,
    client: reqwest::Client,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let (upstream, roll) = {
        let mut s = shared.lock().expect("proxy state");
        if s.upstreams.is_empty() {
            return bad_gateway("no upstream");
        }
        let n = s.upstreams.len();
        let i = s.rng.usize(..n);
        let f = s.faults;
        let mut r = || s.rng.f64();
        let roll = (
            r() < f.drop_request,
            r() < f.drop_response,
            r() < f.duplicate,
            r() < f.delay,
            r() < f.truncate,
            s.rng.u64(1..30),
        );
        (s.upstreams[i].clone(), roll)
    };
    let (drop_request, drop_response, duplicate, delay, truncate, delay_ms) = roll;
    if drop_request {
        return bad_gateway("dropped request");
    }
    if delay {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let send = || {
        let mut rb = client
            .request(method.clone(), format!("{upstream}{path}"))
            .body(body.clone());
        for (k, v) in headers.iter() {
            if k != "host" && k != "content-length" {
                rb = rb.header(k, v);
            }
        }
        rb.send()
    };
    let mut resp = match send().await {
        Ok(r) => r,
        Err(e) => return bad_gateway(&format!("upstream unreachable: {e}")),
    };
    if duplicate {
        resp = match send().await {
            Ok(r) => r,
            Err(e) => return bad_gateway(&format!("upstream unreachable: {e}")),
        };
    }
    let status = resp.status();
    let resp_headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap_or_default();
    if drop_response {
        return bad_gateway("lost response");
    }
    let bytes = if truncate && bytes.len() > 1 {
        bytes.slice(..bytes.len() / 2)
    } else {
        bytes
    };
    let mut out = Response::builder().status(status);
    for (k, v) in resp_headers.iter() {
        if k != "content-length" && k != "transfer-encoding" {
            out = out.header(k, v);
        }
    }
    out.body(Body::from(bytes)).expect("response")
}
