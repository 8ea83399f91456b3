//! The mapping between the traits' Rust values and the schema's columns: times, sort keys,
//! counts and the checks on names.

use fedi_storage::{Error, Timestamp};

use crate::error::{Fail, R};

/// A time as stored: milliseconds since the epoch, saturated at `i64::MAX` (the year
/// 292,278,994; later times are all "never").
pub(crate) fn ts(t: Timestamp) -> i64 {
    i64::try_from(t.as_unix_millis()).unwrap_or(i64::MAX)
}

/// A stored time (a negative value, never written, reads as the epoch).
pub(crate) fn from_ts(v: i64) -> Timestamp {
    Timestamp::from_unix_millis(u64::try_from(v).unwrap_or(0))
}

/// A collection sort key as stored: the sign bit flipped, so that the order of bigints is the
/// order of the u64 keys over their whole range.
pub(crate) fn sort_key(k: u64) -> i64 {
    i64::from_be_bytes((k ^ (1 << 63)).to_be_bytes())
}

/// A stored sort key.
pub(crate) fn from_sort_key(v: i64) -> u64 {
    u64::from_be_bytes(v.to_be_bytes()) ^ (1 << 63)
}

/// A row count or limit as a bigint parameter.
pub(crate) fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A stored non-negative bigint (ids, counts).
pub(crate) fn unsigned(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A u32 (attempt counts) as an integer column, saturated.
pub(crate) fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A stored integer as a u32.
pub(crate) fn from_int(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// A job id as a bigint parameter (ids above `i64::MAX` never exist: they match nothing).
pub(crate) fn job_id(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(-1)
}

/// Checks a name (an IRI, a collection, a queue, a namespace, a key id): not empty, shorter
/// than 64 KiB (as in the sled backend), and without NUL, which PostgreSQL text cannot hold.
pub(crate) fn name<'a>(what: &str, s: &'a str) -> R<&'a str> {
    if s.is_empty() {
        return Err(invalid(format!("{what}: names must not be empty")));
    }
    text(what, s)
}

/// Checks a text value that may be empty (a member, a lane): shorter than 64 KiB, no NUL.
pub(crate) fn text<'a>(what: &str, s: &'a str) -> R<&'a str> {
    if s.len() >= 1 << 16 {
        return Err(invalid(format!("{what}: must be shorter than 64 KiB")));
    }
    if s.contains('\0') {
        return Err(invalid(format!(
            "{what}: must not contain NUL (PostgreSQL text cannot hold it)"
        )));
    }
    Ok(s)
}

/// Free text (an error message, a former type, a PEM): NUL replaced, never refused.
pub(crate) fn free_text(s: &str) -> String {
    s.replace('\0', "\u{FFFD}")
}

fn invalid(msg: String) -> Fail {
    Fail::Store(Error::InvalidArgument(msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_keep_the_u64_order() {
        let keys = [
            0,
            1,
            41,
            1 << 62,
            (1 << 63) - 1,
            1 << 63,
            u64::MAX - 1,
            u64::MAX,
        ];
        for w in keys.windows(2) {
            assert!(sort_key(w[0]) < sort_key(w[1]), "{} < {}", w[0], w[1]);
        }
        for k in keys {
            assert_eq!(from_sort_key(sort_key(k)), k);
        }
    }

    #[test]
    fn times_saturate() {
        assert_eq!(ts(Timestamp::MAX), i64::MAX);
        assert_eq!(
            from_ts(ts(Timestamp::from_unix_millis(5))).as_unix_millis(),
            5
        );
        assert_eq!(from_ts(-3), Timestamp::EPOCH);
    }

    #[test]
    fn names_are_checked() {
        assert!(name("q", "").is_err());
        assert!(name("q", "a\0b").is_err());
        assert!(name("q", &"x".repeat(1 << 16)).is_err());
        assert!(text("lane", "").is_ok());
        assert_eq!(free_text("a\0b"), "a\u{FFFD}b");
    }
}
