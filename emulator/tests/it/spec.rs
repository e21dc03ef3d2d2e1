//! Every response the tests see from an endpoint in RingCentral's published OpenAPI
//! fragment (vendored as `tests/rc-openapi.json`; its source in `tests/rc-openapi.SOURCE.md`)
//! is checked against it: status declared (or one of the spec's general responses),
//! body valid against the schema, `Location` a URI. So the emulator cannot drift from
//! the published contract without a test failing.

use crate::common::Resp;
use jsonschema::{Draft, Validator};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

const SPEC: &str = include_str!("../rc-openapi.json");

fn spec() -> &'static Value {
    static SPEC_JSON: OnceLock<Value> = OnceLock::new();
    SPEC_JSON.get_or_init(|| serde_json::from_str(SPEC).expect("spec is JSON"))
}

/// A validator for the schema at `pointer` (a JSON pointer into the spec), compiled once.
/// The schema is a `$ref` into a document that carries the spec's `paths` and `components`, so the
/// spec's own `#/components/...` references resolve unchanged.
fn check_schema(pointer: &str, instance: &Value) -> Result<(), String> {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static Validator>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let cached = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(pointer)
        .copied();
    let validator = match cached {
        Some(v) => v,
        None => {
            let root = json!({
                "$ref": format!("#{pointer}"),
                "components": spec()["components"],
                "paths": spec()["paths"],
            });
            // OpenAPI 3.0's schema objects are a superset of draft 4 (its `example`,
            // `discriminator` and `format: int32` are annotations a validator ignores).
            let v = jsonschema::options()
                .with_draft(Draft::Draft4)
                .should_validate_formats(true)
                .build(&root)
                .unwrap_or_else(|e| panic!("schema {pointer}: {e}"));
            let v: &'static Validator = Box::leak(Box::new(v));
            cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(pointer.to_string(), v);
            v
        }
    };
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// The spec's path template for a request path, if the fragment covers it.
fn template(path: &str) -> Option<&'static str> {
    let path = path.split('?').next().unwrap_or(path);
    match path {
        "/restapi/oauth/authorize" => Some("/restapi/oauth/authorize"),
        "/restapi/oauth/token" => Some("/restapi/oauth/token"),
        "/restapi/oauth/revoke" => Some("/restapi/oauth/revoke"),
        p if p.starts_with("/restapi/v1.0/account/") && p.split('/').count() == 6 => {
            Some("/restapi/v1.0/account/{accountId}/extension/{extensionId}")
        }
        _ => None,
    }
}

/// The spec's general response for a status an operation does not declare.
fn general(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "InvalidRequest",
        401 => "Unauthorized",
        415 => "UnsupportedMediaType",
        429 => "TooManyRequests",
        503 => "ServiceNotAvailable",
        _ => return None,
    })
}

/// Panics with what differs. `faults` is true once the test queued gateway faults: then a
/// 5xx or a non-JSON body is what the test asked for (a proxy's HTML 500, a 503, a body cut
/// in half) and is not the OAuth server's answer.
pub fn check(method: &str, path: &str, resp: &Resp, faults: bool) {
    if method == "OPTIONS" {
        return;
    }
    let Some(tpl) = template(path) else { return };
    if faults && (resp.status >= 500 || serde_json::from_slice::<Value>(&resp.body).is_err()) {
        return;
    }
    let op = &spec()["paths"][tpl][method.to_ascii_lowercase()];
    assert!(op.is_object(), "{method} {tpl} is not in the spec");
    let status = resp.status.to_string();
    let declared = &op["responses"][&status];
    let ctx = || format!("{method} {path} → {}: {}", resp.status, resp.text());
    // A declared response, resolved through its `$ref`; else the general one.
    let (response, pointer) = if declared.is_object() {
        match declared["$ref"].as_str() {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap();
                (
                    &spec()["components"]["responses"][name],
                    format!("/components/responses/{name}"),
                )
            }
            None => (
                declared,
                format!(
                    "/paths/{}/{}/responses/{status}",
                    escape(tpl),
                    method.to_ascii_lowercase()
                ),
            ),
        }
    } else {
        let name = general(resp.status)
            .unwrap_or_else(|| panic!("status not declared by the spec: {}", ctx()));
        (
            &spec()["components"]["responses"][name],
            format!("/components/responses/{name}"),
        )
    };
    if let Value::Object(headers) = &response["headers"] {
        for (name, h) in headers {
            let value = resp
                .header(name)
                .unwrap_or_else(|| panic!("header {name} missing: {}", ctx()));
            check_schema(
                &format!("{pointer}/headers/{name}/schema"),
                &Value::String(value.to_string()),
            )
            .unwrap_or_else(|e| panic!("header {name}: {e}: {}", ctx()));
            let _ = h;
        }
    }
    let content = &response["content"]["application/json"];
    if !content.is_object() {
        return;
    }
    // The authorize endpoint's 400 is a page the user sees (RingCentral shows one too); the
    // fragment's JSON shape applies to API clients, and no client reads this body.
    if tpl == "/restapi/oauth/authorize" {
        assert!(resp.status == 400, "{}", ctx());
        return;
    }
    let body: Value = serde_json::from_slice(&resp.body)
        .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", ctx()));
    check_schema(
        &format!("{pointer}/content/application~1json/schema"),
        &body,
    )
    .unwrap_or_else(|e| panic!("against the spec: {e}: {}", ctx()));
}

/// JSON-pointer escaping of a path template (`/` → `~1`).
fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[test]
fn the_validator_rejects_what_the_spec_forbids() {
    // Guards against a validator that accepts everything (a wrong pointer, a draft mismatch).
    let token_400 = "/components/responses/OauthInvalidRequest/content/application~1json/schema";
    assert!(check_schema(
        token_400,
        &json!({"error":"unsupported_grant_type","error_description":"x"})
    )
    .is_err());
    assert!(check_schema(
        token_400,
        &json!({"error":"no_such_error","errors":[{"errorCode":"A","message":"m"}]})
    )
    .is_err());
    assert!(check_schema(token_400, &json!({"error":"invalid_grant","errors":[{"errorCode":"OAU-210","message":"Token expired"}]})).is_ok());
    let ok = "/paths/~1restapi~1oauth~1token/post/responses/200/content/application~1json/schema";
    let good = json!({"access_token":"a","expires_in":3599,"scope":"s","token_type":"bearer","session_id":"1"});
    assert!(check_schema(ok, &good).is_ok());
    let mut bad = good.clone();
    bad["expires_in"] = json!(1.5);
    assert!(check_schema(ok, &bad).is_err());
    let loc = "/paths/~1restapi~1oauth~1authorize/get/responses/302/headers/Location/schema";
    assert!(check_schema(
        loc,
        &json!("http://127.0.0.1:1/restapi/oauth/authorize/login?txn=a")
    )
    .is_ok());
    assert!(check_schema(loc, &json!("not a uri")).is_err());
}
