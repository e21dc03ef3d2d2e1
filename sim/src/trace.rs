//! The trace: what `--seed N --trace` prints (and a failure carries, see [`format_failure`]). Lines are recorded only with tracing on;
//! recording draws nothing, so a traced replay runs exactly as the untraced run.

use crate::*;

pub(crate) fn describe_input(i: &Input) -> String {
    match i {
        Input::Start { ready, storage_problem } => format!("Start ready=#{ready} problem={}", storage_problem.is_some()),
        Input::Fetch { call, origin } => format!("Fetch #{call} {origin}"),
        Input::ApiResponse { call, status, error, .. } => {
            format!("ApiResponse #{call} {status}{}", error.as_ref().and_then(|e| e.error_code.as_deref()).map(|c| format!(" {c}")).unwrap_or_default())
        }
        Input::Refresh { call } => format!("Refresh #{call}"),
        Input::Logout { call } => format!("Logout #{call}"),
        Input::LoggedIn { call, .. } => format!("LoggedIn #{call}"),
        Input::Loaded { op, result } => format!("Loaded op{op} {}", match result {
            Ok(Some(_)) => "tokens".to_string(),
            Ok(None) => "empty".to_string(),
            Err(e) => format!("Err({})", e.code.as_str()),
        }),
        Input::Saved { op, result } => format!("Saved op{op} {}", match result { Ok(()) => "ok".into(), Err(e) => format!("Err({})", e.code.as_str()) }),
        Input::Cleared { op } => format!("Cleared op{op}"),
        Input::TokenReply { result, .. } => match result {
            Ok(_) => "TokenReply Ok".to_string(),
            Err(e) => format!(
                "TokenReply Err({}{}{})",
                e.code.as_str(),
                e.error_code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
                e.retry_after_s.map(|r| format!(" retry-after={r}s")).unwrap_or_default()
            ),
        },
        Input::RevokeDone { call, .. } => format!("RevokeDone #{call}"),
        Input::LockGranted { id } => format!("LockGranted req{id}"),
        Input::LockTimedOut { id } => format!("LockTimedOut req{id}"),
        Input::Broadcast(n) => format!("Broadcast({})", n.to_wire()),
        Input::Timeout => "Timeout".into(),
        Input::Wake => "Wake".into(),
        Input::Renew { call } => format!("Renew #{call}"),
        Input::TabsAsked { id } => format!("TabsAsked {id}"),
        Input::TabsAnswered { op, pairs, silent } => format!("TabsAnswered op{op} {} pair(s), {silent} silent", pairs.len()),
        Input::SilentDone { result, .. } => format!("SilentDone {}", match result { Ok(_) => "Ok".into(), Err(e) => format!("Err({})", e.code.as_str()) }),
        Input::Digested { call, digest } => format!("Digested #{call} ok={}", digest.is_ok()),
        // A login's other steps (their Debug names no code, token or verifier).
        other => format!("{other:?}"),
    }
}

impl World {
    /// A short stable name for a token (`A3`, `R4`): traces never print tokens.
    pub(crate) fn name(&mut self, token: &str, kind: char) -> String {
        let n = self.names.len() + 1;
        self.names.entry(token.to_string()).or_insert_with(|| format!("{kind}{n}")).clone()
    }

    pub(crate) fn tr(&mut self, tab: Option<usize>, line: String) {
        if self.opts.trace {
            let t = (self.now - EPOCH_MS) / 1000.0;
            let who = tab.map_or("      ".to_string(), |t| format!("tab{t:<3}"));
            self.trace.push(format!("{t:>10.3}s {who} {line}"));
        }
    }
}

pub fn format_failure(f: &Failure, last: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "sim: seed {} FAILED invariant {}", f.seed, f.inv.describe());
    let _ = writeln!(s, "  {} (at {:.3} s)", f.detail, f.at_ms / 1000.0);
    let _ = writeln!(s, "  profile: {}", f.profile);
    let _ = writeln!(s, "  replay: cargo run --release -p oss-sim -- --seed {} --trace", f.seed);
    let start = f.trace.len().saturating_sub(last);
    let _ = writeln!(s, "  last {} trace lines:", f.trace.len() - start);
    for l in &f.trace[start..] {
        let _ = writeln!(s, "  {l}");
    }
    s
}

/// The whole trace of a run (for `--seed N --trace` on a passing seed).
pub fn trace_of(seed: u64, opts: &Options) -> Vec<String> {
    let mut o = opts.clone();
    o.trace = true;
    let mut w = World::new(seed, o);
    let heal_end = EPOCH_MS + w.prof.duration_ms + HEAL_MS;
    w.run_until_quiet(heal_end);
    if w.failure.is_none() {
        w.check_newest();
    }
    rc_emulator::ids::seed_thread(None);
    std::mem::take(&mut w.trace)
}
