//! `rc-emulator [--port N] [--test-mode] [--www DIR] [--pkg DIR] [--extra-static PREFIX=DIR ...]`
//! Prints exactly one line, `listening on http://127.0.0.1:PORT`, once it accepts connections.

use rc_emulator::{serve, Options};
use std::io::Write;
use std::path::PathBuf;

const USAGE: &str = "usage: rc-emulator [--port N] [--test-mode] [--www DIR] [--pkg DIR] [--extra-static PREFIX=DIR ...]";

fn parse_args(args: impl Iterator<Item = String>) -> Result<Options, String> {
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
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument: {other}\n{USAGE}")),
        }
    }
    Ok(opts)
}

#[tokio::main]
async fn main() {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
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
