//! `Link` headers for paged lists (Mastodon's `max_id` / `min_id` paging).

use bytes::Bytes;
use fedi_storage::Page;
use http::{header, HeaderValue, Response};

/// Adds a `Link` header for the page (next: older, prev: newer), keeping the other query
/// parameters.
pub(crate) fn link_header(
    resp: &mut Response<Bytes>,
    base: &str,
    path: &str,
    query: Option<&str>,
    page: &Page,
) {
    if page.items.is_empty() {
        return;
    }
    let kept: Vec<(String, String)> = query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| !matches!(k.as_ref(), "max_id" | "since_id" | "min_id"))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let make = |k: &str, v: u64| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (a, b) in &kept {
            ser.append_pair(a, b);
        }
        ser.append_pair(k, &v.to_string());
        format!("{base}{path}?{}", ser.finish())
    };
    let mut links = Vec::new();
    if let Some(next) = page.next_max_id() {
        links.push(format!("<{}>; rel=\"next\"", make("max_id", next)));
    }
    if let Some(prev) = page.prev_min_id() {
        links.push(format!("<{}>; rel=\"prev\"", make("min_id", prev)));
    }
    if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
        resp.headers_mut().insert(header::LINK, v);
    }
}
