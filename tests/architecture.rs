//! The house rules of ARCHITECTURE.md, checked on every `cargo test`: the layers import downwards only
//! (`web` → `engine` → `protocol`), the pure layers never name a browser crate, and no two modules import each
//! other, directly or around a ring. A module may always name its own ancestors (a child file implements its
//! parent's type); every other `use` or path is an edge.
//!
//! The reader is deliberately small: it knows `use` trees, `crate::`/`super::`/`self::` paths and the parent's
//! `pub use` re-exports, which is all this crate writes. Inline `#[cfg(test)] mod … { … }` blocks are cut.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

type Module = Vec<String>;

struct Crate {
    /// Module path → source text (comments and inline test modules removed).
    files: BTreeMap<Module, String>,
    /// (module, exported name) → the child module it comes from (`pub use child::{Name}`).
    reexports: BTreeMap<(Module, String), Module>,
}

fn load() -> Crate {
    let mut files = BTreeMap::new();
    walk(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path(), &mut Vec::new(), &mut files);
    let mut reexports = BTreeMap::new();
    for (module, text) in &files {
        for stmt in use_statements(text, true) {
            for path in expand(&stmt) {
                if path.len() >= 2 && files.contains_key(&child(module, &path[0])) {
                    reexports.insert((module.clone(), path[path.len() - 1].clone()), child(module, &path[0]));
                }
            }
        }
    }
    Crate { files, reexports }
}

fn child(m: &Module, name: &str) -> Module {
    let mut c = m.clone();
    c.push(name.to_string());
    c
}

fn walk(dir: &Path, at: &mut Vec<String>, out: &mut BTreeMap<Module, String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            at.push(name);
            walk(&path, at, out);
            at.pop();
        } else if path.extension().is_some_and(|e| e == "rs") {
            let module = match name.as_str() {
                "mod" | "lib" => at.clone(),
                _ => child(at, &name),
            };
            out.insert(module, clean(&fs::read_to_string(&path).unwrap()));
        }
    }
}

/// Line comments out; an inline `#[cfg(test)] mod name {` and everything after it out (tests sit at the end).
fn clean(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            let next = lines.peek().map(|l| l.trim()).unwrap_or("");
            if next.contains("mod ") && next.ends_with('{') {
                break;
            }
        }
        let code = if t.starts_with("//") { "" } else { line };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The bodies of `use …;` statements (only `pub use` ones when `only_pub`).
fn use_statements(text: &str, only_pub: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("use ") {
        let before = &rest[..i];
        let line_start = before.rfind('\n').map(|p| p + 1).unwrap_or(0);
        let prefix = before[line_start..].trim();
        let is_stmt = prefix.is_empty() || prefix == "pub" || prefix.starts_with("pub(");
        let after = &rest[i + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if is_stmt && (!only_pub || prefix.starts_with("pub")) && (i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric()) {
            out.push(after[..end].split_whitespace().collect::<Vec<_>>().join(" "));
            rest = &after[end..];
        } else {
            rest = after;
        }
    }
    out
}

/// A `use` tree into its paths: `a::{b, c::{d, e as f}}` → a::b, a::c::d, a::c::e.
fn expand(tree: &str) -> Vec<Vec<String>> {
    fn go(prefix: &[String], s: &str, out: &mut Vec<Vec<String>>) {
        let s = s.trim();
        if let Some(open) = s.find('{') {
            let mut p = prefix.to_vec();
            p.extend(segments(&s[..open]));
            let inner = &s[open + 1..s.rfind('}').unwrap_or(s.len())];
            let (mut depth, mut start) = (0, 0);
            for (i, ch) in inner.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&p, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            go(&p, &inner[start..], out);
        } else if !s.is_empty() {
            let mut p = prefix.to_vec();
            p.extend(segments(s.split(" as ").next().unwrap()));
            out.push(p);
        }
    }
    let mut out = Vec::new();
    go(&[], tree, &mut out);
    out
}

fn segments(s: &str) -> Vec<String> {
    s.split("::").map(|x| x.trim().to_string()).filter(|x| !x.is_empty() && x != "*" && x != "self").collect()
}

/// `crate::a::b`, `super::x`, `self::y` paths written inline in code (not in `use`).
fn inline_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for root in ["crate::", "super::"] {
        let mut rest = text;
        while let Some(i) = rest.find(root) {
            let ok = i == 0 || !(rest.as_bytes()[i - 1].is_ascii_alphanumeric() || rest.as_bytes()[i - 1] == b'_' || rest.as_bytes()[i - 1] == b':');
            let tail: String = rest[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':').collect();
            if ok {
                out.push(segments(&tail));
            }
            rest = &rest[i + root.len()..];
        }
    }
    out
}

impl Crate {
    /// The module a path from `from` names, following the parents' `pub use` re-exports.
    fn resolve(&self, from: &Module, path: &[String]) -> Option<Module> {
        let mut at: Module = match path.first()?.as_str() {
            "crate" => Vec::new(),
            "super" => from[..from.len().saturating_sub(1)].to_vec(),
            "self" => from.clone(),
            first => {
                // A path relative to the file's own module (`use flight::Flight;` in a mod.rs).
                let c = child(from, first);
                if !self.files.contains_key(&c) {
                    return None;
                }
                c
            }
        };
        let mut rest = path[1..].iter().peekable();
        let mut supers = path[1..].iter().take_while(|s| *s == "super").count();
        while supers > 0 {
            at.pop();
            rest.next();
            supers -= 1;
        }
        for seg in rest {
            let c = child(&at, seg);
            if self.files.contains_key(&c) {
                at = c;
            } else if let Some(m) = self.reexports.get(&(at.clone(), seg.clone())) {
                return Some(m.clone());
            } else {
                break;
            }
        }
        Some(at)
    }

    /// Module → the modules it names (its own ancestors and itself left out).
    fn graph(&self) -> BTreeMap<Module, BTreeSet<Module>> {
        let mut g = BTreeMap::new();
        for (m, text) in &self.files {
            let mut paths: Vec<Vec<String>> = use_statements(text, false).iter().flat_map(|s| expand(s)).collect();
            paths.extend(inline_paths(text));
            let edges: BTreeSet<Module> = paths
                .iter()
                .filter_map(|p| self.resolve(m, p))
                .filter(|t| !m.starts_with(t) && self.files.contains_key(t))
                .collect();
            g.insert(m.clone(), edges);
        }
        g
    }
}

fn name(m: &Module) -> String {
    if m.is_empty() { "crate".into() } else { m.join("::") }
}

/// Strongly connected components with more than one module: the import circles.
fn circles(g: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut done = BTreeSet::new();
    for start in g.keys() {
        if done.contains(start) {
            continue;
        }
        let reach = |from: &Module| {
            let mut seen = BTreeSet::new();
            let mut stack = vec![from.clone()];
            while let Some(n) = stack.pop() {
                for t in g.get(&n).into_iter().flatten() {
                    if seen.insert(t.clone()) {
                        stack.push(t.clone());
                    }
                }
            }
            seen
        };
        let fwd = reach(start);
        let ring: Vec<Module> = fwd.iter().filter(|m| *m != start && reach(m).contains(start)).cloned().collect();
        if !ring.is_empty() {
            let mut names: Vec<String> = ring.iter().map(name).collect();
            names.push(name(start));
            names.sort();
            done.extend(ring);
            out.push(names);
        }
        done.insert(start.clone());
    }
    out
}

/// Circles being taken apart (issue 21); the list may only shrink, and is empty when that work is done.
const KNOWN_CIRCLES: &[&[&str]] = &[];

#[test]
fn no_import_circles() {
    let c = load();
    let found = circles(&c.graph());
    let new: Vec<_> = found.iter().filter(|f| !KNOWN_CIRCLES.iter().any(|k| k == f)).collect();
    assert!(new.is_empty(), "import circles (ARCHITECTURE.md: imports go one way): {new:?}");
}

#[test]
fn layers_import_downwards_only() {
    let c = load();
    let g = c.graph();
    let layer = |m: &Module| match m.first().map(String::as_str) {
        Some("protocol") => 0,
        Some("engine") => 1,
        Some("web") => 2,
        _ => 3,
    };
    let mut wrong = Vec::new();
    for (m, edges) in &g {
        for t in edges {
            if layer(t) > layer(m) {
                wrong.push(format!("{} -> {}", name(m), name(t)));
            }
        }
    }
    assert!(wrong.is_empty(), "a lower layer names a higher one: {wrong:?}");
}

#[test]
fn pure_layers_name_no_browser_crate() {
    let c = load();
    let mut wrong = Vec::new();
    for (m, text) in &c.files {
        if matches!(m.first().map(String::as_str), Some("protocol" | "engine")) {
            for krate in ["web_sys", "js_sys", "wasm_bindgen", "gloo_net", "gloo_timers", "serde_wasm_bindgen"] {
                if text.contains(krate) {
                    wrong.push(format!("{} names {krate}", name(m)));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "protocol/ and engine/ are pure (no browser calls): {wrong:?}");
}

#[test]
fn the_reader_sees_known_edges() {
    // Guards the checker itself: an edge every build has must be found, or the rules above check nothing.
    let c = load();
    let g = c.graph();
    let m = |s: &str| s.split("::").map(String::from).collect::<Module>();
    assert!(g[&m("web::driver")].contains(&m("engine::io")), "web::driver -> engine::io (through engine's re-export)");
    assert!(g[&m("engine")].iter().any(|t| t.first().is_some_and(|f| f == "protocol")), "engine -> protocol");
}

#[test]
fn the_browser_layer_builds_no_error_for_a_servers_answer() {
    // What a server's answer means is protocol::response's (one pure function per answer) and what to do about
    // it the engine's: web/ passes the facts it read (status, headers, body) to those functions. It may still
    // name its own browser failures (storage, WebCrypto, a blocked popup), never a server's.
    const SERVER_CODES: &[&str] = &[
        "ErrorCode::InvalidGrant",
        "ErrorCode::InvalidToken",
        "ErrorCode::InvalidClient",
        "ErrorCode::AccessDenied",
        "ErrorCode::LoginRequired",
        "ErrorCode::ServerError",
        "ErrorCode::RateLimited",
        "ErrorCode::Timeout",
        "ErrorCode::from_oauth",
    ];
    const BUILDERS: &[&str] =
        &["api_error(", "token_endpoint_error(", "parse_error_body(", "invalid_response(", "network_error(", "timeout_error("];
    let c = load();
    let mut wrong = Vec::new();
    for (m, text) in &c.files {
        if m.first().map(String::as_str) == Some("web") {
            for s in SERVER_CODES.iter().chain(BUILDERS) {
                if text.contains(s) {
                    wrong.push(format!("{} uses {s}", name(m)));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "web/ builds an error for a server's answer (ARCHITECTURE.md): {wrong:?}");
}

/// What building or changing an `Error` looks like in source: a code named, a constructor, a builder, a field set.
const ERROR_BUILDING: &[&str] = &[
    "ErrorCode::",
    "Error::new(",
    "Error::with(",
    "Error {",
    ".with_description(",
    ".with_retryable(",
    ".with_status(",
    ".with_error_code(",
    ".with_retry_after(",
    ".description =",
    ".retryable =",
    ".retry_after_s =",
    ".code =",
];

/// The file of `web/` that converts at the JS boundary: our `Error` into a JS `SessionError` and back, and a
/// browser exception's message into the `HostFailure` it is (an `Error` made by `protocol::host_failure`).
const JS_BOUNDARY: &str = "web::js_error";

fn builds_error(text: &str) -> Vec<&'static str> {
    // `-> Error {` is a function's signature, not a struct literal.
    let text = text.replace("-> Error {", "");
    ERROR_BUILDING.iter().copied().filter(|s| text.contains(s)).collect()
}

#[test]
fn the_browser_layer_builds_no_error_at_all() {
    // Issue 21: hosts pass facts and never build an `Error`. A browser failure of the host's own (storage refused,
    // WebCrypto missing, a blocked popup, an app's call it cannot take) is named as a `protocol::HostFailure`, and
    // `protocol::host_failure` decides its error (code, retryable, description); a server's answer is
    // `protocol::response`'s. Only the JS boundary file reads or writes an error's fields.
    let c = load();
    let mut wrong = Vec::new();
    for (m, text) in &c.files {
        if m.first().map(String::as_str) == Some("web") && name(m) != JS_BOUNDARY {
            for s in builds_error(text) {
                wrong.push(format!("{} uses {s}", name(m)));
            }
        }
    }
    assert!(wrong.is_empty(), "web/ builds an error (name a HostFailure instead, ARCHITECTURE.md): {wrong:?}");
    assert!(c.files.contains_key(&JS_BOUNDARY.split("::").map(String::from).collect::<Module>()), "{JS_BOUNDARY} moved");
}

#[test]
fn the_error_rule_bites() {
    // Guards the rule above: what web/ wrote before issue 21's last step is caught, a failure named is not.
    for planted in [
        "Err(Error::new(ErrorCode::StorageUnavailable))",
        "js_error::from_js(ErrorCode::Other(\"popup_blocked\".into()), &e)",
        "unavailable(v).with_retryable(true)",
        "e.description = msg;",
        "Error { code, status: None, error_code: None, description: None, retryable: false, retry_after_s: None }",
    ] {
        assert!(!builds_error(planted).is_empty(), "not caught: {planted}");
    }
    for fine in ["fn unavailable(v: &JsValue) -> Error {", "Err(HostFailure::Storage(None).into())", "js_error::failed(HostFailure::Frame, &e)"] {
        assert!(builds_error(fine).is_empty(), "caught wrongly: {fine}");
    }
}

#[test]
fn no_two_files_of_one_name() {
    // A name says what a file holds; two files of one name (two `login.rs`) make a reader ask which one.
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    fn walk_names(dir: &Path, out: &mut BTreeMap<String, Vec<String>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk_names(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                out.entry(name).or_default().push(path.display().to_string());
            }
        }
    }
    walk_names(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut seen);
    let twice: Vec<_> = seen.iter().filter(|(n, paths)| paths.len() > 1 && *n != "mod.rs").collect();
    assert!(twice.is_empty(), "two files of one name: {twice:?}");
}
