//! Public web pages: home, profile, status and hashtag pages, server-rendered HTML that reads
//! without JavaScript. The pages are `maud` templates, which escape every string they are
//! given; status and bio HTML is sanitized (remote) or rendered from text (local) when it is
//! stored, and only that stored HTML goes in unescaped (`PreEscaped`).

use bytes::Bytes;
use fedi_storage::PageRequest;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::{response, HTML_CONTENT_TYPE};
use crate::app::activitypub::rfc3339;
use crate::app::model::id_time;
use crate::app::render::strip_html;
use crate::app::List;
use crate::app::{Account, App, MediaAttachment, MediaState, Status, StatusVisibility};
use crate::media::MediaKind;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}article{border-top:1px solid #ddd;padding:1rem 0}header small,footer small{color:#666}summary{cursor:pointer;font-weight:600}a{color:#2b59c3}.media img,.media video{max-width:100%;height:auto;display:block;margin:.5rem 0}img.avatar{width:4rem;height:4rem;border-radius:.5rem;float:left;margin-right:1rem}";

fn page(status: StatusCode, title: &str, head: Markup, body: Markup) -> Response<Bytes> {
    let html = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                (head)
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    };
    let mut r = response(status, HTML_CONTENT_TYPE, html.into_string());
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    r
}

fn alternate(href: &str) -> Markup {
    html! { link rel="alternate" type="application/activity+json" href=(href); }
}

/// A page with a heading and one paragraph (404, 410, 500).
fn message(status: StatusCode, title: &str, text: Option<&str>) -> Response<Bytes> {
    page(
        status,
        title,
        html! {},
        html! {
            main {
                h1 { (title) }
                @if let Some(t) = text { p { (t) } }
            }
        },
    )
}

/// The 404 page.
pub(crate) fn not_found() -> Response<Bytes> {
    message(
        StatusCode::NOT_FOUND,
        "Not found",
        Some("This page does not exist."),
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
        html! {},
        html! { main { h1 { "Something went wrong" } } },
    )
}

async fn local(app: &App, name: &str) -> Option<Account> {
    if name.is_empty() || name.contains('@') {
        return None;
    }
    match app.account_by_acct(name).await {
        Ok(Some(a)) if a.is_local() && !a.deleted && !a.is_suspended() => Some(a),
        _ => None,
    }
}

/// Where a moved account's page redirects: the target's profile page if the target is
/// known, else its actor IRI.
async fn moved_to_url(app: &App, a: &Account) -> Option<String> {
    let uri = a.migration.moved_to_uri.clone()?;
    match a.migration.moved_to {
        Some(id) => Some(app.account(id).await.map_or(uri, |t| t.url)),
        None => Some(uri),
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
    let statuses = match app
        .statuses_page(&List::LocalTimeline, &PageRequest::newest(20), None)
        .await
    {
        Ok((statuses, _)) => statuses,
        Err(e) => return internal(&e),
    };
    let articles = articles(app, &statuses, true, true).await;
    let body = html! {
        header {
            h1 { (cfg.title) }
            p { "A Woolly server at " (cfg.domain()) "." }
        }
        main {
            @if statuses.is_empty() { p { "Nothing posted yet." } }
            (articles)
        }
    };
    page(StatusCode::OK, &cfg.title, html! {}, body)
}

/// A profile page: name, bio, fields, counts and the newest public posts.
pub(crate) async fn profile(app: &App, name: &str, query: Option<&str>) -> Response<Bytes> {
    let Some(a) = local(app, name).await else {
        return not_found();
    };
    if let Some(to) = moved_to_url(app, &a).await {
        // A moved account's page sends readers to the new one (its actor document keeps
        // answering, with `movedTo`).
        let mut r = response(StatusCode::FOUND, HTML_CONTENT_TYPE, String::new());
        if let Ok(v) = HeaderValue::from_str(&to) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return r;
    }
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
    let older = if page_info.items.len() >= req.limit {
        page_info.next_max_id()
    } else {
        None
    };
    let articles = articles(app, &statuses, true, false).await;
    let (avatar, _) = app.avatar_urls(&a);
    let body = html! {
        header {
            img.avatar src=(avatar) alt="" width="64" height="64";
            h1 { (display_name(&a)) }
            p {
                small { (handle(app, &a)) }
                @if a.locked { " \u{1F512} " small { "(approves followers)" } }
            }
            // The note is HTML rendered from the account's text when it was saved.
            div.note { (PreEscaped(&a.note)) }
            @if !a.fields.is_empty() {
                dl {
                    // Field names are escaped and values rendered when they are saved.
                    @for (k, v) in &a.fields {
                        dt { (PreEscaped(k)) }
                        dd { (PreEscaped(v)) }
                    }
                }
            }
            p {
                strong { (statuses_n) } " posts · "
                strong { (followers) } " followers · "
                strong { (following) } " following"
            }
        }
        main {
            @if statuses.is_empty() { p { "No public posts." } }
            (articles)
            @if let Some(next) = older {
                nav { a href={ (a.url) "?max_id=" (next) } { "Older posts" } }
            }
        }
    };
    let head = html! {
        (alternate(&a.actor))
        link rel="canonical" href=(a.url);
        meta name="description" content=(strip_html(&a.note));
    };
    page(
        StatusCode::OK,
        &format!("{} ({})", display_name(&a), handle(app, &a)),
        head,
        body,
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
                Ok(Some(_)) => message(StatusCode::GONE, "Deleted", Some("This post was deleted.")),
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
    let body = html! {
        main {
            (articles(app, &ancestors, true, false).await)
            (status_article(app, &s, false, false).await)
            (articles(app, &descendants, true, false).await)
        }
    };
    let summary = if s.spoiler_text.is_empty() {
        strip_html(&s.content).chars().take(80).collect::<String>()
    } else {
        s.spoiler_text.clone()
    };
    let head = html! {
        (alternate(&s.uri))
        link rel="canonical" href=(s.url);
    };
    page(
        StatusCode::OK,
        &format!("{}: \"{summary}\"", display_name(&a)),
        head,
        body,
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
    let articles = articles(app, &statuses, true, true).await;
    let body = html! {
        header { h1 { "#" (tag) } }
        main {
            @if statuses.is_empty() { p { "No posts with this tag." } }
            (articles)
        }
    };
    page(StatusCode::OK, &format!("#{tag}"), html! {}, body)
}

/// Statuses as `<article>`s, in order.
async fn articles(app: &App, statuses: &[Status], link: bool, public: bool) -> Markup {
    let mut out = Vec::with_capacity(statuses.len());
    for s in statuses {
        out.push(status_article(app, s, link, public).await);
    }
    html! { @for a in &out { (a) } }
}

/// One status as an `<article>`: author, content (behind `<details>` with a content
/// warning), time with a link to the status page. Nothing if the status or its author is
/// gone or suspended, or (`public`: the home and hashtag pages) the author is silenced.
async fn status_article(app: &App, s: &Status, link: bool, public: bool) -> Markup {
    let (shown, booster) = match s.reblog_of_id {
        Some(of) => match app.status(of).await {
            Ok(o) => (o, app.account(s.account_id).await.ok()),
            Err(_) => return html! {},
        },
        None => (s.clone(), None),
    };
    let Ok(author) = app.account(shown.account_id).await else {
        return html! {};
    };
    // Suspended: shown nowhere; silenced: not on the public pages (home, hashtag).
    if author.is_suspended() || (public && author.moderation.silenced_at.is_some()) {
        return html! {};
    }
    let when = rfc3339(id_time(shown.id).min(shown.created_at.max(1)).max(1));
    let shown_when = when.get(..16).unwrap_or(&when).replace('T', " ");
    let time = html! { time datetime=(when) { (shown_when) } };
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
    let media = match app.media_by_id(&shown.media_ids).await {
        Ok(m) => m.into_iter().flatten().collect::<Vec<_>>(),
        Err(e) => {
            tracing::warn!(error = %e, "media of a status not read");
            Vec::new()
        }
    };
    // Status HTML is sanitized when it is stored (local: rendered; remote: sanitized).
    let content = html! {
        div.content lang=[shown.language.as_deref()] { (PreEscaped(&shown.content)) }
    };
    let media = media_markup(app, &media);
    html! {
        article {
            @if let Some(b) = &booster {
                p { small { "\u{1F501} " a href=(b.url) { (display_name(b)) } " boosted" } }
            }
            header {
                a href=(author.url) { strong { (display_name(&author)) } }
                " "
                small { (handle(app, &author)) }
            }
            @if shown.spoiler_text.is_empty() {
                (content)
            } @else {
                details {
                    summary { (shown.spoiler_text) }
                    (content)
                }
            }
            @if shown.sensitive && shown.spoiler_text.is_empty() {
                details.sensitive { summary { "Sensitive media" } (media) }
            } @else {
                (media)
            }
            footer {
                small {
                    @if link {
                        a href=(shown.url) { (time) }
                    } @else {
                        (time)
                    }
                    (vis) (edited)
                }
            }
        }
    }
}

/// A status's media: images with their description as `alt`, video and audio with controls.
/// Those not ready (or not cached, remote) link to where they are.
fn media_markup(app: &App, media: &[MediaAttachment]) -> Markup {
    html! {
        @if !media.is_empty() {
            div.media {
                @for m in media {
                    @let url = m
                        .file
                        .as_ref()
                        .filter(|_| m.state == MediaState::Ready)
                        .map(|f| app.media_url(&f.key))
                        .or_else(|| m.remote_url.clone());
                    @let alt = m.description.clone().unwrap_or_default();
                    @if let Some(url) = url {
                        @match m.kind {
                            MediaKind::Image => {
                                a href=(url) { img src=(url) alt=(alt) loading="lazy"; }
                            }
                            MediaKind::Gifv => {
                                video src=(url) title=(alt) aria-label=(alt) controls autoplay loop muted playsinline {}
                            }
                            MediaKind::Video => {
                                video src=(url) title=(alt) aria-label=(alt) controls preload="metadata" {}
                            }
                            MediaKind::Audio => {
                                audio src=(url) title=(alt) aria-label=(alt) controls preload="metadata" {}
                            }
                            MediaKind::Unknown => {
                                a href=(url) { (if alt.is_empty() { "Attachment" } else { alt.as_str() }) }
                            }
                        }
                    }
                }
            }
        }
    }
}
