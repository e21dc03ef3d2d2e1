//! Serves the demo page (`--www` at `/`), the wasm package (`--pkg` at `/pkg/`) and any
//! `--extra-static PREFIX=DIR`. Always `Cache-Control: no-store` so a rebuilt package
//! is picked up on reload. A file `X` with a sidecar `X.csp` next to it is sent with that
//! sidecar's text (trimmed) as its `Content-Security-Policy` header, so a test page can run
//! under a policy of its own; files without one get no such header. `/favicon.ico` that no mount holds is a 204:
//! browsers ask for it on any page without an icon (the JSON answers too), and a 404 there shows in every app's
//! console as if the app had a broken link.

use crate::{respond, Options, Shared};
use axum::extract::State as AxState;
use axum::http::{header, HeaderValue, Method, Uri};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use std::path::{Component, Path, PathBuf};

/// `(prefix, dir)` pairs, longest prefix first; the prefix has no trailing slash
/// and `""` is the root.
#[derive(Debug, Clone, Default)]
pub struct Mounts(Vec<(String, PathBuf)>);

impl Mounts {
    pub fn new(opts: &Options) -> Mounts {
        let mut mounts: Vec<(String, PathBuf)> = opts
            .extra_static
            .iter()
            .map(|(p, d)| (p.trim_end_matches('/').to_string(), d.clone()))
            .collect();
        if let Some(pkg) = &opts.pkg {
            mounts.push(("/pkg".to_string(), pkg.clone()));
        }
        if let Some(www) = &opts.www {
            mounts.push((String::new(), www.clone()));
        }
        mounts.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        Mounts(mounts)
    }

    /// The mount serving `path` and the remainder of the path under it.
    fn find<'a>(&'a self, path: &'a str) -> Option<(&'a Path, &'a str)> {
        self.0.iter().find_map(|(prefix, dir)| {
            let rest = path.strip_prefix(prefix.as_str())?;
            (rest.is_empty() || rest.starts_with('/')).then_some((dir.as_path(), rest))
        })
    }
}

pub fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
        .as_str()
    {
        "wasm" => "application/wasm",
        "js" | "mjs" => "text/javascript",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn not_found() -> Response {
    respond::raw(404, "text/plain; charset=utf-8", "Not Found")
}

/// Joins URL segments under `dir`, refusing anything that could climb out of it.
fn safe_join(dir: &Path, rest: &str) -> Option<PathBuf> {
    let decoded = percent_decode_str(rest).decode_utf8().ok()?;
    if decoded.contains('\\') || decoded.contains('\0') {
        return None;
    }
    let mut out = dir.to_path_buf();
    for seg in decoded.split('/').filter(|s| !s.is_empty()) {
        let mut comps = Path::new(seg).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(c)), None) => out.push(c),
            (Some(Component::CurDir), None) => {}
            _ => return None,
        }
    }
    Some(out)
}

pub async fn handle(emu: AxState<Shared>, method: Method, uri: Uri) -> Response {
    let res = serve(emu, &method, &uri).await;
    if res.status() == 404
        && uri.path() == "/favicon.ico"
        && (method == Method::GET || method == Method::HEAD)
    {
        let mut res = respond::empty(204);
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return res;
    }
    res
}

async fn serve(AxState(emu): AxState<Shared>, method: &Method, uri: &Uri) -> Response {
    let path = uri.path();
    if (method != Method::GET && method != Method::HEAD) || path.starts_with("/_emulator/") {
        return not_found();
    }
    let Some((dir, rest)) = emu.statics.find(path) else {
        return not_found();
    };
    let Some(mut file) = safe_join(dir, rest) else {
        return not_found();
    };
    if tokio::fs::metadata(&file).await.is_ok_and(|m| m.is_dir()) {
        if !path.ends_with('/') {
            // So relative links inside the directory's index.html resolve correctly.
            let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
            let mut res = respond::empty(301);
            respond::set_header(&mut res, "location", &format!("{path}/{query}"));
            return res;
        }
        file.push("index.html");
    }
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let mut res = respond::raw(200, content_type(&file), bytes);
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            let mut sidecar = file.into_os_string();
            sidecar.push(".csp");
            if let Ok(policy) = tokio::fs::read_to_string(&sidecar).await {
                if let Ok(v) = HeaderValue::from_str(policy.trim()) {
                    res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
                }
            }
            res
        }
        Err(_) => not_found(),
    }
}
