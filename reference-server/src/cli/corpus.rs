//! `woolly corpus`: conformance checks over folders of fediverse documents.
//!
//! `woolly corpus check DIR [--json]` walks `DIR` recursively and reads every `*.json` file:
//!
//! - **WebFinger JRDs** (in a `webfinger/` folder, or any object with `links` plus `subject`
//!   or `aliases`) are read with [`webfinger::Jrd`];
//! - **NodeInfo** documents (in a `nodeinfo/` folder, or any object with `version` and
//!   `software`, or a discovery document whose links are NodeInfo schema links) are read with
//!   [`activitypub_core::nodeinfo`];
//! - everything else is an **ActivityStreams** document, read as
//!   [`activitypub_core::AnyObject`]. Documents that [`activitypub_core::jsonld::classify`]
//!   says need JSON-LD normalization (expanded form, redefined terms) are also normalized
//!   and the normalized document is read and checked too.
//!
//! Files in a `contexts/` folder (JSON-LD context documents, not ActivityStreams objects) and
//! in a `signatures/` folder (HTTP-signature test vectors, checked by `woolly sig`) are
//! skipped and counted. A document passes when it parses and parse → serialize → parse
//! gives back the same JSON (key order aside). The validation helpers' findings (origin
//! mismatches, spoofing shapes) are reported as warnings and do not fail a document.
//!
//! When the folder, its parent or its grandparent holds a `MANIFEST.md` whose Markdown tables
//! list documents by relative path (first column, headed `Path` or `File`) with `NEGATIVE` in
//! a notes column (the
//! corpus convention for must-reject inputs), each NEGATIVE document under the folder is
//! reported as flagged (the validation helpers warned about it), not flaggable without fetch
//! context (its problem, per the manifest, is only visible against the URL it was fetched
//! from, such as "id host != fetched host", which the bytes alone do not carry), not flagged,
//! unreadable or missing.
//!
//! The output ends with the line `N passed, M failed`, then, with a manifest, the line
//! `NEGATIVE documents: N, flagged: F, not flaggable without fetch context: C` (plus
//! `, not flagged: X` / `, unreadable: U` / `, missing: M` when not zero) and one line per
//! NEGATIVE document, then a line with the skipped count; the exit code is 1 when any
//! document fails, 2 when the folder cannot be read. NEGATIVE documents that are not
//! flagged do not change the exit code.

use std::path::{Path, PathBuf};

use activitypub_core::jsonld;
use activitypub_core::nodeinfo::{Discovery, NodeInfo};
use activitypub_core::validate;
use activitypub_core::{AnyObject, Reference};
use clap::Subcommand;
use serde::Serialize;
use serde_json::Value;

/// `woolly corpus` subcommands.
#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Check every JSON document under a folder.
    Check {
        /// The folder to walk.
        dir: std::path::PathBuf,
        /// Print a machine-readable JSON report instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `woolly corpus` subcommand; returns the exit code.
pub fn run(cmd: CorpusCommand) -> i32 {
    match cmd {
        CorpusCommand::Check { dir, json } => match check_dir(&dir) {
            Ok(report) => {
                if json {
                    match serde_json::to_string_pretty(&report) {
                        Ok(s) => println!("{s}"),
                        Err(e) => {
                            eprintln!("woolly corpus check: {e}");
                            return 2;
                        }
                    }
                } else {
                    print!("{}", report.to_text());
                }
                if report.failed > 0 {
                    1
                } else {
                    0
                }
            }
            Err(e) => {
                eprintln!("woolly corpus check {}: {e}", dir.display());
                2
            }
        },
    }
}

/// What a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Format {
    /// An ActivityStreams document.
    Activitystreams,
    /// A WebFinger JRD.
    Webfinger,
    /// A NodeInfo 2.x document.
    Nodeinfo,
    /// A `/.well-known/nodeinfo` discovery document.
    NodeinfoDiscovery,
}

/// The verdict on one document.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DocumentReport {
    /// The path, relative to the checked folder.
    pub path: String,
    /// What it was read as.
    pub format: Format,
    /// The type it parsed as (e.g. `Create(Note)`, `Person`, `OrderedCollection`).
    pub parsed_as: Option<String>,
    /// Whether it took the JSON-LD normalization path.
    pub jsonld: bool,
    /// Why it took the JSON-LD path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jsonld_reason: Option<String>,
    /// Whether JSON-LD normalization failed and the document was read as plain JSON.
    pub jsonld_fallback: bool,
    /// Whether parse → serialize → parse preserved the JSON.
    pub lossless: bool,
    /// The error, if it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The validation helpers' findings.
    pub warnings: Vec<String>,
    /// Whether it passed.
    pub passed: bool,
}

/// A skipped file.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Skipped {
    /// The path, relative to the checked folder.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// The whole report.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Documents that passed.
    pub passed: usize,
    /// Documents that failed.
    pub failed: usize,
    /// Files skipped (context documents, signature vectors).
    pub skipped: usize,
    /// Documents that took the JSON-LD path.
    pub jsonld: usize,
    /// Documents with at least one validation warning.
    pub with_warnings: usize,
    /// Every checked document.
    pub documents: Vec<DocumentReport>,
    /// Every skipped file.
    pub skipped_files: Vec<Skipped>,
    /// The `MANIFEST.md` the NEGATIVE marks were read from, if one was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// NEGATIVE documents under the checked folder, as marked in the manifest.
    pub negative_documents: usize,
    /// NEGATIVE documents the validation helpers flagged.
    pub negative_flagged: usize,
    /// NEGATIVE documents whose problem needs the URL they were fetched from.
    pub negative_needs_fetch_context: usize,
    /// NEGATIVE documents that parsed but were not flagged (a miss of the helpers).
    pub negative_not_flagged: usize,
    /// NEGATIVE documents that did not parse.
    pub negative_unreadable: usize,
    /// NEGATIVE documents listed in the manifest but not found under the folder.
    pub negative_missing: usize,
    /// One entry per NEGATIVE document.
    pub negatives: Vec<Negative>,
}

/// What became of a document the manifest marks NEGATIVE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum NegativeStatus {
    /// The validation helpers reported at least one finding.
    Flagged,
    /// No finding, and the manifest says the problem is only visible against the URL the
    /// document was fetched from (which the bytes do not carry).
    NeedsFetchContext,
    /// Parsed, no finding, and nothing says why: the helpers missed it.
    NotFlagged,
    /// The document did not parse.
    Unreadable,
    /// Listed in the manifest, but no such file under the checked folder.
    Missing,
}

impl NegativeStatus {
    fn label(self) -> &'static str {
        match self {
            NegativeStatus::Flagged => "flagged",
            NegativeStatus::NeedsFetchContext => "not flaggable without fetch context",
            NegativeStatus::NotFlagged => "NOT FLAGGED",
            NegativeStatus::Unreadable => "unreadable",
            NegativeStatus::Missing => "missing",
        }
    }
}

/// One NEGATIVE document.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Negative {
    /// The path, relative to the checked folder.
    pub path: String,
    /// The verdict.
    pub status: NegativeStatus,
    /// The manifest's note for it.
    pub note: String,
    /// The validation helpers' findings.
    pub warnings: Vec<String>,
}

impl Report {
    /// The text form: one line per document, then the summary lines.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for d in &self.documents {
            let status = if d.passed { "PASS" } else { "FAIL" };
            let path = match (d.jsonld, d.jsonld_fallback) {
                (false, _) => "plain",
                (true, false) => "json-ld",
                (true, true) => "json-ld failed, read plain",
            };
            let lossless = if d.lossless { "lossless" } else { "LOSSY" };
            out.push_str(&format!(
                "{status} {} [{:?}] {} ({path}, {lossless})",
                d.path,
                d.format,
                d.parsed_as.as_deref().unwrap_or("-"),
            ));
            if let Some(r) = &d.jsonld_reason {
                out.push_str(&format!(" json-ld: {r}"));
            }
            if let Some(e) = &d.error {
                out.push_str(&format!(" error: {e}"));
            }
            out.push('\n');
            for w in &d.warnings {
                out.push_str(&format!("    warning: {w}\n"));
            }
        }
        for s in &self.skipped_files {
            out.push_str(&format!("SKIP {} ({})\n", s.path, s.reason));
        }
        out.push_str(&format!(
            "{} documents took the JSON-LD path; {} had validation warnings\n",
            self.jsonld, self.with_warnings
        ));
        out.push_str(&format!("{} passed, {} failed\n", self.passed, self.failed));
        if self.manifest.is_some() {
            out.push_str(&format!(
                "NEGATIVE documents: {}, flagged: {}, not flaggable without fetch context: {}",
                self.negative_documents, self.negative_flagged, self.negative_needs_fetch_context
            ));
            for (n, what) in [
                (self.negative_not_flagged, "not flagged"),
                (self.negative_unreadable, "unreadable"),
                (self.negative_missing, "missing"),
            ] {
                if n > 0 {
                    out.push_str(&format!(", {what}: {n}"));
                }
            }
            out.push('\n');
            for n in &self.negatives {
                out.push_str(&format!("  NEGATIVE {} {}", n.status.label(), n.path));
                match n.status {
                    NegativeStatus::Flagged => {
                        out.push_str(&format!(": {}", n.warnings.join("; ")));
                    }
                    _ => out.push_str(&format!(" (manifest: {})", n.note)),
                }
                out.push('\n');
            }
        }
        out.push_str(&format!("{} skipped\n", self.skipped));
        out
    }
}

/// Checks every `*.json` file under `dir`.
pub fn check_dir(dir: &Path) -> std::io::Result<Report> {
    let mut files = Vec::new();
    walk(dir, &mut files, 0)?;
    files.sort();
    let mut report = Report::default();
    for f in files {
        let rel = f.strip_prefix(dir).unwrap_or(&f);
        let rel_s = rel.to_string_lossy().replace('\\', "/");
        let folders: Vec<String> = rel
            .parent()
            .map(|p| {
                p.components()
                    .map(|c| c.as_os_str().to_string_lossy().to_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        let in_folder = |name: &str| folders.iter().any(|c| c == name);
        if in_folder("signatures") {
            report.skipped_files.push(Skipped {
                path: rel_s,
                reason: "HTTP-signature test vector (checked by `woolly sig`)".to_owned(),
            });
            continue;
        }
        if in_folder("contexts") {
            report.skipped_files.push(Skipped {
                path: rel_s,
                reason: "JSON-LD context document, not an ActivityStreams object".to_owned(),
            });
            continue;
        }
        let bytes = std::fs::read(&f)?;
        let hint = if in_folder("webfinger") {
            Some(Format::Webfinger)
        } else if in_folder("nodeinfo") {
            Some(Format::Nodeinfo)
        } else {
            None
        };
        let d = check_document(&rel_s, &bytes, hint);
        if d.passed {
            report.passed += 1;
        } else {
            report.failed += 1;
        }
        if d.jsonld {
            report.jsonld += 1;
        }
        if !d.warnings.is_empty() {
            report.with_warnings += 1;
        }
        report.documents.push(d);
    }
    report.skipped = report.skipped_files.len();
    if let Some((manifest, marks)) = find_manifest(dir) {
        report.manifest = Some(manifest.to_string_lossy().into_owned());
        apply_negatives(&mut report, dir, &manifest, &marks);
    }
    Ok(report)
}

/// A document the manifest marks NEGATIVE: its path relative to the manifest, and its note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegativeMark {
    /// The path as written in the manifest's first column.
    pub path: String,
    /// The notes cell.
    pub note: String,
}

/// The nearest `MANIFEST.md` in `dir`, its parent or its grandparent that marks at least one
/// document NEGATIVE, with those marks.
fn find_manifest(dir: &Path) -> Option<(PathBuf, Vec<NegativeMark>)> {
    let dir = std::fs::canonicalize(dir).ok()?;
    for folder in dir.ancestors().take(3) {
        let path = folder.join("MANIFEST.md");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let marks = negative_marks(&text);
        if !marks.is_empty() {
            return Some((path, marks));
        }
    }
    None
}

/// Splits a Markdown table row into trimmed cells (`\|` is a literal bar).
fn table_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                cell.push('|');
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            c => cell.push(c),
        }
    }
    cells.push(cell.trim().to_owned());
    cells
}

fn is_separator(cells: &[String]) -> bool {
    !cells.is_empty()
        && cells.iter().all(|c| {
            let c = c.trim_matches(':');
            !c.is_empty() && c.bytes().all(|b| b == b'-')
        })
}

/// Whether `text` holds `word` as a whole word.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The NEGATIVE marks of a manifest: rows of Markdown tables whose first column is headed
/// `Path` or `File` (the document's path relative to the manifest) and whose notes column (the
/// column headed `Notes`, else the last one) contains the word `NEGATIVE`.
pub fn negative_marks(manifest: &str) -> Vec<NegativeMark> {
    let mut out = Vec::new();
    let mut lines = manifest.lines().peekable();
    while let Some(line) = lines.next() {
        if !line.trim_start().starts_with('|') {
            continue;
        }
        let header = table_cells(line);
        let Some(next) = lines.peek() else { break };
        if !next.trim_start().starts_with('|') || !is_separator(&table_cells(next)) {
            continue;
        }
        lines.next();
        let first = header.first().map(|h| h.to_lowercase()).unwrap_or_default();
        if !first.contains("path") && !first.contains("file") {
            // Not a table of documents (say, the sources table).
            continue;
        }
        let notes = header
            .iter()
            .position(|h| h.eq_ignore_ascii_case("notes"))
            .unwrap_or(header.len().saturating_sub(1));
        while let Some(row) = lines.peek() {
            if !row.trim_start().starts_with('|') {
                break;
            }
            let cells = table_cells(row);
            lines.next();
            let (Some(path), Some(note)) = (cells.first(), cells.get(notes)) else {
                continue;
            };
            let path = path.trim_matches('`');
            if notes > 0 && !path.is_empty() && has_word(note, "NEGATIVE") {
                out.push(NegativeMark {
                    path: path.to_owned(),
                    note: note.clone(),
                });
            }
        }
    }
    out
}

/// Whether a manifest note says the problem is only visible against the fetched URL.
fn needs_fetch_context(note: &str) -> bool {
    let n = note.to_lowercase();
    n.contains("fetched host") || n.contains("fetched from") || n.contains("fetched url")
}

fn apply_negatives(report: &mut Report, dir: &Path, manifest: &Path, marks: &[NegativeMark]) {
    let Ok(dir) = std::fs::canonicalize(dir) else {
        return;
    };
    let base = manifest.parent().unwrap_or(Path::new(""));
    for mark in marks {
        // Paths are relative to the manifest; only those under the checked folder count.
        let joined = base.join(&mark.path);
        let Ok(rel) = joined.strip_prefix(&dir) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let doc = report.documents.iter().find(|d| d.path == rel);
        if doc.is_none() && report.skipped_files.iter().any(|f| f.path == rel) {
            // A context document or a signature vector: not an object to flag.
            continue;
        }
        let (status, warnings) = match doc {
            None => (NegativeStatus::Missing, Vec::new()),
            Some(d) if d.parsed_as.is_none() => (NegativeStatus::Unreadable, Vec::new()),
            Some(d) if !d.warnings.is_empty() => (NegativeStatus::Flagged, d.warnings.clone()),
            Some(_) if needs_fetch_context(&mark.note) => {
                (NegativeStatus::NeedsFetchContext, Vec::new())
            }
            Some(_) => (NegativeStatus::NotFlagged, Vec::new()),
        };
        report.negative_documents += 1;
        *match status {
            NegativeStatus::Flagged => &mut report.negative_flagged,
            NegativeStatus::NeedsFetchContext => &mut report.negative_needs_fetch_context,
            NegativeStatus::NotFlagged => &mut report.negative_not_flagged,
            NegativeStatus::Unreadable => &mut report.negative_unreadable,
            NegativeStatus::Missing => &mut report.negative_missing,
        } += 1;
        report.negatives.push(Negative {
            path: rel,
            status,
            note: mark.note.clone(),
            warnings,
        });
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> std::io::Result<()> {
    if depth > 32 {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let p = entry.path();
        if ty.is_dir() {
            walk(&p, out, depth + 1)?;
        } else if ty.is_file()
            && p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            out.push(p);
        }
    }
    Ok(())
}

fn detect(v: &Value, hint: Option<Format>) -> Format {
    let obj = v.as_object();
    let has = |k: &str| obj.is_some_and(|o| o.contains_key(k));
    let nodeinfo_links = || {
        obj.and_then(|o| o.get("links"))
            .and_then(Value::as_array)
            .is_some_and(|ls| {
                !ls.is_empty()
                    && ls.iter().all(|l| {
                        l.get("rel").and_then(Value::as_str).is_some_and(|r| {
                            r.starts_with("http://nodeinfo.diaspora.software/ns/schema/")
                        })
                    })
            })
    };
    match hint {
        Some(Format::Nodeinfo) | None if has("links") && nodeinfo_links() && !has("subject") => {
            Format::NodeinfoDiscovery
        }
        Some(h) => h,
        None if has("links") && (has("subject") || has("aliases")) && !has("type") => {
            Format::Webfinger
        }
        None if has("version") && has("software") && !has("type") => Format::Nodeinfo,
        None => Format::Activitystreams,
    }
}

fn new_report(path: &str, format: Format) -> DocumentReport {
    DocumentReport {
        path: path.to_owned(),
        format,
        parsed_as: None,
        jsonld: false,
        jsonld_reason: None,
        jsonld_fallback: false,
        lossless: false,
        error: None,
        warnings: Vec::new(),
        passed: false,
    }
}

/// Checks one document (`hint` is the format a folder name implies).
pub fn check_document(path: &str, bytes: &[u8], hint: Option<Format>) -> DocumentReport {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            let mut r = new_report(path, hint.unwrap_or(Format::Activitystreams));
            r.error = Some(format!("not JSON: {e}"));
            return r;
        }
    };
    let format = detect(&value, hint);
    let mut r = new_report(path, format);
    let result = match format {
        Format::Activitystreams => check_activitystreams(bytes, &value, &mut r),
        Format::Webfinger => check_jrd(bytes, &value, &mut r),
        Format::Nodeinfo => check_lossless::<NodeInfo>(bytes, &value).map(|n| {
            r.parsed_as = Some(format!("NodeInfo {}", n.version.as_deref().unwrap_or("?")));
        }),
        Format::NodeinfoDiscovery => check_lossless::<Discovery>(bytes, &value).map(|d| {
            r.parsed_as = Some(format!(
                "NodeInfo discovery ({} links)",
                d.links.as_ref().map_or(0, Vec::len)
            ));
        }),
    };
    match result {
        Ok(()) => {
            r.lossless = true;
            r.passed = true;
        }
        Err(e) => {
            r.lossless = !e.starts_with("lossy");
            r.error = Some(e);
        }
    }
    r
}

/// Parses `T` from the bytes, serializes, parses again; the JSON must be unchanged.
fn check_lossless<T>(bytes: &[u8], original: &Value) -> Result<T, String>
where
    T: serde::de::DeserializeOwned + Serialize,
{
    let typed: T = serde_json::from_slice(bytes).map_err(|e| format!("parse: {e}"))?;
    round_trip(&typed, original)?;
    Ok(typed)
}

fn round_trip<T>(typed: &T, original: &Value) -> Result<(), String>
where
    T: serde::de::DeserializeOwned + Serialize,
{
    let out = serde_json::to_vec(typed).map_err(|e| format!("serialize: {e}"))?;
    let out_value: Value = serde_json::from_slice(&out).map_err(|e| format!("reparse: {e}"))?;
    if &out_value != original {
        return Err(format!(
            "lossy: {}",
            first_difference(original, &out_value, "")
        ));
    }
    let again: T = serde_json::from_slice(&out).map_err(|e| format!("reparse: {e}"))?;
    let out2 = serde_json::to_value(&again).map_err(|e| format!("serialize: {e}"))?;
    if out2 != out_value {
        return Err(format!(
            "lossy: second round trip: {}",
            first_difference(&out_value, &out2, "")
        ));
    }
    Ok(())
}

fn first_difference(a: &Value, b: &Value, at: &str) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    None => return format!("{at}/{k} missing"),
                    Some(w) if w != v => return first_difference(v, w, &format!("{at}/{k}")),
                    _ => {}
                }
            }
            for k in y.keys() {
                if !x.contains_key(k) {
                    return format!("{at}/{k} added");
                }
            }
            format!("{at} differs")
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                if v != w {
                    return first_difference(v, w, &format!("{at}/{i}"));
                }
            }
            format!("{at} differs")
        }
        _ => format!("{at}: {a} became {b}"),
    }
}

fn describe(doc: &AnyObject) -> String {
    let name = doc.type_name().unwrap_or("(no type)").to_owned();
    match doc {
        AnyObject::Activity(a) => match a.first_object() {
            Some(Reference::Id(_)) => format!("{name}(iri)"),
            Some(Reference::Object(o)) => format!("{name}({})", describe(o)),
            None => name,
        },
        _ => name,
    }
}

fn check_activitystreams(
    bytes: &[u8],
    value: &Value,
    r: &mut DocumentReport,
) -> Result<(), String> {
    if !value.is_object() {
        return Err("parse: not a JSON object".to_owned());
    }
    let typed: AnyObject = serde_json::from_slice(bytes).map_err(|e| format!("parse: {e}"))?;
    r.parsed_as = Some(describe(&typed));
    r.warnings = validate::check(&typed)
        .iter()
        .map(ToString::to_string)
        .collect();
    round_trip(&typed, value)?;
    let class = jsonld::classify(value);
    if class.needs_normalization() {
        r.jsonld = true;
        r.jsonld_reason = class.reason().map(ToString::to_string);
        let normalized = match jsonld::normalize(value) {
            Ok(n) => n,
            Err(e) => {
                // Mastodon reads such documents as plain JSON; so do we, and say so.
                r.jsonld_fallback = true;
                r.warnings.push(format!(
                    "JSON-LD normalization failed ({e}); read as plain JSON"
                ));
                return Ok(());
            }
        };
        let bytes = serde_json::to_vec(&normalized).map_err(|e| format!("json-ld: {e}"))?;
        let typed: AnyObject =
            serde_json::from_slice(&bytes).map_err(|e| format!("parse normalized: {e}"))?;
        r.parsed_as = Some(describe(&typed));
        let mut warnings: Vec<String> = validate::check(&typed)
            .iter()
            .map(ToString::to_string)
            .collect();
        for w in std::mem::take(&mut r.warnings) {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        r.warnings = warnings;
        round_trip(&typed, &normalized).map_err(|e| format!("normalized: {e}"))?;
    }
    Ok(())
}

fn check_jrd(bytes: &[u8], value: &Value, r: &mut DocumentReport) -> Result<(), String> {
    let jrd = webfinger::Jrd::from_slice(bytes).map_err(|e| format!("parse: {e}"))?;
    r.parsed_as = Some(format!("JRD ({} links)", jrd.links.len()));
    if jrd.to_value() != *value {
        return Err(format!(
            "lossy: {}",
            first_difference(value, &jrd.to_value(), "")
        ));
    }
    let again = webfinger::Jrd::from_slice(&jrd.to_vec()).map_err(|e| format!("reparse: {e}"))?;
    if again.to_value() != *value {
        return Err("lossy: second round trip".to_owned());
    }
    r.warnings = jrd_findings(&jrd);
    Ok(())
}

/// WebFinger spoofing shapes: aliases on another host than the subject, and more than one
/// ActivityPub `self` link (which one would we trust?).
fn jrd_findings(jrd: &webfinger::Jrd) -> Vec<String> {
    let mut out = Vec::new();
    let subject_host = jrd.subject.as_deref().and_then(|s| {
        let s = s.strip_prefix("acct:").unwrap_or(s);
        if let Ok(u) = activitypub_core::ObjectId::<()>::parse(s) {
            return Some(u.host().to_owned());
        }
        s.rsplit_once('@').map(|(_, h)| {
            // The subject names an authority; aliases are compared by host.
            let h = h.rsplit_once(':').map_or(h, |(host, port)| {
                if port.bytes().all(|b| b.is_ascii_digit()) {
                    host
                } else {
                    h
                }
            });
            h.to_lowercase()
        })
    });
    if let Some(host) = &subject_host {
        for a in &jrd.aliases {
            if let Ok(u) = activitypub_core::ObjectId::<()>::parse(a) {
                if !u.host().eq_ignore_ascii_case(host) {
                    out.push(format!(
                        "alias {a} is on another host than the subject's ({host})"
                    ));
                }
            }
        }
    }
    let selfs: Vec<_> = jrd
        .links_with_rel("self")
        .filter(|l| {
            l.media_type.as_deref().is_some_and(|t| {
                t.starts_with("application/activity+json") || t.starts_with("application/ld+json")
            })
        })
        .collect();
    if selfs.len() > 1 {
        out.push(format!("{} ActivityPub self links", selfs.len()));
    }
    out
}
