//! The degraded mode without ffmpeg (`WOOLLY_FFMPEG=off`): video and audio stored as
//! uploaded, no preview; animated GIFs kept as GIFs. One test in its own process, since it
//! sets the environment variable.

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Frame, Rgba, RgbaImage};
use reference_server::media::{self, Limits, MediaKind, Purpose};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn without_ffmpeg_media_is_stored_as_uploaded() -> TestResult {
    // The only test of this binary, so no other thread reads the environment meanwhile.
    std::env::set_var(media::av::FFMPEG_ENV, "off");
    assert!(media::av::tools().is_none());

    let dir = tempfile::tempdir()?;
    let out = dir.path().join("out");
    std::fs::create_dir(&out)?;

    // An MP4 by its ftyp brand; its content is not read in this mode.
    let mut mp4 = vec![0, 0, 0, 24];
    mp4.extend_from_slice(b"ftypisom\0\0\0\0isommp41");
    mp4.extend((0..5000u32).map(|i| (i % 251) as u8));
    let input = dir.path().join("clip.upload");
    std::fs::write(&input, &mp4)?;
    let p = media::process_file(&input, Purpose::Attachment, &Limits::default(), &out)?;
    assert_eq!(p.kind, MediaKind::Video);
    assert_eq!(
        (
            p.original.content_type.as_str(),
            p.original.extension.as_str()
        ),
        ("video/mp4", "mp4")
    );
    assert_eq!(std::fs::read(&p.original.path)?, mp4);
    assert!(p.small.is_none() && p.blurhash.is_none());
    assert!(p.meta["original"].get("duration").is_none());

    let mut wav = b"RIFF\x24\x10\0\0WAVEfmt ".to_vec();
    wav.extend(std::iter::repeat_n(0u8, 4096));
    let input = dir.path().join("sound.mp3");
    std::fs::write(&input, &wav)?;
    let p = media::process_file(&input, Purpose::Attachment, &Limits::default(), &out)?;
    assert_eq!(
        (p.kind, p.original.content_type.as_str()),
        (MediaKind::Audio, "audio/wave")
    );
    assert_eq!(std::fs::read(&p.original.path)?, wav);

    // An animated GIF stays a GIF, with a PNG preview of its first frame.
    let mut gif = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut gif);
        enc.set_repeat(Repeat::Infinite)?;
        for i in 0..3u32 {
            let img =
                RgbaImage::from_fn(40, 30, |x, _| Rgba([(x * 6 + i * 50) as u8, 20, 200, 255]));
            enc.encode_frame(Frame::from_parts(
                img,
                0,
                0,
                image::Delay::from_numer_denom_ms(80, 1),
            ))?;
        }
    }
    let input = dir.path().join("anim.gif");
    std::fs::write(&input, &gif)?;
    let p = media::process_file(&input, Purpose::Attachment, &Limits::default(), &out)?;
    assert_eq!(
        (p.kind, p.original.content_type.as_str()),
        (MediaKind::Image, "image/gif")
    );
    assert_eq!(std::fs::read(&p.original.path)?, gif);
    assert_eq!(
        p.small.as_ref().map(|s| s.content_type.as_str()),
        Some("image/png")
    );
    assert_eq!(p.meta["original"]["size"], "40x30");
    assert!(p.blurhash.is_some());
    Ok(())
}
