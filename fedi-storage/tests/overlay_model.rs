//! Model-based test of the sled backend's write path (in-memory overlay, write-ahead log and
//! checkpoints): random sequences of key-value and collection writes (single, batched, or in
//! bursts), explicit checkpoints, flushes and reopens are applied to a [`SledStore`] with a
//! tiny checkpoint threshold and to a [`MemoryStore`]; the results of the writes must agree,
//! and so must the reads compared after every operation: point reads and scans of both
//! namespaces, whole collections in both directions and counts after each one, and, after
//! every fourth one, every burst, checkpoint and reopen, point reads of the whole key space,
//! prefix scans walked with `after` cursors and limits, and collection pages walked with
//! `max_id` / `min_id` and with every kind of cursor. The sled store is checkpointed, then
//! reopened, at the end and compared again after each.
//!
//! With a 512-byte threshold the overlay is frozen and copied into sled every few writes, so
//! the reads see keys whose latest value is in the active map, in a frozen map being copied,
//! or only in sled, and deletions shadowing values in lower layers. Half the cases run without
//! `flush_on_write`, where writes do not wait for the log, so a burst freezes the overlay
//! again before the previous checkpoint is done and reads cross several frozen maps.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use fedi_storage::memory::MemoryStore;
use fedi_storage::sled::{SledConfig, SledStore};
use fedi_storage::*;
use proptest::prelude::*;

const NAMESPACES: [&str; 2] = ["acct", "acct2"];
const COLLECTIONS: [&str; 2] = ["followers:a", "followers:ab"];
const MEMBERS: [&str; 5] = [
    "https://a.example/u/0",
    "https://a.example/u/1",
    "https://a.example/u/10",
    "https://b.example/u/2",
    "https://b.example/u/3",
];
/// Sort keys: small ones (so members collide and move) and the extremes.
const SORT_KEYS: [u64; 8] = [0, 1, 2, 3, 5, 8, u64::MAX - 1, u64::MAX];
/// Cursors for `max_id`, `since_id` and `min_id`.
const CURSORS: [u64; 5] = [0, 3, 7, u64::MAX - 1, u64::MAX];
/// Key bytes: key-value keys are strings of up to three of these (40 keys), so that prefixes
/// share keys, and `0x00` / `0xFF` exercise the cursor and prefix-end edges.
const ALPHABET: [u8; 3] = [0x00, b'a', 0xFF];
/// Also in the key space: the exclusive upper bounds of scans of the prefixes `a`, `a\xff`
/// and `\x00` (a key equal to a scan's bound must not be returned by it).
const BOUND_KEYS: [&[u8]; 2] = [b"b", b"\x01"];
/// Keys written most of the time, so that overwrites and deletes of one key are frequent.
const HOT_KEYS: [&[u8]; 6] = [b"", b"a", b"aa", b"a\xff", b"a\x00a", b"\xff"];
/// Prefixes scanned.
const SCAN_PREFIXES: [&[u8]; 5] = [b"", b"a", b"a\xff", b"\x00", b"\xff"];
/// `after` cursors for scans (some in the key space, some between or beyond its keys).
const SCAN_AFTER: [&[u8]; 6] = [b"", b"a", b"a\x00", b"aa\xff", b"b", b"\xff\xff\xff\xff"];

fn key_space() -> Vec<Vec<u8>> {
    let mut keys = vec![Vec::new()];
    let mut last = vec![Vec::new()];
    for _ in 0..3 {
        last = last
            .iter()
            .flat_map(|k| {
                ALPHABET.iter().map(move |b| {
                    let mut k = k.clone();
                    k.push(*b);
                    k
                })
            })
            .collect();
        keys.extend(last.iter().cloned());
    }
    keys.extend(BOUND_KEYS.iter().map(|k| k.to_vec()));
    keys.sort();
    keys
}

#[derive(Debug, Clone)]
enum Op {
    KvPut {
        ns: usize,
        key: Vec<u8>,
        len: usize,
    },
    KvDelete {
        ns: usize,
        key: Vec<u8>,
    },
    Insert {
        coll: usize,
        key: u64,
        member: usize,
    },
    Remove {
        coll: usize,
        member: usize,
    },
    /// The simple writes above, as one atomic batch.
    Batch(Vec<Op>),
    /// Simple writes one after the other, with no read in between (in the mode without
    /// `flush_on_write` they pile up frozen maps faster than checkpoints drain them).
    Burst(Vec<Op>),
    Checkpoint,
    Flush,
    /// Drop the sled store and open the same directory again.
    Reopen,
}

fn kv_key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::sample::select(HOT_KEYS.iter().map(|k| k.to_vec()).collect::<Vec<_>>()),
        2 => prop::sample::select(key_space()),
    ]
}

fn namespace() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(0usize), 1 => Just(1usize)]
}

fn simple_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (namespace(), kv_key(), prop_oneof![4 => 0usize..40, 1 => 100usize..400])
            .prop_map(|(ns, key, len)| Op::KvPut { ns, key, len }),
        3 => (namespace(), kv_key()).prop_map(|(ns, key)| Op::KvDelete { ns, key }),
        4 => (0..COLLECTIONS.len(), prop::sample::select(&SORT_KEYS[..]), 0..MEMBERS.len())
            .prop_map(|(coll, key, member)| Op::Insert { coll, key, member }),
        2 => (0..COLLECTIONS.len(), 0..MEMBERS.len())
            .prop_map(|(coll, member)| Op::Remove { coll, member }),
    ]
}

/// A put of a large value to a hot key: two of them fill the overlay.
fn big_put() -> impl Strategy<Value = Op> {
    (
        namespace(),
        prop::sample::select(HOT_KEYS.iter().map(|k| k.to_vec()).collect::<Vec<_>>()),
        200usize..400,
    )
        .prop_map(|(ns, key, len)| Op::KvPut { ns, key, len })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        15 => simple_op(),
        2 => prop::collection::vec(simple_op(), 1..5).prop_map(Op::Batch),
        2 => prop::collection::vec(prop_oneof![2 => big_put(), 1 => simple_op()], 2..10)
            .prop_map(Op::Burst),
        2 => Just(Op::Checkpoint),
        1 => Just(Op::Flush),
        1 => Just(Op::Reopen),
    ]
}

/// The value written by the put at `at` (op index, and position in a batch): unique, so an
/// overwrite always changes the value.
fn value(at: &str, len: usize) -> Vec<u8> {
    let mut v = format!("{at}:").into_bytes();
    v.resize(v.len() + len, b'x');
    v
}

/// What one write returned.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Unit(Result<(), String>),
    Bool(Result<bool, String>),
    Batch(Result<BatchOutcome, String>),
}

/// Applies a write; `at` names it in the values it writes.
async fn apply<S: Store + ?Sized>(s: &S, at: &str, op: &Op) -> Outcome {
    match op {
        Op::KvPut { ns, key, len } => Outcome::Unit(
            s.kv_put(NAMESPACES[*ns], key, &value(at, *len))
                .await
                .map_err(|e| e.to_string()),
        ),
        Op::KvDelete { ns, key } => Outcome::Bool(
            s.kv_delete(NAMESPACES[*ns], key)
                .await
                .map_err(|e| e.to_string()),
        ),
        Op::Insert { coll, key, member } => Outcome::Bool(
            s.insert(
                COLLECTIONS[*coll],
                &CollectionItem::new(*key, MEMBERS[*member]),
            )
            .await
            .map_err(|e| e.to_string()),
        ),
        Op::Remove { coll, member } => Outcome::Bool(
            s.remove(COLLECTIONS[*coll], MEMBERS[*member])
                .await
                .map_err(|e| e.to_string()),
        ),
        Op::Batch(ops) => {
            let mut batch = WriteBatch::new();
            for (j, op) in ops.iter().enumerate() {
                batch = match op {
                    Op::KvPut { ns, key, len } => batch.kv_put(
                        NAMESPACES[*ns],
                        key.clone(),
                        value(&format!("{at}.{j}"), *len),
                    ),
                    Op::KvDelete { ns, key } => batch.kv_delete(NAMESPACES[*ns], key.clone()),
                    Op::Insert { coll, key, member } => {
                        batch.insert(COLLECTIONS[*coll], *key, MEMBERS[*member])
                    }
                    Op::Remove { coll, member } => {
                        batch.remove(COLLECTIONS[*coll], MEMBERS[*member])
                    }
                    other => unreachable!("not generated in a batch: {other:?}"),
                };
            }
            Outcome::Batch(s.apply(&batch).await.map_err(|e| e.to_string()))
        }
        Op::Burst(_) | Op::Checkpoint | Op::Flush | Op::Reopen => {
            unreachable!("not a single store write: {op:?}")
        }
    }
}

/// Key-value records as a scan returns them.
type Records = Vec<(Vec<u8>, Vec<u8>)>;

/// The answer to one read.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Value(Result<Option<Vec<u8>>, String>),
    Records(Result<Records, String>),
    Items(Result<Vec<CollectionItem>, String>),
    Number(Result<u64, String>),
    Key(Result<Option<u64>, String>),
}

/// The reads compared, as (what was asked, what was answered), in a fixed order.
///
/// The light set (after every operation): point reads of the hot keys, whole-namespace and
/// prefix scans, whole collections in both directions, counts. The full set adds point reads
/// of the whole key space, scans walked with `after` cursors and small limits, and
/// collection pages walked with `max_id` and `min_id` and with every kind of cursor.
async fn observe<S: Store + ?Sized>(s: &S, keys: &[Vec<u8>], full: bool) -> Vec<(String, Answer)> {
    let mut out = Vec::new();
    let hot: Vec<Vec<u8>> = HOT_KEYS.iter().map(|k| k.to_vec()).collect();
    for ns in NAMESPACES {
        for key in if full { keys } else { &hot[..] } {
            let r = s.kv_get(ns, key).await.map_err(|e| e.to_string());
            out.push((format!("kv_get({ns:?}, {key:?})"), Answer::Value(r)));
        }
        for prefix in if full {
            &SCAN_PREFIXES[..]
        } else {
            &SCAN_PREFIXES[..2]
        } {
            let r = s
                .kv_scan(ns, prefix, None, usize::MAX)
                .await
                .map_err(|e| e.to_string());
            out.push((
                format!("kv_scan({ns:?}, {prefix:?}, None, MAX)"),
                Answer::Records(r),
            ));
            if !full {
                continue;
            }
            // Walked three records at a time, each page starting after the last key of the
            // one before.
            let mut after: Option<Vec<u8>> = None;
            for step in 0..=keys.len() {
                let r = s
                    .kv_scan(ns, prefix, after.as_deref(), 3)
                    .await
                    .map_err(|e| e.to_string());
                let next = match &r {
                    Ok(page) if page.len() == 3 => page.last().map(|(k, _)| k.clone()),
                    _ => None,
                };
                out.push((
                    format!("kv_scan({ns:?}, {prefix:?}, {after:?}, 3) (walk step {step})"),
                    Answer::Records(r),
                ));
                match next {
                    Some(k) => after = Some(k),
                    None => break,
                }
            }
            for a in SCAN_AFTER {
                let r = s
                    .kv_scan(ns, prefix, Some(a), 2)
                    .await
                    .map_err(|e| e.to_string());
                out.push((
                    format!("kv_scan({ns:?}, {prefix:?}, Some({a:?}), 2)"),
                    Answer::Records(r),
                ));
            }
        }
    }
    for c in COLLECTIONS {
        let r = s.count(c).await.map_err(|e| e.to_string());
        out.push((format!("count({c:?})"), Answer::Number(r)));
        if !full {
            for req in [PageRequest::newest(100), PageRequest::oldest(100)] {
                let r = s.page(c, &req).await.map_err(|e| e.to_string());
                out.push((
                    format!("page({c:?}, {req:?})"),
                    Answer::Items(r.map(|p| p.items)),
                ));
            }
            continue;
        }
        for m in MEMBERS {
            let r = s.key_of(c, m).await.map_err(|e| e.to_string());
            out.push((format!("key_of({c:?}, {m:?})"), Answer::Key(r)));
        }
        // Newest first, paging onward with max_id; oldest first, paging onward with min_id.
        for (oldest, limit) in [(false, 1), (false, 2), (false, 100), (true, 2), (true, 100)] {
            let first = if oldest {
                PageRequest::oldest(limit)
            } else {
                PageRequest::newest(limit)
            };
            let mut req = first.clone();
            for step in 0..=MEMBERS.len() {
                let r = s.page(c, &req).await.map_err(|e| e.to_string());
                let next = match &r {
                    Ok(p) if !p.items.is_empty() => {
                        if oldest {
                            p.prev_min_id().map(|id| first.clone().min_id(id))
                        } else {
                            p.next_max_id().map(|id| first.clone().max_id(id))
                        }
                    }
                    _ => None,
                };
                out.push((
                    format!("page({c:?}, {req:?}) (walk step {step})"),
                    Answer::Items(r.map(|p| p.items)),
                ));
                match next {
                    Some(n) => req = n,
                    None => break,
                }
            }
        }
        for cursor in CURSORS {
            let reqs = [
                PageRequest::newest(2).max_id(cursor),
                PageRequest::newest(2).since_id(cursor),
                PageRequest::newest(2).min_id(cursor),
                PageRequest::oldest(2).since_id(cursor),
                PageRequest::oldest(100).max_id(cursor),
                PageRequest::newest(2).since_id(cursor).max_id(u64::MAX - 1),
                PageRequest::newest(100).min_id(cursor).max_id(5),
                PageRequest::newest(1).since_id(cursor).min_id(2),
            ];
            for req in reqs {
                let r = s.page(c, &req).await.map_err(|e| e.to_string());
                out.push((
                    format!("page({c:?}, {req:?})"),
                    Answer::Items(r.map(|p| p.items)),
                ));
            }
        }
    }
    out
}

async fn compare(
    sled: &SledStore,
    model: &MemoryStore,
    keys: &[Vec<u8>],
    full: bool,
    when: &str,
) -> Result<(), TestCaseError> {
    let got = observe(sled, keys, full).await;
    let want = observe(model, keys, full).await;
    prop_assert_eq!(got.len(), want.len(), "{}: different reads", when);
    for ((asked, g), (_, w)) in got.iter().zip(&want) {
        prop_assert_eq!(g, w, "{}: {} (left: sled, right: model)", when, asked);
    }
    Ok(())
}

/// Opens the sled store; `durable`: with `flush_on_write` (the default).
fn open(path: &Path, durable: bool) -> SledStore {
    SledStore::open_with(
        SledConfig::new(path)
            .flush_on_write(durable)
            .checkpoint_bytes(512)
            .checkpoint_every_ms(None),
    )
    .unwrap()
}

fn run(ops: &[Op], durable: bool) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let keys = key_space();
    rt.block_on(async {
        let mut sled = open(&path, durable);
        let model = MemoryStore::new();
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Checkpoint => {
                    let r = sled.checkpoint().await;
                    prop_assert!(r.is_ok(), "op {}: checkpoint failed: {:?}", i, r);
                }
                Op::Flush => {
                    let r = sled.flush().await;
                    prop_assert!(r.is_ok(), "op {}: flush failed: {:?}", i, r);
                }
                Op::Reopen => {
                    drop(sled);
                    sled = open(&path, durable);
                    prop_assert_eq!(
                        sled.stats().replayed,
                        0,
                        "op {}: a clean close left log records to replay",
                        i
                    );
                }
                Op::Burst(writes) => {
                    for (j, write) in writes.iter().enumerate() {
                        let at = format!("{i}/{j}");
                        let got = apply(&sled, &at, write).await;
                        let want = apply(&model, &at, write).await;
                        prop_assert_eq!(got, want, "op {} ({:?}): the write's result", at, write);
                    }
                }
                write => {
                    let at = i.to_string();
                    let got = apply(&sled, &at, write).await;
                    let want = apply(&model, &at, write).await;
                    prop_assert_eq!(got, want, "op {} ({:?}): the write's result", i, write);
                }
            }
            // The full set every fourth operation and after every burst, checkpoint and
            // reopen; the light set otherwise.
            let full = i % 4 == 3 || matches!(op, Op::Burst(_) | Op::Checkpoint | Op::Reopen);
            compare(
                &sled,
                &model,
                &keys,
                full,
                &format!("after op {i} ({op:?})"),
            )
            .await?;
        }
        let r = sled.checkpoint().await;
        prop_assert!(r.is_ok(), "final checkpoint failed: {:?}", r);
        compare(&sled, &model, &keys, true, "after a final checkpoint").await?;
        drop(sled);
        let sled = open(&path, durable);
        compare(&sled, &model, &keys, true, "after the final reopen").await
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn sled_overlay_matches_the_memory_model(
        ops in prop::collection::vec(op(), 1..60),
        durable in any::<bool>(),
    ) {
        run(&ops, durable)?;
    }
}
