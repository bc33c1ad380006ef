//! Attachments' bytes: the R2 sibling of [`crate::store`], and the only
//! other module that knows storage keys.
//!
//! Layout in the `BUOY_FILES` bucket:
//! - `f/{site}/{upload id}/{file id}` → a file's bytes, written once by
//!   its upload and never rewritten, with its kind, size, sanitised name
//!   and an image's dimensions in R2's custom metadata. An attached file
//!   stays where it was uploaded: its attachment event names the upload,
//!   and so the key; the upload's record in KV (`store`'s `up/`) says it
//!   is attached. Its SHA-256 is known only once its stream has ended, so
//!   it is kept in that record and in the event, not in R2's metadata.
//!
//! Files never pass through the worker's memory whole: only an upload's
//! first bytes are read in wasm, to sniff them; they and the rest of the
//! request's stream go on into R2 through a fixed-length stream, and the
//! stored object is read back through workerd's `DigestStream` for its
//! SHA-256 (no `tee`, whose faster branch would leave the slower one's
//! backlog in memory). A download is R2's stream handed to the response.

use crate::store::StoreError;
use buoy_shared::attach::{FileInfo, Refusal};
use buoy_shared::ids::SiteId;
use futures_util::future::LocalBoxFuture;

/// The R2 bucket binding that holds attachments.
pub const BUCKET_BINDING: &str = "BUOY_FILES";

/// Where a file's bytes are kept.
pub fn key(site: &SiteId, upload: &str, file: &str) -> String {
    format!("f/{site}/{upload}/{file}")
}

/// R2 custom metadata of a file (everything [`FileInfo`] holds but its
/// SHA-256, which is known only after the bytes are stored).
pub fn metadata(file: &FileInfo) -> Vec<(String, String)> {
    let mut meta = vec![
        ("kind".to_owned(), file.kind.as_str().to_owned()),
        ("size".to_owned(), file.size.to_string()),
        ("name".to_owned(), file.name.clone()),
    ];
    if let (Some(width), Some(height)) = (file.width, file.height) {
        meta.push(("width".to_owned(), width.to_string()));
        meta.push(("height".to_owned(), height.to_string()));
    }
    meta
}

/// Why an upload's bytes were not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiveError {
    /// The first bytes were judged and refused: nothing was stored.
    Refused(Refusal),
    /// The body was not as long as its `Content-Length` said (the client
    /// went away, or lied): nothing was kept.
    Short,
    /// The bucket failed.
    Failed(String),
}

/// What judges an upload from its first bytes (and whether they are the
/// whole file): the R2 custom metadata to store it with, or a refusal.
pub type Judge<'a> = &'a dyn Fn(&[u8], bool) -> Result<Vec<(String, String)>, Refusal>;

/// The bucket operations attachments use: R2 at the edge, memory in
/// host tests. Futures are boxed so the app holds any bucket by reference.
pub trait Files {
    /// Streams an upload of `length` bytes into `key`: its first bytes
    /// (at most `buoy_shared::attach::SNIFF_BYTES`) go to `judge` first,
    /// and nothing is written when it refuses. `body` is the request's
    /// body where it was read (host tests); at the edge the bucket reads
    /// the request's stream instead. Gives the stored bytes' SHA-256, as
    /// 64 lowercase hex digits.
    fn receive<'a>(
        &'a self,
        key: &'a str,
        length: u64,
        body: &'a [u8],
        judge: Judge<'a>,
    ) -> LocalBoxFuture<'a, Result<String, ReceiveError>>;

    /// The SHA-256 of an upload's bytes without storing them (an upload
    /// repeated with its `Idempotency-Key` is compared by it).
    fn digest<'a>(&'a self, length: u64, body: &'a [u8]) -> LocalBoxFuture<'a, Result<String, ReceiveError>>;

    /// Deletes `key` (nothing happens when it is missing).
    fn delete<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<(), StoreError>>;

    /// Stores `bytes`, judged already, under `key` with `meta`: a mail's
    /// attachment, which arrives whole with its mail. Gives their SHA-256.
    fn store<'a>(&'a self, key: &'a str, bytes: &'a [u8], meta: Vec<(String, String)>) -> LocalBoxFuture<'a, Result<String, ReceiveError>>;
}

/// A stored object: its bytes and its custom metadata.
pub type Stored = (Vec<u8>, Vec<(String, String)>);

/// Files in memory, for host tests.
#[derive(Debug, Default)]
pub struct MemoryFiles {
    objects: std::cell::RefCell<std::collections::BTreeMap<String, Stored>>,
}

impl MemoryFiles {
    /// The bytes and custom metadata stored under `key`.
    pub fn get(&self, key: &str) -> Option<Stored> {
        self.objects.borrow().get(key).cloned()
    }

    /// Every key stored, in order.
    pub fn keys(&self) -> Vec<String> {
        self.objects.borrow().keys().cloned().collect()
    }
}

fn sha256_hex(body: &[u8]) -> String {
    buoy_shared::keys::request_hash(body)
}

impl Files for MemoryFiles {
    fn receive<'a>(
        &'a self,
        key: &'a str,
        length: u64,
        body: &'a [u8],
        judge: Judge<'a>,
    ) -> LocalBoxFuture<'a, Result<String, ReceiveError>> {
        Box::pin(async move {
            if body.len() as u64 != length {
                return Err(ReceiveError::Short);
            }
            let head = &body[..body.len().min(buoy_shared::attach::SNIFF_BYTES)];
            let meta = judge(head, head.len() == body.len()).map_err(ReceiveError::Refused)?;
            self.objects.borrow_mut().insert(key.to_owned(), (body.to_vec(), meta));
            Ok(sha256_hex(body))
        })
    }

    fn digest<'a>(&'a self, length: u64, body: &'a [u8]) -> LocalBoxFuture<'a, Result<String, ReceiveError>> {
        Box::pin(async move {
            if body.len() as u64 != length {
                return Err(ReceiveError::Short);
            }
            Ok(sha256_hex(body))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.objects.borrow_mut().remove(key);
            Ok(())
        })
    }

    fn store<'a>(&'a self, key: &'a str, bytes: &'a [u8], meta: Vec<(String, String)>) -> LocalBoxFuture<'a, Result<String, ReceiveError>> {
        Box::pin(async move {
            self.objects.borrow_mut().insert(key.to_owned(), (bytes.to_vec(), meta));
            Ok(sha256_hex(bytes))
        })
    }
}

/// The `BUOY_FILES` bucket, with the request's body stream for an upload.
#[derive(Debug)]
pub struct R2Files {
    bucket: worker::Bucket,
    body: std::cell::RefCell<Option<worker::web_sys::ReadableStream>>,
}

fn js_failed(what: &str) -> impl Fn(worker::wasm_bindgen::JsValue) -> ReceiveError + '_ {
    move |e| ReceiveError::Failed(format!("{what}: {e:?}"))
}

impl R2Files {
    /// The bucket, and the body of the request being answered, if any.
    pub fn new(bucket: worker::Bucket, body: Option<worker::web_sys::ReadableStream>) -> Self {
        Self { bucket, body: std::cell::RefCell::new(body) }
    }

    /// A file's bytes as a stream for a response, with their size;
    /// `None` when the key holds nothing.
    ///
    /// # Errors
    /// When R2 fails.
    pub async fn open(&self, key: &str) -> Result<Option<(worker::ResponseBody, u64)>, StoreError> {
        let failed = |e: worker::Error| StoreError(format!("r2 get {key}: {e}"));
        let Some(object) = self.bucket.get(key).execute().await.map_err(failed)? else { return Ok(None) };
        let size = object.size();
        let Some(body) = object.body() else { return Ok(None) };
        Ok(Some((body.response_body().map_err(failed)?, size)))
    }

    /// Reads the first chunks of an upload from `reader` until they hold
    /// `SNIFF_BYTES` or the body ends: every byte read, and whether that
    /// is the whole body. The reader stays locked; the rest is unread.
    async fn head(reader: &worker::web_sys::ReadableStreamDefaultReader) -> Result<(Vec<u8>, bool), ReceiveError> {
        let mut head = Vec::new();
        while head.len() < buoy_shared::attach::SNIFF_BYTES {
            let step = worker::wasm_bindgen_futures::JsFuture::from(reader.read()).await.map_err(js_failed("reading the upload"))?;
            if worker::js_sys::Reflect::get(&step, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
                return Ok((head, true));
            }
            let chunk = worker::js_sys::Reflect::get(&step, &"value".into()).map_err(js_failed("reading the upload"))?;
            head.extend(worker::js_sys::Uint8Array::new(&chunk).to_vec());
        }
        Ok((head, false))
    }

    /// workerd's SHA-256 of `stream`, hashed natively as it flows.
    async fn sha256(stream: &worker::web_sys::ReadableStream) -> Result<String, ReceiveError> {
        use worker::wasm_bindgen::JsCast;
        let digest = worker::crypto::DigestStream::new(worker::crypto::DigestStreamAlgorithm::Sha256);
        let piped = worker::wasm_bindgen_futures::JsFuture::from(stream.pipe_to(digest.raw().unchecked_ref()));
        piped.await.map_err(js_failed("hashing the upload"))?;
        let bytes = digest.digest().await.map_err(|e| ReceiveError::Failed(format!("digest: {e}")))?;
        Ok(buoy_shared::keys::hex(&bytes.to_vec()))
    }

    /// The SHA-256 of what `key` holds, read back and hashed by workerd as
    /// it streams: what was kept is what is hashed, and no branch of an
    /// upload waits in memory for a slower one (as a `tee` would).
    async fn stored_sha256(&self, key: &str) -> Result<String, ReceiveError> {
        let stored = self.bucket.get(key).execute().await.map_err(|e| ReceiveError::Failed(format!("r2 get {key}: {e}")))?;
        let body = stored.as_ref().and_then(|o| o.body()).ok_or_else(|| ReceiveError::Failed(format!("{key} vanished after its put")))?;
        match body.response_body() {
            Ok(worker::ResponseBody::Stream(stream)) => Self::sha256(&stream).await,
            Ok(_) => Err(ReceiveError::Failed(format!("{key}: no stream"))),
            Err(e) => Err(ReceiveError::Failed(format!("r2 get {key}: {e}"))),
        }
    }

    /// Writes `data` to `key` with its custom metadata.
    async fn put(&self, key: &str, data: worker::Data, meta: Vec<(String, String)>) -> Result<(), ReceiveError> {
        self.bucket
            .put(key, data)
            .custom_metadata(meta.into_iter().collect::<std::collections::HashMap<_, _>>())
            .execute()
            .await
            .map(|_| ())
            .map_err(|e| ReceiveError::Failed(format!("r2 put {key}: {e}")))
    }

    /// A stream that passes exactly `length` bytes (R2 takes a stream
    /// only of a known length), and fails on more or fewer.
    fn fixed_length(length: u64) -> Result<worker::worker_sys::FixedLengthStream, ReceiveError> {
        worker::worker_sys::FixedLengthStream::new_big_int(worker::js_sys::BigInt::from(length)).map_err(js_failed("fixed-length stream"))
    }

    fn take_body(&self) -> Result<worker::web_sys::ReadableStream, ReceiveError> {
        self.body.borrow_mut().take().ok_or(ReceiveError::Short)
    }
}

impl Files for R2Files {
    fn receive<'a>(
        &'a self,
        key: &'a str,
        length: u64,
        _body: &'a [u8],
        judge: Judge<'a>,
    ) -> LocalBoxFuture<'a, Result<String, ReceiveError>> {
        Box::pin(async move {
            use worker::wasm_bindgen::JsCast;
            let body = self.take_body()?;
            let reader: worker::web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
            let (head, whole) = Self::head(&reader).await?;
            if whole && head.len() as u64 != length {
                return Err(ReceiveError::Short);
            }
            let sniffed = &head[..head.len().min(buoy_shared::attach::SNIFF_BYTES)];
            let meta = match judge(sniffed, whole && sniffed.len() == head.len()) {
                Ok(meta) => meta,
                Err(refusal) => {
                    // Refused from its first bytes: the rest is never read.
                    let _ = reader.cancel();
                    return Err(ReceiveError::Refused(refusal));
                }
            };
            // The bytes already read, then the rest of the body piped straight
            // through (none of it passes through wasm), into R2 through a
            // fixed-length stream (R2 takes a stream only of a known length:
            // exactly the declared one).
            let fixed = Self::fixed_length(length)?;
            let transform: &worker::web_sys::TransformStream = fixed.as_ref();
            let writable = transform.writable();
            let writer = writable.get_writer().map_err(js_failed("writing the upload"))?;
            let piped = async {
                let chunk = worker::js_sys::Uint8Array::from(head.as_slice());
                worker::wasm_bindgen_futures::JsFuture::from(writer.write_with_chunk(&chunk)).await?;
                if whole {
                    worker::wasm_bindgen_futures::JsFuture::from(writer.close()).await
                } else {
                    writer.release_lock();
                    reader.release_lock();
                    worker::wasm_bindgen_futures::JsFuture::from(body.pipe_to(&writable)).await
                }
            };
            let put = self.put(key, worker::Data::ReadableStream(transform.readable()), meta);
            let (piped, put) = futures_util::future::join(piped, put).await;
            if piped.is_err() {
                // A body shorter or longer than declared: R2 kept nothing.
                let _ = self.bucket.delete(key).await;
                return Err(ReceiveError::Short);
            }
            put?;
            self.stored_sha256(key).await
        })
    }

    fn digest<'a>(&'a self, length: u64, _body: &'a [u8]) -> LocalBoxFuture<'a, Result<String, ReceiveError>> {
        Box::pin(async move {
            let body = self.take_body()?;
            let fixed = Self::fixed_length(length)?;
            let transform: &worker::web_sys::TransformStream = fixed.as_ref();
            let piped = worker::wasm_bindgen_futures::JsFuture::from(body.pipe_to(&transform.writable()));
            let (piped, digest) = futures_util::future::join(piped, Self::sha256(&transform.readable())).await;
            piped.map_err(|_| ReceiveError::Short)?;
            digest
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.bucket.delete(key).await.map_err(|e| StoreError(format!("r2 delete {key}: {e}"))) })
    }

    fn store<'a>(&'a self, key: &'a str, bytes: &'a [u8], meta: Vec<(String, String)>) -> LocalBoxFuture<'a, Result<String, ReceiveError>> {
        Box::pin(async move {
            // Hashed by workerd as a stream of the bytes, not in wasm.
            let parts = worker::js_sys::Array::of1(&worker::js_sys::Uint8Array::from(bytes));
            let blob = worker::web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(js_failed("a mail's file"))?;
            let digest = Self::sha256(&blob.stream()).await?;
            self.put(key, worker::Data::Bytes(bytes.to_vec()), meta).await?;
            Ok(digest)
        })
    }
}
