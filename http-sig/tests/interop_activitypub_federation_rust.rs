//! Signatures made by another implementation (activitypub-federation-rust's `sign_request` test,
//! Mastodon-compatible mode): we must verify them. Values transcribed from its test expectations.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use http_sig::digest::verify_digest_value;
use http_sig::{parse_request, verify, verify_request, Algorithm, PublicKey, Scheme, VerifyPolicy};

const KEY_ID: &str = "https://example.com/u/alice#main-key";
const PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2kZpsvWYrwM9zMQiDwo4
k6/VfpK2aDTeVe9ZkcvDrrWfqt72QSjjtXLa8sxJlEn+/zbnZ1lG3AO/WsKs2jiO
ycNQHBS1ITnSZKEpdKnAoLUn4k16YivRmALyLedOfIrvMtQzH8a+kOQ71u2Wa3H9
jpkCT5W9OneEBa3VjQp49kcrF3tmmrEUhfai5GJM4xrdr587y7exkBF4wObepta9
opSeuBkPV4QXZPfgmjwW+oOTheVH6L7yjzvjW92j4/T6XKAcu0kn/aQhR8SiGtPB
MyOlcW4S2eDHWf1RlqbNGb5L9Qamfb0WAymx0ANLUDQyXAu5zViMrd4g8mgdkg7C
1wIDAQAB
-----END PUBLIC KEY-----
";
const SIGNATURE: &str = r#"keyId="https://example.com/u/alice#main-key",algorithm="hs2019",headers="(request-target) content-type date digest host",signature="BpZhHNqzd6d6jhWOxyJ0jXwWWxiKMNK7i3mrr/5mVFnH7fUpicwqw8cSYVrcwWjt0I07HW7rZFUfIdSgCoOEdvxtrccF/hTrwYgm8O6SQRHl1UfFtDR6e9EpfPieVmTjo0QVfyzLLa41rmnz/yFqqer/v0kcdED51/dGe8NCGPBbhgK6C4oh7r+XHsQZMIhh38BcfZVWNYaMqgyhFxu2f34IKnOEk6NjSaNtO+PzQUhbksTvH0Vvi6R0dtQINJFdONVBl4AwDC1INeF5uhQo/SaKHfP3UitUHdM5Pbn+LhZYDB9AaQAW5ZGD43Aw15ecwsnKi4HcjV8nBw4zehlvaQ==""#;
// Tue, 28 Mar 2023 21:03:44 GMT
const DATE_UNIX: u64 = 1_680_037_424;

fn signed(signature: &str) -> http::request::Parts {
    request(
        "POST",
        "https://example.com/u/alice/inbox",
        &[
            ("content-type", "application/activity+json"),
            ("host", "example.com"),
            ("date", "Tue, 28 Mar 2023 21:03:44 GMT"),
            (
                "digest",
                "SHA-256=yTaFlTe+suqc2w56eW+LJdWTMU02EEDpVjd9MerjlcQ=",
            ),
            ("signature", signature),
        ],
    )
}

#[test]
fn verifies_an_activitypub_federation_rust_signature() {
    for_each_provider(|p| {
        let pk = PublicKey::from_pem_with(PUBLIC_PEM, p).unwrap();
        let parts = signed(SIGNATURE);
        let s = parse_request(&parts).unwrap().remove(0);
        assert_eq!(
            String::from_utf8(s.signature_base.clone()).unwrap(),
            "(request-target): post /u/alice/inbox\ncontent-type: application/activity+json\ndate: Tue, 28 Mar 2023 21:03:44 GMT\ndigest: SHA-256=yTaFlTe+suqc2w56eW+LJdWTMU02EEDpVjd9MerjlcQ=\nhost: example.com"
        );
        let v = verify(&s, &pk, &VerifyPolicy::default(), at(DATE_UNIX + 30)).unwrap();
        assert_eq!(
            (v.key_id.as_str(), v.scheme, v.algorithm),
            (KEY_ID, Scheme::Cavage, Algorithm::RsaV1_5Sha256)
        );

        // Full path including the body digest.
        let v = verify_request(
            &parts,
            b"my activity",
            &VerifyPolicy::default(),
            at(DATE_UNIX + 30),
            |id| (id == KEY_ID).then(|| pk.clone()),
        )
        .unwrap();
        assert_eq!(v.key_id, KEY_ID);
        let err = verify_request(
            &parts,
            b"my activitY",
            &VerifyPolicy::default(),
            at(DATE_UNIX),
            |_| Some(pk.clone()),
        )
        .unwrap_err();
        assert!(err.is_digest_mismatch());

        // One flipped signature character fails.
        let tampered = SIGNATURE.replace("BpZhHNqz", "BpZhHNqy");
        let s = parse_request(&signed(&tampered)).unwrap().remove(0);
        assert!(verify(&s, &pk, &VerifyPolicy::default(), at(DATE_UNIX))
            .unwrap_err()
            .is_bad_signature());
    });
}

#[test]
fn its_digest_cases() {
    for_each_provider(|p| {
        let body = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.";
        verify_digest_value(
            p,
            "SHA-256=lzFT+G7C2hdI5j8M+FuJg1tC+O6AGMVJhooTCKGfbKM=",
            body,
        )
        .unwrap();
        let err = verify_digest_value(
            p,
            "SHA-256=Z9h7DJfYWjffXw2XftmWCnpEaK/yqOHKvzCIzIaqgbU=",
            b"lorem ipsum",
        )
        .unwrap_err();
        assert!(err.is_digest_mismatch());
    });
}
