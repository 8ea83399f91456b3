//! Plain text to HTML, as Mastodon renders a toot: paragraphs and line breaks, links,
//! `@mentions` and `#hashtags`; everything else escaped.

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

/// Sanitizes HTML from other servers the way Mastodon does, in short: keeps `p`, `br`, `a`
/// (with `href` of http(s) only, `rel="nofollow noopener noreferrer"`, `class`), `span`
/// (`class`), and the text of everything else; escapes the rest.
pub fn sanitize(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&escape_text(&rest[..lt]));
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else {
            out.push_str(&escape(&rest[lt..]));
            rest = "";
            break;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let closing = tag.starts_with('/');
        let body = tag.trim_start_matches('/').trim_end_matches('/').trim();
        let name: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        // Drop the content of script/style entirely.
        if !closing && (name == "script" || name == "style") {
            let close = format!("</{name}");
            match rest.to_ascii_lowercase().find(&close) {
                Some(i) => {
                    let after_close = &rest[i..];
                    rest = after_close.find('>').map_or("", |j| &after_close[j + 1..]);
                }
                None => rest = "",
            }
            continue;
        }
        match (name.as_str(), closing) {
            ("p", false) => out.push_str("<p>"),
            ("p", true) => out.push_str("</p>"),
            ("br", _) => out.push_str("<br />"),
            ("span", false) => match attr(body, "class") {
                Some(c) => out.push_str(&format!("<span class=\"{}\">", escape(&c))),
                None => out.push_str("<span>"),
            },
            ("span", true) => out.push_str("</span>"),
            ("a", false) => {
                let href = attr(body, "href").filter(|h| {
                    let l = h.to_ascii_lowercase();
                    l.starts_with("http://") || l.starts_with("https://")
                });
                let class = attr(body, "class");
                out.push_str("<a");
                if let Some(h) = href {
                    out.push_str(&format!(" href=\"{}\"", escape(&h)));
                }
                if let Some(c) = class {
                    out.push_str(&format!(" class=\"{}\"", escape(&c)));
                }
                out.push_str(" rel=\"nofollow noopener noreferrer\" target=\"_blank\">");
            }
            ("a", true) => out.push_str("</a>"),
            _ => {}
        }
    }
    out.push_str(&escape_text(rest));
    out
}

fn escape_text(s: &str) -> String {
    // Text between tags may already contain entities; keep `&…;` as it is.
    s.replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut search = 0;
    while let Some(i) = lower[search..].find(name) {
        let at = search + i;
        let before_ok = at > 0 && lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = &tag[at + name.len()..];
        let rest_trim = rest.trim_start();
        if before_ok && rest_trim.starts_with('=') {
            let v = rest_trim[1..].trim_start();
            let (q, v) = match v.chars().next() {
                Some(q @ ('"' | '\'')) => (Some(q), &v[1..]),
                _ => (None, v),
            };
            let end = match q {
                Some(q) => v.find(q).unwrap_or(v.len()),
                None => v.find(char::is_whitespace).unwrap_or(v.len()),
            };
            return Some(v[..end].replace("&amp;", "&"));
        }
        search = at + name.len();
    }
    None
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
        assert_eq!(sanitize("<script>alert(1)</script><b>bold</b>"), "bold");
        assert_eq!(
            sanitize("<a href=\"javascript:alert(1)\">x</a>"),
            "<a rel=\"nofollow noopener noreferrer\" target=\"_blank\">x</a>"
        );
        assert_eq!(sanitize("a &amp; b<br>c"), "a &amp; b<br />c");
        assert_eq!(sanitize("1 < 2"), "1 &lt; 2");
    }
}
