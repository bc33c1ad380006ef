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
    /// The body, at most `MAX_BODY_BYTES + 1` bytes of it.
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

    /// The first value of a header.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

fn percent_decode(text: &str) -> Option<String> {
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
}
