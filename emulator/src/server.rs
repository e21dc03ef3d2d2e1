//! The accept loop. It is hand-rolled (rather than `axum::serve`) for one reason: the
//! `drop_after_commit` fault must close the TCP connection before a single response
//! byte is written, and only the code that owns the connection can do that.

use axum::body::Body;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::util::BoxCloneService;
use tower::ServiceExt;

pub type AppService = BoxCloneService<Request<Body>, Response<Body>, Infallible>;

/// Put into every request's extensions; `abort()` makes the connection task drop the
/// socket, so the client sees the connection close with no response.
#[derive(Clone)]
pub struct ConnAbort(Arc<Notify>);

impl ConnAbort {
    pub fn abort(&self) {
        self.0.notify_one();
    }
}

pub async fn accept_loop(listener: TcpListener, service: AppService, keep_alive: bool) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Typically EMFILE under load: back off briefly instead of spinning.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        tokio::spawn(async move {
            let abort = Arc::new(Notify::new());
            let handle = ConnAbort(abort.clone());
            let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(handle.clone());
                service.clone().oneshot(req.map(Body::new))
            });
            // No keep-alive by default: every request arrives on a fresh connection. Browsers
            // silently resend a request (even a POST) when a *reused* connection closes without
            // a response, which would hide the drop_after_commit fault from the client.
            // `--keep-alive` (the bench) serves like a production server instead.
            let conn = http1::Builder::new()
                .keep_alive(keep_alive)
                .serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                // Dropping `conn` here closes the socket with the response unsent.
                _ = abort.notified() => {}
            }
        });
    }
}
