//! CORS (§7, §10.18) plus the headers every response carries. Only real API paths
//! answer CORS (an unknown path gets no `Access-Control-Allow-Origin`, as RC's gateway);
//! the Origin is echoed, never `*`, because the SDK fetches with credentials.

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

pub async fn middleware(AxState(emu): AxState<Shared>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
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
