//! The journal's record format.
//!
//! A segment file starts with [`FILE_MAGIC`] and holds records back to back, each:
//!
//! ```text
//! u32 body length | u32 CRC-32 of the body | body
//! body: u64 id | u64 not_before (Unix ms) | u32 max_attempts | u16 lane length | lane | payload
//! ```
//!
//! (integers big-endian). The payload is the job's bytes as given (for the inbox: a small
//! header and the activity exactly as received). A record whose length runs past the end of
//! the file, or whose checksum does not match, is a torn write (or damage): reading stops
//! there.

use crate::error::{Error, Result};

/// The first bytes of every segment file (name and format version).
pub(crate) const FILE_MAGIC: &[u8; 8] = b"WJRNL\x00\x00\x01";
/// The bytes before a record's body: its length and checksum.
pub(crate) const FRAME: usize = 8;
/// The fixed part of a body before the lane.
const FIXED: usize = 8 + 8 + 4 + 2;
/// The largest body accepted on read (a corrupt length must not allocate gigabytes).
pub(crate) const MAX_BODY: usize = 64 << 20;

/// A record's fields other than its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) id: u64,
    pub(crate) not_before: u64,
    pub(crate) max_attempts: u32,
    pub(crate) lane: String,
}

/// Encodes a whole record (frame and body).
pub(crate) fn encode(head: &Head, payload: &[u8]) -> Result<Vec<u8>> {
    let lane_len = u16::try_from(head.lane.len())
        .map_err(|_| Error::InvalidArgument("lanes must be shorter than 64 KiB".into()))?;
    let body_len = FIXED + head.lane.len() + payload.len();
    if body_len > MAX_BODY {
        return Err(Error::InvalidArgument(format!(
            "a journaled job must be smaller than {MAX_BODY} bytes"
        )));
    }
    let mut out = Vec::with_capacity(FRAME + body_len);
    // `body_len <= MAX_BODY` fits in u32.
    out.extend_from_slice(&u32::try_from(body_len).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&head.id.to_be_bytes());
    out.extend_from_slice(&head.not_before.to_be_bytes());
    out.extend_from_slice(&head.max_attempts.to_be_bytes());
    out.extend_from_slice(&lane_len.to_be_bytes());
    out.extend_from_slice(head.lane.as_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out[FRAME..]);
    out[4..8].copy_from_slice(&crc.to_be_bytes());
    Ok(out)
}

/// Reads a frame: the body length and checksum.
pub(crate) fn frame(buf: &[u8; FRAME]) -> (usize, u32) {
    let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    let crc = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
    (len, crc)
}

/// Checks a body against its checksum and splits it into head and payload; `None` if the
/// checksum or the layout is wrong.
pub(crate) fn decode(body: &[u8], crc: u32) -> Option<(Head, &[u8])> {
    if crc32fast::hash(body) != crc || body.len() < FIXED {
        return None;
    }
    let u64_at = |at: usize| -> Option<u64> {
        Some(u64::from_be_bytes(body.get(at..at + 8)?.try_into().ok()?))
    };
    let id = u64_at(0)?;
    let not_before = u64_at(8)?;
    let max_attempts = u32::from_be_bytes(body.get(16..20)?.try_into().ok()?);
    let lane_len = u16::from_be_bytes(body.get(20..22)?.try_into().ok()?) as usize;
    let lane = std::str::from_utf8(body.get(FIXED..FIXED + lane_len)?).ok()?;
    let payload = body.get(FIXED + lane_len..)?;
    Some((
        Head {
            id,
            not_before,
            max_attempts,
            lane: lane.to_owned(),
        },
        payload,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn head() -> Head {
        Head {
            id: 7,
            not_before: 1_700_000_000_000,
            max_attempts: 16,
            lane: "b.example".into(),
        }
    }

    #[test]
    fn records_round_trip_with_the_payload_bytes_exact() {
        let payload = b"\x01{\"id\":\"x\"} \xff";
        let rec = encode(&head(), payload).unwrap();
        let (len, crc) = frame(rec[..FRAME].try_into().unwrap());
        assert_eq!(len, rec.len() - FRAME);
        let (h, p) = decode(&rec[FRAME..], crc).unwrap();
        assert_eq!(h, head());
        assert_eq!(p, payload);
    }

    #[test]
    fn any_flipped_bit_or_truncation_is_detected() {
        let rec = encode(&head(), b"payload").unwrap();
        let (_, crc) = frame(rec[..FRAME].try_into().unwrap());
        for i in FRAME..rec.len() {
            for bit in 0..8 {
                let mut bad = rec.clone();
                bad[i] ^= 1 << bit;
                assert!(decode(&bad[FRAME..], crc).is_none(), "byte {i} bit {bit}");
            }
        }
        for cut in FRAME..rec.len() {
            assert!(decode(&rec[FRAME..cut], crc).is_none(), "cut at {cut}");
        }
    }
}
