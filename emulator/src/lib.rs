//! rc-emulator: a local, RingCentral-compatible OAuth 2.0 server (authorize, token,
//! revoke, a small protected API) with faithful rotation/grace/expiry semantics, plus a
//! test-control API under `/_emulator/` when started with `--test-mode`.
//! README.md says what it reproduces; tests/it/spec.rs holds every answer to RingCentral's OpenAPI spec.

pub mod access;
pub mod api;
pub mod apps;
pub mod authorize;
pub mod client_auth;
pub mod clock;
pub mod config;
pub mod control;
pub mod cors;
pub mod errors;
pub mod faults;
pub mod grants;
pub mod ids;
pub mod log;
pub mod params;
pub mod ratelimit;
pub mod respond;
pub mod revoke;
pub mod server;
pub mod static_files;
pub mod store;
pub mod token;

use axum::routing::{any, get, post};
use axum::Router;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::JoinHandle;
use tower::util::BoxCloneService;
use tower::Layer;

#[derive(Debug, Clone)]
pub struct Options {
    /// 0 picks a free port.
    pub port: u16,
    /// Enables `/_emulator/*` (404 otherwise).
    pub test_mode: bool,
    /// Served at `/`.
    pub www: Option<PathBuf>,
    /// Served at `/pkg/`.
    pub pkg: Option<PathBuf>,
    /// `(prefix, dir)` pairs, e.g. `("/vite", "…")`.
    pub extra_static: Vec<(String, PathBuf)>,
    /// Reuse connections (HTTP/1.1 keep-alive). Off by default: see `server::accept_loop`.
    pub keep_alive: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 8080,
            test_mode: false,
            www: None,
            pkg: None,
            extra_static: Vec::new(),
            keep_alive: false,
        }
    }
}

/// Shared by every handler.
pub struct Emu {
    state: Mutex<store::State>,
    pub test_mode: bool,
    pub statics: static_files::Mounts,
}

impl Emu {
    /// A poisoned lock (a panic in a handler) must not take the whole emulator down.
    pub fn lock(&self) -> MutexGuard<'_, store::State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub type Shared = Arc<Emu>;

/// Binds 127.0.0.1 only and starts serving in the background.
pub async fn serve(opts: Options) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = bind(opts.port)?;
    let addr = listener.local_addr()?;
    let emu = Arc::new(Emu {
        state: Mutex::new(store::State::new(addr.port())),
        test_mode: opts.test_mode,
        statics: static_files::Mounts::new(&opts),
    });
    let service = service(emu);
    Ok((
        addr,
        tokio::spawn(server::accept_loop(listener, service, opts.keep_alive)),
    ))
}

/// Like `TcpListener::bind`, but with a deep accept backlog (std uses 128) so a burst
/// of a thousand simultaneous connections from a test is queued rather than refused.
fn bind(port: u16) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    socket.listen(4096)
}

fn service(emu: Shared) -> server::AppService {
    let mut router = Router::new()
        .route(
            "/restapi/oauth/authorize",
            get(authorize::get).post(authorize::post),
        )
        .route(authorize::LOGIN_PATH, get(authorize::login_page))
        .route(
            "/restapi/oauth/authorize/decision",
            post(authorize::decision),
        )
        .route("/restapi/oauth/token", post(token::handle))
        .route("/restapi/oauth/revoke", post(revoke::handle))
        .route("/restapi/v1.0/{*rest}", any(api::handle));
    if emu.test_mode {
        router = router.merge(control::routes());
    }
    let router = router
        .fallback(static_files::handle)
        .with_state(emu.clone());
    // Wrapping the whole router (not `Router::layer`) so CORS preflights are answered
    // before routing, whatever methods a route accepts.
    let wrapped = axum::middleware::from_fn_with_state(emu, cors::middleware).layer(router);
    BoxCloneService::new(wrapped)
}
