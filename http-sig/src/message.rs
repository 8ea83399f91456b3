//! A view over a request or response, for building signature bases.

use http::{HeaderMap, Method, StatusCode, Uri};

use crate::Error;

/// What signature bases need from a message.
#[derive(Clone, Copy)]
pub(crate) struct Msg<'a> {
    pub(crate) method: Option<&'a Method>,
    pub(crate) uri: Option<&'a Uri>,
    pub(crate) status: Option<StatusCode>,
    pub(crate) headers: &'a HeaderMap,
}

impl<'a> Msg<'a> {
    pub(crate) fn request(parts: &'a http::request::Parts) -> Self {
        Msg {
            method: Some(&parts.method),
            uri: Some(&parts.uri),
            status: None,
            headers: &parts.headers,
        }
    }

    pub(crate) fn response(parts: &'a http::response::Parts) -> Self {
        Msg {
            method: None,
            uri: None,
            status: Some(parts.status),
            headers: &parts.headers,
        }
    }

    fn uri(&self, what: &str) -> Result<&'a Uri, Error> {
        self.uri
            .ok_or_else(|| Error::MissingComponent(format!("{what} (not a request)")))
    }

    /// The host, from the URI authority or else the `Host` header.
    pub(crate) fn authority(&self) -> Result<String, Error> {
        let uri = self.uri("@authority")?;
        if let Some(a) = uri.authority() {
            return Ok(a.as_str().to_owned());
        }
        match self.headers.get(http::header::HOST).map(|h| h.to_str()) {
            Some(Ok(h)) => Ok(h.trim().to_owned()),
            Some(Err(_)) => Err(Error::malformed("Host", "not ASCII")),
            None => Err(Error::MissingComponent("host".into())),
        }
    }

    pub(crate) fn scheme(&self) -> Result<String, Error> {
        let uri = self.uri("@scheme")?;
        Ok(uri.scheme_str().unwrap_or("https").to_ascii_lowercase())
    }

    /// `@authority`: lower-cased, default port removed.
    pub(crate) fn normalized_authority(&self) -> Result<String, Error> {
        let mut a = self.authority()?.to_ascii_lowercase();
        let scheme = self.scheme()?;
        let default = match scheme.as_str() {
            "https" => ":443",
            "http" => ":80",
            _ => "",
        };
        if !default.is_empty() && a.ends_with(default) {
            a.truncate(a.len() - default.len());
        }
        Ok(a)
    }

    pub(crate) fn path(&self) -> Result<&'a str, Error> {
        let p = self.uri("@path")?.path();
        Ok(if p.is_empty() { "/" } else { p })
    }

    pub(crate) fn query(&self) -> Result<Option<&'a str>, Error> {
        Ok(self.uri("@query")?.query())
    }

    /// Origin-form request target: path and query.
    pub(crate) fn request_target(&self) -> Result<String, Error> {
        let uri = self.uri("@request-target")?;
        if self.method == Some(&Method::OPTIONS) && uri.path() == "*" {
            return Ok("*".into());
        }
        if self.method == Some(&Method::CONNECT) {
            return self.authority();
        }
        let path = self.path()?;
        Ok(match uri.query() {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        })
    }

    pub(crate) fn target_uri(&self) -> Result<String, Error> {
        let scheme = self
            .uri("@target-uri")?
            .scheme_str()
            .unwrap_or("https")
            .to_owned();
        let authority = self.authority()?;
        let target = self.request_target()?;
        Ok(format!("{scheme}://{authority}{target}"))
    }

    /// All values of a header, trimmed, joined with `, `. `None` when absent.
    pub(crate) fn header_joined(&self, name: &str) -> Option<Vec<u8>> {
        let mut iter = self.headers.get_all(name).iter();
        let first = iter.next()?;
        let mut out = trim_ows(first.as_bytes()).to_vec();
        for v in iter {
            out.extend_from_slice(b", ");
            out.extend_from_slice(trim_ows(v.as_bytes()));
        }
        Some(out)
    }
}

pub(crate) fn trim_ows(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |e| e + 1);
    &v[start..end.max(start)]
}

pub(crate) fn unix_seconds(t: std::time::SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}
