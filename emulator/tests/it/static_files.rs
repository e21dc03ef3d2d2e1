use crate::common::*;
use rc_emulator::Options;
use std::path::PathBuf;

fn fixture() -> (PathBuf, PathBuf, PathBuf) {
    let root = std::env::temp_dir().join(format!(
        "rc-emu-static-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    let (www, pkg, vite) = (root.join("www"), root.join("pkg"), root.join("vite"));
    for d in [&www.join("test"), &pkg, &vite] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(www.join("index.html"), "<h1>demo</h1>").unwrap();
    std::fs::write(www.join("test/index.html"), "<h1>test</h1>").unwrap();
    std::fs::write(www.join("app.css"), "body{}").unwrap();
    std::fs::write(www.join("test/csp.html"), "<h1>csp</h1>").unwrap();
    std::fs::write(
        www.join("test/csp.html.csp"),
        "script-src 'self' 'wasm-unsafe-eval'\n",
    )
    .unwrap();
    std::fs::write(pkg.join("lib_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(pkg.join("lib.js"), "export {}").unwrap();
    std::fs::write(vite.join("client.mjs"), "export {}").unwrap();
    std::fs::write(root.join("secret.txt"), "nope").unwrap();
    (www, pkg, vite)
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

#[tokio::test]
async fn serves_www_pkg_and_extra_prefixes_with_types_and_no_store() {
    let (www, pkg, vite) = fixture();
    let root = www.parent().unwrap().to_path_buf();
    let emu = Emu::start_with(Options {
        port: 0,
        www: Some(www),
        pkg: Some(pkg),
        extra_static: vec![("/vite".into(), vite)],
        ..Options::default()
    })
    .await;
    let cases = [
        ("/", "text/html; charset=utf-8", "<h1>demo</h1>"),
        ("/index.html", "text/html; charset=utf-8", "<h1>demo</h1>"),
        ("/test/", "text/html; charset=utf-8", "<h1>test</h1>"),
        ("/app.css", "text/css", "body{}"),
        ("/pkg/lib.js", "text/javascript", "export {}"),
        ("/vite/client.mjs", "text/javascript", "export {}"),
    ];
    for (path, ct, body) in cases {
        let r = emu.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(ct), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
        assert_eq!(r.text(), body);
    }
    for (path, _, _) in cases {
        assert_eq!(
            emu.get(path).await.header("content-security-policy"),
            None,
            "{path}"
        );
    }
    // A sidecar `X.csp` gives `X` its policy.
    let r = emu.get("/test/csp.html").await;
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>csp</h1>"));
    assert_eq!(
        r.header("content-security-policy"),
        Some("script-src 'self' 'wasm-unsafe-eval'")
    );
    let wasm = emu.get("/pkg/lib_bg.wasm").await;
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.body, b"\0asm\x01\0\0\0");

    let r = emu.get("/test?x=1").await;
    assert_eq!((r.status, r.header("location")), (301, Some("/test/?x=1")));
    for path in [
        "/missing.js",
        "/pkg/../secret.txt",
        "/%2e%2e/secret.txt",
        "/pkg/%2e%2e/secret.txt",
        "/vite/..%2fsecret.txt",
    ] {
        assert_eq!(emu.get(path).await.status, 404, "{path}");
    }
    let _ = std::fs::remove_dir_all(root);
}

#[tokio::test]
async fn favicon_ico_is_an_empty_204_unless_a_mount_holds_one() {
    // No static mount at all (the server alone): still no 404 for the browser's automatic request.
    let emu = Emu::start().await;
    for r in [
        emu.get("/favicon.ico").await,
        emu.send("HEAD", "/favicon.ico", &[], b"").await.unwrap(),
    ] {
        assert_eq!(r.status, 204);
        assert!(r.body.is_empty());
    }
    assert_eq!(emu.get("/favicon.png").await.status, 404);
    // A www that has its own icon serves it.
    let (www, pkg, _) = fixture();
    let root = www.parent().unwrap().to_path_buf();
    std::fs::write(www.join("favicon.ico"), b"ico").unwrap();
    let emu = Emu::start_with(Options {
        port: 0,
        www: Some(www),
        pkg: Some(pkg),
        ..Options::default()
    })
    .await;
    let r = emu.get("/favicon.ico").await;
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("image/x-icon"))
    );
    assert_eq!(r.body, b"ico");
    let _ = std::fs::remove_dir_all(root);
}
