//! Serving media files: `GET`/`HEAD /media/{*key}` from the instance's media store, and the
//! default avatar and header images.
//!
//! A file is served with the type its extension names among those the server writes (never a
//! type a browser would run: an unknown extension is `application/octet-stream`), its length,
//! a strong `ETag` (the store's SHA-256) answering `If-None-Match` with `304`, single byte
//! ranges (`206` with `Content-Range`, `416` when unsatisfiable; video seeking), caching for a
//! year (keys are never reused for other content), and `nosniff` and a sandboxing
//! `Content-Security-Policy`, so that nothing uploaded runs as a page of the instance.

use std::sync::OnceLock;

use bytes::Bytes;
use fedi_storage::media::{ByteRange, MediaKey};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};

use crate::app::App;

/// `Cache-Control` of media files: a key never names other content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Content-Security-Policy` of media files.
const CSP: &str = "default-src 'none'; sandbox";

/// The content type of a file the server stores, by its extension; `None` for any other.
pub(crate) fn content_type_of(key: &str) -> Option<&'static str> {
    let ext = key.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" | "oga" => "audio/ogg",
        "wav" => "audio/wav",
        "m4a" => "audio/mp4",
        _ => return None,
    })
}

/// The headers every media answer carries.
fn media_headers(h: &mut HeaderMap, content_type: &'static str, etag: &str) {
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("\"{etag}\"")) {
        h.insert(header::ETAG, v);
    }
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn not_modified(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|t| t == etag || t == "*")
}

/// The one range of a `Range: bytes=…` header. `Ok(None)` when there is none or it is not
/// one this server reads (several ranges, another unit: answered whole, as RFC 9110 allows);
/// `Err` when it is malformed beyond use (also answered whole).
fn range_of(request: &HeaderMap) -> Option<ByteRange> {
    let v = request.get(header::RANGE)?.to_str().ok()?.trim();
    let spec = v.strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    match (start.is_empty(), end.is_empty()) {
        (true, false) => Some(ByteRange::suffix(end.parse().ok()?)),
        (false, true) => Some(ByteRange::from_start(start.parse().ok()?)),
        (false, false) => Some(ByteRange::inclusive(start.parse().ok()?, end.parse().ok()?)),
        (true, true) => None,
    }
}

fn empty(status: StatusCode) -> Response<Bytes> {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = status;
    r
}

/// `GET`/`HEAD /media/{*key}`.
///
/// One store call per request where it can: a `GET` is one `get` (which gives the ETag), a
/// `HEAD` or a request with `If-None-Match` starts with a `head` (a match is answered `304`
/// without reading the file). Only an unsatisfiable range costs a second call (a `head`, for
/// the size the `416` names).
pub(crate) async fn serve(app: &App, request: &Request<Bytes>, key: &str) -> Response<Bytes> {
    let head = request.method() == Method::HEAD;
    // Account archives are served to their owner only (`/settings/exports/archive/:id`).
    if key.starts_with(crate::app::export::archive::KEY_PREFIX) {
        return super::pages::not_found();
    }
    let Ok(key) = MediaKey::new(key) else {
        return super::pages::not_found();
    };
    let content_type = content_type_of(key.as_str()).unwrap_or("application/octet-stream");
    let range = range_of(request.headers());
    let conditional = request.headers().contains_key(header::IF_NONE_MATCH);
    let info = if head || conditional {
        match app.media().head(&key).await {
            Ok(Some(info)) => Some(info),
            Ok(None) => return super::pages::not_found(),
            Err(e) => {
                tracing::warn!(key = %key, error = %e, "media head failed");
                return empty(StatusCode::INTERNAL_SERVER_ERROR);
            }
        }
    } else {
        None
    };
    if let Some(info) = &info {
        if not_modified(request.headers(), &info.etag) {
            let mut r = empty(StatusCode::NOT_MODIFIED);
            media_headers(r.headers_mut(), content_type, &info.etag);
            return r;
        }
        if let Some(r) = range {
            if r.resolve(info.size).is_err() {
                return unsatisfiable(content_type, &info.etag, info.size);
            }
        }
    }
    let (body, span, size, etag) = match (head, info) {
        (true, Some(info)) => {
            let span = range
                .and_then(|r| r.resolve(info.size).ok())
                .unwrap_or((0, info.size));
            (Bytes::new(), span, info.size, info.etag)
        }
        _ => match app.media().get(&key, range).await {
            Ok(Some(o)) => (o.bytes, o.span, o.size, o.etag),
            Ok(None) => return super::pages::not_found(),
            Err(e) if e.is_range_not_satisfiable() => {
                // Only now is the size needed: one more call, on this rare path.
                return match app.media().head(&key).await {
                    Ok(Some(info)) => unsatisfiable(content_type, &info.etag, info.size),
                    Ok(None) => super::pages::not_found(),
                    Err(_) => empty(StatusCode::RANGE_NOT_SATISFIABLE),
                };
            }
            Err(e) => {
                tracing::warn!(key = %key, error = %e, "media read failed");
                return empty(StatusCode::INTERNAL_SERVER_ERROR);
            }
        },
    };
    let mut r = Response::new(body);
    media_headers(r.headers_mut(), content_type, &etag);
    let length = span.1 - span.0;
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if range.is_some() {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!(
            "bytes {}-{}/{}",
            span.0,
            span.1.saturating_sub(1),
            size
        )) {
            r.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    r
}

/// `416` for a range outside an object of `size` bytes.
fn unsatisfiable(content_type: &'static str, etag: &str, size: u64) -> Response<Bytes> {
    let mut resp = empty(StatusCode::RANGE_NOT_SATISFIABLE);
    media_headers(resp.headers_mut(), content_type, etag);
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
        resp.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    resp
}

/// A plain grey PNG of `width` × `height`, encoded once.
fn grey_png(width: u32, height: u32) -> Bytes {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb([0xd9, 0xe1, 0xe8]));
    let mut out = std::io::Cursor::new(Vec::new());
    match img.write_to(&mut out, image::ImageFormat::Png) {
        Ok(()) => Bytes::from(out.into_inner()),
        Err(e) => {
            tracing::error!(error = %e, "default image not encoded");
            Bytes::new()
        }
    }
}

/// `GET`/`HEAD` of the default avatar (400×400) or header (1500×500).
pub(crate) fn missing(request: &Request<Bytes>, avatar: bool) -> Response<Bytes> {
    static AVATAR: OnceLock<(Bytes, String)> = OnceLock::new();
    static HEADER: OnceLock<(Bytes, String)> = OnceLock::new();
    let make = |w, h| {
        let png = grey_png(w, h);
        let etag = sha_hex(&png);
        (png, etag)
    };
    let (png, etag) = if avatar {
        AVATAR.get_or_init(|| make(400, 400))
    } else {
        HEADER.get_or_init(|| make(1500, 500))
    };
    if not_modified(request.headers(), etag) {
        let mut r = empty(StatusCode::NOT_MODIFIED);
        media_headers(r.headers_mut(), "image/png", etag);
        return r;
    }
    let body = if request.method() == Method::HEAD {
        Bytes::new()
    } else {
        png.clone()
    };
    let mut r = Response::new(body);
    media_headers(r.headers_mut(), "image/png", etag);
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(png.len()));
    r
}

fn sha_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(range: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(range).expect("ascii"));
        h
    }

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(
            range_of(&headers("bytes=0-9")),
            Some(ByteRange::inclusive(0, 9))
        );
        assert_eq!(
            range_of(&headers("bytes=5-")),
            Some(ByteRange::from_start(5))
        );
        assert_eq!(range_of(&headers("bytes=-3")), Some(ByteRange::suffix(3)));
        for ignored in [
            "bytes=0-1,4-5",
            "items=0-1",
            "bytes=-",
            "bytes=a-b",
            "bytes=1",
        ] {
            assert_eq!(range_of(&headers(ignored)), None, "{ignored}");
        }
    }

    #[test]
    fn only_types_the_server_writes_are_named() {
        assert_eq!(
            content_type_of("media_attachments/1/original.jpg"),
            Some("image/jpeg")
        );
        assert_eq!(content_type_of("a/b.MP4"), Some("video/mp4"));
        for other in ["a/b.html", "a/b.svg", "a/b.htm", "a/b.xml", "a/b", "a/b.js"] {
            assert_eq!(content_type_of(other), None, "{other}");
        }
    }

    #[test]
    fn if_none_match_takes_lists_and_star() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", \"abc\""),
        );
        assert!(not_modified(&h, "abc"));
        assert!(!not_modified(&h, "abd"));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(not_modified(&h, "anything"));
    }
}
