//! Per-project compression dictionaries (see `reel_rrweb::chunk`). The first self-contained
//! chunk a project receives becomes its dictionary; later chunks are compressed against the
//! newest generation, so the site's repeated snapshots and CSS are stored about once. When a
//! snapshot compresses poorly against it (the site changed, or a new kind of page), the
//! snapshot is appended to form a new generation — a bounded number per day.
//!
//! Dictionaries are immutable, so their bytes are cached for the life of the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reel_store::{Blobs, StoreError};

use crate::AppState;

/// Dictionary bytes by id, at most [`CACHED_DICTIONARIES`] of them (each ≤ 512 KiB).
#[derive(Clone, Default)]
pub struct DictionaryCache(Arc<Mutex<HashMap<i64, Arc<Vec<u8>>>>>);

impl DictionaryCache {
    fn get(&self, id: i64) -> Option<Arc<Vec<u8>>> {
        self.0.lock().ok()?.get(&id).cloned()
    }

    fn put(&self, id: i64, bytes: Arc<Vec<u8>>) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= CACHED_DICTIONARIES && !map.contains_key(&id) {
                // Old generations are read rarely (old replays); any one may go.
                if let Some(evict) = map.keys().next().copied() {
                    map.remove(&evict);
                }
            }
            map.insert(id, bytes);
        }
    }
}

/// Bounds the cache's memory: 64 × 512 KiB at most.
pub const CACHED_DICTIONARIES: usize = 64;

/// The bytes of dictionary `id`, from the cache or the object store.
pub async fn bytes(state: &AppState, id: i64) -> Result<Arc<Vec<u8>>, StoreError> {
    if let Some(bytes) = state.dictionaries.get(id) {
        return Ok(bytes);
    }
    let dict = state
        .meta
        .dictionary(id)
        .await?
        .ok_or_else(|| StoreError::Invalid(format!("dictionary {id} is missing")))?;
    let bytes = Arc::new(state.blobs.get(&dict.object_key).await?.to_vec());
    state.dictionaries.put(id, bytes.clone());
    Ok(bytes)
}

/// The project's dictionary, if it has one.
pub async fn for_project(
    state: &AppState,
    project_id: i64,
) -> Result<Option<(i64, Arc<Vec<u8>>)>, StoreError> {
    match state.meta.project_dictionary(project_id).await? {
        Some(dict) => Ok(Some((dict.id, bytes(state, dict.id).await?))),
        None => Ok(None),
    }
}

/// A snapshot that compresses to more than this share of its size asks for a new generation.
const POOR_RATIO: usize = 10;
/// Snapshots smaller than this say little about the dictionary's fit.
const MIN_SNAPSHOT_BYTES: usize = 16 * 1024;
/// At most this many generations per project per day: bounds what dictionaries cost to keep.
pub const GENERATIONS_PER_DAY: usize = 24;

/// Whether a self-contained chunk of `raw_bytes` that compressed to `stored_bytes` should
/// start a new generation (before asking whether the day's budget allows one).
pub fn compresses_poorly(raw_bytes: usize, stored_bytes: usize) -> bool {
    raw_bytes >= MIN_SNAPSHOT_BYTES && stored_bytes * POOR_RATIO > raw_bytes
}

/// Whether the project may get another generation now.
pub async fn may_grow(state: &AppState, project_id: i64) -> Result<bool, StoreError> {
    let since = crate::now_ms() - 86_400_000;
    Ok(state.meta.dictionaries_since(project_id, since).await? < GENERATIONS_PER_DAY)
}

/// Stores `content` as the project's newest generation. The object is durable before the row
/// that names it.
pub async fn create(
    state: &AppState,
    project_id: i64,
    content: Vec<u8>,
) -> Result<(i64, Arc<Vec<u8>>), StoreError> {
    let nonce = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&content));
    let key = Blobs::dictionary_key(project_id, &nonce);
    let size = content.len() as i64;
    state.blobs.put(&key, content.clone()).await?;
    let dict = state
        .meta
        .add_dictionary(project_id, &key, size, crate::now_ms())
        .await?;
    let content = Arc::new(content);
    state.dictionaries.put(dict.id, content.clone());
    Ok((dict.id, content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_stays_bounded() {
        let cache = DictionaryCache::default();
        for id in 0..(CACHED_DICTIONARIES as i64 + 10) {
            cache.put(id, Arc::new(vec![0; 4]));
        }
        assert_eq!(cache.0.lock().unwrap().len(), CACHED_DICTIONARIES);
        let newest = CACHED_DICTIONARIES as i64 + 9;
        assert!(cache.get(newest).is_some(), "the entry just put is kept");
    }

    #[test]
    fn poor_compression_cases() {
        let cases = [
            (100_000, 5_000, false),
            (100_000, 10_000, false),
            (100_000, 10_001, true),
            (100_000, 90_000, true),
            (10_000, 9_000, false),
        ];
        for (raw, stored, want) in cases {
            assert_eq!(compresses_poorly(raw, stored), want, "{raw} -> {stored}");
        }
    }
}
