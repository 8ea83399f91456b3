#![no_main]
//! Resource parsing and the server's query handling: nothing panics, and whatever parses
//! prints to a canonical form that parses to the same value.

use webfinger::server::respond_to_query;
use webfinger::{Jrd, Resource};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    if let Ok(resource) = Resource::parse(&input) {
        let printed = resource.to_string();
        let again = Resource::parse(&printed).expect("a printed resource parses");
        assert_eq!(again, resource);
        assert_eq!(again.to_string(), printed);
        let _ = webfinger::client::webfinger_request(
            &resource,
            &webfinger::client::ClientOptions::default(),
        );
    }
    let res = respond_to_query(Some(&input), |r| Some(Jrd::new(r.to_string())));
    assert!([200, 400, 404].contains(&res.status().as_u16()));
});
