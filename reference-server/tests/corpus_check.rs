//! `woolly corpus check` on folders of our own documents: the summary line, the exit code,
//! the JSON report, skipped folders and validation warnings.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh folder under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let p = std::env::temp_dir().join(format!(
            "woolly-corpus-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn write(&self, rel: &str, body: &str) {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn woolly(args: &[&str], dir: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_woolly"))
        .args(["corpus", "check"])
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

const NOTE: &str = r##"{"@context":["https://www.w3.org/ns/activitystreams",{"sensitive":"as:sensitive"}],"id":"https://wool.example/users/a/statuses/1","type":"Note","attributedTo":"https://wool.example/users/a","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":"https://wool.example/users/a/followers","content":"<p>hi</p>","sensitive":false,"summary":null,"tag":{"type":"Hashtag","href":"https://wool.example/tags/hi","name":"#hi"},"someVendorThing":{"x":[1,2.5,"y"]}}"##;
const PERSON: &str = r#"{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],"id":"https://wool.example/users/a","type":"Person","preferredUsername":"a","inbox":"https://wool.example/users/a/inbox","outbox":"https://wool.example/users/a/outbox","publicKey":{"id":"https://wool.example/users/a#main-key","owner":"https://wool.example/users/a","publicKeyPem":"TEST-ONLY"}}"#;
const SPOOF: &str = r#"{"@context":"https://www.w3.org/ns/activitystreams","id":"https://evil.example/activities/1","type":"Create","actor":"https://wool.example/users/a","object":{"id":"https://other.example/notes/1","type":"Note","attributedTo":"https://other.example/users/b","content":"forged"}}"#;
const JRD: &str = r#"{"subject":"acct:a@wool.example","aliases":["https://wool.example/@a","https://wool.example/users/a"],"links":[{"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"https://wool.example/@a"},{"rel":"self","type":"application/activity+json","href":"https://wool.example/users/a"}]}"#;
const DISCOVERY: &str = r#"{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.0","href":"https://wool.example/nodeinfo/2.0"}]}"#;
const NODEINFO: &str = r#"{"version":"2.0","software":{"name":"woolly","version":"0.1.0"},"protocols":["activitypub"],"services":{"outbound":[],"inbound":[]},"usage":{"users":{"total":3,"activeMonth":2,"activeHalfyear":3},"localPosts":10},"openRegistrations":false,"metadata":{"nodeName":"Wool"}}"#;
const CONTEXT_DOC: &str =
    r#"{"@context":{"as":"https://www.w3.org/ns/activitystreams#","Note":"as:Note"}}"#;
const VECTOR: &str = r#"{"name":"a signature vector","headers":{"date":"x"}}"#;

fn good_corpus(tag: &str) -> TempDir {
    let d = TempDir::new(tag);
    d.write("objects/wool/note.json", NOTE);
    d.write("objects/wool/person.json", PERSON);
    d.write("objects/spoof/create.json", SPOOF);
    d.write("webfinger/wool.json", JRD);
    d.write("nodeinfo/well-known.json", DISCOVERY);
    d.write("nodeinfo/2.0.json", NODEINFO);
    d.write("contexts/tiny.json", CONTEXT_DOC);
    d.write("signatures/vectors/v.json", VECTOR);
    d.write("objects/wool/README.txt", "not json, not checked");
    d
}

#[test]
fn all_pass_prints_summary_and_exits_zero() {
    let d = good_corpus("ok");
    let (code, out) = woolly(&[], &d.0);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"6 passed, 0 failed"), "{out}");
    assert!(lines.contains(&"2 skipped"), "{out}");
    assert!(
        out.contains("PASS objects/wool/note.json [Activitystreams] Note (plain, lossless)"),
        "{out}"
    );
    assert!(
        out.contains("PASS webfinger/wool.json [Webfinger] JRD (2 links)"),
        "{out}"
    );
    assert!(
        out.contains("PASS nodeinfo/2.0.json [Nodeinfo] NodeInfo 2.0"),
        "{out}"
    );
    assert!(
        out.contains("PASS nodeinfo/well-known.json [NodeinfoDiscovery]"),
        "{out}"
    );
    assert!(out.contains("SKIP contexts/tiny.json"), "{out}");
    assert!(out.contains("SKIP signatures/vectors/v.json"), "{out}");
    // The spoofing case passes (it parses and round-trips) but is flagged.
    assert!(
        out.contains("PASS objects/spoof/create.json [Activitystreams] Create(Note)"),
        "{out}"
    );
    assert!(
        out.contains(
            "warning: activity id https://evil.example/activities/1 is not on the origin of its actor"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "warning: embedded object https://other.example/notes/1 is not on the actor's origin"
        ),
        "{out}"
    );
}

#[test]
fn a_failing_document_makes_the_exit_code_non_zero() {
    let d = good_corpus("fail");
    d.write(
        "objects/broken/truncated.json",
        r#"{"type":"Note","content":"x"#,
    );
    d.write("objects/broken/array.json", r#"[{"type":"Note"}]"#);
    let (code, out) = woolly(&[], &d.0);
    assert_eq!(code, 1, "{out}");
    assert!(out.lines().any(|l| l == "6 passed, 2 failed"), "{out}");
    assert!(out.contains("FAIL objects/broken/truncated.json"), "{out}");
    assert!(out.contains("FAIL objects/broken/array.json"), "{out}");
}

#[test]
fn json_report_is_machine_readable() {
    let d = good_corpus("json");
    d.write(
        "objects/ld/expanded.json",
        r#"{"@id":"https://wool.example/users/b","@type":["https://www.w3.org/ns/activitystreams#Person"],"https://www.w3.org/ns/activitystreams#name":[{"@value":"B"}]}"#,
    );
    let (code, out) = woolly(&["--json"], &d.0);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["passed"], 7);
    assert_eq!(v["failed"], 0);
    assert_eq!(v["skipped"], 2);
    assert_eq!(v["jsonld"], 1);
    let docs = v["documents"].as_array().unwrap();
    let find = |p: &str| docs.iter().find(|d| d["path"] == p).unwrap();
    let note = find("objects/wool/note.json");
    assert_eq!(note["parsed_as"], "Note");
    assert_eq!(note["jsonld"], false);
    assert_eq!(note["lossless"], true);
    let ld = find("objects/ld/expanded.json");
    assert_eq!(ld["jsonld"], true);
    assert_eq!(ld["parsed_as"], "Person", "{ld}");
    let spoof = find("objects/spoof/create.json");
    assert!(spoof["warnings"].as_array().unwrap().len() >= 2);
    assert_eq!(v["skipped_files"].as_array().unwrap().len(), 2);
}

#[test]
fn missing_folder_exits_two() {
    let d = TempDir::new("missing");
    let (code, _) = woolly(&[], &d.0.join("does-not-exist"));
    assert_eq!(code, 2);
}

/// A Note fetched from one host that claims an id on another: nothing in the bytes shows it.
const FOREIGN_ID_NOTE: &str = r#"{"@context":"https://www.w3.org/ns/activitystreams","id":"https://pasture.example/notes/7","type":"Note","attributedTo":"https://pasture.example/users/p","content":"totally mine"}"#;

const MANIFEST: &str = r#"# Test corpus

Notes: a NEGATIVE outside a table is ignored.

| Repository | Notes |
|---|---|
| some/repo | NEGATIVE here, but this table does not list documents |

## Objects

| Path | Source | Notes |
|:---|---|---|
| objects/spoof/create.json | ours | NEGATIVE: spoofed Create (foreign embedded object) |
| objects/wool/note.json | ours | an ordinary note, NEGATIVES is not the word |
| objects/wool/person.json | ours | NEGATIVE: claims a key it does not own \| pipe in a note |
| objects/fetched/foreign-id.json | ours | NEGATIVE: spoofed object (id host != fetched host) |
| objects/gone/missing.json | ours | NEGATIVE: listed, never written |
| webfinger/wool.json | ours | NEGATIVE: outside the checked folder when checking objects/ |
"#;

fn manifest_corpus(tag: &str) -> TempDir {
    let d = good_corpus(tag);
    d.write("objects/fetched/foreign-id.json", FOREIGN_ID_NOTE);
    d.write("MANIFEST.md", MANIFEST);
    d
}

#[test]
fn negative_documents_from_the_parent_manifest_are_reported() {
    let d = manifest_corpus("neg");
    // The checked folder is `objects/`; MANIFEST.md is one level up and its paths are
    // relative to itself.
    let (code, out) = woolly(&[], &d.0.join("objects"));
    // NEGATIVE documents that are not flagged do not fail the run.
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"4 passed, 0 failed"), "{out}");
    assert!(
        lines.contains(
            &"NEGATIVE documents: 4, flagged: 1, not flaggable without fetch context: 1, not flagged: 1, missing: 1"
        ),
        "{out}"
    );
    assert!(
        out.contains("  NEGATIVE flagged spoof/create.json: activity id https://evil.example/activities/1 is not on the origin of its actor"),
        "{out}"
    );
    assert!(
        out.contains("  NEGATIVE not flaggable without fetch context fetched/foreign-id.json (manifest: NEGATIVE: spoofed object (id host != fetched host))"),
        "{out}"
    );
    // An escaped bar stays inside the note.
    assert!(
        out.contains("  NEGATIVE NOT FLAGGED wool/person.json (manifest: NEGATIVE: claims a key it does not own | pipe in a note)"),
        "{out}"
    );
    assert!(
        out.contains("  NEGATIVE missing gone/missing.json"),
        "{out}"
    );
    // Not marked (the word is NEGATIVES), and outside the checked folder: not listed.
    assert!(!out.contains("NEGATIVE flagged wool/note.json"), "{out}");
    assert!(!out.contains("note.json (manifest"), "{out}");
    assert!(!out.contains("webfinger"), "{out}");
    // The summary line comes right after `N passed, M failed`.
    let at = lines
        .iter()
        .position(|l| *l == "4 passed, 0 failed")
        .unwrap();
    assert!(lines[at + 1].starts_with("NEGATIVE documents: 4,"), "{out}");
}

#[test]
fn negative_counts_are_in_the_json_report() {
    let d = manifest_corpus("negjson");
    let (code, out) = woolly(&["--json"], &d.0);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["manifest"].as_str().unwrap().ends_with("MANIFEST.md"));
    // Checked from the root, the webfinger row is in scope too: a well-formed JRD with no
    // findings, so it is not flagged.
    assert_eq!(v["negative_documents"], 5);
    assert_eq!(v["negative_flagged"], 1);
    assert_eq!(v["negative_needs_fetch_context"], 1);
    assert_eq!(v["negative_not_flagged"], 2);
    assert_eq!(v["negative_missing"], 1);
    assert_eq!(v["negative_unreadable"], 0);
    let negs = v["negatives"].as_array().unwrap();
    let find = |p: &str| negs.iter().find(|n| n["path"] == p).unwrap();
    let spoof = find("objects/spoof/create.json");
    assert_eq!(spoof["status"], "flagged");
    assert!(spoof["warnings"].as_array().unwrap().len() >= 2);
    assert_eq!(
        find("objects/fetched/foreign-id.json")["status"],
        "needs-fetch-context"
    );
    assert_eq!(find("webfinger/wool.json")["status"], "not-flagged");
    assert_eq!(find("objects/gone/missing.json")["status"], "missing");
    // The existing counts are unchanged by the manifest.
    assert_eq!(v["passed"], 7);
    assert_eq!(v["failed"], 0);
}

#[test]
fn unreadable_negative_document_is_reported_and_fails() {
    let d = manifest_corpus("negbad");
    d.write("objects/spoof/create.json", r#"{"type":"Create","actor":"#);
    let (code, out) = woolly(&[], &d.0.join("objects"));
    assert_eq!(code, 1, "{out}");
    assert!(out.lines().any(|l| l == "3 passed, 1 failed"), "{out}");
    assert!(
        out.lines().any(|l| l
            == "NEGATIVE documents: 4, flagged: 0, not flaggable without fetch context: 1, not flagged: 1, unreadable: 1, missing: 1"),
        "{out}"
    );
    assert!(
        out.contains("  NEGATIVE unreadable spoof/create.json"),
        "{out}"
    );
}

#[test]
fn manifest_is_looked_for_at_most_two_levels_up() {
    let d = TempDir::new("neglevels");
    d.write("MANIFEST.md", MANIFEST);
    d.write("objects/spoof/create.json", SPOOF);
    d.write("objects/spoof/deeper/note.json", NOTE);
    // objects/spoof → the manifest is its grandparent: found.
    let (_, out) = woolly(&[], &d.0.join("objects/spoof"));
    // Only the rows under objects/spoof count.
    assert!(
        out.lines()
            .any(|l| l
                == "NEGATIVE documents: 1, flagged: 1, not flaggable without fetch context: 0"),
        "{out}"
    );
    assert!(out.contains("  NEGATIVE flagged create.json:"), "{out}");
    // objects/spoof/deeper → three levels: not found, no NEGATIVE line.
    let (code, out) = woolly(&[], &d.0.join("objects/spoof/deeper"));
    assert_eq!(code, 0, "{out}");
    assert!(out.lines().any(|l| l == "1 passed, 0 failed"), "{out}");
    assert!(!out.contains("NEGATIVE"), "{out}");
    let (_, json) = woolly(&["--json"], &d.0.join("objects/spoof/deeper"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v.get("manifest").is_none());
    assert_eq!(v["negative_documents"], 0);
}

#[test]
fn manifest_table_parsing() {
    use reference_server::cli::corpus::negative_marks;
    let marks = negative_marks(MANIFEST);
    let paths: Vec<&str> = marks.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "objects/spoof/create.json",
            "objects/wool/person.json",
            "objects/fetched/foreign-id.json",
            "objects/gone/missing.json",
            "webfinger/wool.json"
        ]
    );
    assert_eq!(
        marks[1].note,
        "NEGATIVE: claims a key it does not own | pipe in a note"
    );
    // A table without a Notes header uses its last column; backticks around paths go.
    let marks = negative_marks("| File | Kind | Remark |\n|--|--|--|\n| `a/b.json` | Note | NEGATIVE |\n| c.json | Note | fine |\n");
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].path, "a/b.json");
    assert!(negative_marks("no tables here, NEGATIVE or not").is_empty());
}
