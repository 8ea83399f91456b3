#![no_main]
//! JRD and XRD parsing: nothing panics, and a parsed JRD survives serialize → parse.

use webfinger::Jrd;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(jrd) = Jrd::from_slice(data) {
        let bytes = jrd.to_vec();
        let again = Jrd::from_slice(&bytes).expect("our output parses");
        assert_eq!(again, jrd);
        let _ = jrd.actor_url();
        let _ = jrd.profile_page();
        let _ = jrd.lrdd_template();
    }
    if let Ok(jrd) = webfinger::xrd::parse_xrd(data) {
        let _ = webfinger::xrd::parse_xrd(webfinger::xrd::to_xrd(&jrd).as_bytes());
    }
});
