//! The on-disk layout: key encoding and versioned binary record framing.
//!
//! Every key starts with one tag byte naming its keyspace; names inside keys are
//! length-prefixed (`u16` big-endian) so no escaping is needed and prefix scans are exact.
//! Every record value starts with [`MAGIC`], a kind byte and a format version, so a truncated
//! value, a value of the wrong kind, or a foreign value decodes to
//! [`Error::Corrupt`](crate::Error::Corrupt) for that record alone.

use crate::error::{Error, Result};

pub(crate) const MAGIC: u8 = 0xA7;
pub(crate) const VERSION: u8 = 1;

// Keyspace tags.
pub(crate) const T_DOC: u8 = b'D';
pub(crate) const T_COLL_ITEM: u8 = b'C';
pub(crate) const T_COLL_MEMBER: u8 = b'M';
pub(crate) const T_COLL_COUNT: u8 = b'N';
pub(crate) const T_LOCAL_KEY: u8 = b'K';
pub(crate) const T_LOCAL_KEY_OWNER: u8 = b'k';
pub(crate) const T_REMOTE_KEY: u8 = b'R';
pub(crate) const T_REMOTE_KEY_OWNER: u8 = b'r';
pub(crate) const T_JOB: u8 = b'Q';
pub(crate) const T_JOB_DUE: u8 = b'V';
pub(crate) const T_JOB_SEQ: u8 = b'I';
pub(crate) const T_LANE: u8 = b'L';
pub(crate) const T_DEAD: u8 = b'X';
pub(crate) const T_DEAD_COUNT: u8 = b'Y';
pub(crate) const T_SEEN: u8 = b'S';
pub(crate) const T_SEEN_EXPIRY: u8 = b'T';
pub(crate) const T_KV: u8 = b'A';
/// The sled backend's inbox journal: its consumed position and handled records (`journal/`).
pub(crate) const T_JOURNAL: u8 = b'J';
/// The sled backend's redo record of the multi-key write in progress (one key, sorting before
/// every other keyspace; see `sled.rs`).
pub(crate) const T_INTENT: u8 = 0x00;

// Record kinds.
pub(crate) const K_DOC: u8 = 1;
pub(crate) const K_TOMB: u8 = 2;
pub(crate) const K_LOCAL_KEY: u8 = 3;
pub(crate) const K_REMOTE_KEY: u8 = 4;
pub(crate) const K_JOB: u8 = 5;
pub(crate) const K_DEAD: u8 = 6;
pub(crate) const K_U64: u8 = 7;
pub(crate) const K_INTENT: u8 = 8;
pub(crate) const K_JOURNAL_POS: u8 = 9;
pub(crate) const K_JOURNAL_HANDLED: u8 = 10;

/// A key builder.
pub(crate) struct Key(Vec<u8>);

impl Key {
    pub(crate) fn new(tag: u8) -> Self {
        let mut v = Vec::with_capacity(64);
        v.push(tag);
        Key(v)
    }
    /// A length-prefixed name.
    pub(crate) fn name(mut self, name: &str) -> Result<Self> {
        if name.is_empty() {
            return Err(Error::InvalidArgument("names must not be empty".into()));
        }
        let len = u16::try_from(name.len())
            .map_err(|_| Error::InvalidArgument("names must be shorter than 64 KiB".into()))?;
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(name.as_bytes());
        Ok(self)
    }
    pub(crate) fn u64(mut self, n: u64) -> Self {
        self.0.extend_from_slice(&n.to_be_bytes());
        self
    }
    pub(crate) fn bytes(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    pub(crate) fn build(self) -> Vec<u8> {
        self.0
    }
}

/// The smallest key greater than every key starting with `prefix` (`None`: no upper bound).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Reads a big-endian `u64` at `at` in a key.
pub(crate) fn key_u64(key: &[u8], at: usize) -> Result<u64> {
    key.get(at..at + 8)
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| Error::corrupt(key, "key too short"))
}

/// A record encoder.
pub(crate) struct Enc(Vec<u8>);

impl Enc {
    pub(crate) fn new(kind: u8) -> Self {
        let mut v = Vec::with_capacity(64);
        v.extend_from_slice(&[MAGIC, kind, VERSION]);
        Enc(v)
    }
    pub(crate) fn u8(mut self, n: u8) -> Self {
        self.0.push(n);
        self
    }
    pub(crate) fn u32(mut self, n: u32) -> Self {
        self.0.extend_from_slice(&n.to_be_bytes());
        self
    }
    pub(crate) fn u64(mut self, n: u64) -> Self {
        self.0.extend_from_slice(&n.to_be_bytes());
        self
    }
    pub(crate) fn raw(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    pub(crate) fn bytes(mut self, b: &[u8]) -> Self {
        // Lengths above u32::MAX cannot be stored; callers never pass such values (sled
        // itself limits values far below that), so saturate rather than panic.
        let len = u32::try_from(b.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(b);
        self
    }
    pub(crate) fn str(self, s: &str) -> Self {
        self.bytes(s.as_bytes())
    }
    pub(crate) fn opt_u64(self, n: Option<u64>) -> Self {
        match n {
            Some(n) => self.u8(1).u64(n),
            None => self.u8(0),
        }
    }
    pub(crate) fn opt_str(self, s: Option<&str>) -> Self {
        match s {
            Some(s) => self.u8(1).str(s),
            None => self.u8(0),
        }
    }
    pub(crate) fn opt_bytes(self, s: Option<&[u8]>) -> Self {
        match s {
            Some(s) => self.u8(1).bytes(s),
            None => self.u8(0),
        }
    }
    pub(crate) fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// A record decoder; every failure names the record's key.
pub(crate) struct Dec<'a> {
    key: &'a [u8],
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Dec<'a> {
    /// Checks the framing and returns a decoder positioned after it, with the record's kind.
    pub(crate) fn open(key: &'a [u8], buf: &'a [u8]) -> Result<(u8, Self)> {
        match buf {
            [MAGIC, kind, VERSION, ..] => Ok((*kind, Dec { key, buf, pos: 3 })),
            [MAGIC, _, v, ..] => Err(Error::corrupt(key, format!("unknown format version {v}"))),
            [] => Err(Error::corrupt(key, "empty value")),
            _ => Err(Error::corrupt(
                key,
                "not a record of this store (bad magic byte)",
            )),
        }
    }
    /// Like [`Dec::open`], requiring a kind.
    pub(crate) fn expect(key: &'a [u8], buf: &'a [u8], kind: u8) -> Result<Self> {
        let (k, d) = Self::open(key, buf)?;
        if k != kind {
            return Err(Error::corrupt(
                key,
                format!("record kind {k}, expected {kind}"),
            ));
        }
        Ok(d)
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end {
            Some(end) => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(Error::corrupt(self.key, "record truncated")),
        }
    }
    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn u32(&mut self) -> Result<u32> {
        let s = self.take(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    pub(crate) fn u64(&mut self) -> Result<u64> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_be_bytes(a))
    }
    pub(crate) fn raw<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    pub(crate) fn bytes(&mut self) -> Result<Vec<u8>> {
        let n = self.u32()? as usize;
        Ok(self.take(n)?.to_vec())
    }
    pub(crate) fn string(&mut self) -> Result<String> {
        let b = self.bytes()?;
        String::from_utf8(b).map_err(|_| Error::corrupt(self.key, "string is not UTF-8"))
    }
    fn flag(&mut self) -> Result<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            f => Err(Error::corrupt(self.key, format!("bad option flag {f}"))),
        }
    }
    pub(crate) fn opt_u64(&mut self) -> Result<Option<u64>> {
        if self.flag()? {
            self.u64().map(Some)
        } else {
            Ok(None)
        }
    }
    pub(crate) fn opt_string(&mut self) -> Result<Option<String>> {
        if self.flag()? {
            self.string().map(Some)
        } else {
            Ok(None)
        }
    }
    pub(crate) fn opt_bytes(&mut self) -> Result<Option<Vec<u8>>> {
        if self.flag()? {
            self.bytes().map(Some)
        } else {
            Ok(None)
        }
    }
    /// Requires that the whole value was consumed.
    pub(crate) fn finish(self) -> Result<()> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(Error::corrupt(self.key, "trailing bytes after record"))
        }
    }
}

pub(crate) fn enc_u64(n: u64) -> Vec<u8> {
    Enc::new(K_U64).u64(n).finish()
}

pub(crate) fn dec_u64(key: &[u8], buf: &[u8]) -> Result<u64> {
    let mut d = Dec::expect(key, buf, K_U64)?;
    let n = d.u64()?;
    d.finish()?;
    Ok(n)
}
