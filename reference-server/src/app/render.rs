//! Plain text to HTML, as Mastodon renders a toot: paragraphs and line breaks, links,
//! `@mentions` and `#hashtags`; everything else escaped. And HTML from other servers,
//! sanitized as Mastodon sanitizes remote posts ([`sanitize`]).

/// A piece of a toot's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token<'a> {
    /// Plain text.
    Text(&'a str),
    /// An `http(s)://` link.
    Url(&'a str),
    /// `@user` or `@user@domain` (the text without `@`).
    Mention {
        /// The user part.
        user: &'a str,
        /// The domain, if given.
        domain: Option<&'a str>,
        /// The whole token as written.
        raw: &'a str,
    },
    /// `#tag` (without `#`).
    Tag(&'a str),
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits text into tokens.
pub fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut plain_start = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let prev = text[..i].chars().next_back();
        let boundary = prev.is_none_or(|c| !is_word(c) && c != '/' && c != '@' && c != '#');
        let rest = &text[i..];
        let found: Option<(Token<'_>, usize)> = if boundary
            && (rest.starts_with("http://") || rest.starts_with("https://"))
        {
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
                .unwrap_or(rest.len());
            let url = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'']);
            (url.len() > "https://".len()).then_some((Token::Url(url), url.len()))
        } else if boundary && rest.starts_with('@') {
            let body = &rest[1..];
            let user_len = body
                .find(|c: char| !(is_word(c) || c == '.' || c == '-'))
                .unwrap_or(body.len());
            let user = body[..user_len].trim_end_matches(['.', '-']);
            if user.is_empty() {
                None
            } else {
                let after = &body[user.len()..];
                let domain = after.strip_prefix('@').and_then(|d| {
                    let dl = d
                        .find(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-' || c == ':'))
                        .unwrap_or(d.len());
                    let dom = d[..dl].trim_end_matches(['.', '-', ':']);
                    (dom.contains('.') || dom.contains(':')).then_some(dom)
                });
                let len = 1 + user.len() + domain.map_or(0, |d| 1 + d.len());
                Some((
                    Token::Mention {
                        user,
                        domain,
                        raw: &rest[..len],
                    },
                    len,
                ))
            }
        } else if boundary && rest.starts_with('#') {
            let body = &rest[1..];
            let len = body.find(|c: char| !is_word(c)).unwrap_or(body.len());
            let tag = &body[..len];
            (!tag.is_empty() && !tag.chars().all(|c| c.is_ascii_digit()))
                .then_some((Token::Tag(tag), 1 + len))
        } else {
            None
        };
        match found {
            Some((token, len)) => {
                if plain_start < i {
                    out.push(Token::Text(&text[plain_start..i]));
                }
                out.push(token);
                i += len;
                plain_start = i;
            }
            None => {
                let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
                i += ch_len;
            }
        }
        let _ = bytes;
    }
    if plain_start < text.len() {
        out.push(Token::Text(&text[plain_start..]));
    }
    out
}

/// `@user` / `@user@domain` mentions in text, in order, without duplicates.
pub fn mentions(text: &str) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for t in tokenize(text) {
        if let Token::Mention { user, domain, .. } = t {
            let m = (user.to_owned(), domain.map(str::to_lowercase));
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}

/// Hashtags in text, in order, without duplicates (case-insensitively).
pub fn hashtags(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tokenize(text) {
        if let Token::Tag(tag) = t {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(tag)) {
                out.push(tag.to_owned());
            }
        }
    }
    out
}

/// Escapes `&`, `<`, `>`, `"` and `'`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn push_text(out: &mut String, s: &str) {
    let mut first = true;
    for line in s.split('\n') {
        if !first {
            out.push_str("<br />");
        }
        first = false;
        out.push_str(&escape(line));
    }
}

/// Renders a toot: paragraphs on blank lines, `<br />` on line breaks, links, mentions
/// (`mention(user, domain)` gives the profile URL of a resolved account; unresolved ones stay
/// text) and hashtags (`tag_url(tag)`), in Mastodon's markup.
pub fn render<M, T>(text: &str, mention: M, tag_url: T) -> String
where
    M: Fn(&str, Option<&str>) -> Option<String>,
    T: Fn(&str) -> String,
{
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len() + 16);
    for (n, para) in text
        .split("\n\n")
        .map(|p| p.trim_matches('\n'))
        .filter(|p| !p.trim().is_empty())
        .enumerate()
    {
        let _ = n;
        out.push_str("<p>");
        for t in tokenize(para) {
            match t {
                Token::Text(s) => push_text(&mut out, s),
                Token::Url(u) => {
                    let e = escape(u);
                    let shown = u.split_once("://").map_or(u, |(_, r)| r);
                    out.push_str(&format!(
                        "<a href=\"{e}\" target=\"_blank\" rel=\"nofollow noopener noreferrer\">{}</a>",
                        escape(shown)
                    ));
                }
                Token::Mention { user, domain, raw } => match mention(user, domain) {
                    Some(url) => out.push_str(&format!(
                        "<span class=\"h-card\" translate=\"no\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                        escape(&url),
                        escape(user)
                    )),
                    None => push_text(&mut out, raw),
                },
                Token::Tag(tag) => out.push_str(&format!(
                    "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                    escape(&tag_url(tag)),
                    escape(tag)
                )),
            }
        }
        out.push_str("</p>");
    }
    out
}

/// Strips tags from HTML and unescapes the common entities (for plain-text views and
/// search).
pub fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let lower = html
        .replace("<br />", "\n")
        .replace("<br>", "\n")
        .replace("</p><p>", "\n\n");
    for c in lower.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> String {
        render(
            text,
            |u, d| match (u, d) {
                ("bob", None) => Some("https://wool.example/@bob".into()),
                ("carol", Some("b.example")) => Some("https://b.example/@carol".into()),
                _ => None,
            },
            |t| format!("https://wool.example/tags/{t}"),
        )
    }

    #[test]
    fn renders_like_mastodon() {
        assert_eq!(r("hello"), "<p>hello</p>");
        assert_eq!(r("a\nb\n\nc"), "<p>a<br />b</p><p>c</p>");
        assert_eq!(r("<b>&"), "<p>&lt;b&gt;&amp;</p>");
        assert_eq!(
            r("see https://example.com/x?a=1&b=2."),
            "<p>see <a href=\"https://example.com/x?a=1&amp;b=2\" target=\"_blank\" rel=\"nofollow noopener noreferrer\">example.com/x?a=1&amp;b=2</a>.</p>"
        );
        assert_eq!(
            r("hi @bob and @carol@b.example!"),
            "<p>hi <span class=\"h-card\" translate=\"no\"><a href=\"https://wool.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> and <span class=\"h-card\" translate=\"no\"><a href=\"https://b.example/@carol\" class=\"u-url mention\">@<span>carol</span></a></span>!</p>"
        );
        assert_eq!(
            r("@nobody@nowhere.example"),
            "<p>@nobody@nowhere.example</p>"
        );
        assert_eq!(
            r("#Sheep are #1"),
            "<p><a href=\"https://wool.example/tags/Sheep\" class=\"mention hashtag\" rel=\"tag\">#<span>Sheep</span></a> are #1</p>"
        );
    }

    #[test]
    fn finds_mentions_and_tags() {
        assert_eq!(
            mentions("@a @b@x.example mail@example.com @a"),
            vec![
                ("a".to_owned(), None),
                ("b".to_owned(), Some("x.example".to_owned()))
            ]
        );
        assert_eq!(hashtags("#Wool #wool #fleece x#no"), vec!["Wool", "fleece"]);
        assert_eq!(
            mentions("@alice@127.0.0.2:8080 hi"),
            vec![("alice".to_owned(), Some("127.0.0.2:8080".to_owned()))]
        );
    }

    #[test]
    fn strips_html() {
        assert_eq!(
            strip_html("<p>a &amp; b<br />c</p><p>d</p>"),
            "a & b\nc\n\nd"
        );
    }
}

/// The elements kept in HTML from other servers: Mastodon's list for remote posts (its
/// `MASTODON_STRICT` sanitizer, 4.2 onwards). `h1`–`h6` are also let through the sanitizer,
/// to be turned into `<p><strong>…</strong></p>` afterwards.
pub const REMOTE_ELEMENTS: [&str; 16] = [
    "p",
    "br",
    "span",
    "a",
    "del",
    "pre",
    "blockquote",
    "code",
    "b",
    "strong",
    "u",
    "i",
    "em",
    "ul",
    "ol",
    "li",
];

/// The URL schemes a link in remote HTML may have (Mastodon's `LINK_PROTOCOLS`). A link with
/// another scheme, a relative link and an `a` without `href` become their text.
pub const LINK_SCHEMES: [&str; 11] = [
    "http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini",
];

/// The `rel` of every link kept in remote HTML, as Mastodon 4.2 to 4.5 write it.
pub const LINK_REL: &str = "nofollow noopener noreferrer";

const HEADINGS: [&str; 6] = ["h1", "h2", "h3", "h4", "h5", "h6"];

/// Whether Mastodon keeps a class: microformats (`h-*`, `p-*`, `u-*`, `dt-*`, `e-*`) and
/// `mention`, `hashtag`, `ellipsis`, `invisible`, and `quote-inline` (Mastodon 4.4+: a quote's
/// `RE:` fallback, which clients hide when they show the quote; the one class kept on `p`).
fn allowed_class(class: &str) -> bool {
    ["h-", "p-", "u-", "dt-", "e-"]
        .iter()
        .any(|p| class.starts_with(p))
        || matches!(
            class,
            "mention" | "hashtag" | "ellipsis" | "invisible" | "quote-inline"
        )
}

/// Filters the values of the attributes the sanitizer lets through: only Mastodon's classes;
/// `translate` only as `no` (what Mastodon keeps, for the names in mentions); on a `p` only
/// `quote-inline`.
fn filter_attribute<'u>(
    element: &str,
    attribute: &str,
    value: &'u str,
) -> Option<std::borrow::Cow<'u, str>> {
    match attribute {
        "class" => {
            let kept: Vec<&str> = value
                .split(['\t', '\n', '\x0c', '\r', ' '])
                .filter(|c| {
                    if element == "p" {
                        *c == "quote-inline"
                    } else {
                        allowed_class(c)
                    }
                })
                .collect();
            (!kept.is_empty()).then(|| kept.join(" ").into())
        }
        "translate" => (value == "no").then_some(value.into()),
        _ => Some(value.into()),
    }
}

/// The ammonia configuration for remote HTML (built once).
fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: std::sync::OnceLock<ammonia::Builder<'static>> = std::sync::OnceLock::new();
    BUILDER.get_or_init(|| {
        let tag_attributes = [
            ("a", ["href", "class", "translate"].as_slice()),
            ("span", &["class", "translate"]),
            // A quote's fallback paragraph (`<p class="quote-inline">`, Mastodon 4.4+).
            ("p", &["class"]),
            ("ol", &["start", "reversed"]),
            ("li", &["value"]),
        ]
        .into_iter()
        .map(|(tag, attrs)| (tag, attrs.iter().copied().collect()))
        .collect();
        let mut b = ammonia::Builder::empty();
        b.tags(REMOTE_ELEMENTS.iter().chain(&HEADINGS).copied().collect())
            .clean_content_tags(["script", "style"].into_iter().collect())
            .tag_attributes(tag_attributes)
            .generic_attributes(std::collections::HashSet::new())
            .url_schemes(LINK_SCHEMES.into_iter().collect())
            .url_relative(ammonia::UrlRelative::Deny)
            // `rel` and `target` are set by the rewrite that follows, on the links kept.
            .link_rel(None)
            .strip_comments(true)
            .attribute_filter(filter_attribute);
        b
    })
}

/// The second step, on the sanitizer's output: headings become `<p><strong>…</strong></p>`;
/// a link the sanitizer left without `href` (another scheme, relative, or none) becomes its
/// text; kept links get `rel` and `target="_blank"`; `<br>` is written `<br />` as in local
/// toots. The input is ammonia's serialization, so every tag in it is a real element and
/// attribute values are quoted and escaped.
fn restructure(clean: &str) -> Result<String, lol_html::errors::RewritingError> {
    use lol_html::html_content::ContentType;
    use lol_html::{element, rewrite_str, RewriteStrSettings};
    // Handlers run in this order on an element: the links first, so that markup inside a
    // link that becomes text is removed before the others would rewrite it.
    rewrite_str(
        clean,
        RewriteStrSettings::new()
            .append_element_content_handler(element!("a[href]", |el| {
                el.set_attribute("rel", LINK_REL)?;
                el.set_attribute("target", "_blank")?;
                Ok(())
            }))
            .append_element_content_handler(element!("a:not([href])", |el| {
                el.remove_and_keep_content();
                Ok(())
            }))
            // Mastodon replaces such a link by its text: no markup inside it is kept.
            .append_element_content_handler(element!("a:not([href]) *", |el| {
                el.remove_and_keep_content();
                Ok(())
            }))
            .append_element_content_handler(element!("h1, h2, h3, h4, h5, h6", |el| {
                if !el.removed() {
                    el.set_tag_name("strong")?;
                    el.before("<p>", ContentType::Html);
                    el.after("</p>", ContentType::Html);
                }
                Ok(())
            }))
            .append_element_content_handler(element!("br", |el| {
                if !el.removed() {
                    el.replace("<br />", ContentType::Html);
                }
                Ok(())
            })),
    )
}

/// Sanitizes HTML from other servers as Mastodon (4.2 onwards) does for remote posts:
/// [`ammonia`] keeps the [`REMOTE_ELEMENTS`] with `href`, `class` and `translate` on `a`,
/// `class` and `translate` on `span`, `start` and `reversed` on `ol`, `value` on `li`; other
/// elements are unwrapped (their content kept) except `script` and `style`, whose content
/// goes; comments go; only Mastodon's classes stay. Then ([`lol_html`]) headings become
/// `<p><strong>…</strong></p>`, links whose scheme is not one of [`LINK_SCHEMES`] become their
/// text, and links get `rel="nofollow noopener noreferrer"` and `target="_blank"`.
pub fn sanitize(html: &str) -> String {
    let clean = sanitizer().clean(html).to_string();
    match restructure(&clean) {
        Ok(out) => out,
        Err(e) => {
            // Not expected on the sanitizer's output; what it produced is safe as it is.
            tracing::warn!(error = %e, "rewriting sanitized HTML failed");
            clean
        }
    }
}

#[cfg(test)]
mod sanitize_tests {
    use super::sanitize;

    #[test]
    fn keeps_mastodon_markup_and_drops_the_rest() {
        assert_eq!(
            sanitize("<p>hi <a href=\"https://x.example/@a\" class=\"u-url mention\" onclick=\"evil()\">@a</a></p>"),
            "<p>hi <a href=\"https://x.example/@a\" class=\"u-url mention\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">@a</a></p>"
        );
        // Emphasis is kept (it used to be stripped to its text).
        assert_eq!(
            sanitize("<script>alert(1)</script><b>bold</b>"),
            "<b>bold</b>"
        );
        // A link of another scheme becomes its text, as in Mastodon (it used to stay an `a`
        // without `href`).
        assert_eq!(sanitize("<a href=\"javascript:alert(1)\">x</a>"), "x");
        assert_eq!(sanitize("a &amp; b<br>c"), "a &amp; b<br />c");
        assert_eq!(sanitize("1 < 2"), "1 &lt; 2");
    }
}
