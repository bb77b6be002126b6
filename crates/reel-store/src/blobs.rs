//! Recording chunks as objects.
//!
//! Keys look like `recordings/<project>/<replay hash>/<start_ms>-<content hash>-<dictionary>.zst`:
//! the same content compressed the same way always lands on the same key, so a retried write is
//! harmless. The replay's folder is
//! a hash of its id because ids derive from client-chosen device ids, which may be longer than a
//! file name can be.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};

use crate::{Result, SessionRef, StoreError};

#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// Set for the local backend: written files are fsynced there before a put returns.
    local_root: Option<PathBuf>,
    /// Local folders whose own entry (in their parent) is known to be on disk: a write below
    /// them need not fsync further up.
    durable_dirs: Arc<std::sync::Mutex<std::collections::HashSet<PathBuf>>>,
}

impl Blobs {
    /// Objects as files under `root` (created if missing).
    pub fn local(root: &Path) -> Result<Self> {
        std::fs::create_dir_all(root)?;
        let root = root.canonicalize()?;
        // The root (and the data dir holding it) may have just been created: make their entries
        // durable before anything is written below them.
        for dir in root.ancestors().take(2) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        let store = LocalFileSystem::new_with_prefix(&root)?;
        Ok(Self {
            store: Arc::new(store),
            local_root: Some(root),
            durable_dirs: Default::default(),
        })
    }

    /// The key of a chunk's object. It names the dictionary the bytes were compressed against:
    /// two concurrent uploads of the same chunk may use different dictionary generations, and
    /// each must land on its own key so the row that wins points at bytes it can decode.
    pub fn chunk_key(
        session: &SessionRef,
        start_ms: i64,
        content_hash: &str,
        dictionary_id: Option<i64>,
    ) -> String {
        let dict = dictionary_id.map_or_else(|| "plain".to_owned(), |id| format!("d{id}"));
        format!(
            "{}/{start_ms}-{content_hash}-{dict}.zst",
            Self::recording_folder(session)
        )
    }

    /// The key of a segment's object: like a chunk's, named by its content.
    pub fn segment_key(session: &SessionRef, start_ms: i64, content_hash: &str) -> String {
        format!(
            "{}/{start_ms}-{content_hash}.seg",
            Self::recording_folder(session)
        )
    }

    /// A recording's objects live together, under a hash of its replay key.
    fn recording_folder(session: &SessionRef) -> String {
        let folder = xxhash_rust::xxh3::xxh3_128(session.replay_id().as_str().as_bytes());
        format!("recordings/{}/{folder:032x}", session.project_id)
    }

    /// Where a dictionary generation is kept; `nonce` (a content hash) keeps generations apart.
    pub fn dictionary_key(project_id: i64, nonce: &str) -> String {
        format!("dictionaries/{project_id}/{nonce}.dict")
    }

    /// Writes an object; returns once it is durable.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        let path = ObjectPath::parse(key).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.store.put(&path, PutPayload::from(bytes)).await?;
        if let Some(root) = &self.local_root {
            let (blobs, file) = (self.clone(), root.join(key));
            tokio::task::spawn_blocking(move || blobs.fsync_file_and_parents(&file))
                .await
                .map_err(|e| StoreError::Task(e.to_string()))??;
        }
        Ok(())
    }

    /// [`Blobs::put`] from a blocking thread (the upload path writes its objects in the same hop
    /// as it decodes and commits). On the local backend the file is written directly: a staging
    /// file next to it (`name#n`, as object_store names them, so a crash leftover is swept the
    /// same way), renamed into place, then the file and its directories fsynced.
    pub fn put_blocking(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        let Some(root) = &self.local_root else {
            return tokio::runtime::Handle::current().block_on(self.put(key, bytes));
        };
        let path = ObjectPath::parse(key).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let file = root.join(path.as_ref());
        let dir = file
            .parent()
            .ok_or_else(|| StoreError::Invalid(format!("{key} has no folder")))?;
        std::fs::create_dir_all(dir)?;
        let staging = {
            use std::sync::atomic::{AtomicU64, Ordering};
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let mut name = file.file_name().unwrap_or_default().to_os_string();
            name.push(format!("#{}-{n}", std::process::id()));
            dir.join(name)
        };
        let written =
            std::fs::write(&staging, &bytes).and_then(|()| std::fs::rename(&staging, &file));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&staging);
            return Err(e.into());
        }
        self.fsync_file_and_parents(&file)?;
        Ok(())
    }

    /// Keys under `prefix` of objects last modified before `cutoff_ms` (epoch ms).
    pub async fn keys_older_than(&self, prefix: &str, cutoff_ms: i64) -> Result<Vec<String>> {
        use futures::TryStreamExt as _;
        let prefix = ObjectPath::parse(prefix).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let metas: Vec<object_store::ObjectMeta> =
            self.store.list(Some(&prefix)).try_collect().await?;
        Ok(metas
            .into_iter()
            .filter(|m| m.last_modified.timestamp_millis() < cutoff_ms)
            .map(|m| m.location.to_string())
            .collect())
    }

    /// Deletes an object; deleting a missing one is not an error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        let path = ObjectPath::parse(key).map_err(|e| StoreError::Invalid(e.to_string()))?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Local backend: removes half-written staging files (`name#n`) that a crash left behind,
    /// when older than `cutoff_ms`. Object listings never show them.
    pub async fn remove_stale_staging(&self, cutoff_ms: i64) -> Result<usize> {
        let Some(root) = self.local_root.clone() else {
            return Ok(0);
        };
        tokio::task::spawn_blocking(move || {
            let cutoff =
                std::time::UNIX_EPOCH + std::time::Duration::from_millis(cutoff_ms.max(0) as u64);
            let mut removed = 0;
            let mut pending = vec![root];
            while let Some(dir) = pending.pop() {
                for entry in std::fs::read_dir(&dir)? {
                    let entry = entry?;
                    let kind = entry.file_type()?;
                    if kind.is_dir() {
                        pending.push(entry.path());
                    } else if entry.file_name().to_string_lossy().contains('#')
                        && entry.metadata()?.modified()? < cutoff
                    {
                        std::fs::remove_file(entry.path())?;
                        removed += 1;
                    }
                }
            }
            Ok(removed)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    pub async fn get(&self, key: &str) -> Result<Bytes> {
        let path = ObjectPath::parse(key).map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok(self.store.get(&path).await?.bytes().await?)
    }
}

impl Blobs {
    /// object_store's local backend writes through a temporary file and a rename but does not
    /// fsync; reel acknowledges uploads only after the data and its directory entries are on
    /// disk. The file is synced, then its folder (where the rename lives), then each folder
    /// above whose own entry is not yet known to be on disk (one the write may have created),
    /// up to the root. In steady state that is the file and its folder: two fsyncs.
    fn fsync_file_and_parents(&self, file: &Path) -> std::io::Result<()> {
        let Some(root) = &self.local_root else {
            return Ok(());
        };
        std::fs::File::open(file)?.sync_all()?;
        let mut made_durable = Vec::new();
        for dir in file.ancestors().skip(1) {
            std::fs::File::open(dir)?.sync_all()?;
            let known = self
                .durable_dirs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(dir);
            if dir == root.as_path() || known {
                break;
            }
            // This folder's entry lives in its parent: synced next.
            made_durable.push(dir.to_path_buf());
        }
        // Only now, with every parent synced, are these folders' entries durable.
        let mut known = self.durable_dirs.lock().unwrap_or_else(|e| e.into_inner());
        if known.len() > MAX_KNOWN_DIRS {
            known.clear();
        }
        known.extend(made_durable);
        Ok(())
    }
}

/// Folders remembered as durable at most (one per recording); beyond, the set starts over and
/// writes sync a few more folders for a while.
const MAX_KNOWN_DIRS: usize = 100_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_then_get() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::local(dir.path()).unwrap();
        let session = SessionRef {
            project_id: 1,
            device_id: "abc".into(),
            session_id: 5,
        };
        let key = Blobs::chunk_key(&session, 10, "ff", Some(2));
        assert!(
            key.starts_with("recordings/1/") && key.ends_with("/10-ff-d2.zst"),
            "{key}"
        );
        blobs.put(&key, b"hello".to_vec()).await.unwrap();
        assert_eq!(&blobs.get(&key).await.unwrap()[..], b"hello");
        assert!(dir.path().join(&key).is_file());
        assert!(blobs.get("recordings/1/abc/none.zst").await.is_err());
        // Written from a blocking thread, read back the same; no staging file is left.
        let other = Blobs::chunk_key(&session, 20, "ee", None);
        let (b, k) = (blobs.clone(), other.clone());
        tokio::task::spawn_blocking(move || b.put_blocking(&k, b"again".to_vec()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&blobs.get(&other).await.unwrap()[..], b"again");
        let folder = dir.path().join(&other);
        let names: Vec<_> = std::fs::read_dir(folder.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains('#')), "{names:?}");
    }
}
