//! CORS (§7, §10.18) plus the headers every response carries. Only real API paths
//! answer CORS (an unknown path gets no `Access-Control-Allow-Origin`, as RC's gateway);
//! the Origin is echoed, never `*`, because the SDK fetches with credentials. The control API
//! (`/_emulator/*`, test mode) answers loopback only: a request from another origin, or addressed
//! to a non-loopback host name (DNS rebinding), is refused, so a site a developer visits while the
//! emulator runs can neither read its log nor change its state.

use crate::config::CorsMode;
use crate::{ids, respond, Shared};
use axum::extract::{Request, State as AxState};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;

const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const ALLOW_HEADERS: &str =
    "Authorization, Content-Type, Accept, X-User-Agent, Client-Id, RC-User-Agent, Discovery-Tag";
const EXPOSE_FAITHFUL: &str = "Date, RoutingKey, Content-Length, Content-Encoding";
const EXPOSE_FRIENDLY: &str = "Date, RoutingKey, Content-Length, Content-Encoding, Retry-After, \
     X-Rate-Limit-Group, X-Rate-Limit-Limit, X-Rate-Limit-Remaining, X-Rate-Limit-Window, RCRequestId";

fn is_cors_path(path: &str, test_mode: bool) -> bool {
    path.starts_with("/restapi/oauth/")
        || path.starts_with("/restapi/v1.0/")
        || (test_mode && path.starts_with("/_emulator/"))
}

/// `127.0.0.0/8`, `localhost` (and `*.localhost`), `[::1]`; any port.
pub fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip6, _)) => return ip6 == "::1",
            None => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        })
    };
    let name = name.to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    matches!(name.parse::<std::net::Ipv4Addr>(), Ok(ip) if ip.is_loopback())
}

/// An `Origin` on loopback: `http(s)://` and a loopback host. `null` and anything else is not.
pub fn is_loopback_origin(origin: &str) -> bool {
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!(rest, Some(h) if !h.contains('/') && is_loopback_host(h))
}

/// Whether a request may reach the control API: its `Host` is loopback, and its `Origin`, if any, too.
fn control_allowed(req: &Request) -> bool {
    let h = |n| req.headers().get(n).and_then(|v: &HeaderValue| v.to_str().ok());
    h(header::HOST).is_some_and(is_loopback_host) && h(header::ORIGIN).is_none_or(is_loopback_origin)
}

pub async fn middleware(AxState(emu): AxState<Shared>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if emu.test_mode && path.starts_with("/_emulator/") && !control_allowed(&req) {
        return respond::json(
            403,
            &serde_json::json!({ "error": "the control API answers loopback origins only" }),
        );
    }
    let cors = is_cors_path(&path, emu.test_mode);
    let origin = req.headers().get(header::ORIGIN).cloned();
    let mut res = if cors && req.method() == Method::OPTIONS {
        preflight(&req)
    } else {
        next.run(req).await
    };
    if cors {
        if let Some(origin) = origin {
            let expose = match emu.lock().config.cors_mode {
                CorsMode::Friendly => EXPOSE_FRIENDLY,
                CorsMode::Faithful => EXPOSE_FAITHFUL,
            };
            let h = res.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
            h.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(expose),
            );
            h.append(header::VARY, HeaderValue::from_static("Origin"));
        }
    }
    if path.starts_with("/restapi/") {
        respond::set_header(&mut res, "routingkey", "EMU01P01");
    }
    respond::set_header(&mut res, "rcrequestid", &ids::request_id());
    // Lets pages served with COEP: require-corp (wasm-bindgen-test) load from us.
    respond::set_header(&mut res, "cross-origin-resource-policy", "cross-origin");
    res
}

fn preflight(req: &Request) -> Response {
    let mut res = respond::empty(200);
    let requested = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned();
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOW_METHODS),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        requested.unwrap_or(HeaderValue::from_static(ALLOW_HEADERS)),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    res
}
