//! oss-sim: a deterministic simulator for the session engine (`oauth_spa_session::engine`).
//!
//! One seed = one run: 1–4 tabs (each an [`Engine`] with its own clock), their storage (sessionStorage per
//! tab, or one cookie jar shared by all that drops its cookie when the `Max-Age` the engine's
//! `cookie_max_age_s` gave it has passed, by the browser's clock), a FIFO Web Locks manager, a
//! BroadcastChannel with random delays, timers, and an in-process RingCentral server that is the emulator's own
//! token logic (`rc_emulator::token::process`, `grants`, `access::authorize`, `revoke::revoke`) on its own
//! `rc_emulator::store::State`, pinned to the simulated time. Drawn per seed as well: whether the server sends
//! `refresh_token_expires_in` (oidc-provider does not), whether the app uses refresh tokens or lives on silent
//! renewal alone, and how long the user's login session at the server lasts (what a `prompt=none` renewal is
//! answered from; the renewal is the engine's own login, its code exchanged with PKCE through the engine).
//! A seeded scheduler interleaves app calls, I/O completions (each after a random latency) and timers, and
//! injects faults. After every step the invariants of issue 9 are checked (see [`Inv`] and `invariants/`). Everything is a function
//! of the seed: a failing seed replays exactly, with `--seed N --trace`.

// Layout: one file per role; every role is an `impl World` block (World is in world.rs), and every file does
// `use crate::*` (the imports below are the crate's shared vocabulary).
//
//   lib.rs        the public API: Options, Stats, Failure, run_seed; constants of the simulated setup
//   profile.rs    the run's shape drawn from the seed (Profile, Users)
//   world.rs      World and Tab (state), World::new, opening and closing tabs
//   scheduler.rs  the event queue (Ev), step, run_until_quiet, run
//   host/         what web/driver.rs is to the browser: feed a tab's engine, exec each Command
//                 (mod.rs: feed, exec, locks, broadcast, timers, events; storage.rs; token.rs; silent.rs)
//   server.rs     the RingCentral-compatible server: the emulator's grant logic as a library, DPoP nonces
//   app.rs        the app's random clicks and logins
//   faults.rs     Fault (the --no-fault names), token faults per request, environment faults per instant
//   invariants/   one file per invariant (inv01_reuse.rs .. inv10_owner.rs), Inv in mod.rs
//   trace.rs      the trace (--trace), format_failure, trace_of

pub mod rng;

mod app;
mod faults;
mod host;
mod invariants;
mod profile;
mod scheduler;
mod server;
mod trace;
mod world;

pub use faults::{Fault, ALL_FAULTS};
pub use invariants::{oracle_origin, Inv};
pub use trace::{format_failure, trace_of};
pub use world::World;

use app::API_URL;
use faults::TokFault;
use invariants::{DeadLogin, RtObs};
use profile::{Profile, Users};
use scheduler::{Ev, Item};
use server::{TokenReq, Wire};
use trace::describe_input;
use world::{CallKind, Cause, Mode, Slot};

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use oauth_spa_session::engine::{
    Caps, CallId, Command, Engine, Input, Instant, Notice, OpId, Proof, SessionEvent, Timer, Value, COOLDOWN_MS, FRAME_CALL,
    LOCK_WAIT_MS, MAX_TRIES, TOKEN_TIMEOUT_MS,
};
use oauth_spa_session::protocol::dpop_proof::USE_DPOP_NONCE;
use oauth_spa_session::protocol::handover_message::Kind;
use oauth_spa_session::protocol::serde_fields::Fields;
use oauth_spa_session::protocol::{
    api_answer, backoff_ms, no_answer, parse_redirect, token_response, unauthorized, ApiAnswer, Body, Config, Error,
    ErrorCode, HostFailure, HttpAnswer, Secret, StorageKind, TokenSet,
};
use rc_emulator::access::{authorize, Credential};
use rc_emulator::client_auth::ClientCreds;
use rc_emulator::errors::OAuthError;
use rc_emulator::params::{form_encode, Params};
use rc_emulator::apps::USERS;
use rc_emulator::store::{AuthRequest, LoginSession, PkceMethod, ResponseType, SessionStatus, State, TokenResponse};
use rng::Rng;

pub const SERVER: &str = "http://127.0.0.1:8080";
pub const CLIENT_ID: &str = "demo-spa";
pub const REDIRECT_URI: &str = "http://127.0.0.1:8080/callback";
const EPOCH_MS: f64 = 1_750_000_000_000.0;
const MAX_TABS: usize = 4;
/// A tab's clock differs from the browser's by up to this much when it opens (clock jumps come on top).
const MAX_SKEW_MS: f64 = 120_000.0;
/// How long a DPoP nonce of the simulated server is current.
const NONCE_PERIOD_MS: f64 = 300_000.0;

/// After the run's last fault, the time every tab gets to converge before quiescence is required.
const HEAL_MS: f64 = 20.0 * 60_000.0;
/// Quiescence must come this long after the heal period at the latest (invariant 4: no endless activity).
const QUIESCE_CAP_MS: f64 = 30.0 * 60_000.0;
const MAX_STEPS: u64 = 400_000;

/// What a run may do; `disabled` faults are never chosen (to bisect a finding by fault class).
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub disabled: HashSet<Fault>,
    pub trace: bool,
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub seed: u64,
    pub inv: Inv,
    pub detail: String,
    pub at_ms: f64,
    pub trace: Vec<String>,
    pub profile: String,
}

#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub steps: u64,
    pub token_requests: u64,
    pub faults: u64,
    pub app_calls: u64,
    pub refreshes_ok: u64,
    pub silent_ok: u64,
}

/// Runs one seed. On failure with `trace` off, the seed is run again with tracing on (it replays exactly)
/// so the failure carries its trace.
pub fn run_seed(seed: u64, opts: &Options) -> Result<Stats, Failure> {
    match World::new(seed, opts.clone()).run() {
        Ok(s) => Ok(s),
        Err(f) if opts.trace => Err(f),
        Err(first) => {
            let mut o = opts.clone();
            o.trace = true;
            match World::new(seed, o).run() {
                Err(f) if f.inv == first.inv && f.detail == first.detail => Err(f),
                // The traced replay must fail the same way: a seed that does not replay exactly is a simulator
                // bug (hidden state such as a hash map's iteration order), never a pass.
                other => Err(Failure {
                    detail: format!(
                        "{} — and the traced replay did not fail the same way ({}): the simulator is not deterministic",
                        first.detail,
                        match other {
                            Ok(_) => "it passed".to_string(),
                            Err(f) => format!("{:?}: {}", f.inv, f.detail),
                        }
                    ),
                    ..first
                }),
            }
        }
    }
}
