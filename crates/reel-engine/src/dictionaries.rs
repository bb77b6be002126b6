//! Per-project compression dictionaries of earlier versions of reel: chunks written then were
//! compressed against raw content of the project's own snapshots, and still name their
//! dictionary. reel no longer makes new ones (compaction into segments with content-addressed
//! pieces took their place); this module reads them back.
//!
//! Dictionaries are immutable, so their bytes are cached for the life of the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reel_store::StoreError;

use crate::Engine;

/// Dictionary bytes by id, at most [`CACHED_DICTIONARIES`] of them (each ≤ 512 KiB).
#[derive(Clone, Default)]
pub(crate) struct DictionaryCache(Arc<Mutex<HashMap<i64, Arc<Vec<u8>>>>>);

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
pub async fn bytes(engine: &Engine, id: i64) -> Result<Arc<Vec<u8>>, StoreError> {
    let cache = &engine.0.dictionaries;
    if let Some(bytes) = cache.get(id) {
        return Ok(bytes);
    }
    let dict = engine
        .store()
        .dictionary(id)
        .await?
        .ok_or_else(|| StoreError::Invalid(format!("dictionary {id} is missing")))?;
    let bytes = Arc::new(engine.blobs().get(&dict.object_key).await?.to_vec());
    cache.put(id, bytes.clone());
    Ok(bytes)
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
}
