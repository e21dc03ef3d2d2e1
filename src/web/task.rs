//! Futures to promises and background tasks, through one non-generic entry each: every distinct future type
//! handed to `future_to_promise`/`spawn_local` costs kilobytes of wasm, a boxed trait object costs them once.

use core::future::Future;
use core::pin::Pin;

use js_sys::Promise;
use wasm_bindgen::JsValue;

pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

pub fn promise(f: LocalFuture<Result<JsValue, JsValue>>) -> Promise {
    wasm_bindgen_futures::future_to_promise(f)
}

pub fn spawn(f: LocalFuture<()>) {
    wasm_bindgen_futures::spawn_local(f)
}
