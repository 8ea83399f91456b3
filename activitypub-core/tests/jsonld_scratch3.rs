#![allow(clippy::unwrap_used, missing_docs)]
#[test]
fn timing() {
    let f = format!("{}/tests/fixtures/jsonld/{}", env!("CARGO_MANIFEST_DIR"), std::env::var("F").unwrap());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
    for _ in 0..5 { activitypub_core::jsonld::normalize(&v).unwrap(); }
}
