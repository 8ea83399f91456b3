//! HTML from other servers: what the sanitizer keeps of rich posts (Misskey, Akkoma,
//! WordPress, Mastodon shapes), what it removes (scripts, event handlers, dangerous links,
//! styles), and a rich remote post as the client API shows it.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::SystemTime;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use http::{Request, Response, StatusCode};
use reference_server::app::render::sanitize;
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::{json, Value};

/// What every kept link carries after its own attributes.
const LINK: &str = r#"rel="nofollow noopener noreferrer" target="_blank""#;

#[test]
fn misskey_formatting_is_kept() {
    // Misskey's HTML for MFM: spans, b/i/del, code, a code block, a quote, small and a
    // centred div (the last two are unwrapped).
    let input = "<p><span>Release notes:<br><b>bold</b> and <i>italic</i> and <del>gone</del><br>\
<code>inline()</code> <small>tiny</small></span></p><div style=\"text-align:center\">centred</div>\
<pre><code>fn main() {}\n</code></pre><blockquote><span>quoted</span></blockquote>\
<p><a href=\"https://misskey.example/@carol\" class=\"u-url mention\">@carol@misskey.example</a> \
<a href=\"https://misskey.example/tags/wool\" rel=\"tag\">#wool</a></p>";
    let expected = format!(
        "<p><span>Release notes:<br /><b>bold</b> and <i>italic</i> and <del>gone</del><br />\
<code>inline()</code> tiny</span></p>centred\
<pre><code>fn main() {{}}\n</code></pre><blockquote><span>quoted</span></blockquote>\
<p><a href=\"https://misskey.example/@carol\" class=\"u-url mention\" {LINK}>@carol@misskey.example</a> \
<a href=\"https://misskey.example/tags/wool\" {LINK}>#wool</a></p>"
    );
    assert_eq!(sanitize(input), expected);
}

#[test]
fn akkoma_markdown_keeps_lists_code_and_quotes() {
    let input = "<h1>Changelog</h1><ol start=\"3\" reversed><li value=\"5\">third</li><li>fourth</li></ol>\
<ul><li><strong>strong</strong>, <em>em</em>, <u>u</u></li>\
<li><span class=\"h-card\"><a class=\"u-url mention\" data-user=\"x1\" href=\"https://akkoma.example/users/dave\" rel=\"ugc\">@<span>dave</span></a></span></li></ul>\
<pre><code class=\"language-rust\">let x = 1 &lt; 2;</code></pre><blockquote><p>quote</p></blockquote>";
    let expected = format!(
        "<p><strong>Changelog</strong></p><ol start=\"3\" reversed=\"\"><li value=\"5\">third</li><li>fourth</li></ol>\
<ul><li><strong>strong</strong>, <em>em</em>, <u>u</u></li>\
<li><span class=\"h-card\"><a class=\"u-url mention\" href=\"https://akkoma.example/users/dave\" {LINK}>@<span>dave</span></a></span></li></ul>\
<pre><code>let x = 1 &lt; 2;</code></pre><blockquote><p>quote</p></blockquote>"
    );
    assert_eq!(sanitize(input), expected);
}

#[test]
fn wordpress_blocks_keep_their_text_and_structure() {
    let input = "<h2 class=\"wp-block-heading\" id=\"intro\">Intro</h2>\n\
<p>Some <strong>text</strong> with a <a href=\"https://blog.example/2024/post\" target=\"_self\" style=\"color:red\">link</a>.</p>\n\
<figure class=\"wp-block-image\"><img src=\"https://blog.example/a.jpg\" alt=\"A sheep\"><figcaption>A sheep</figcaption></figure>\n\
<ul class=\"wp-block-list\"><li>one</li><li>two</li></ul>\n\
<blockquote class=\"wp-block-quote\"><p>Quoted</p><cite>Someone</cite></blockquote>\n\
<table><tbody><tr><td>cell</td></tr></tbody></table>";
    let expected = format!(
        "<p><strong>Intro</strong></p>\n\
<p>Some <strong>text</strong> with a <a href=\"https://blog.example/2024/post\" {LINK}>link</a>.</p>\n\
A sheep\n\
<ul><li>one</li><li>two</li></ul>\n\
<blockquote><p>Quoted</p>Someone</blockquote>\n\
cell"
    );
    assert_eq!(sanitize(input), expected);
}

#[test]
fn mastodon_markup_stays_as_it_is() {
    let input = "<p><span class=\"h-card\" translate=\"no\"><a href=\"https://m.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> see \
<a href=\"https://example.com/a/long/path\" target=\"_blank\" rel=\"nofollow noopener noreferrer\" translate=\"no\">\
<span class=\"invisible\">https://</span><span class=\"ellipsis\">example.com/a/long</span><span class=\"invisible\">/path</span></a> \
<a href=\"https://m.example/tags/wool\" class=\"mention hashtag\" rel=\"tag\">#<span>wool</span></a></p>";
    let expected = format!(
        "<p><span class=\"h-card\" translate=\"no\"><a href=\"https://m.example/@bob\" class=\"u-url mention\" {LINK}>@<span>bob</span></a></span> see \
<a href=\"https://example.com/a/long/path\" translate=\"no\" {LINK}>\
<span class=\"invisible\">https://</span><span class=\"ellipsis\">example.com/a/long</span><span class=\"invisible\">/path</span></a> \
<a href=\"https://m.example/tags/wool\" class=\"mention hashtag\" {LINK}>#<span>wool</span></a></p>"
    );
    assert_eq!(sanitize(input), expected);
}

#[test]
fn only_mastodons_classes_and_translate_no_are_kept() {
    assert_eq!(
        sanitize("<span class=\"h-card big-red invisible p-name\" translate=\"yes\">x</span>"),
        "<span class=\"h-card invisible p-name\">x</span>"
    );
    assert_eq!(
        sanitize("<span class=\"btn\">x</span><p class=\"mention\">y</p>"),
        "<span>x</span><p>y</p>"
    );
    // A quote's fallback paragraph keeps its class (Mastodon 4.4+), and only that one.
    assert_eq!(
        sanitize("<p class=\"quote-inline mention\">RE: x</p>"),
        "<p class=\"quote-inline\">RE: x</p>"
    );
}

#[test]
fn headings_become_strong_paragraphs() {
    for n in 1..=6 {
        assert_eq!(
            sanitize(&format!(
                "<h{n} class=\"x\" onclick=\"y()\">Title</h{n}><p>text</p>"
            )),
            "<p><strong>Title</strong></p><p>text</p>"
        );
    }
    // An unclosed heading is closed by the parser first.
    assert_eq!(sanitize("<h2>Open"), "<p><strong>Open</strong></p>");
}

#[test]
fn links_keep_mastodons_schemes_only() {
    for href in [
        "https://x.example/",
        "http://x.example/",
        "gemini://x.example/",
        "gopher://x.example/",
        "ipfs://bafy",
        "ipns://name",
        "dat://abc",
        "dweb://abc",
        "ssb://abc",
        "xmpp:user@x.example",
        "magnet:?xt=urn:btih:abc",
    ] {
        assert_eq!(
            sanitize(&format!("<a href=\"{href}\">x</a>")),
            format!("<a href=\"{href}\" {LINK}>x</a>"),
            "{href}"
        );
    }
    // Other schemes, relative links and links without `href` become their text (the
    // markup inside them too, as Mastodon takes the link's text).
    for a in [
        "<a href=\"ftp://x.example/f\">x</a>",
        "<a href=\"mailto:a@x.example\">x</a>",
        "<a href=\"/relative/path\">x</a>",
        "<a href=\"//x.example/\">x</a>",
        "<a href=\"\">x</a>",
        "<a>x</a>",
        "<a name=\"anchor\"><b>x</b></a>",
    ] {
        assert_eq!(sanitize(a), "x", "{a}");
    }
    assert_eq!(
        sanitize("<p>a <a href=\"javascript:void(0)\">b<br><em>c</em></a> d</p>"),
        "<p>a bc d</p>"
    );
    assert_eq!(sanitize("<a href=\"/x\"><h1>t</h1></a><br>"), "t<br />");
    // `rel` and `target` from the source are replaced.
    assert_eq!(
        sanitize("<a href=\"https://x.example/\" rel=\"opener\" target=\"_top\">x</a>"),
        format!("<a href=\"https://x.example/\" {LINK}>x</a>")
    );
}

#[test]
fn script_links_in_any_spelling_become_text() {
    for href in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "\tjavascript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "jav&#9;ascript:alert(1)",
        "java\nscript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript&#x3A;alert(1)",
        "javascript&colon;alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    ] {
        let input = format!("<a href=\"{href}\">click</a>");
        assert_eq!(sanitize(&input), "click", "{input}");
    }
}

#[test]
fn scripts_styles_and_handlers_are_removed() {
    let cases: &[(&str, &str)] = &[
        ("<script>alert(1)</script>ok", "ok"),
        (
            "<SCRIPT SRC=\"https://evil.example/x.js\"></SCRIPT>ok",
            "ok",
        ),
        ("<style>p{display:none}</style>ok", "ok"),
        ("<p onclick=\"alert(1)\">a</p>", "<p>a</p>"),
        ("<b onmouseover=alert(1)>a</b>", "<b>a</b>"),
        ("<img src=x onerror=alert(1)>after", "after"),
        ("<img src=\"x\" onerror=\"alert(1)\"/>", ""),
        ("<svg><script>alert(1)</script></svg>ok", "ok"),
        ("<svg onload=alert(1)><circle r=\"1\"/></svg>ok", "ok"),
        // MathML is not kept; ammonia drops what its removal would move out of the MathML
        // namespace.
        (
            "<math><mtext><a href=\"javascript:alert(1)\">m</a></mtext></math>",
            "",
        ),
        ("<iframe src=\"javascript:alert(1)\"></iframe>ok", "ok"),
        ("<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>", ""),
        (
            "<object data=\"javascript:alert(1)\"></object><embed src=\"x.swf\">ok",
            "ok",
        ),
        (
            "<form action=\"javascript:alert(1)\"><button>go</button></form>",
            "go",
        ),
        ("<p style=\"color:red\">a</p>", "<p>a</p>"),
        (
            "<span style=\"background:url(javascript:alert(1))\">a</span>",
            "<span>a</span>",
        ),
        (
            "<meta http-equiv=\"refresh\" content=\"0;url=https://x.example\">ok",
            "ok",
        ),
        ("<base href=\"https://evil.example/\">ok", "ok"),
        (
            "<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">ok",
            "ok",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(sanitize(input), *expected, "{input}");
    }
}

#[test]
fn broken_markup_and_comments_are_made_safe() {
    let cases: &[(&str, &str)] = &[
        ("<p>a<b>bold", "<p>a<b>bold</b></p>"),
        (
            "<a href=\"https://x.example/\">open link",
            "<a href=\"https://x.example/\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">open link</a>",
        ),
        ("<ul><li>one<li>two</ul>", "<ul><li>one</li><li>two</li></ul>"),
        ("a<!-- hidden -->b", "ab"),
        ("a<!--[if IE]><script>alert(1)</script><![endif]-->b", "ab"),
        ("a<!-- never closed <script>alert(1)</script>", "a"),
        ("<p>1 < 2 > 0 & done</p>", "<p>1 &lt; 2 &gt; 0 &amp; done</p>"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<p title=\"a\" id=\"b\" lang=\"en\" dir=\"rtl\">x</p>", "<p>x</p>"),
        ("<p>x</p", "<p>x</p>"),
    ];
    for (input, expected) in cases {
        assert_eq!(sanitize(input), *expected, "{input}");
    }
}

#[test]
fn obfuscated_markup_never_yields_active_content() {
    for input in [
        "<scr<script>ipt>alert(1)</script>",
        "<<script>script>alert(1)<</script>/script>",
        "<a href=\"javascript:alert(1)\"<b>x</b>",
        "<img src=\"x\" onerror=\"alert(1)\"//",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
        "<svg><style><img src=x onerror=alert(1)></style></svg>",
        "<math><mi><mglyph><svg><mtext><textarea><a title=\"</textarea><img src=x onerror=alert(1)>\">",
        "<textarea><script>alert(1)</script></textarea>",
        "<title><script>alert(1)</script></title>",
        "<xmp><script>alert(1)</script></xmp>",
        "<a href=\"https://x.example/\" onclick=\"alert(1)\" style=\"x\" data-x=\"y\">x</a>",
    ] {
        let out = sanitize(input).to_ascii_lowercase();
        for bad in ["<script", "<img", "<svg", "<style", "onerror", "onclick", "javascript:", "style="] {
            assert!(!out.contains(bad), "{bad} in {out} (from {input})");
        }
    }
}

#[test]
fn sanitizing_is_idempotent_on_its_output() {
    for input in [
        "<h1>T</h1><ul><li><a href=\"https://x.example/\" class=\"u-url\">x</a></li></ul>",
        "<p>a<br>b</p><pre><code>\nx</code></pre>",
        "<ol start=\"2\" reversed><li value=\"3\">x</li></ol>",
    ] {
        let once = sanitize(input);
        assert_eq!(sanitize(&once), once, "{input}");
    }
}

/// A rich remote post arrives through the inbox and the client API shows its structure.
#[tokio::test]
async fn a_rich_remote_post_reaches_the_client_api_sanitized() {
    const BOB: &str = "http://remote.test/users/bob";
    let net = MemoryNetwork::new();
    let config = Config {
        base_url: "http://wool.test".into(),
        ..Config::default()
    };
    let app = App::new(config, Arc::new(MemoryStore::new()), Arc::new(net.clone()))
        .await
        .unwrap();
    let router = Router::new(app.clone());
    let key = http_sig::PrivateKey::generate_ed25519().unwrap();
    let key_id = format!("{BOB}#main-key");
    let actor = Bytes::from(
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": BOB, "type": "Person", "preferredUsername": "bob", "name": "Bob",
            "inbox": format!("{BOB}/inbox"), "followers": format!("{BOB}/followers"),
            "publicKey": {"id": key_id, "owner": BOB, "publicKeyPem": key.public_key().to_pem().unwrap()}
        })
        .to_string(),
    );
    net.serve("remote.test", move |req: Request<Bytes>| {
        let body = if req.uri().path() == "/users/bob" {
            actor.clone()
        } else {
            Bytes::new()
        };
        async move {
            Response::builder()
                .header("content-type", "application/activity+json")
                .body(body)
                .unwrap()
        }
    });
    let content = "<p>Steps:</p><ol><li><code>shear</code></li><li><em>spin</em></li></ol>\
<blockquote>wool</blockquote><script>alert(1)</script><a href=\"javascript:alert(1)\">x</a>";
    let public = "https://www.w3.org/ns/activitystreams#Public";
    let create = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{BOB}/statuses/1/activity"), "type": "Create", "actor": BOB, "to": [public],
        "object": {"id": format!("{BOB}/statuses/1"), "type": "Note", "attributedTo": BOB,
            "content": content, "to": [public], "published": "2026-11-22T10:00:00Z"}});
    let body = create.to_string().into_bytes();
    let (mut parts, ()) = Request::post("http://wool.test/inbox")
        .header("content-type", "application/activity+json")
        .body(())
        .unwrap()
        .into_parts();
    http_sig::sign_request(
        &mut parts,
        &body,
        &key,
        &http_sig::SignOptions::cavage(&key_id),
        SystemTime::now(),
    )
    .unwrap();
    let status = router
        .handle(Request::from_parts(parts, Bytes::from(body)), None)
        .await
        .status();
    assert_eq!(status, StatusCode::ACCEPTED);
    app.engine().process_inbox(100).await.unwrap();
    let stored = app
        .status_by_uri(&format!("{BOB}/statuses/1"))
        .await
        .unwrap()
        .unwrap();
    let resp = reference_server::api::handle(
        &app,
        &Request::get(format!("/api/v1/statuses/{}", stored.id))
            .body(Bytes::new())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let json: Value = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(
        json["content"],
        "<p>Steps:</p><ol><li><code>shear</code></li><li><em>spin</em></li></ol><blockquote>wool</blockquote>x"
    );
}
