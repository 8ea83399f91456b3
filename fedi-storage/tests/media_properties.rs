//! Properties of media keys, byte ranges and the filesystem backend, on generated input.
#![allow(clippy::unwrap_used)]

use std::path::{Component, Path};

use bytes::Bytes;
use fedi_storage::media::{fs::FsMediaStore, ByteRange, MediaKey, MediaStore};
use proptest::prelude::*;

/// Strings built from the characters that matter to paths, and a few that keys refuse.
fn key_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("a"),
            Just("Z9"),
            Just("/"),
            Just("."),
            Just(".."),
            Just("-_"),
            Just("\\"),
            Just("é"),
            Just("\0"),
            Just(":"),
            Just(" "),
        ],
        0..16,
    )
    .prop_map(|parts| parts.concat())
}

fn range() -> impl Strategy<Value = ByteRange> {
    prop_oneof![
        (0u64..60, 0u64..60).prop_map(|(s, e)| ByteRange::inclusive(s, e)),
        (0u64..60).prop_map(ByteRange::from_start),
        (0u64..60).prop_map(ByteRange::suffix),
    ]
}

/// The bytes of an object of `size` bytes that `range` selects, one by one (RFC 9110).
fn selected(range: ByteRange, size: u64) -> Option<(u64, u64)> {
    let picked: Vec<u64> = (0..size)
        .filter(|&i| match range {
            ByteRange::Inclusive { start, end } => start <= i && i <= end,
            ByteRange::From { start } => i >= start,
            ByteRange::Suffix { len } => i + len >= size,
            _ => unreachable!("no other kind of range is generated"),
        })
        .collect();
    let (first, last) = (picked.first()?, picked.last()?);
    Some((*first, *last + 1))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// An accepted key is a relative path of plain names: joined to a root it stays below it.
    #[test]
    fn an_accepted_key_never_leaves_the_root(s in key_like()) {
        if let Ok(key) = MediaKey::new(s.as_str()) {
            prop_assert_eq!(key.as_str(), s.as_str());
            let path = Path::new(key.as_str());
            prop_assert!(path.components().all(|c| matches!(c, Component::Normal(_))), "{}", s);
            prop_assert!(Path::new("/root").join(path).starts_with("/root"));
            prop_assert!(key.segments().all(|seg| !seg.is_empty() && !seg.starts_with('.')));
        } else {
            prop_assert!(MediaKey::new(s.as_str()).unwrap_err().is_invalid_key());
        }
    }

    /// `ByteRange::resolve` selects exactly the bytes RFC 9110 does, and refuses a range that
    /// selects none.
    #[test]
    fn ranges_resolve_as_the_byte_by_byte_model(r in range(), size in 0u64..50) {
        match (r.resolve(size), selected(r, size)) {
            (Ok(span), Some(model)) => prop_assert_eq!(span, model),
            (Err(e), None) => prop_assert!(e.is_range_not_satisfiable()),
            (got, model) => prop_assert!(false, "{:?} of {}: {:?} vs {:?}", r, size, got, model),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any content, cut into any chunks, reads back whole and by any satisfiable range.
    #[test]
    fn fs_round_trips_any_chunking_and_range(
        data in proptest::collection::vec(any::<u8>(), 0..50),
        cuts in proptest::collection::vec(0usize..50, 0..6),
        r in range(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        rt.block_on(async {
            let store = FsMediaStore::open(dir.path()).await.unwrap();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
            cuts.push(0);
            cuts.push(data.len());
            cuts.sort_unstable();
            let parts: Vec<std::io::Result<Bytes>> = cuts
                .windows(2)
                .map(|w| Ok(Bytes::copy_from_slice(&data[w[0]..w[1]])))
                .collect();
            let key = MediaKey::new("p/q").unwrap();
            let info = store
                .put(&key, Box::pin(futures::stream::iter(parts)), 50)
                .await
                .unwrap();
            assert_eq!(info.size, data.len() as u64);
            let whole = store.get(&key, None).await.unwrap().unwrap();
            assert_eq!(&whole.bytes[..], &data[..]);
            match (store.get(&key, Some(r)).await, selected(r, data.len() as u64)) {
                (Ok(Some(got)), Some((start, end))) => {
                    assert_eq!(got.span, (start, end));
                    assert_eq!(&got.bytes[..], &data[start as usize..end as usize]);
                    assert_eq!(got.etag, info.etag);
                }
                (Err(e), None) => assert!(e.is_range_not_satisfiable()),
                (got, model) => panic!("{r:?}: {got:?} vs {model:?}"),
            }
        });
    }
}

/// Keys from a few names that sort around `/` (`-` and `.` before it, `b` after it).
fn listing_key() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![Just("a"), Just("a-"), Just("a.b"), Just("ab"), Just("b")],
        1..4,
    )
    .prop_map(|segments| segments.join("/"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Paging through `list` with any prefix, limit and starting point gives exactly the
    /// stored keys with that prefix after that point, in string order.
    #[test]
    fn fs_list_pages_as_a_sorted_set(
        keys in proptest::collection::vec(listing_key(), 0..24),
        prefix in prop_oneof![Just(String::new()), listing_key(), listing_key().prop_map(|k| k + "/"),
            listing_key().prop_map(|k| k[..k.len() - 1].to_owned())],
        start in proptest::option::of(listing_key()),
        limit in 1usize..5,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        rt.block_on(async {
            let store = FsMediaStore::open(dir.path()).await.unwrap();
            let mut model = std::collections::BTreeSet::new();
            for k in &keys {
                let key = MediaKey::new(k.as_str()).unwrap();
                let body = futures::stream::iter([Ok(Bytes::from(k.clone()))]);
                match store.put(&key, Box::pin(body), 100).await {
                    Ok(_) => {
                        model.insert(k.clone());
                    }
                    // A key clashing with another as file and directory is refused.
                    Err(e) => assert!(e.is_invalid_key(), "{k}: {e}"),
                }
            }
            let want: Vec<String> = model
                .iter()
                .filter(|k| k.starts_with(prefix.as_str()))
                .filter(|k| start.as_ref().is_none_or(|s| k.as_str() > s.as_str()))
                .cloned()
                .collect();
            let mut got = Vec::new();
            let mut after = start.as_ref().map(|s| MediaKey::new(s.as_str()).unwrap());
            for _ in 0..=want.len() {
                let page = store.list(&prefix, after.as_ref(), limit).await.unwrap();
                assert!(page.len() <= limit);
                let Some(last) = page.last() else { break };
                after = Some(last.key.clone());
                for entry in page {
                    assert_eq!(entry.size, entry.key.as_str().len() as u64);
                    got.push(entry.key.as_str().to_owned());
                }
            }
            assert_eq!(got, want, "prefix {:?}, start {:?}, limit {}", prefix, start, limit);
        });
    }
}
