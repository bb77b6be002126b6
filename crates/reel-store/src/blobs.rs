//! Recording chunks as objects.
//!
//! Keys look like `recordings/<project>/<replay hash>/<start_ms>-<content hash>-<dictionary>.zst`:
//! the same content compressed the same way always lands on the same key, so a retried write is
//! harmless. The replay's folder is
//! a hash of its id because ids derive from client-chosen device ids, which may be longer than a
//! file name can be.
//!
//! Where the objects live is a URL ([`Blobs::open`]): `file://DIR` (the default, `objects/` in
//! the data dir) or `s3://BUCKET/PREFIX` on any S3-compatible store, whose endpoint, region and
//! credentials come from the standard `AWS_*` variables ([`S3Settings`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutPayload, RetryConfig};

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

/// How to reach an S3-compatible store: what the standard `AWS_*` variables say. Read by the
/// binary from its environment; secrets never reach logs (`{:?}` shows whether they are set).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct S3Settings {
    /// `AWS_ENDPOINT_URL`: the store's URL (a self-hosted one, e.g. `http://10.0.0.5:3900`);
    /// unset: AWS itself. Requests are path-style (`ENDPOINT/BUCKET/KEY`); plain http is used
    /// only when the endpoint says `http://`.
    pub endpoint: Option<String>,
    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`); unset: `us-east-1`.
    pub region: Option<String>,
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`: required.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = |v: &Option<String>| if v.is_some() { "<set>" } else { "<unset>" };
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &secret(&self.secret_access_key))
            .field("session_token", &secret(&self.session_token))
            .finish()
    }
}

/// The key [`Blobs::open`] lists, writes and deletes to check that an S3 store can be used.
const START_CHECK_KEY: &str = "reel-start-check";

impl Blobs {
    /// The objects at `url`: `file://DIR`, or `s3://BUCKET[/PREFIX]` reached with `s3`. An S3
    /// store is checked before this returns (one object listed, written and deleted), so a
    /// wrong endpoint, bucket or credential stops the start instead of the first upload. The
    /// error is one sentence naming the setting to fix.
    pub async fn open(url: &str, s3: &S3Settings) -> std::result::Result<Self, String> {
        let url = url.trim();
        if let Some(dir) = url.strip_prefix("file://") {
            if dir.is_empty() {
                return Err(format!(
                    "blob_url {url:?} names no folder: use file:///path/to/objects"
                ));
            }
            let dir = PathBuf::from(dir);
            return tokio::task::spawn_blocking(move || Self::local(&dir))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("blob_url {url:?}: cannot use the folder: {e}"));
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(format!(
                "blob_url {url:?} is neither file://DIR nor s3://BUCKET/PREFIX"
            ));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_matches('/');
        if bucket.is_empty() {
            return Err(format!(
                "blob_url {url:?} names no bucket: use s3://BUCKET/PREFIX"
            ));
        }
        let required = |value: &Option<String>, name: &str| {
            value
                .clone()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("blob_url {url:?} needs {name}: set it in the environment"))
        };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(s3.region.as_deref().unwrap_or("us-east-1"))
            .with_access_key_id(required(&s3.access_key_id, "AWS_ACCESS_KEY_ID")?)
            .with_secret_access_key(required(&s3.secret_access_key, "AWS_SECRET_ACCESS_KEY")?)
            .with_virtual_hosted_style_request(false);
        if let Some(endpoint) = &s3.endpoint {
            let lower = endpoint.to_ascii_lowercase();
            if !lower.starts_with("http://") && !lower.starts_with("https://") {
                return Err(format!(
                    "AWS_ENDPOINT_URL {endpoint:?} is not an http:// or https:// URL"
                ));
            }
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(lower.starts_with("http://"));
        }
        if let Some(token) = &s3.session_token {
            builder = builder.with_token(token);
        }
        let where_ = s3.endpoint.as_deref().unwrap_or("AWS S3");
        let build =
            |builder: AmazonS3Builder| -> std::result::Result<Arc<dyn ObjectStore>, String> {
                let store = builder.build().map_err(|e| {
                    format!("blob_url {url:?} with AWS_ENDPOINT_URL {where_:?}: {e}")
                })?;
                Ok(if prefix.is_empty() {
                    Arc::new(store)
                } else {
                    Arc::new(PrefixStore::new(store, prefix))
                })
            };
        // The check fails at once instead of retrying for minutes: nobody is served yet.
        let check = build(builder.clone().with_retry(RetryConfig {
            max_retries: 0,
            ..Default::default()
        }))?;
        check_s3(check.as_ref(), url, bucket, where_).await?;
        Ok(Self {
            store: build(builder)?,
            local_root: None,
            durable_dirs: Default::default(),
        })
    }

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

    /// The object's bytes, or none when there is no such object.
    pub async fn get_if_present(&self, key: &str) -> Result<Option<Bytes>> {
        match self.get(key).await {
            Ok(b) => Ok(Some(b)),
            Err(StoreError::Object(object_store::Error::NotFound { .. })) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Lists, writes and deletes one object, turning what goes wrong into the setting to fix.
/// Listing comes first: some stores (s3s-fs) make a missing bucket on a write. A list's error
/// carries no typed status, so S3's error codes in the answer are read too.
async fn check_s3(
    store: &dyn ObjectStore,
    url: &str,
    bucket: &str,
    endpoint: &str,
) -> std::result::Result<(), String> {
    use futures::TryStreamExt as _;
    use object_store::Error;
    let key = ObjectPath::from(START_CHECK_KEY);
    let explain = |e: Error| {
        let text = e.to_string();
        let says = |codes: &[&str]| codes.iter().any(|code| text.contains(code));
        if matches!(e, Error::NotFound { .. }) || says(&["NoSuchBucket"]) {
            format!(
                "blob_url {url:?}: the object store at {endpoint} has no bucket {bucket:?} \
                 (create it, or fix blob_url or AWS_ENDPOINT_URL)"
            )
        } else if matches!(
            e,
            Error::PermissionDenied { .. } | Error::Unauthenticated { .. }
        ) || says(&[
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "AccessDenied",
        ]) {
            format!(
                "blob_url {url:?}: the object store at {endpoint} refused the credentials \
                 (check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION, and that they \
                 may list, write and delete in bucket {bucket:?})"
            )
        } else {
            format!(
                "blob_url {url:?}: cannot reach the object store at {endpoint} \
                 (check AWS_ENDPOINT_URL): {text}"
            )
        }
    };
    let _: Vec<object_store::ObjectMeta> = store
        .list(Some(&key))
        .try_collect()
        .await
        .map_err(explain)?;
    store
        .put(
            &key,
            PutPayload::from_static(b"reel checks it can write here"),
        )
        .await
        .map_err(explain)?;
    store.delete(&key).await.map_err(explain)?;
    Ok(())
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
    async fn open_names_what_is_wrong_before_any_request() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}", dir.path().join("objects").display());
        let blobs = Blobs::open(&url, &S3Settings::default()).await.unwrap();
        blobs.put("a/b", b"x".to_vec()).await.unwrap();
        assert!(dir.path().join("objects/a/b").is_file());

        let keys = S3Settings {
            access_key_id: Some("id".into()),
            secret_access_key: Some("secret".into()),
            ..Default::default()
        };
        let cases: [(&str, S3Settings, &str); 6] = [
            ("file://", keys.clone(), "names no folder"),
            (
                "http://x/y",
                keys.clone(),
                "neither file://DIR nor s3://BUCKET/PREFIX",
            ),
            ("s3:///prefix", keys.clone(), "names no bucket"),
            ("s3://b/p", S3Settings::default(), "needs AWS_ACCESS_KEY_ID"),
            (
                "s3://b/p",
                S3Settings {
                    secret_access_key: None,
                    ..keys.clone()
                },
                "needs AWS_SECRET_ACCESS_KEY",
            ),
            (
                "s3://b/p",
                S3Settings {
                    endpoint: Some("localhost:9000".into()),
                    ..keys.clone()
                },
                "AWS_ENDPOINT_URL \"localhost:9000\" is not an http:// or https:// URL",
            ),
        ];
        for (url, settings, expected) in cases {
            let Err(message) = Blobs::open(url, &settings).await else {
                panic!("{url} opened");
            };
            assert!(message.contains(expected), "{url}: {message}");
        }
    }

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
