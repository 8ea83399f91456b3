//! Where a data directory's bytes go: files by part (sled's files, the inbox journal, media,
//! the rest) and, with the server stopped, sled's records by keyspace.

use std::path::Path;

use fedi_storage::sled::{JournalQueues, SledConfig, SledStore};

use crate::Result;

/// Bytes of the files under `dir` (recursively); 0 if it does not exist.
pub fn bytes_under(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => bytes_under(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// The data directory's parts: (name, bytes), the whole first.
pub fn parts(data_dir: &Path) -> Vec<(String, u64)> {
    let db = data_dir.join("db");
    let journal = bytes_under(&db.join("journal"));
    let sled = bytes_under(&db) - journal;
    let media = bytes_under(&data_dir.join("media"));
    let total = bytes_under(data_dir);
    let mut out = vec![
        ("total".to_owned(), total),
        ("sled (db/ without the journal)".to_owned(), sled),
    ];
    if let Ok(entries) = std::fs::read_dir(&db) {
        let mut files: Vec<(String, u64)> = entries
            .flatten()
            .filter(|e| e.file_name() != "journal")
            .map(|e| {
                let p = e.path();
                let n = if p.is_dir() {
                    bytes_under(&p)
                } else {
                    e.metadata().map_or(0, |m| m.len())
                };
                (format!("  db/{}", e.file_name().to_string_lossy()), n)
            })
            .collect();
        files.sort();
        out.extend(files);
    }
    out.push(("inbox journal (db/journal/)".to_owned(), journal));
    out.push(("media".to_owned(), media));
    out.push(("other".to_owned(), total - sled - journal - media));
    out
}

/// Prints [`parts`] and, opening the store (the server must be stopped), sled's records by
/// keyspace.
pub fn report(data_dir: &Path, census: bool) -> Result<()> {
    for (name, n) in parts(data_dir) {
        println!("{name:<44} {n:>12} B {:>9.1} MiB", n as f64 / 1048576.0);
    }
    if census {
        let store = SledStore::open_with(
            SledConfig::new(data_dir.join("db"))
                .journal(JournalQueues::Named(vec!["inbox".into()])),
        )
        .map_err(|e| crate::Error::Usage(e.to_string()))?;
        println!("sled records by keyspace (logical bytes, keys + values):");
        let mut total = 0;
        for u in store
            .keyspace_usage()
            .map_err(|e| crate::Error::Usage(e.to_string()))?
        {
            total += u.key_bytes + u.value_bytes;
            println!(
                "  {:<44} {:>9} records {:>12} B",
                u.name,
                u.records,
                u.key_bytes + u.value_bytes
            );
        }
        println!("  {:<44} {:>9}         {total:>12} B", "all", "");
    }
    Ok(())
}
