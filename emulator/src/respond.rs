//! Response builders shared by every handler. All JSON goes out as
//! `application/json;charset=UTF-8`, exactly as RingCentral labels it.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;

pub const JSON_CT: &str = "application/json;charset=UTF-8";
pub const HTML_CT: &str = "text/html;charset=UTF-8";

pub fn raw(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    let mut res = Response::new(body.into());
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    res
}

pub fn json_str(status: u16, body: String) -> Response {
    raw(status, JSON_CT, body)
}

pub fn json<T: Serialize>(status: u16, value: &T) -> Response {
    json_str(
        status,
        serde_json::to_string(value).unwrap_or_else(|_| "{}".into()),
    )
}

pub fn html(status: u16, body: String) -> Response {
    let mut res = raw(status, HTML_CT, body);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `200` with no body and `Content-Length: 0` (revoke's success answer).
pub fn empty(status: u16) -> Response {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    res.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    res
}

pub fn redirect(location: &str) -> Response {
    let mut res = empty(302);
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub fn set_header(res: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().insert(name, v);
    }
}

/// Minimal HTML escaping for values echoed into pages.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
