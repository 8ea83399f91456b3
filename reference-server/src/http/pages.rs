//! Public web pages: home, profile, status and hashtag pages, server-rendered HTML that reads
//! without JavaScript. Every string from a record is escaped; status and bio HTML is sanitized
//! when it is stored.

use std::fmt::Write as _;

use bytes::Bytes;
use fedi_storage::PageRequest;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use super::{response, HTML_CONTENT_TYPE};
use crate::app::docs::rfc3339;
use crate::app::model::id_time;
use crate::app::render::escape;
use crate::app::List;
use crate::app::{Account, App, Status, StatusVisibility};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}article{border-top:1px solid #ddd;padding:1rem 0}header small,footer small{color:#666}summary{cursor:pointer;font-weight:600}a{color:#2b59c3}";

fn page(status: StatusCode, title: &str, head: &str, body: &str) -> Response<Bytes> {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n{head}<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        escape(title)
    );
    let mut r = response(status, HTML_CONTENT_TYPE, html);
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    r
}

fn alternate(href: &str) -> String {
    format!(
        "<link rel=\"alternate\" type=\"application/activity+json\" href=\"{}\">\n",
        escape(href)
    )
}

/// The 404 page.
pub(crate) fn not_found() -> Response<Bytes> {
    page(
        StatusCode::NOT_FOUND,
        "Not found",
        "",
        "<main><h1>Not found</h1><p>This page does not exist.</p></main>",
    )
}

fn internal(e: &crate::Error) -> Response<Bytes> {
    if e.is_not_found() {
        return not_found();
    }
    tracing::warn!(error = %e, "page failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Error",
        "",
        "<main><h1>Something went wrong</h1></main>",
    )
}

async fn local(app: &App, name: &str) -> Option<Account> {
    if name.is_empty() || name.contains('@') {
        return None;
    }
    match app.account_by_acct(name).await {
        Ok(Some(a)) if a.is_local() && !a.deleted => Some(a),
        _ => None,
    }
}

fn display_name(a: &Account) -> String {
    if a.display_name.is_empty() {
        a.username.clone()
    } else {
        a.display_name.clone()
    }
}

fn handle(app: &App, a: &Account) -> String {
    format!(
        "@{}@{}",
        a.username,
        a.domain.as_deref().unwrap_or(app.config().domain())
    )
}

/// The home page: the instance's name and its newest local public posts.
pub(crate) async fn home(app: &App) -> Response<Bytes> {
    let cfg = app.config();
    let mut body = format!(
        "<header><h1>{}</h1><p>A Woolly server at {}.</p></header>\n<main>\n",
        escape(&cfg.title),
        escape(cfg.domain())
    );
    match app
        .statuses_page(&List::LocalTimeline, &PageRequest::newest(20), None)
        .await
    {
        Ok((statuses, _)) => {
            if statuses.is_empty() {
                body.push_str("<p>Nothing posted yet.</p>\n");
            }
            for s in &statuses {
                body.push_str(&status_article(app, s, true).await);
            }
        }
        Err(e) => return internal(&e),
    }
    body.push_str("</main>");
    page(StatusCode::OK, &cfg.title, "", &body)
}

/// A profile page: name, bio, fields, counts and the newest public posts.
pub(crate) async fn profile(app: &App, name: &str, query: Option<&str>) -> Response<Bytes> {
    let Some(a) = local(app, name).await else {
        return not_found();
    };
    let max_id = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "max_id")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    let (statuses_n, followers, following) = match app.account_counts(a.id).await {
        Ok(c) => c,
        Err(e) => return internal(&e),
    };
    let mut req = PageRequest::newest(20);
    req.max_id = max_id;
    let (statuses, page_info) = match app.statuses_page(&List::StatusesOf(a.id), &req, None).await {
        Ok(p) => p,
        Err(e) => return internal(&e),
    };
    let name_html = escape(&display_name(&a));
    let mut body = format!(
        "<header>\n<h1>{name_html}</h1>\n<p><small>{}</small>{}</p>\n<div class=\"note\">{}</div>\n",
        escape(&handle(app, &a)),
        if a.locked { " &#128274; <small>(approves followers)</small>" } else { "" },
        a.note
    );
    if !a.fields.is_empty() {
        body.push_str("<dl>\n");
        for (k, v) in &a.fields {
            // Field names are escaped and values sanitized when stored.
            let _ = writeln!(body, "<dt>{k}</dt><dd>{v}</dd>");
        }
        body.push_str("</dl>\n");
    }
    let _ = write!(
        body,
        "<p><strong>{statuses_n}</strong> posts · <strong>{followers}</strong> followers · <strong>{following}</strong> following</p>\n</header>\n<main>\n"
    );
    if statuses.is_empty() {
        body.push_str("<p>No public posts.</p>\n");
    }
    for s in &statuses {
        body.push_str(&status_article(app, s, true).await);
    }
    if page_info.items.len() >= req.limit {
        if let Some(next) = page_info.next_max_id() {
            let _ = writeln!(
                body,
                "<nav><a href=\"{}?max_id={next}\">Older posts</a></nav>",
                escape(&a.url)
            );
        }
    }
    body.push_str("</main>");
    let head = format!(
        "{}<link rel=\"canonical\" href=\"{}\">\n<meta name=\"description\" content=\"{}\">\n",
        alternate(&a.actor),
        escape(&a.url),
        escape(&crate::app::render::strip_html(&a.note))
    );
    page(
        StatusCode::OK,
        &format!("{} ({})", display_name(&a), handle(app, &a)),
        &head,
        &body,
    )
}

/// A status page: the status, its thread (what an anonymous reader may see).
pub(crate) async fn status(app: &App, name: &str, id: &str) -> Response<Bytes> {
    let Some(a) = local(app, name).await else {
        return not_found();
    };
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let s = match app.status(id).await {
        Ok(s) if s.account_id == a.id && s.local => s,
        Ok(_) => return not_found(),
        Err(e) if e.is_not_found() => {
            let iri = app.status_iri(&a.username, id);
            return match fedi_storage::DocumentStore::tombstone(app.store().as_ref(), &iri).await {
                Ok(Some(_)) => page(
                    StatusCode::GONE,
                    "Deleted",
                    "",
                    "<main><h1>Deleted</h1><p>This post was deleted.</p></main>",
                ),
                _ => not_found(),
            };
        }
        Err(e) => return internal(&e),
    };
    if !matches!(
        s.visibility,
        StatusVisibility::Public | StatusVisibility::Unlisted
    ) {
        return not_found();
    }
    let (ancestors, descendants) = match app.context(s.id, None).await {
        Ok(c) => c,
        Err(e) => return internal(&e),
    };
    let mut body = String::from("<main>\n");
    for p in &ancestors {
        body.push_str(&status_article(app, p, true).await);
    }
    body.push_str(&status_article(app, &s, false).await);
    for d in &descendants {
        body.push_str(&status_article(app, d, true).await);
    }
    body.push_str("</main>");
    let plain = crate::app::render::strip_html(&s.content);
    let summary = if s.spoiler_text.is_empty() {
        plain.chars().take(80).collect::<String>()
    } else {
        s.spoiler_text.clone()
    };
    let head = format!(
        "{}<link rel=\"canonical\" href=\"{}\">\n",
        alternate(&s.uri),
        escape(&s.url)
    );
    page(
        StatusCode::OK,
        &format!("{}: \"{summary}\"", display_name(&a)),
        &head,
        &body,
    )
}

/// A hashtag page: the newest public statuses with the tag.
pub(crate) async fn tag(app: &App, tag: &str) -> Response<Bytes> {
    let tag = tag.to_lowercase();
    if tag.is_empty() || !tag.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return not_found();
    }
    let (statuses, _) = match app
        .statuses_page(&List::Tag(tag.to_owned()), &PageRequest::newest(20), None)
        .await
    {
        Ok(p) => p,
        Err(e) => return internal(&e),
    };
    let mut body = format!("<header><h1>#{}</h1></header>\n<main>\n", escape(&tag));
    if statuses.is_empty() {
        body.push_str("<p>No posts with this tag.</p>\n");
    }
    for s in &statuses {
        body.push_str(&status_article(app, s, true).await);
    }
    body.push_str("</main>");
    page(StatusCode::OK, &format!("#{tag}"), "", &body)
}

/// One status as an `<article>`: author, content (behind `<details>` with a content
/// warning), time with a link to the status page.
async fn status_article(app: &App, s: &Status, link: bool) -> String {
    let (shown, booster) = match s.reblog_of_id {
        Some(of) => match app.status(of).await {
            Ok(o) => (o, app.account(s.account_id).await.ok()),
            Err(_) => return String::new(),
        },
        None => (s.clone(), None),
    };
    let author = match app.account(shown.account_id).await {
        Ok(a) => a,
        Err(_) => return String::new(),
    };
    let mut out = String::from("<article>\n");
    if let Some(b) = booster {
        let _ = writeln!(
            out,
            "<p><small>&#128257; <a href=\"{}\">{}</a> boosted</small></p>",
            escape(&b.url),
            escape(&display_name(&b))
        );
    }
    let _ = writeln!(
        out,
        "<header><a href=\"{}\"><strong>{}</strong></a> <small>{}</small></header>",
        escape(&author.url),
        escape(&display_name(&author)),
        escape(&handle(app, &author))
    );
    let lang = shown
        .language
        .as_deref()
        .map(|l| format!(" lang=\"{}\"", escape(l)))
        .unwrap_or_default();
    // Status HTML is sanitized when it is stored (local: rendered; remote: sanitized).
    if shown.spoiler_text.is_empty() {
        let _ = writeln!(out, "<div class=\"content\"{lang}>{}</div>", shown.content);
    } else {
        let _ = writeln!(
            out,
            "<details><summary>{}</summary>\n<div class=\"content\"{lang}>{}</div>\n</details>",
            escape(&shown.spoiler_text),
            shown.content
        );
    }
    let when = rfc3339(id_time(shown.id).min(shown.created_at.max(1)).max(1));
    let time = format!(
        "<time datetime=\"{}\">{}</time>",
        escape(&when),
        escape(when.get(..16).unwrap_or(&when).replace('T', " ").as_str())
    );
    let vis = match shown.visibility {
        StatusVisibility::Public => "",
        StatusVisibility::Unlisted => " · unlisted",
        StatusVisibility::Private => " · followers only",
        StatusVisibility::Direct => " · direct",
    };
    let edited = if shown.edited_at.is_some() {
        " · edited"
    } else {
        ""
    };
    if link {
        let _ = writeln!(
            out,
            "<footer><small><a href=\"{}\">{time}</a>{vis}{edited}</small></footer>",
            escape(&shown.url)
        );
    } else {
        let _ = writeln!(out, "<footer><small>{time}{vis}{edited}</small></footer>");
    }
    out.push_str("</article>\n");
    out
}
