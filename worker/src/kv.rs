//! [`Kv`] over Workers KV.

use crate::store::{KeyPage, Kv, Listed, StoreError};
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
