//! `Emoji` tags of real documents (the shared corpus, read at run time): every object of
//! every file that carries `Emoji` tags (Mastodon, Pleroma/Akkoma, Misskey/Sharkey,
//! GoToSocial, Kroeg's single-object `tag`, Pixelfed, Mitra, …) gives them back through
//! [`media::emoji::emojis`] with the shortcode and image URL the file says.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use activitypub_core::media::emoji::{emojis, is_shortcode};
use activitypub_core::AnyObject;
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/objects")
}

fn files(dir: &PathBuf, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

/// Every JSON object with a `tag` holding at least one `Emoji`.
fn tagged<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            let tags: Vec<&Value> = match m.get("tag") {
                Some(Value::Array(a)) => a.iter().collect(),
                Some(one @ Value::Object(_)) => vec![one],
                _ => Vec::new(),
            };
            if tags.iter().any(|t| t["type"] == "Emoji") {
                out.push(v);
            }
            for x in m.values() {
                tagged(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| tagged(x, out)),
        _ => {}
    }
}

#[test]
fn every_emoji_tag_of_the_corpus_is_read() {
    let mut all = Vec::new();
    files(&corpus_dir(), &mut all);
    all.sort();
    let mut checked = 0;
    let mut software = std::collections::BTreeSet::new();
    for path in all {
        let Ok(doc) = serde_json::from_str::<Value>(&std::fs::read_to_string(&path).unwrap())
        else {
            continue;
        };
        let mut found = Vec::new();
        tagged(&doc, &mut found);
        for node in found {
            let Ok(obj) = serde_json::from_value::<AnyObject>(node.clone()) else {
                continue;
            };
            let tags: Vec<&Value> = match &node["tag"] {
                Value::Array(a) => a.iter().collect(),
                one => vec![one],
            };
            let expected: Vec<(String, String)> = tags
                .iter()
                .filter(|t| t["type"] == "Emoji")
                .filter_map(|t| {
                    let code = t["name"].as_str()?.trim_matches(':').to_owned();
                    let url = url::Url::parse(t["icon"]["url"].as_str()?)
                        .ok()?
                        .to_string();
                    is_shortcode(&code).then_some((code, url))
                })
                .collect();
            let got: Vec<(String, String)> = emojis(obj.object())
                .into_iter()
                .map(|e| (e.shortcode, e.url.to_string()))
                .collect();
            let mut expected_unique: Vec<(String, String)> = Vec::new();
            for e in expected {
                if !expected_unique.iter().any(|x| x.0 == e.0) {
                    expected_unique.push(e);
                }
            }
            assert_eq!(got, expected_unique, "{}", path.display());
            checked += got.len();
            if let Some(s) = path.parent().and_then(|p| p.file_name()) {
                software.insert(s.to_string_lossy().into_owned());
            }
        }
    }
    for s in [
        "mastodon",
        "pleroma",
        "misskey",
        "gotosocial",
        "akkoma",
        "sharkey",
        "kroeg",
    ] {
        assert!(software.contains(s), "no {s} document read: {software:?}");
    }
    assert!(checked >= 20, "only {checked} emoji read");
}

#[test]
fn the_media_type_is_kept_when_given() {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(
            corpus_dir().join("mastodon/kitsune-fixture_corteximplant.com_emoji_8933.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let note = serde_json::json!({
        "id": "https://corteximplant.com/users/x/statuses/1", "type": "Note",
        "content": ":blobcat:", "tag": [doc],
    });
    let obj: AnyObject = serde_json::from_value(note).unwrap();
    let e = emojis(obj.object());
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].shortcode, "blobcat");
    assert_eq!(e[0].media_type.as_deref(), Some("image/png"));
    assert_eq!(
        e[0].id.as_ref().map(|u| u.as_str()),
        Some("https://corteximplant.com/emojis/8933")
    );
    assert_eq!(e[0].updated.as_deref(), Some("2022-11-10T19:10:49Z"));
}

proptest::proptest! {
    /// On any text: no panic, and every shortcode found is one, appears as `:code:`, and is
    /// found once.
    #[test]
    fn shortcodes_in_any_text_are_real(text in "[a-z_:é0-9 \n()]{0,40}") {
        let found = activitypub_core::media::emoji::shortcodes_in(&text);
        for (i, code) in found.iter().enumerate() {
            proptest::prop_assert!(is_shortcode(code));
            let colons = format!(":{code}:");
            proptest::prop_assert!(text.contains(&colons));
            proptest::prop_assert!(!found[..i].contains(code));
        }
    }
}
