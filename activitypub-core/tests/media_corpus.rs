//! `activitypub_core::media` over the shared corpus of real documents: every attachment,
//! avatar and header, read at run time from the files; the unusual shapes checked value by
//! value; random shapes never panic; the builders' output reads back.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use activitypub_core::builder::{self, MediaAttachmentBuilder, PersonBuilder};
use activitypub_core::media::{self, MediaKind, RemoteMedia};
use activitypub_core::{AnyObject, Object, ObjectId};
use proptest::prelude::*;
use serde_json::Value;
use url::Url;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/objects")
}

fn read(path: &str) -> AnyObject {
    let bytes = std::fs::read(corpus_dir().join(path)).unwrap();
    AnyObject::from_slice(&bytes).unwrap()
}

/// The document, or the object of its `Create`.
fn post_of(path: &str) -> Object {
    let doc = read(path);
    match doc
        .as_activity()
        .and_then(|a| a.first_object()?.object().cloned())
    {
        Some(o) => o.object().clone(),
        None => doc.object().clone(),
    }
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn s(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

/// What a simple attachment (`type` Document/Image/Video/Audio, `url` an absolute string)
/// must read as, straight from its JSON.
/// url, mediaType, description, blurhash.
type Expected = (Url, Option<String>, Option<String>, Option<String>);

fn expected_simple(v: &Value) -> Option<Expected> {
    let m = v.as_object()?;
    let t = m.get("type")?.as_str()?;
    if !matches!(t, "Document" | "Image" | "Video" | "Audio") {
        return None;
    }
    let u = Url::parse(m.get("url")?.as_str()?).ok()?;
    let description = s(m.get("name"))
        .or_else(|| s(m.get("summary")))
        .filter(|d| !d.trim().is_empty());
    Some((u, s(m.get("mediaType")), description, s(m.get("blurhash"))))
}

fn objects_of(doc: &Value) -> Vec<Value> {
    let mut out = vec![doc.clone()];
    if let Some(o) = doc.get("object").filter(|o| o.is_object()) {
        out.push(o.clone());
    }
    out
}

#[test]
fn every_simple_attachment_avatar_and_header_in_the_corpus() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .collect();
    files.sort();
    let (mut attachments, mut pictures) = (0, 0);
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(raw) = serde_json::from_slice::<Value>(&bytes) else {
            continue;
        };
        for raw in objects_of(&raw) {
            let Ok(typed) = serde_json::from_value::<AnyObject>(raw.clone()) else {
                continue;
            };
            let name = path.display();
            // Attachments: when every media entry has the simple shape, each is read exactly.
            if let Some(list) = raw.get("attachment").and_then(Value::as_array) {
                let media: Vec<&Value> = list
                    .iter()
                    .filter(|a| {
                        a.get("type").and_then(Value::as_str).is_some_and(|t| {
                            matches!(t, "Document" | "Image" | "Video" | "Audio" | "Link")
                        })
                    })
                    .collect();
                let simple: Vec<_> = media.iter().filter_map(|a| expected_simple(a)).collect();
                if !media.is_empty() && simple.len() == media.len() {
                    let got = media::attachments(&typed);
                    assert_eq!(
                        got.len(),
                        simple.len().min(media::MAX_ATTACHMENTS),
                        "{name}"
                    );
                    for (g, (u, mt, desc, hash)) in got.iter().zip(&simple) {
                        assert_eq!(&g.url, u, "{name}");
                        assert_eq!(&g.media_type, mt, "{name}");
                        assert_eq!(&g.description, desc, "{name}");
                        assert_eq!(&g.blurhash, hash, "{name}");
                        attachments += 1;
                    }
                }
            }
            // Avatars and headers: an `Image` with an absolute `url` string, or a string.
            for (key, got) in [
                ("icon", media::icon(&typed)),
                ("image", media::image(&typed)),
            ] {
                let want = match raw.get(key) {
                    Some(Value::Object(m)) => m.get("url").and_then(Value::as_str),
                    Some(Value::String(u)) => Some(u.as_str()),
                    _ => None,
                };
                if let Some(want) = want.and_then(|u| Url::parse(u).ok()) {
                    let got = got.unwrap_or_else(|| panic!("{name}: no {key}"));
                    assert_eq!(got.url, want, "{name} {key}");
                    assert_eq!(got.kind, MediaKind::Image, "{name} {key}");
                    assert_eq!(got.media_type, s(raw[key].get("mediaType")), "{name} {key}");
                    pictures += 1;
                }
            }
        }
    }
    // The corpus holds dozens of each; a silent skip of everything would be a bug.
    assert!(attachments >= 15, "{attachments} attachments checked");
    assert!(pictures >= 100, "{pictures} avatars and headers checked");
}

fn only(v: Vec<RemoteMedia>) -> RemoteMedia {
    assert_eq!(v.len(), 1, "{v:?}");
    v.into_iter().next().unwrap()
}

#[test]
fn mastodon_attachment_with_blurhash_and_size() {
    let note = post_of(
        "mastodon/kitsune-fixture_cyberpunk.lol_users_vantablack_statuses_112783753040965194.json",
    );
    let m = only(media::attachments(&note));
    assert_eq!(m.url, url("https://cyberpunklol.files.fedi.monster/media_attachments/files/112/783/748/474/341/576/original/b3bbedc75a638c05.png"));
    assert_eq!(m.kind, MediaKind::Image);
    assert_eq!(
        m.blurhash.as_deref(),
        Some("U7RfkB00%MWBxuIUD%WB?b9FIUj[ogIURjWB")
    );
    assert_eq!((m.width, m.height), (Some(512), Some(450)));
    assert!(m
        .description
        .unwrap()
        .starts_with("tweet by @NotBrunoAgain"));
}

#[test]
fn gotosocial_alt_text_in_summary_and_focal_point() {
    let note = post_of("gotosocial/status_with_tags_to_asfrom_db.json");
    let m = only(media::attachments(&note));
    assert_eq!(m.url, url("http://localhost:8080/fileserver/01F8MH17FWEB39HZJ76B6VXSKF/attachment/original/01F8MH6NEM8D7527KZAECTCR76.jpg"));
    assert_eq!(
        m.description.as_deref(),
        Some("Black and white image of some 50's style text saying: Welcome On Board")
    );
    assert_eq!(m.focal_point, Some((-0.5, 0.5)));
    assert_eq!(m.blurhash.as_deref(), Some("LIIE|gRj00WB-;j[t7j[4nWBj[Rj"));
}

#[test]
fn mbin_link_and_image_with_integer_focal_point() {
    let page = post_of("mbin/outbox-snapshot_create_entry_with_url_and_image.json");
    let got = media::attachments(&page);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].url, url("https://joinmbin.org"));
    assert_eq!(got[0].kind, MediaKind::Unknown);
    let img = &got[1];
    assert_eq!(img.url, url("https://kbin.test/media/a8/1c/a81cc2fea35eeb232cd28fcb109b3eb5a4e52c71bce95af6650d71876c1bcbb7.png"));
    assert_eq!(img.description.as_deref(), Some("kibby"));
    assert_eq!(img.focal_point, Some((0.0, 0.0)));
    assert_eq!((img.width, img.height), (Some(96), Some(96)));
    assert_eq!(media::image(&page).unwrap().url, img.url);
    let post = media::as_post(&page).unwrap();
    assert_eq!(post.content_warning.as_deref(), Some("test #test"));
    assert_eq!(post.content_html, "<p>test</p>");
}

#[test]
fn lemmy_page_with_a_link_attachment() {
    let page = post_of("lemmy/page.json");
    let m = only(media::attachments(&page));
    assert_eq!(
        m.url,
        url("https://enterprise.lemmy.ml/pictrs/image/eOtYb9iEiB.png")
    );
    assert_eq!(m.kind, MediaKind::Unknown);
    assert_eq!(media::image(&page).unwrap().url, m.url);
    let post = media::as_post(&page).unwrap();
    assert!(post.converted);
    assert_eq!(
        post.content_html,
        "<p>This is a post in the /c/tenforward community</p>\n<p><a href=\"https://enterprise.lemmy.ml/post/55143\">https://enterprise.lemmy.ml/post/55143</a></p>"
    );
}

#[test]
fn owncast_description_in_content_and_a_negative_type() {
    let note = post_of("owncast/pleroma-fixture_owncast-note-with-attachment.json");
    let m = only(media::attachments(&note));
    assert_eq!(m.description.as_deref(), Some("Live stream preview"));
    assert_eq!(m.kind, MediaKind::Image);
    // Pixelfed's must-reject input: an attachment of type `NotDocument` is not media.
    let bad = post_of("mastodon/pixelfed-test_NEGATIVE_create_attachment-type-NotDocument.json");
    assert!(media::attachments(&bad).is_empty());
}

#[test]
fn peertube_video_picks_the_mp4_up_to_1080p() {
    let video = post_of("peertube/video.json");
    let post = media::as_post(&video).unwrap();
    let m = post.media.unwrap();
    assert_eq!(m.url, url("https://tilvids.com/static/streaming-playlists/hls/e7946124-7b72-4ad7-9d22-844a84bb2de1/0b870685-4461-47a3-8fac-e5531cd8acf5-1080-fragmented.mp4"));
    assert_eq!(m.media_type.as_deref(), Some("video/mp4"));
    assert_eq!(m.kind, MediaKind::Video);
    assert_eq!((m.width, m.height), (Some(1920), Some(1080)));
    let thumb = post.thumbnail.unwrap();
    assert_eq!(
        thumb.url,
        url("https://tilvids.com/lazy-static/previews/ef6088ee-c83a-4fcf-8be2-58db95ca5135.jpg")
    );
    assert_eq!((thumb.width, thumb.height), (Some(850), Some(480)));
    assert_eq!(
        post.url.unwrap(),
        url("https://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1")
    );
    // attributedTo is [account (Person), channel (Group)]: the signer if listed, else the
    // Person.
    let channel = "https://tilvids.com/video-channels/thelinuxexperiment_channel";
    assert_eq!(
        media::author_of(&video, "").unwrap().as_str(),
        "https://tilvids.com/accounts/thelinuxexperiment"
    );
    assert_eq!(media::author_of(&video, channel).unwrap().as_str(), channel);

    let older = post_of("peertube/gts-fixture_video.json");
    let m = media::as_post(&older).unwrap().media.unwrap();
    assert_eq!(m.url, url("https://example.org/static/streaming-playlists/hls/942d51e6-9320-4f40-980b-76bba0652bc2/c6b6c9fb-83da-425c-9ce6-680e00eb9ecb-480-fragmented.mp4"));
    assert_eq!(m.height, Some(480));
}

#[test]
fn funkwhale_audio_with_mime_type() {
    let audio = post_of("funkwhale/pleroma-fixture_funkwhale_audio.json");
    let post = media::as_post(&audio).unwrap();
    let m = post.media.unwrap();
    assert_eq!(m.url, url("https://channels.tests.funkwhale.audio/api/v1/listen/3901e5d8-0445-49d5-9711-e096cf32e515/?upload=42342395-0208-4fee-a38d-259a6dae0871&download=false"));
    assert_eq!(m.media_type.as_deref(), Some("audio/ogg"));
    assert_eq!(m.kind, MediaKind::Audio);
    assert_eq!(
        post.content_warning.as_deref(),
        Some("#funkwhale #test #tests")
    );
    assert_eq!(
        post.content_html,
        "<p>This is a test Audio for Pleroma.</p><p><a href=\"https://channels.tests.funkwhale.audio/library/tracks/74\">https://channels.tests.funkwhale.audio/library/tracks/74</a></p>"
    );
}

#[test]
fn mobilizon_event_keeps_its_banner() {
    let event = post_of("mobilizon/event.json");
    let post = media::as_post(&event).unwrap();
    let m = only(post.attachments);
    assert_eq!(m.url, url("https://rendezvous.nomagic.uk/media/cd75bf2f61b66004fe20af4797f5aa847ae1f9ea1c118f53093d6fc4e51a6045.jpg?name=devon_caledonian_society%27s%20banner.jpg"));
    assert_eq!(m.description.as_deref(), Some("Banner"));
    assert_eq!(m.media_type.as_deref(), Some("image/jpeg"));
    assert!(post
        .content_html
        .ends_with("<p><a href=\"https://rendezvous.nomagic.uk/events/b81c0531-a57c-497d-93ba-af0f8b255498\">https://rendezvous.nomagic.uk/events/b81c0531-a57c-497d-93ba-af0f8b255498</a></p>"));
}

#[test]
fn fedify_image_with_a_relative_url_and_name_as_text() {
    let image = post_of("fedify/fixture_media.example.com_test-avatar.json");
    let post = media::as_post(&image).unwrap();
    assert_eq!(
        post.url.unwrap(),
        url("https://media.example.com/avatars/test-avatar.jpg")
    );
    // A converted object without content or name: only the link.
    assert_eq!(post.content_html, "<p><a href=\"https://media.example.com/avatars/test-avatar.jpg\">https://media.example.com/avatars/test-avatar.jpg</a></p>");
}

#[test]
fn note_and_question_are_unchanged() {
    let note = post_of("mastodon/pleroma-fixture_mastodon-note-object.json");
    let post = media::as_post(&note).unwrap();
    assert!(!post.converted);
    assert_eq!(post.content_html, note.content.clone().unwrap());
    assert!(post.thumbnail.is_none());
}

#[test]
fn builders_round_trip() {
    let doc = MediaAttachmentBuilder::new(
        "image/png",
        &ObjectId::parse("https://wool.example/m/1.png").unwrap(),
    )
    .description("a sheep")
    .blurhash("LEHV6nWB2yk8pyo0adR*.7kCMdnj")
    .size(640, 480)
    .focal_point(-0.25, 3.0)
    .build();
    let note = builder::NoteBuilder::new(
        ObjectId::parse("https://wool.example/users/a/statuses/1").unwrap(),
        &ObjectId::parse("https://wool.example/users/a").unwrap(),
        "https://wool.example/users/a/followers",
        "<p>baa</p>",
        activitypub_core::Visibility::Public,
    )
    .attachment(doc)
    .attachment(builder::media_attachment(
        "video/mp4",
        &ObjectId::parse("https://wool.example/m/2.mp4").unwrap(),
        None,
        None,
        None,
    ))
    .build();
    let json = serde_json::to_vec(&note).unwrap();
    let back = AnyObject::from_slice(&json).unwrap();
    let got = media::attachments(&back);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].url, url("https://wool.example/m/1.png"));
    assert_eq!(got[0].description.as_deref(), Some("a sheep"));
    assert_eq!(got[0].focal_point, Some((-0.25, 1.0)));
    assert_eq!((got[0].width, got[0].height), (Some(640), Some(480)));
    assert_eq!(got[1].kind, MediaKind::Video);

    let alice = ObjectId::parse("https://wool.example/users/alice").unwrap();
    let actor = PersonBuilder::new(&alice, "alice", "PEM")
        .unwrap()
        .avatar(
            "image/png",
            &ObjectId::parse("https://wool.example/a.png").unwrap(),
        )
        .header(
            "image/jpeg",
            &ObjectId::parse("https://wool.example/h.jpg").unwrap(),
        )
        .build();
    let back = AnyObject::from_slice(&serde_json::to_vec(&actor).unwrap()).unwrap();
    assert_eq!(
        media::icon(&back).unwrap().url,
        url("https://wool.example/a.png")
    );
    let header = media::image(&back).unwrap();
    assert_eq!(header.url, url("https://wool.example/h.jpg"));
    assert_eq!(header.media_type.as_deref(), Some("image/jpeg"));
}

fn object(json: Value) -> AnyObject {
    serde_json::from_value(json).unwrap()
}

#[test]
fn skips_non_media_keeps_bare_iris_and_caps_the_count() {
    let mut items = vec![
        serde_json::json!({"type": "PropertyValue", "name": "site", "value": "x"}),
        serde_json::json!({"type": "IdentityProof", "name": "p"}),
        serde_json::json!("https://a.example/bare"),
        serde_json::json!("magnet:?xt=urn:btih:00"),
    ];
    for i in 0..6 {
        items.push(serde_json::json!({"type": "Document", "mediaType": "image/png", "url": format!("https://a.example/{i}.png")}));
    }
    let note = object(
        serde_json::json!({"id": "https://a.example/n", "type": "Note", "attachment": items}),
    );
    let got = media::attachments(&note);
    assert_eq!(got.len(), media::MAX_ATTACHMENTS);
    assert_eq!(got[0].url, url("https://a.example/bare"));
    assert_eq!(got[0].kind, MediaKind::Unknown);
    assert_eq!(got[1].url, url("https://a.example/0.png"));
    assert_eq!(got[3].url, url("https://a.example/2.png"));
    assert_eq!(media::attachments_up_to(&note, 10).len(), 7);
}

#[test]
fn renditions_above_1080_are_taken_only_when_nothing_smaller_is_offered() {
    let link = |h: u64, t: &str| serde_json::json!({"type": "Link", "mediaType": t, "href": format!("https://v.example/{h}"), "height": h});
    let video = |links: Vec<Value>| {
        object(serde_json::json!({"id": "https://v.example/v", "type": "Video", "url": links}))
    };
    let v = video(vec![
        link(2160, "video/mp4"),
        link(720, "video/mp4"),
        link(1080, "application/x-bittorrent"),
        link(480, "video/mp4"),
    ]);
    assert_eq!(media::own_media(&v).unwrap().height, Some(720));
    let v = video(vec![link(2160, "video/mp4"), link(1440, "video/mp4")]);
    assert_eq!(media::own_media(&v).unwrap().height, Some(1440));
    // Focal points out of range are clamped; avatars as an array take the widest.
    let actor = object(serde_json::json!({
        "id": "https://v.example/u", "type": "Person", "inbox": "https://v.example/u/inbox",
        "icon": [{"type": "Image", "url": "https://v.example/s.png", "width": 48},
                 {"type": "Image", "url": "https://v.example/l.png", "width": 400}],
        "attachment": [{"type": "Image", "url": "https://v.example/f.png", "focalPoint": [-3, 0.5]}],
    }));
    assert_eq!(
        media::icon(&actor).unwrap().url,
        url("https://v.example/l.png")
    );
    assert_eq!(
        only(media::attachments(&actor)).focal_point,
        Some((-1.0, 0.5))
    );
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z:/.]{0,12}".prop_map(Value::from),
        Just(Value::from("https://a.example/f.png")),
        Just(Value::from("/rel/x.mp4")),
        prop_oneof![
            Just("Image"),
            Just("Video"),
            Just("Link"),
            Just("Document"),
            Just("video/mp4"),
            Just("text/html")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type"),
                    Just("url"),
                    Just("href"),
                    Just("mediaType"),
                    Just("mimeType"),
                    Just("width"),
                    Just("height"),
                    Just("focalPoint"),
                    Just("name"),
                    Just("tag"),
                    Just("icon"),
                    Just("id")
                ]
                .prop_map(str::to_owned),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn random_shapes_never_panic(
        kind in prop_oneof![Just("Note"), Just("Video"), Just("Image"), Just("Person"), Just("Event")],
        url_v in any_json(), attachment in any_json(), icon in any_json(), attributed in any_json(),
    ) {
        let doc = serde_json::json!({
            "id": "https://a.example/o/1", "type": kind, "url": url_v, "attachment": attachment,
            "icon": icon, "image": icon.clone(), "attributedTo": attributed,
        });
        if let Ok(o) = serde_json::from_value::<AnyObject>(doc) {
            let got = media::attachments(&o);
            prop_assert!(got.len() <= media::MAX_ATTACHMENTS);
            for m in got.iter().chain(media::icon(&o).iter()) {
                prop_assert!(matches!(m.url.scheme(), "http" | "https"));
                if let Some((x, y)) = m.focal_point {
                    prop_assert!((-1.0..=1.0).contains(&x) && (-1.0..=1.0).contains(&y));
                }
            }
            let _ = media::image(&o);
            let _ = media::as_post(&o);
            let _ = media::author_of(&o, "https://a.example/u");
        }
    }
}
