//! Where the sled backend's bytes go: a census of its tree by keyspace (and, for keyspaces
//! keyed by a name, by the name's first `:`-separated part), for measurements of disk use.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::sled::SledStore;

/// The records of one keyspace (or one named group within it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct KeyspaceUsage {
    /// The keyspace and group, e.g. `collection items timeline` or `documents`.
    pub name: String,
    /// Records.
    pub records: u64,
    /// Bytes of their keys.
    pub key_bytes: u64,
    /// Bytes of their values.
    pub value_bytes: u64,
}

/// The keyspace's name, and whether its keys start with a length-prefixed name.
fn keyspace(tag: u8) -> (&'static str, bool) {
    use crate::core::codec::*;
    match tag {
        T_DOC => ("documents", false),
        T_COLL_ITEM => ("collection items", true),
        T_COLL_MEMBER => ("collection members", true),
        T_COLL_COUNT => ("collection counts", true),
        T_LOCAL_KEY => ("local keys", false),
        T_LOCAL_KEY_OWNER => ("local keys by owner", false),
        T_REMOTE_KEY => ("remote keys", false),
        T_REMOTE_KEY_OWNER => ("remote keys by owner", false),
        T_JOB => ("queue jobs", true),
        T_JOB_DUE => ("queue due index", true),
        T_JOB_SEQ => ("queue id sequences", true),
        T_LANE => ("queue lane counts", true),
        T_DEAD => ("dead letters", true),
        T_DEAD_COUNT => ("dead letter counts", true),
        T_SEEN => ("dedupe ids", false),
        T_SEEN_EXPIRY => ("dedupe expiry index", false),
        T_KV => ("kv", true),
        T_JOURNAL => ("journal state", true),
        T_INTENT => ("redo record", false),
        _ => ("unknown", false),
    }
}

impl SledStore {
    /// Counts the tree's records and bytes by keyspace and group (a full scan: for
    /// measurements, not for serving). Sorted by bytes, largest first.
    pub fn keyspace_usage(&self) -> Result<Vec<KeyspaceUsage>> {
        let mut groups: BTreeMap<String, KeyspaceUsage> = BTreeMap::new();
        for kv in self.tree().iter() {
            let (k, v) = kv?;
            let Some(&tag) = k.first() else { continue };
            let (space, named) = keyspace(tag);
            let name = if named {
                let len = k
                    .get(1..3)
                    .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
                let full = k.get(3..3 + len).unwrap_or_default();
                let head = full.split(|b| *b == b':').next().unwrap_or_default();
                format!("{space} {}", String::from_utf8_lossy(head))
            } else {
                space.to_owned()
            };
            let e = groups.entry(name.clone()).or_insert_with(|| KeyspaceUsage {
                name,
                ..KeyspaceUsage::default()
            });
            e.records += 1;
            e.key_bytes += k.len() as u64;
            e.value_bytes += v.len() as u64;
        }
        let mut out: Vec<KeyspaceUsage> = groups.into_values().collect();
        out.sort_by_key(|u| std::cmp::Reverse(u.key_bytes + u.value_bytes));
        Ok(out)
    }
}
