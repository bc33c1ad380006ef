//! [`Kv`] over Workers KV, and what a benchmark needs around it: a count
//! of the operations each request spends ([`Counted`](crate::store::Counted), in [`KvOps`]), and a store kept
//! in the isolate's memory ([`EdgeKv::Memory`]), both switched on only by
//! the [`BENCH_VAR`] variable `cargo xtask bench` sets.

use crate::store::{KeyPage, Kv, KvOps, Listed, MemoryKv, StoreError};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::{js_sys, wasm_bindgen_futures};

/// The variable that turns on the benchmark's view of KV: set only by
/// `cargo xtask bench`, never in production. `count` adds
/// [`OPERATIONS_HEADER`] to every API answer; `memory` also keeps the
/// tickets in the isolate's memory instead of Workers KV (for CPU figures
/// without the local KV simulator's cost; lost when the isolate ends).
pub const BENCH_VAR: &str = "BUOY_BENCH";
/// The answer's header that carries [`KvOps`], under [`BENCH_VAR`].
pub const OPERATIONS_HEADER: &str = "buoy-kv-operations";

/// A Workers KV namespace, called through one function of JavaScript per
/// operation: a key's metadata crosses as one JSON text each way (parsed
/// and written by the runtime), where workers-rs' builders convert it
/// field by field, each field a call into JavaScript, for every key a
/// queue page lists.
#[derive(Debug)]
pub struct WorkersKv(JsValue);

impl WorkersKv {
    /// The namespace bound as `binding`.
    ///
    /// # Errors
    /// When the worker has no such binding.
    pub fn bound(env: &worker::Env, binding: &str) -> Result<Self, StoreError> {
        let namespace = js_sys::Reflect::get(env, &JsValue::from_str(binding)).map_err(|_| StoreError(format!("no {binding} binding")))?;
        if namespace.is_undefined() {
            return Err(StoreError(format!("no {binding} binding")));
        }
        Ok(Self(namespace))
    }
}

#[wasm_bindgen(inline_js = "
export function buoy_kv_get(kv, key) { return kv.get(key); }
export function buoy_kv_put(kv, key, value, metadata) {
  return kv.put(key, value, metadata === undefined ? undefined : { metadata: JSON.parse(metadata) });
}
export async function buoy_kv_list(kv, prefix, limit, cursor) {
  return JSON.stringify(await kv.list(cursor === undefined ? { prefix, limit } : { prefix, limit, cursor }));
}
export function buoy_kv_delete(kv, key) { return kv.delete(key); }
")]
extern "C" {
    /// `kv.get(key)`: the text, or `null`.
    #[wasm_bindgen(catch)]
    fn buoy_kv_get(kv: &JsValue, key: &str) -> Result<js_sys::Promise, JsValue>;
    /// `kv.put(key, value, { metadata })`, the metadata given as JSON.
    #[wasm_bindgen(catch)]
    fn buoy_kv_put(kv: &JsValue, key: &str, value: &str, metadata: Option<String>) -> Result<js_sys::Promise, JsValue>;
    /// `kv.list({ prefix, limit, cursor })`, its answer as JSON.
    #[wasm_bindgen(catch)]
    fn buoy_kv_list(kv: &JsValue, prefix: &str, limit: u32, cursor: Option<String>) -> Result<js_sys::Promise, JsValue>;
    /// `kv.delete(key)`.
    #[wasm_bindgen(catch)]
    fn buoy_kv_delete(kv: &JsValue, key: &str) -> Result<js_sys::Promise, JsValue>;
}

/// What KV's `list` answers, as its JSON reads: each key's metadata kept
/// as the JSON text it is.
#[derive(serde::Deserialize)]
struct ListAnswer {
    keys: Vec<ListedKey>,
    list_complete: bool,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(serde::Deserialize)]
struct ListedKey {
    name: String,
    #[serde(default)]
    metadata: Option<Box<serde_json::value::RawValue>>,
}

fn failed(error: &JsValue) -> StoreError {
    StoreError(
        error.as_string().unwrap_or_else(|| js_sys::JSON::stringify(error).map(String::from).unwrap_or_else(|_| format!("{error:?}"))),
    )
}

/// The value a KV call's promise settles with.
async fn settled(promise: Result<js_sys::Promise, JsValue>) -> Result<JsValue, StoreError> {
    let promise = promise.map_err(|e| failed(&e))?;
    wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|e| failed(&e))
}

impl Kv for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(settled(buoy_kv_get(&self.0, key)).await?.as_string())
    }

    async fn put(&self, key: &str, value: &str, metadata: Option<&str>) -> Result<(), StoreError> {
        settled(buoy_kv_put(&self.0, key, value, metadata.map(str::to_owned))).await.map(drop)
    }

    async fn list(&self, prefix: &str, limit: u32, cursor: Option<&str>) -> Result<KeyPage, StoreError> {
        let text = settled(buoy_kv_list(&self.0, prefix, limit, cursor.map(str::to_owned))).await?;
        let text = text.as_string().ok_or_else(|| StoreError("KV's list answered no JSON".into()))?;
        let page: ListAnswer = serde_json::from_str(&text).map_err(|e| StoreError(format!("KV's list: {e}")))?;
        let cursor = if page.list_complete { None } else { page.cursor.filter(|c| !c.is_empty()) };
        let keys = page
            .keys
            .into_iter()
            .map(|k| Listed { name: k.name, metadata: k.metadata.filter(|m| m.get() != "null").map(|m| m.get().to_owned()) })
            .collect();
        Ok(KeyPage { keys, cursor })
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        settled(buoy_kv_delete(&self.0, key)).await.map(drop)
    }
}

impl core::fmt::Display for KvOps {
    /// `get=2 put=5 list=1 delete=0`: [`OPERATIONS_HEADER`]'s value, which
    /// the JS reference writes the same way.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "get={} put={} list={} delete={}", self.gets, self.puts, self.lists, self.deletes)
    }
}

/// The KV a request at the edge uses: Workers KV, or (under
/// `BUOY_BENCH=memory` only) a store in this isolate's memory.
#[derive(Debug)]
pub enum EdgeKv {
    /// The `BUOY_KV` namespace.
    Workers(WorkersKv),
    /// The isolate's own store, shared by every request it serves.
    Memory(&'static MemoryKv),
}

impl EdgeKv {
    /// The isolate's in-memory store (made at its first use, kept until the
    /// isolate ends).
    pub fn isolate_memory() -> Self {
        thread_local! {
            static MEMORY: &'static MemoryKv = Box::leak(Box::default());
        }
        Self::Memory(MEMORY.with(|m| *m))
    }
}

impl Kv for EdgeKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self {
            Self::Workers(kv) => kv.get(key).await,
            Self::Memory(kv) => kv.get(key).await,
        }
    }

    async fn put(&self, key: &str, value: &str, metadata: Option<&str>) -> Result<(), StoreError> {
        match self {
            Self::Workers(kv) => kv.put(key, value, metadata).await,
            Self::Memory(kv) => kv.put(key, value, metadata).await,
        }
    }

    async fn list(&self, prefix: &str, limit: u32, cursor: Option<&str>) -> Result<KeyPage, StoreError> {
        match self {
            Self::Workers(kv) => kv.list(prefix, limit, cursor).await,
            Self::Memory(kv) => kv.list(prefix, limit, cursor).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Self::Workers(kv) => kv.delete(key).await,
            Self::Memory(kv) => kv.delete(key).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Counted;
    use futures_executor::block_on;

    #[test]
    fn every_operation_asked_is_counted_by_kind_and_passed_on() {
        let memory = MemoryKv::default();
        let kv = Counted::new(&memory);
        block_on(async {
            kv.put("t/1", "a", None).await.map_err(|e| e.0)?;
            kv.put("t/2", "b", Some("{}")).await.map_err(|e| e.0)?;
            assert_eq!(kv.get("t/1").await.map_err(|e| e.0)?, Some("a".to_owned()));
            assert_eq!(kv.get("t/3").await.map_err(|e| e.0)?, None);
            assert_eq!(kv.list("t/", 10, None).await.map_err(|e| e.0)?.keys.len(), 2);
            kv.delete("t/2").await.map_err(|e| e.0)
        })
        .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(kv.operations(), KvOps { gets: 2, puts: 2, lists: 1, deletes: 1 });
        assert_eq!(kv.operations().to_string(), "get=2 put=2 list=1 delete=1");
        assert_eq!(kv.spent(), 6, "what an invocation's limit counts");
        assert_eq!(memory.keys("t/"), vec!["t/1".to_owned()]);
    }

    #[test]
    fn the_isolates_memory_is_one_store_for_every_request() {
        block_on(EdgeKv::isolate_memory().put("t/kept", "x", None)).unwrap_or_else(|e| unreachable!("{}", e.0));
        let read = block_on(EdgeKv::isolate_memory().get("t/kept")).unwrap_or_else(|e| unreachable!("{}", e.0));
        assert_eq!(read, Some("x".to_owned()));
    }
}
