//! What a preview card is made of, read without I/O: the link of a post that gets a card,
//! the details of an HTML page (OpenGraph, Twitter and plain `<meta>` tags, `<title>`, the
//! oEmbed discovery link, `fediverse:creator`) and an oEmbed answer.
//!
//! HTML is read with [`lol_html`] (already the server's HTML rewriter, see `render.rs`): a
//! streaming parser that tokenizes as browsers do and matches CSS selectors, so `meta`,
//! `link`, `title` and `a` elements are found wherever the page puts them, in any case and
//! quoting, without building a tree of a page of up to a megabyte.

use std::cell::RefCell;
use std::collections::HashMap;

use lol_html::{element, text, AsciiCompatibleEncoding, HtmlRewriter, Settings};
use serde_json::Value;

/// The longest title or description kept, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// The first link of a post's HTML that gets a card, as Mastodon picks it: an `http(s)` link
/// with a host, not to this instance (`local_host`), not a hashtag (`rel="tag"`), not a
/// mention (microformats classes `u-url` / `h-card`, or one of `mention_urls`), and not inside
/// a quote's inline fallback (`.quote-inline`, Mastodon 4.5's `RE:` paragraph).
pub fn first_link(html: &str, mention_urls: &[String], local_host: &str) -> Option<String> {
    let links: RefCell<Vec<String>> = RefCell::new(Vec::new());
    let skipped: RefCell<Vec<String>> = RefCell::new(Vec::new());
    let settings = Settings::new()
        .append_element_content_handler(element!(".quote-inline a[href]", |el| {
            if let Some(h) = el.get_attribute("href") {
                skipped.borrow_mut().push(h);
            }
            Ok(())
        }))
        .append_element_content_handler(element!("a[href]", |el| {
            let rel = el.get_attribute("rel").unwrap_or_default();
            let class = el.get_attribute("class").unwrap_or_default();
            let tag = rel.split_ascii_whitespace().any(|r| r == "tag");
            let microformat = class.contains("u-url") || class.contains("h-card");
            if let Some(h) = el.get_attribute("href") {
                if !tag && !microformat && !mention_urls.contains(&h) {
                    links.borrow_mut().push(h);
                }
            }
            Ok(())
        }));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    if rewriter.write(html.as_bytes()).is_err() || rewriter.end().is_err() {
        return None;
    }
    let skipped = skipped.into_inner();
    links
        .into_inner()
        .into_iter()
        .filter(|h| !skipped.contains(h))
        .find_map(|h| good_url(&h, local_host))
}

/// `href` as an absolute `http(s)` URL with a host that is not `local_host`, normalized.
fn good_url(href: &str, local_host: &str) -> Option<String> {
    let u = url::Url::parse(href.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?;
    let authority = match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    if authority.eq_ignore_ascii_case(local_host) || host.eq_ignore_ascii_case(local_host) {
        return None;
    }
    let s = u.to_string();
    (s.len() <= 2048).then_some(s)
}

/// What a page says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageDetails {
    /// `<meta property|name=… content=…>`, by lowercased property or name; the first wins.
    pub meta: HashMap<String, String>,
    /// The first `<title>`'s text.
    pub title: Option<String>,
    /// `<html lang>`.
    pub lang: Option<String>,
    /// `<link rel="canonical">`.
    pub canonical: Option<String>,
    /// The oEmbed JSON endpoint (`<link rel="alternate" type="application/json+oembed">`).
    pub oembed: Option<String>,
}

/// Reads a page's details from its bytes, in `charset` (the answer's, else UTF-8; a
/// `<meta charset>` in the page switches it, as browsers do).
pub fn page_details(html: &[u8], charset: Option<&str>) -> PageDetails {
    let details = RefCell::new(PageDetails::default());
    let title = RefCell::new(String::new());
    let title_done = RefCell::new(false);
    let encoding = charset
        .and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()))
        .and_then(AsciiCompatibleEncoding::new)
        .unwrap_or_else(AsciiCompatibleEncoding::utf_8);
    let settings = Settings::new()
        .with_encoding(encoding)
        .with_adjust_charset_on_meta_tag(true)
        .append_element_content_handler(element!("meta[content]", |el| {
            let content = el.get_attribute("content").unwrap_or_default();
            let mut d = details.borrow_mut();
            for attr in ["property", "name", "itemprop"] {
                if let Some(names) = el.get_attribute(attr) {
                    // RDFa allows several properties in one attribute.
                    for name in names.split_ascii_whitespace() {
                        d.meta
                            .entry(name.to_ascii_lowercase())
                            .or_insert_with(|| content.trim().to_owned());
                    }
                }
            }
            Ok(())
        }))
        .append_element_content_handler(element!("html[lang]", |el| {
            details.borrow_mut().lang = el.get_attribute("lang");
            Ok(())
        }))
        .append_element_content_handler(element!("link[rel][href]", |el| {
            let rel = el
                .get_attribute("rel")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let kind = el
                .get_attribute("type")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let href = el.get_attribute("href").unwrap_or_default();
            let mut d = details.borrow_mut();
            let rels: Vec<&str> = rel.split_ascii_whitespace().collect();
            if rels.contains(&"canonical") && d.canonical.is_none() {
                d.canonical = Some(href);
            } else if rels.contains(&"alternate")
                && matches!(
                    kind.as_str(),
                    "application/json+oembed" | "text/json+oembed"
                )
                && d.oembed.is_none()
            {
                d.oembed = Some(href);
            }
            Ok(())
        }))
        .append_element_content_handler(text!("title", |t| {
            // The first title element's text (a title's text is one text node).
            if !*title_done.borrow() {
                title.borrow_mut().push_str(t.as_str());
                if t.last_in_text_node() {
                    *title_done.borrow_mut() = true;
                }
            }
            Ok(())
        }));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    // A page the parser gives up on keeps what was read before.
    let _ = rewriter.write(html).and_then(|()| rewriter.end());
    let mut d = details.into_inner();
    let t = collapse(&title.into_inner());
    if !t.is_empty() {
        d.title = Some(t);
    }
    d
}

/// Whitespace collapsed to single spaces, trimmed, entities decoded.
pub fn collapse(s: &str) -> String {
    let decoded = decode_entities(s);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The few character references found in `<title>` text (lol_html gives raw text).
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let n = match num.strip_prefix(['x', 'X']) {
                        Some(h) => u32::from_str_radix(h, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(n)
                }
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Text cut to [`MAX_TEXT_CHARS`].
pub fn capped(s: &str) -> String {
    s.chars().take(MAX_TEXT_CHARS).collect()
}

impl PageDetails {
    /// The first non-empty of these `<meta>` properties.
    pub fn first(&self, names: &[&str]) -> Option<&str> {
        names
            .iter()
            .filter_map(|n| self.meta.get(*n))
            .map(|v| v.as_str())
            .find(|v| !v.trim().is_empty())
    }
}

/// An oEmbed answer, checked: `version` 1.0 and one of the four types.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OEmbed {
    /// `link`, `photo`, `video` or `rich`.
    pub kind: String,
    /// Title.
    pub title: Option<String>,
    /// Author's name.
    pub author_name: Option<String>,
    /// Author's page.
    pub author_url: Option<String>,
    /// Provider's name.
    pub provider_name: Option<String>,
    /// Provider's page.
    pub provider_url: Option<String>,
    /// Thumbnail.
    pub thumbnail_url: Option<String>,
    /// The photo (`photo`).
    pub url: Option<String>,
    /// Embed HTML (`video`, `rich`).
    pub html: Option<String>,
    /// Width.
    pub width: Option<u32>,
    /// Height.
    pub height: Option<u32>,
}

/// Parses an oEmbed JSON answer; `None` unless it is an object with `version` 1.0 and a
/// known `type` (as Mastodon's `FetchOEmbedService` validates it).
pub fn oembed(json: &[u8]) -> Option<OEmbed> {
    let v: Value = serde_json::from_slice(json).ok()?;
    let o = v.as_object()?;
    let version = match o.get("version")? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    if version != "1.0" && version != "1" {
        return None;
    }
    let kind = o.get("type")?.as_str()?.to_ascii_lowercase();
    if !matches!(kind.as_str(), "link" | "photo" | "video" | "rich") {
        return None;
    }
    let s = |k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let n = |k: &str| {
        o.get(k).and_then(|v| match v {
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
    };
    Some(OEmbed {
        kind,
        title: s("title"),
        author_name: s("author_name"),
        author_url: s("author_url"),
        provider_name: s("provider_name"),
        provider_url: s("provider_url"),
        thumbnail_url: s("thumbnail_url"),
        url: s("url"),
        html: s("html"),
        width: n("width"),
        height: n("height"),
    })
}

/// An oEmbed `video`'s HTML as Mastodon keeps it (`Sanitize::Config::MASTODON_OEMBED`): only
/// `iframe`s with an `http(s)` `src`, their size and the permissions to play full screen.
pub fn sanitize_embed(html: &str) -> String {
    ammonia::Builder::empty()
        .add_tags(["iframe"])
        .add_tag_attributes(
            "iframe",
            [
                "src",
                "width",
                "height",
                "allowfullscreen",
                "frameborder",
                "scrolling",
                "allow",
            ],
        )
        .url_schemes(["http", "https"].into_iter().collect())
        .clean(html)
        .to_string()
}

/// `href` made absolute against `base` (`None` unless `http(s)`).
pub fn absolute(base: &url::Url, href: &str) -> Option<String> {
    let u = base.join(href.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_first_link_skips_mentions_hashtags_local_links_and_quotes() {
        let html = r#"<p><span class="h-card"><a href="https://a.test/@x" class="u-url mention">@x</a></span>
            <a href="https://wool.test/tags/rust" class="mention hashtag" rel="tag">#rust</a>
            <a href="https://b.test/@y">@y</a>
            <a href="http://wool.test/about">here</a>
            <a href="mailto:x@y.z">mail</a></p>
            <p class="quote-inline">RE: <a href="https://c.test/notes/1">c.test/notes/1</a></p>
            <p><a href="https://example.com/Page?q=1#f">https://example.com/Page?q=1#f</a>
            <a href="https://second.test/">second</a></p>"#;
        let got = first_link(html, &["https://b.test/@y".into()], "wool.test");
        assert_eq!(got.as_deref(), Some("https://example.com/Page?q=1#f"));
        assert_eq!(first_link("<p>no links</p>", &[], "wool.test"), None);
    }

    #[test]
    fn page_details_read_meta_title_and_links_anywhere() {
        let page = br#"<!doctype html><HTML lang="fr"><head>
            <title> A &amp; B
              page </title>
            <META property="og:title" content="OG title">
            <meta name="description" content="plain">
            <meta property="og:description" content="og desc">
            <meta property="og:title" content="second og title">
            <link rel="canonical" href="/canon">
            <link rel="alternate" type="application/json+oembed" href="/oembed?u=1">
            <meta name="fediverse:creator" content="@ann@wool.test">
            </head><body><svg><title>not this</title></svg></body></html>"#;
        let d = page_details(page, None);
        assert_eq!(d.title.as_deref(), Some("A & B page"));
        assert_eq!(d.meta["og:title"], "OG title");
        assert_eq!(d.first(&["og:description", "description"]), Some("og desc"));
        assert_eq!(d.meta["fediverse:creator"], "@ann@wool.test");
        assert_eq!(d.canonical.as_deref(), Some("/canon"));
        assert_eq!(d.oembed.as_deref(), Some("/oembed?u=1"));
        assert_eq!(d.lang.as_deref(), Some("fr"));
    }

    #[test]
    fn a_page_in_another_charset_is_decoded() {
        // "café" in ISO-8859-1.
        let page = b"<title>caf\xe9</title>";
        assert_eq!(
            page_details(page, Some("iso-8859-1")).title.as_deref(),
            Some("café")
        );
        let page = b"<meta charset=\"windows-1252\"><title>caf\xe9</title>";
        assert_eq!(page_details(page, None).title.as_deref(), Some("café"));
    }

    #[test]
    fn truncated_and_random_input_never_panics() {
        let page = "<html lang=en><head><title>T &amp; &#x263a; &#99999999; &bogus;</title>\
            <meta property=\"og:title og:description\" content=\"x\"><meta charset=\"koi8-r\">\
            <link rel=\"alternate canonical\" type=\"application/json+oembed\" href=\"/o\">\
            </head><body><p class=\"quote-inline\"><a href=\"https://a.test/\">a</a></p>\
            <a href=\"https://b.test/x\" rel=\"tag\">b</a><a href=\"http://[::1\">c</a></body>";
        for end in 0..=page.len() {
            let bytes = &page.as_bytes()[..end];
            let _ = page_details(bytes, Some("utf-8"));
            let _ = page_details(bytes, Some("no-such-charset"));
            let _ = oembed(bytes);
            if let Ok(text) = std::str::from_utf8(bytes) {
                let _ = first_link(text, &[], "wool.test");
                let _ = collapse(text);
            }
        }
        // Pseudo-random bytes (a fixed linear congruential sequence).
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for len in [1usize, 7, 64, 513, 4096] {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    (x >> 56) as u8
                })
                .collect();
            let _ = page_details(&bytes, None);
            let _ = oembed(&bytes);
            let text = String::from_utf8_lossy(&bytes);
            let _ = first_link(&text, &[], "wool.test");
            let _ = collapse(&text);
        }
    }

    #[test]
    fn oembed_answers_are_checked() {
        let v = oembed(br#"{"version":"1.0","type":"video","title":"T","html":"<iframe src=\"https://v.test/e/1\" width=\"480\"></iframe><script>x</script>","width":480,"height":"270"}"#).unwrap();
        assert_eq!(v.kind, "video");
        assert_eq!((v.width, v.height), (Some(480), Some(270)));
        assert_eq!(
            sanitize_embed(v.html.as_deref().unwrap()),
            r#"<iframe src="https://v.test/e/1" width="480"></iframe>"#
        );
        assert!(oembed(br#"{"version":"2.0","type":"video"}"#).is_none());
        assert!(oembed(br#"{"version":"1.0","type":"other"}"#).is_none());
        assert!(oembed(b"[1]").is_none());
        assert!(oembed(b"not json").is_none());
    }
}
