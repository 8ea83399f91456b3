//! Segment files: naming, creation, reading records at an offset, and the scan on open that
//! finds (and cuts) a torn tail.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::record::{self, Head, FILE_MAGIC, FRAME, MAX_BODY};
use crate::error::{Error, Result};

pub(crate) fn io(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Backend(format!("journal: {what} {}: {e}", path.display()))
}

/// The file of the segment whose first record has id `base`.
pub(crate) fn path(dir: &Path, base: u64) -> PathBuf {
    dir.join(format!("{base:020}.seg"))
}

/// The bases of the segments in `dir`, ascending.
pub(crate) fn list(dir: &Path) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io("listing", dir, e))? {
        let entry = entry.map_err(|e| io("listing", dir, e))?;
        let name = entry.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".seg")) else {
            continue;
        };
        if let Ok(base) = stem.parse::<u64>() {
            out.push(base);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Makes a directory entry change (a created or removed file) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("syncing", dir, e))
}

/// Creates an empty segment (just the magic), durably.
pub(crate) fn create(dir: &Path, base: u64) -> Result<File> {
    let p = path(dir, base);
    let mut f = OpenOptions::new()
        .read(true)
        .append(true)
        .create_new(true)
        .open(&p)
        .map_err(|e| io("creating", &p, e))?;
    f.write_all(FILE_MAGIC)
        .and_then(|()| f.sync_all())
        .map_err(|e| io("writing", &p, e))?;
    sync_dir(dir)?;
    Ok(f)
}

/// Opens a segment for appending.
pub(crate) fn open_append(dir: &Path, base: u64) -> Result<File> {
    let p = path(dir, base);
    OpenOptions::new()
        .read(true)
        .append(true)
        .open(&p)
        .map_err(|e| io("opening", &p, e))
}

/// Opens a segment for reading.
pub(crate) fn open_read(dir: &Path, base: u64) -> Result<File> {
    let p = path(dir, base);
    File::open(&p).map_err(|e| io("opening", &p, e))
}

/// What reading at an offset found.
pub(crate) enum Read {
    /// A whole record, and the offset after it.
    Record(Head, Vec<u8>, u64),
    /// The end of the segment's whole records: the file ends there, or what follows is torn
    /// or damaged (its length runs past the end, or its checksum fails).
    End,
}

/// Reads the record at `offset`.
pub(crate) fn read_at(file: &File, offset: u64) -> Result<Read> {
    let mut fr = [0u8; FRAME];
    if !read_full(file, &mut fr, offset)? {
        return Ok(Read::End);
    }
    let (len, crc) = record::frame(&fr);
    if len > MAX_BODY {
        return Ok(Read::End);
    }
    let mut body = vec![0u8; len];
    if !read_full(file, &mut body, offset + FRAME as u64)? {
        return Ok(Read::End);
    }
    match record::decode(&body, crc) {
        Some((head, payload)) => {
            let payload = payload.to_vec();
            Ok(Read::Record(head, payload, offset + (FRAME + len) as u64))
        }
        None => Ok(Read::End),
    }
}

/// Fills `buf` from `offset`; `false` if the file ends first.
fn read_full(file: &File, buf: &mut [u8], offset: u64) -> Result<bool> {
    match file.read_exact_at(buf, offset) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(Error::Backend(format!("journal: reading a segment: {e}"))),
    }
}

/// Scans a segment from its start, calling `visit(head, offset)` for each whole record whose
/// id is the expected next one (`base`, `base + 1`, …). Returns the offset where whole
/// records end and whether bytes follow there (a torn or damaged tail). A file without the
/// magic has no records.
pub(crate) fn scan(
    file: &File,
    base: u64,
    mut visit: impl FnMut(&Head, u64),
) -> Result<(u64, bool)> {
    let len = file
        .metadata()
        .map_err(|e| Error::Backend(format!("journal: reading a segment: {e}")))?
        .len();
    let mut magic = [0u8; 8];
    if !read_full(file, &mut magic, 0)? || &magic != FILE_MAGIC {
        return Ok((0, len > 0));
    }
    let mut offset = FILE_MAGIC.len() as u64;
    let mut expect = base;
    loop {
        match read_at(file, offset)? {
            Read::Record(head, _, next) if head.id == expect => {
                visit(&head, offset);
                offset = next;
                expect += 1;
            }
            _ => return Ok((offset, offset < len)),
        }
    }
}
