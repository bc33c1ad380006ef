//! [`Kv`] over Workers KV.

use crate::store::{KeyPage, Kv, StoreError};
use worker::kv::KvStore;

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

    async fn put(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.0.put(key, value).map_err(failed)?.execute().await.map_err(failed)
    }

    async fn list(&self, prefix: &str, limit: u32, cursor: Option<&str>) -> Result<KeyPage, StoreError> {
        let mut builder = self.0.list().prefix(prefix.to_owned()).limit(u64::from(limit));
        if let Some(cursor) = cursor {
            builder = builder.cursor(cursor.to_owned());
        }
        let page = builder.execute().await.map_err(failed)?;
        let cursor = if page.list_complete { None } else { page.cursor.filter(|c| !c.is_empty()) };
        Ok(KeyPage { keys: page.keys.into_iter().map(|k| k.name).collect(), cursor })
    }
}
