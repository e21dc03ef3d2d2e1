use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Kills the child even when an assertion fails.
struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_its_port_and_serves() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_rc-emulator"))
            .args(["--port", "0", "--test-mode"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn rc-emulator"),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .unwrap();
    assert_ne!(port, 0);
    let emu = crate::common::Emu::at(port);
    assert_eq!(emu.get("/_emulator/clock").await.status, 200);
    let page = emu
        .sign_in_page(&emu.authorize_path("demo-spa", "code", &[]), &[])
        .await;
    assert!(page.text().contains("id=\"allow\""));
}

#[test]
fn help_explains_every_option_and_exits_0() {
    let out = Command::new(env!("CARGO_BIN_EXE_rc-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "usage: rc-emulator",
        "--port N",
        "--test-mode",
        "--www DIR",
        "--pkg DIR",
        "--extra-static",
        "demo-spa",
        "/_emulator/apps",
    ] {
        assert!(text.contains(needle), "--help lacks {needle}:\n{text}");
    }
}

#[test]
fn bad_arguments_exit_with_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_rc-emulator"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: rc-emulator"));
}
