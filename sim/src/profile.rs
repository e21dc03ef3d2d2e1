//! The run's shape, drawn from the seed first (before any tab opens): tabs, storage, locks, channel, token
//! lives, refresh tokens or silent renewal, DPoP, duration, and which faults may strike. The draws' order is
//! the seed's meaning: a new dimension draws from a stream of its own (as [`Users::draw`] does), or at the end
//! and only when it is on, so that every existing seed keeps its profile and run.

use crate::*;

#[derive(Clone, Debug)]
pub(crate) struct Profile {
    pub(crate) tabs: usize,
    pub(crate) shared: bool,
    pub(crate) locks: bool,
    pub(crate) broadcast: bool,
    pub(crate) access_ttl_s: i64,
    /// The server says when the refresh token expires (`refresh_token_expires_in`, as RingCentral does);
    /// false: it omits it, as oidc-provider does (the engine then keeps the cookie as a session cookie).
    pub(crate) rt_expiry_known: bool,
    /// The app uses refresh tokens (`refreshTokens: true`, the server issues them); false: silent renewal is
    /// the only way the session outlives its access token.
    pub(crate) refresh: bool,
    pub(crate) silent_renew: bool,
    /// The user's login session at the server (what a `prompt=none` request is answered from), in seconds;
    /// 0: it outlives the run.
    pub(crate) login_ttl_s: i64,
    /// Per silent renewal: the chance its frame answers after the engine's timeout.
    pub(crate) silent_slow: f64,
    /// The app asks for DPoP; the server demands its nonce (`use_dpop_nonce`, RFC 9449 §8/§9) of proofs
    /// without the current or previous one; the server ignores DPoP and issues bearer tokens (a downgrade).
    pub(crate) dpop: bool,
    pub(crate) dpop_nonce: bool,
    pub(crate) dpop_downgrade: bool,
    /// The server demands a new nonce now and then even of a proof with the current one (a permanent fault: a
    /// second demand for one token request is terminal).
    pub(crate) dpop_stubborn: bool,
    /// Tabs on sessionStorage join one session (`shareTabs`, issue 23; drawn from its own stream in
    /// [`World::new`]): a new tab asks the tabs holding the session, and some open with a copy of another tab's
    /// sessionStorage (what `window.open` does).
    pub(crate) join: bool,
    pub(crate) duration_ms: f64,
    pub(crate) action_mean_ms: f64,
    /// Per token request: the chance of each enabled token-endpoint fault.
    pub(crate) token_faults: Vec<(Fault, f64)>,
    pub(crate) env_faults: Vec<Fault>,
    pub(crate) env_fault_count: u32,
    /// Two users (invariant 10): the user of the login session at the server switches at these instants (ms
    /// into the run), and an interactive login signs in as the other user with this chance. Drawn from their
    /// own stream ([`Users::draw`]), so seeds without them run exactly as before.
    pub(crate) users: Users,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Users {
    pub(crate) switches: Vec<f64>,
    pub(crate) other_login: f64,
}

impl Users {
    pub(crate) fn on(&self) -> bool {
        !self.switches.is_empty() || self.other_login > 0.0
    }

    pub(crate) fn draw(seed: u64, duration_ms: f64) -> (Users, Rng) {
        let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x0005_E2A0_0010_0000);
        if !rng.chance(0.2) {
            return (Users::default(), rng);
        }
        let n = rng.range(0, 3);
        let mut switches: Vec<f64> = (0..n).map(|_| rng.real(60_000.0, (duration_ms - 1_800_000.0).max(120_000.0))).collect();
        switches.sort_by(f64::total_cmp);
        let other_login = if n == 0 || rng.chance(0.5) { rng.real(0.1, 0.5) } else { 0.0 };
        (Users { switches, other_login }, rng)
    }
}

impl Profile {
    pub(crate) fn draw(rng: &mut Rng, opts: &Options) -> Profile {
        let on = |f: Fault| !opts.disabled.contains(&f);
        let tabs = rng.range(1, MAX_TABS as u64) as usize;
        let shared = rng.chance(0.6);
        let locks = !(shared && on(Fault::NoLocks) && rng.chance(0.2));
        let broadcast = !(on(Fault::NoBroadcast) && rng.chance(0.15));
        let access_ttl_s = if rng.chance(0.8) { 600 } else { 3600 };
        let rt_expiry_known = rng.chance(0.6);
        let refresh = rng.chance(0.7);
        let silent_renew = !refresh || rng.chance(0.5);
        let login_ttl_s = if rng.chance(0.5) { 0 } else { rng.range(1_800, 5 * 3_600) as i64 };
        let dpop = rng.chance(0.25);
        let dpop_nonce = dpop && rng.chance(0.7);
        let dpop_downgrade = dpop && rng.chance(0.15);
        let dpop_stubborn = dpop_nonce && rng.chance(0.2);
        let duration_ms = rng.real(2.0, 5.0) * 3_600_000.0;
        let action_mean_ms = rng.real(10_000.0, 180_000.0);
        let calm = rng.chance(0.15);
        let mut token_faults = Vec::new();
        let mut env_faults = Vec::new();
        if !calm {
            for f in ALL_FAULTS {
                if !on(f) || matches!(f, Fault::NoBroadcast | Fault::NoLocks) || !rng.chance(0.35) {
                    continue;
                }
                if f.per_request() {
                    token_faults.push((f, rng.real(0.03, 0.25)));
                } else {
                    env_faults.push(f);
                }
            }
        }
        let env_fault_count = if env_faults.is_empty() { 0 } else { rng.range(1, 6) as u32 };
        let silent_slow = token_faults.iter().find(|(f, _)| *f == Fault::SilentSlow).map_or(0.0, |(_, p)| *p);
        token_faults.retain(|(f, _)| *f != Fault::SilentSlow);
        Profile {
            tabs,
            shared,
            locks,
            broadcast,
            access_ttl_s,
            rt_expiry_known,
            refresh,
            silent_renew,
            login_ttl_s,
            silent_slow,
            dpop,
            dpop_nonce,
            dpop_downgrade,
            dpop_stubborn,
            duration_ms,
            action_mean_ms,
            token_faults,
            env_faults,
            env_fault_count,
            users: Users::default(),
            join: false,
        }
    }

    pub(crate) fn summary(&self) -> String {
        let tf: Vec<String> = self.token_faults.iter().map(|(f, p)| format!("{}@{:.2}", f.name(), p)).collect();
        let ef: Vec<&str> = self.env_faults.iter().map(|f| f.name()).collect();
        format!(
            "tabs={} storage={} locks={} broadcast={} access_ttl={}s rt_expiry={} refresh={} silent={} login_ttl={} silent_timeout@{:.2} dpop={} duration={:.1}h action_mean={:.0}s token_faults=[{}] env_faults=[{}]x{}",
            self.tabs,
            if self.shared { "cookie(shared)" } else { "sessionStorage" },
            self.locks,
            self.broadcast,
            self.access_ttl_s,
            if self.rt_expiry_known { "sent" } else { "omitted" },
            self.refresh,
            self.silent_renew,
            if self.login_ttl_s == 0 { "run".to_string() } else { format!("{}s", self.login_ttl_s) },
            self.silent_slow,
            match (self.dpop, self.dpop_nonce, self.dpop_downgrade) {
                (false, ..) => "off",
                (true, _, true) => "downgraded",
                (true, true, _) if self.dpop_stubborn => "nonce(stubborn)",
                (true, true, _) => "nonce",
                (true, false, _) => "on",
            },
            self.duration_ms / 3_600_000.0,
            self.action_mean_ms / 1000.0,
            tf.join(","),
            ef.join(","),
            self.env_fault_count
        ) + if self.join { " join" } else { "" } + &if self.users.on() {
            format!(" users=2(switches={} other_login@{:.2})", self.users.switches.len(), self.users.other_login)
        } else {
            String::new()
        }
    }
}
