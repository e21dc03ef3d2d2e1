//! `rc-emulator [--port N] [--test-mode] [--www DIR] [--pkg DIR] [--extra-static PREFIX=DIR ...] [--keep-alive]` (`--help` explains each).
//! Prints exactly one line, `listening on http://127.0.0.1:PORT`, once it accepts connections.

use rc_emulator::{serve, Options};
use std::io::Write;
use std::path::PathBuf;

const USAGE: &str = "usage: rc-emulator [--port N] [--test-mode] [--www DIR] [--pkg DIR] [--extra-static PREFIX=DIR ...] [--keep-alive]";

const HELP: &str = "\
rc-emulator: a local RingCentral-compatible OAuth 2.0 server (authorize, token, revoke,
and a small protected API). Binds 127.0.0.1 only. Prints `listening on http://127.0.0.1:PORT`
as its first line once it accepts connections.

Options:
  --port N                    port to listen on (default 8080; 0 picks a free one)
  --test-mode                 enable the control API under /_emulator/ (clock, config, apps,
                              faults, log, reset); 404 without it
  --www DIR                   serve DIR at /
  --pkg DIR                   serve DIR at /pkg/
  --extra-static PREFIX=DIR   serve DIR at /PREFIX/ (repeatable)
  --keep-alive                reuse connections (HTTP/1.1 keep-alive), as a production server
                              does; off by default, because a browser silently resends a request
                              on a reused connection that closes, which would hide the
                              drop_after_commit fault
  -h, --help                  print this help and exit

Built-in apps (client_id): demo-spa (public, refresh tokens, implicit), demo-confidential
(Basic auth, secret demo-secret), no-refresh-spa (public, no refresh tokens); each accepts
http://{127.0.0.1,localhost}:PORT + /, /callback, /callback.html, /index.html,
/test/callback.html as redirect URIs. Register your own with POST /_emulator/apps
(--test-mode), e.g.
  curl -d '{\"client_id\":\"my-app\",\"redirect_uris\":[\"http://localhost:5173/\"],\"issue_refresh_tokens\":true}' \\
    http://127.0.0.1:8080/_emulator/apps
See emulator/README.md for the endpoints and the control API.
";

/// `Ok(None)` means `--help`.
fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut opts = Options::default();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--port" => {
                opts.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--test-mode" => opts.test_mode = true,
            "--keep-alive" => opts.keep_alive = true,
            "--www" => opts.www = Some(PathBuf::from(value("--www")?)),
            "--pkg" => opts.pkg = Some(PathBuf::from(value("--pkg")?)),
            "--extra-static" => {
                let v = value("--extra-static")?;
                let (prefix, dir) = v
                    .split_once('=')
                    .ok_or("--extra-static expects PREFIX=DIR")?;
                let prefix = if prefix.starts_with('/') {
                    prefix.to_string()
                } else {
                    format!("/{prefix}")
                };
                opts.extra_static.push((prefix, PathBuf::from(dir)));
            }
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument: {other}\n{USAGE}")),
        }
    }
    Ok(Some(opts))
}

#[tokio::main]
async fn main() {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{USAGE}\n\n{HELP}");
            return;
        }
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let (addr, handle) = match serve(opts.clone()).await {
        Ok(x) => x,
        Err(e) => {
            eprintln!("rc-emulator: cannot bind 127.0.0.1:{}: {e}", opts.port);
            std::process::exit(1);
        }
    };
    println!("listening on http://{addr}");
    let _ = std::io::stdout().flush();
    if opts.test_mode {
        eprintln!("rc-emulator: test mode on, control API at http://{addr}/_emulator/");
    }
    let _ = handle.await;
}

#[cfg(test)]
mod tests {
    use super::parse_args;

    fn parse(args: &[&str]) -> Result<Option<rc_emulator::Options>, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn keep_alive_is_off_unless_asked_for() {
        assert!(!parse(&[]).unwrap().unwrap().keep_alive);
        assert!(parse(&["--keep-alive"]).unwrap().unwrap().keep_alive);
        assert!(parse(&["--keep-alives"]).is_err());
    }
}
