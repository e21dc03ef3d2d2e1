//! The token endpoint as the host sees it: `Command::SendToken` goes on the wire (after the invariants' checks
//! of the send, and with the token fault drawn for it), and its answer (or timeout, or network error) is fed
//! back as `Input::TokenReply`.

use crate::*;

impl World {
    pub(crate) fn send_token(&mut self, tab: usize, id: OpId, form: String, timeout_ms: u32, proof: Option<Proof>, cause: Cause) {
        // A retry resends after a transient failure. The Backoff timer also ends a flight that succeeded (the
        // wait before rewriting a refused save, the handover after giving shared storage up), and the policy
        // check then may start a new refresh at once: that send is a first attempt (seed 1016046).
        let retry = cause == Cause::Backoff && self.tabs[tab].fails_in_flight >= 1;
        // What started this flight: the send's own input, or (when the send follows an I/O completion such
        // as the re-read under the lock) the last input that could start one.
        let cause = if cause == Cause::Other { self.tabs[tab].trigger } else { cause };
        let nonce_retry = self.tabs[tab].feeding_nonce;
        self.inv8_check_token_send(tab, proof.is_none(), nonce_retry);
        // The nonce resend belongs to the request it repeats: what forced that one still counts.
        let forced = if nonce_retry { true } else { std::mem::take(&mut self.tabs[tab].forced_since_send) };
        self.tabs[tab].trigger = Cause::Other;
        self.stats.token_requests += 1;
        let params = Params::parse(form.as_bytes());
        let rt = params.get("refresh_token").map(str::to_string);
        let tnow = self.tab_now(tab);
        if self.opts.trace {
            let rn = rt.as_deref().map(|r| self.name(r, 'R')).unwrap_or_else(|| "-".into());
            self.tr(Some(tab), format!("-> SendToken {} rt={rn}", params.get("grant_type").unwrap_or("?")));
        }
        let session = rt.as_deref().and_then(|r| self.session_of(r));
        if let Some(r) = &rt {
            self.touch(tab, r);
        }
        // (Tabs that join refresh under the lock too, after asking the tabs: one session.)
        let shared_locked = (self.prof.shared || self.prof.join) && self.prof.locks;

        self.inv5_check_single_flight(tab, &session, shared_locked);
        let mut lost = None;
        if let Some(r) = &rt {
            lost = self.inv1_check_send(tab, r, shared_locked);
            self.inv5_check_fresh(tab, tnow, retry, forced, shared_locked);
        }

        self.inv4_check_token_send(tab, retry, nonce_retry, cause);

        let fault = self.draw_token_fault();
        if fault != TokFault::None {
            self.stats.faults += 1;
            self.tr(None, format!("   fault: token request {fault:?}"));
        }
        let req = self.reqs.len();
        self.reqs.push(TokenReq { tab, id, nonce: None, rt, params, fault, sent: self.now, timeout_ms, session, proof, lost });
        self.tabs[tab].outstanding = Some(req);
        let lat = match fault {
            TokFault::Timeout => self.rng.real(0.0, 2.0 * timeout_ms as f64),
            _ => self.rng.real(5.0, 300.0),
        };
        self.push(lat, Ev::TokenArrive { req });
        if fault == TokFault::Timeout {
            self.push(timeout_ms as f64, Ev::TokenReply { req, wire: Wire::Lost { timed_out: true }, answered: false });
        }
    }

    pub(crate) fn token_reply(&mut self, req: usize, wire: Wire, answered: bool) {
        let tab = self.reqs[req].tab;
        if !self.tabs[tab].open || self.tabs[tab].outstanding != Some(req) {
            return; // the tab closed: nobody reads this answer
        }
        self.tabs[tab].outstanding = None;
        if answered {
            self.inv1_answered(req, tab);
        }
        let tnow = self.tab_now(tab);
        // Read as web/http.rs reads it (expiries count from the answer's arrival, as the simulator always has).
        let result = match wire.read_tokens(tnow, tnow, self.reqs[req].proof.is_some()) {
            Ok(ts) => {
                self.delivered(tab, &ts);
                self.inv4_answer_ok(tab);
                Ok(ts)
            }
            Err(e) => {
                self.inv4_answer_err(tab, &e);
                if let (false, Some(sid)) = (e.retryable, self.reqs[req].lost.clone()) {
                    self.lost_sessions.insert(sid);
                }
                Err(e)
            }
        };
        let nonce = matches!(&result, Err(e) if e.code == ErrorCode::from_oauth(USE_DPOP_NONCE));
        self.tabs[tab].feeding_nonce = nonce;
        let (id, dpop_nonce) = (self.reqs[req].id, self.reqs[req].nonce.take());
        self.feed(tab, Input::TokenReply { id, result, dpop_nonce }, Cause::Other);
        self.tabs[tab].feeding_nonce = false;
    }
}
