//! [`Kv`] over Workers KV, and what a benchmark needs around it: a count
//! of the operations each request spends ([`Counted`](crate::store::Counted), in [`KvOps`]), and a store kept
//! in the isolate's memory ([`EdgeKv::Memory`]), both switched on only by
//! the [`BENCH_VAR`] variable `cargo xtask bench` sets.

use crate::store::{KeyPage, Kv, KvOps, Listed, MemoryKv, StoreError};
use worker::kv::KvStore;

/// The variable that turns on the benchmark's view of KV: set only by
/// `cargo xtask bench`, never in production. `count` adds
/// [`OPERATIONS_HEADER`] to every API answer; `memory` also keeps the
/// tickets in the isolate's memory instead of Workers KV (for CPU figures
/// without the local KV simulator's cost; lost when the isolate ends).
pub const BENCH_VAR: &str = "BUOY_BENCH";
/// The answer's header that carries [`KvOps`], under [`BENCH_VAR`].
pub const OPERATIONS_HEADER: &str = "buoy-kv-operations";

/// A Workers KV namespace.
#[derive(Debug)]
pub struct WorkersKv(pub KvStore);

fn failed(error: impl core::fmt::Display) -> StoreError {
    StoreError(error.to_string())
}

impl Kv for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.0.get(key).text().await.map_err(failed)
    }

    async fn put(&self, key: &str, value: &str, metadata: Option<&str>) -> Result<(), StoreError> {
        let mut builder = self.0.put(key, value).map_err(failed)?;
        if let Some(metadata) = metadata {
            let value: serde_json::Value = serde_json::from_str(metadata).map_err(failed)?;
            builder = builder.metadata(value).map_err(failed)?;
        }
        builder.execute().await.map_err(failed)
    }

    async fn list(&self, prefix: &str, limit: u32, cursor: Option<&str>) -> Result<KeyPage, StoreError> {
        let mut builder = self.0.list().prefix(prefix.to_owned()).limit(u64::from(limit));
        if let Some(cursor) = cursor {
            builder = builder.cursor(cursor.to_owned());
        }
        let page = builder.execute().await.map_err(failed)?;
        let cursor = if page.list_complete { None } else { page.cursor.filter(|c| !c.is_empty()) };
        let keys = page.keys.into_iter().map(|k| Listed { name: k.name, metadata: k.metadata.map(|m| m.to_string()) }).collect();
        Ok(KeyPage { keys, cursor })
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).await.map_err(failed)
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
