//! A tiny HTTP/1.1 client over raw TCP (one request per connection) and helpers that
//! start a real emulator on an ephemeral 127.0.0.1 port and drive the OAuth flows.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rc_emulator::{serve, Options};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn location(&self) -> String {
        self.header("location")
            .unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.text()))
            .to_string()
    }
}

pub struct Emu {
    pub port: u16,
    /// Set once the test queues gateway faults (see `spec::check`).
    faults: std::sync::atomic::AtomicBool,
}

pub const SPA: &str = "demo-spa";

impl Emu {
    /// A test-mode server with default settings.
    pub async fn start() -> Emu {
        Emu::start_with(Options {
            port: 0,
            test_mode: true,
            ..Options::default()
        })
        .await
    }

    pub async fn start_with(opts: Options) -> Emu {
        let (addr, _handle) = serve(opts).await.expect("bind");
        Emu::at(addr.port())
    }

    /// A server already running on `port`.
    pub fn at(port: u16) -> Emu {
        Emu {
            port,
            faults: Default::default(),
        }
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn redirect_uri(&self) -> String {
        format!("{}/callback", self.origin())
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Resp> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await?;
        // A test may name another Host (the control API's loopback rule).
        let host = match headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("host")) {
            Some(_) => String::new(),
            None => format!("Host: 127.0.0.1:{}\r\n", self.port),
        };
        let mut head = format!("{method} {path} HTTP/1.1\r\n{host}Connection: close\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        let resp = parse_response(&raw)?;
        let faults = self.faults.load(std::sync::atomic::Ordering::Relaxed);
        crate::spec::check(method, path, &resp, faults);
        Ok(resp)
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        self.send("GET", path, headers, b"").await.expect("GET")
    }

    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Resp {
        self.post_form_with(path, pairs, &[]).await
    }

    pub async fn post_form_with(
        &self,
        path: &str,
        pairs: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        self.send("POST", path, &all, form(pairs).as_bytes())
            .await
            .expect("POST")
    }

    /// POST JSON to the control API and return its JSON answer (must be 200).
    pub async fn control(&self, path: &str, body: Value) -> Value {
        if path == "/_emulator/faults" {
            self.faults
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let r = self
            .send(
                "POST",
                path,
                &[("Content-Type", "application/json")],
                body.to_string().as_bytes(),
            )
            .await
            .expect("control");
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.json()
    }

    pub async fn config(&self, patch: Value) -> Value {
        self.control("/_emulator/config", patch).await
    }

    pub async fn advance(&self, seconds: f64) {
        self.control(
            "/_emulator/clock/advance",
            serde_json::json!({ "seconds": seconds }),
        )
        .await;
    }

    pub async fn log(&self) -> Value {
        self.get("/_emulator/log?full=1").await.json()
    }

    /// Authorize URL for demo-spa with `extra` params appended.
    pub fn authorize_path(
        &self,
        client_id: &str,
        response_type: &str,
        extra: &[(&str, &str)],
    ) -> String {
        let redirect = self.redirect_uri();
        let mut pairs = vec![
            ("response_type", response_type),
            ("client_id", client_id),
            ("redirect_uri", &redirect),
        ];
        pairs.extend_from_slice(extra);
        format!("/restapi/oauth/authorize?{}", form(&pairs))
    }

    /// GET an authorize URL that needs the user: it answers 302 to the sign-in page,
    /// which is fetched and returned (as a browser would follow the redirect).
    pub async fn sign_in_page(&self, authorize: &str, headers: &[(&str, &str)]) -> Resp {
        let r = self.get_with(authorize, headers).await;
        assert_eq!(r.status, 302, "{}", r.text());
        let loc = r.location();
        let prefix = format!("{}/restapi/oauth/authorize/login?txn=", self.origin());
        assert!(loc.starts_with(&prefix), "not the sign-in page: {loc}");
        let page = self.get(&loc[self.origin().len()..]).await;
        assert_eq!(page.status, 200, "{}", page.text());
        page
    }

    /// Clicks a button on the sign-in page; returns the decision response.
    pub async fn click(&self, page: &Resp, decision: &str) -> Resp {
        let html = page.text();
        let txn = between(&html, "name=\"txn\" value=\"", "\"").expect("txn on the page");
        self.post_form(
            "/restapi/oauth/authorize/decision",
            &[("txn", &txn), ("decision", decision)],
        )
        .await
    }

    /// Signs in through the page for `client_id` (Allow) and returns the login cookie (`name=value`).
    pub async fn login_cookie(&self, client_id: &str) -> String {
        let page = self
            .sign_in_page(&self.authorize_path(client_id, "code", &[]), &[])
            .await;
        let done = self.click(&page, "allow").await;
        let set = done.header("set-cookie").expect("login cookie");
        set.split(';').next().expect("cookie pair").to_string()
    }

    /// Full code flow through the sign-in page (Allow); returns the code.
    pub async fn authorize_code(&self, client_id: &str, extra: &[(&str, &str)]) -> String {
        let page = self
            .sign_in_page(&self.authorize_path(client_id, "code", extra), &[])
            .await;
        let done = self.click(&page, "allow").await;
        assert_eq!(done.status, 302);
        param(&done.location(), "code").expect("code in redirect")
    }

    pub async fn exchange(&self, client_id: &str, code: &str, extra: &[(&str, &str)]) -> Resp {
        let redirect = self.redirect_uri();
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect.as_str()),
            ("client_id", client_id),
        ];
        pairs.extend_from_slice(extra);
        self.post_form("/restapi/oauth/token", &pairs).await
    }

    /// demo-spa login with PKCE S256; returns the TokenInfo JSON.
    pub async fn login(&self) -> Value {
        self.login_with(&[]).await
    }

    pub async fn login_with(&self, token_params: &[(&str, &str)]) -> Value {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = s256(verifier);
        let code = self
            .authorize_code(
                SPA,
                &[
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "S256"),
                ],
            )
            .await;
        let mut extra = vec![("code_verifier", verifier)];
        extra.extend_from_slice(token_params);
        let r = self.exchange(SPA, &code, &extra).await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    }

    pub async fn refresh(&self, refresh_token: &str, extra: &[(&str, &str)]) -> Resp {
        let mut pairs = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", SPA),
        ];
        pairs.extend_from_slice(extra);
        self.post_form("/restapi/oauth/token", &pairs).await
    }

    /// GET the owner's extension with a lower-case `bearer` scheme (as the SDK sends).
    pub async fn api(&self, access_token: &str) -> Resp {
        let auth = format!("bearer {access_token}");
        self.get_with(
            "/restapi/v1.0/account/~/extension/~",
            &[("Authorization", &auth)],
        )
        .await
    }
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// A parameter from a redirect URL's query or fragment.
pub fn param(url: &str, name: &str) -> Option<String> {
    let tail = url.split_once(['?', '#']).map(|(_, t)| t)?;
    let tail = tail.split('#').next().unwrap_or(tail);
    form_urlencoded::parse(tail.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// The nested error code of an API or OAuth error body.
pub fn nested_code(v: &Value) -> &str {
    v["errors"][0]["errorCode"].as_str().unwrap_or("")
}

fn between(s: &str, start: &str, end: &str) -> Option<String> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(s[from..from + len].to_string())
}

fn parse_response(raw: &[u8]) -> std::io::Result<Resp> {
    let err = |m: &str| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, m.to_string());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| err("no response head"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(|| err("no status line"))?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| err("bad status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Ok(Resp {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&data[..pos])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[pos + 2..pos + 2 + size]);
        data = &data[pos + 2 + size + 2..];
    }
    out
}
