//! Plain request and response values, so that handlers run on the host in
//! tests exactly as they run at the edge.

/// The HTTP methods the API distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET` (and `HEAD`, answered like `GET`).
    Get,
    /// `POST`
    Post,
    /// `OPTIONS`: a CORS preflight.
    Options,
    /// Anything else.
    Other,
}

/// A request, read from the runtime's.
#[derive(Clone, Debug)]
pub struct ApiRequest {
    /// Its method.
    pub method: Method,
    /// The path, without query.
    pub path: String,
    /// The query string, without `?`.
    pub query: String,
    /// Headers with lowercase names.
    pub headers: Vec<(String, String)>,
    /// The body: at most its route's cap (`buoy_shared::problem::body_cap`)
    /// at the edge, which refuses a larger one before it gets here.
    pub body: Vec<u8>,
}

impl ApiRequest {
    /// The first value of a header, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The percent-decoded value of a query parameter; `None` when it is
    /// absent or does not decode to UTF-8.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let raw = self.query.split('&').filter_map(|pair| pair.split_once('=')).find(|(n, _)| *n == name)?.1;
        percent_decode(raw)
    }
}

/// The internal header naming a response's file in the bucket; removed
/// by the worker before a response leaves.
pub const FILE_KEY: &str = "x-buoy-file-key";

/// A response, turned into the runtime's at the edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiResponse {
    /// Its status.
    pub status: u16,
    /// Its headers.
    pub headers: Vec<(&'static str, String)>,
    /// Its body.
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// A JSON response.
    pub fn json(status: u16, value: &impl serde::Serialize) -> Self {
        Self::with_type(status, "application/json", value)
    }

    /// A JSON body with its own media type (such as `application/problem+json`).
    pub fn with_type(status: u16, content_type: &str, value: &impl serde::Serialize) -> Self {
        // Serialising plain data structures to a Vec cannot fail.
        let body = serde_json::to_vec(value).unwrap_or_default();
        Self {
            status,
            headers: vec![
                ("content-type", content_type.to_owned()),
                ("cache-control", "no-store".to_owned()),
                ("x-content-type-options", "nosniff".to_owned()),
            ],
            body,
        }
    }

    /// The same response with one more header.
    #[must_use]
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The file a response streams from the bucket (set by
    /// [`ApiResponse::file`]); the worker reads it and never sends it.
    pub fn file_key(&self) -> Option<&str> {
        self.header_value(FILE_KEY)
    }

    /// A `200` whose body is the bucket's file under `key`, with `headers`:
    /// the worker streams it from R2 (host tests see only the key).
    pub fn file(key: String, headers: Vec<(&'static str, String)>) -> Self {
        let mut response = Self { status: 200, headers, body: Vec::new() };
        response.headers.push((FILE_KEY, key));
        response
    }

    /// The first value of a header.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

/// Why a request body was not read.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError<E> {
    /// The body runs past its route's cap; nothing past the cap was read.
    TooLarge,
    /// The stream failed (the client went away, most likely).
    Stream(E),
}

/// Reads a request body of at most `cap` bytes from its stream of chunks
/// (at the edge, `worker::Request::stream`, whether or not the client
/// sent a `Content-Length`). It stops at the first chunk that would take
/// the total past `cap`, keeps none of it, and drops the stream, which
/// cancels the rest of the upload: a client that sends more is answered
/// at once, and no more of its body is read or buffered.
///
/// # Errors
/// [`BodyError::TooLarge`] past the cap; [`BodyError::Stream`] when the
/// stream fails first.
pub async fn read_capped<S, E>(stream: S, cap: usize) -> Result<Vec<u8>, BodyError<E>>
where
    S: futures_util::Stream<Item = Result<Vec<u8>, E>>,
{
    use futures_util::StreamExt;
    let mut stream = core::pin::pin!(stream);
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(BodyError::Stream)?;
        if chunk.len() > cap.saturating_sub(body.len()) {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `text` with its `%XX` escapes decoded (and `+` read as a space, as
/// in a query); `None` when an escape is broken or the result is not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_percent_decoded() {
        let request = ApiRequest {
            method: Method::Get,
            path: "/".into(),
            query: "limit=5&cursor=a%2Fb%3D%3D&bad=%zz".into(),
            headers: vec![],
            body: vec![],
        };
        assert_eq!(request.query_param("limit").as_deref(), Some("5"));
        assert_eq!(request.query_param("cursor").as_deref(), Some("a/b=="));
        assert_eq!(request.query_param("bad"), None);
        assert_eq!(request.query_param("missing"), None);
    }

    /// `chunks` chunks of `size` bytes (all of them `None`: without end),
    /// counting in `pulled` how many were taken from the stream.
    fn body<'a>(
        chunks: Option<usize>,
        size: usize,
        pulled: &'a std::cell::Cell<usize>,
    ) -> impl futures_util::Stream<Item = Result<Vec<u8>, &'static str>> + 'a {
        futures_util::stream::repeat(()).take(chunks.unwrap_or(usize::MAX)).map(move |()| {
            pulled.set(pulled.get() + 1);
            Ok(vec![b'x'; size])
        })
    }

    use futures_util::StreamExt;

    #[test]
    fn read_capped_keeps_a_body_up_to_the_cap() {
        let pulled = std::cell::Cell::new(0);
        for (chunks, size, cap) in [(0, 0, 10), (3, 3, 10), (2, 5, 10), (1, 10, 10), (10, 1, 10)] {
            let read = futures_executor::block_on(read_capped(body(Some(chunks), size, &pulled), cap));
            assert_eq!(read, Ok(vec![b'x'; chunks * size]), "{chunks} × {size} bytes under a cap of {cap}");
        }
    }

    #[test]
    fn read_capped_stops_at_the_cap() {
        // (chunks, bytes each, cap, chunks it may take: the one that passes the cap is the last)
        for (chunks, size, cap, taken) in [(11, 1, 10, 11), (100, 1_000, 4_500, 5), (100, 1_000, 5_000, 6), (2, 64, 10, 1)] {
            let pulled = std::cell::Cell::new(0);
            let read = futures_executor::block_on(read_capped(body(Some(chunks), size, &pulled), cap));
            assert_eq!(read, Err(BodyError::TooLarge), "{chunks} × {size} bytes over a cap of {cap}");
            assert_eq!(pulled.get(), taken, "chunks read of {chunks} × {size} bytes with a cap of {cap}");
        }
    }

    #[test]
    fn read_capped_returns_from_a_body_without_end() {
        let pulled = std::cell::Cell::new(0);
        let read = futures_executor::block_on(read_capped(body(None, 4_096, &pulled), 64 * 1024));
        assert_eq!((read, pulled.get()), (Err(BodyError::TooLarge), 17), "16 chunks fill the cap, the 17th passes it");
    }

    #[test]
    fn read_capped_passes_on_a_failing_stream() {
        let failing = futures_util::stream::iter([Ok(vec![1, 2]), Err("reset by peer"), Ok(vec![3])]);
        assert_eq!(futures_executor::block_on(read_capped(failing, 10)), Err(BodyError::Stream("reset by peer")));
    }
}
