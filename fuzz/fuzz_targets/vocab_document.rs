#![no_main]
//! ActivityStreams document parsing: nothing panics; whatever parses serializes to JSON that
//! parses back to an equal document (the lossless contract); peek, the validation helpers and
//! the media readers (custom emoji and the `:shortcode:` scan included) never panic either.

use activitypub_core::{media, peek, validate, AnyObject};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = peek(data);
    let _ = media::emoji::shortcodes_in(&String::from_utf8_lossy(data));
    if let Ok(doc) = AnyObject::from_slice(data) {
        let bytes = doc.to_vec();
        let again = AnyObject::from_slice(&bytes).expect("our output parses");
        assert_eq!(again, doc);
        let _ = validate::check(&doc);
        let _ = activitypub_core::Visibility::of_object(doc.object(), None);
        let _ = media::attachments(&doc);
        let _ = media::icon(&doc);
        let _ = media::image(&doc);
        let _ = media::as_post(&doc);
        let _ = media::author_of(&doc, "https://a.example/users/a");
        let _ = media::emoji::emojis(&doc);
    }
});
