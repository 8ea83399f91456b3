//! Media processing on real files made at test time: images here, video and audio in
//! `media_av.rs`, the degraded mode (no ffmpeg) in `media_degraded.rs`.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::codecs::gif::{GifEncoder, Repeat};
use image::{DynamicImage, Frame, ImageFormat, Rgba, RgbaImage};
use reference_server::media::{self, Limits, MediaKind, MediaPool, Purpose};
use reference_server::Error;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A colourful test picture.
fn picture(width: u32, height: u32, alpha: bool) -> DynamicImage {
    let img = RgbaImage::from_fn(width, height, |x, y| {
        Rgba([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            ((x + y) % 256) as u8,
            if alpha { (x % 256) as u8 } else { 255 },
        ])
    });
    DynamicImage::ImageRgba8(img)
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let img = if format == ImageFormat::Jpeg {
        DynamicImage::ImageRgb8(img.to_rgb8())
    } else {
        img.clone()
    };
    img.write_to(&mut out, format)
        .expect("encoding a test image");
    out.into_inner()
}

fn animated_gif(width: u32, height: u32, frames: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        enc.set_repeat(Repeat::Infinite).expect("repeat");
        for i in 0..frames {
            let img = RgbaImage::from_fn(width, height, |x, _| {
                Rgba([((x + i * 40) % 256) as u8, (i * 80 % 256) as u8, 90, 255])
            });
            enc.encode_frame(Frame::from_parts(
                img,
                0,
                0,
                image::Delay::from_numer_denom_ms(100, 1),
            ))
            .expect("frame");
        }
    }
    out
}

struct Case {
    dir: tempfile::TempDir,
    out: PathBuf,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        std::fs::create_dir(&out).expect("out dir");
        Case { dir, out }
    }
    fn input(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).expect("writing input");
        p
    }
    fn run(&self, name: &str, bytes: &[u8], purpose: Purpose) -> Result<media::Processed, Error> {
        let input = self.input(name, bytes);
        media::image::process_image(&input, purpose, &Limits::default(), &self.out)
    }
    fn out_files(&self) -> usize {
        std::fs::read_dir(&self.out).map(|d| d.count()).unwrap_or(0)
    }
}

fn read_image(path: &Path) -> DynamicImage {
    image::ImageReader::open(path)
        .expect("open")
        .with_guessed_format()
        .expect("guess")
        .decode()
        .expect("decode output")
}

#[test]
fn jpeg_gets_original_preview_meta_and_blurhash() -> TestResult {
    let case = Case::new();
    let p = case.run(
        "a.jpg",
        &encode(&picture(800, 600, false), ImageFormat::Jpeg),
        Purpose::Attachment,
    )?;
    assert_eq!(p.kind, MediaKind::Image);
    assert_eq!(p.original.content_type, "image/jpeg");
    assert_eq!(p.original.extension, "jpg");
    assert_eq!(
        (p.original.width, p.original.height),
        (Some(800), Some(600))
    );
    assert_eq!(p.original.size, std::fs::metadata(&p.original.path)?.len());
    let small = p.small.as_ref().ok_or("no preview")?;
    assert_eq!((small.width, small.height), (Some(554), Some(415)));
    let shown = read_image(&small.path);
    assert_eq!((shown.width(), shown.height()), (554, 415));
    assert_eq!(p.meta["original"]["size"], "800x600");
    assert_eq!(p.meta["original"]["width"], 800);
    assert_eq!(p.meta["small"]["size"], "554x415");
    assert!((p.meta["original"]["aspect"].as_f64().ok_or("aspect")? - 800.0 / 600.0).abs() < 1e-9);
    let hash = p.blurhash.as_deref().ok_or("no blurhash")?;
    assert_eq!(hash.len(), 36, "a 4x4 blurhash is 36 characters: {hash}");
    assert_eq!(case.out_files(), 2);
    Ok(())
}

#[test]
fn a_big_image_is_scaled_to_mastodons_area() -> TestResult {
    let case = Case::new();
    let p = case.run(
        "big.jpg",
        &encode(&picture(4000, 3000, false), ImageFormat::Jpeg),
        Purpose::Attachment,
    )?;
    let (w, h) = (p.original.width.ok_or("w")?, p.original.height.ok_or("h")?);
    assert!(u64::from(w) * u64::from(h) <= 8_294_400, "{w}x{h}");
    assert!(
        w > 3000 && (f64::from(w) / f64::from(h) - 4.0 / 3.0).abs() < 0.01,
        "{w}x{h}"
    );
    let stored = read_image(&p.original.path);
    assert_eq!((stored.width(), stored.height()), (w, h));
    Ok(())
}

#[test]
fn png_with_alpha_stays_png_with_alpha() -> TestResult {
    let case = Case::new();
    let p = case.run(
        "a.png",
        &encode(&picture(300, 200, true), ImageFormat::Png),
        Purpose::Attachment,
    )?;
    assert_eq!(p.original.content_type, "image/png");
    let stored = read_image(&p.original.path);
    assert!(stored.color().has_alpha());
    assert_eq!(stored.to_rgba8().get_pixel(10, 5)[3], 10);
    Ok(())
}

#[test]
fn still_gif_becomes_png_and_webp_keeps_alpha() -> TestResult {
    let case = Case::new();
    let p = case.run(
        "s.gif",
        &encode(&picture(120, 80, false), ImageFormat::Gif),
        Purpose::Attachment,
    )?;
    assert_eq!(
        (p.kind, p.original.content_type.as_str()),
        (MediaKind::Image, "image/png")
    );
    assert_eq!(read_image(&p.original.path).width(), 120);

    let p = case.run(
        "w.webp",
        &encode(&picture(120, 80, true), ImageFormat::WebP),
        Purpose::Attachment,
    )?;
    assert_eq!(p.original.content_type, "image/webp");
    assert_eq!(p.small.as_ref().ok_or("small")?.content_type, "image/webp");
    assert_eq!(read_image(&p.original.path).height(), 80);
    assert!(read_image(&p.original.path).color().has_alpha());

    // An opaque WebP is stored as JPEG (lossless WebP of a photo is several times larger).
    let p = case.run(
        "o.webp",
        &encode(
            &DynamicImage::ImageRgb8(picture(120, 80, false).to_rgb8()),
            ImageFormat::WebP,
        ),
        Purpose::Attachment,
    )?;
    assert_eq!(p.original.content_type, "image/jpeg");
    assert_eq!(read_image(&p.original.path).width(), 120);
    Ok(())
}

#[test]
fn type_comes_from_the_bytes_not_the_name() -> TestResult {
    let case = Case::new();
    let p = case.run(
        "really-a-png.jpg",
        &encode(&picture(50, 40, false), ImageFormat::Png),
        Purpose::Attachment,
    )?;
    assert_eq!(p.original.content_type, "image/png");
    assert_eq!(p.original.extension, "png");
    Ok(())
}

/// A JPEG carrying an EXIF block (APP1) with orientation 6 and GPS coordinates.
fn jpeg_with_exif(width: u32, height: u32) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    use exif::{experimental::Writer, Field, In, Rational, Tag, Value};
    let r = |num| Rational { num, denom: 1 };
    let fields = [
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![6]),
        },
        Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"N".to_vec()]),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![r(48), r(51), r(2_417)]),
        },
        Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"E".to_vec()]),
        },
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![r(2), r(17), r(4_021)]),
        },
    ];
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false)?;
    let tiff = tiff.into_inner();
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&u16::try_from(2 + 6 + tiff.len())?.to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let plain = encode(&picture(width, height, false), ImageFormat::Jpeg);
    let mut jpeg = plain[..2].to_vec();
    jpeg.extend_from_slice(&app1);
    jpeg.extend_from_slice(&plain[2..]);
    Ok(jpeg)
}

#[test]
fn exif_is_stripped_and_orientation_applied() -> TestResult {
    let case = Case::new();
    let input = jpeg_with_exif(300, 200)?;
    // The input really carries the GPS tags and the orientation.
    let exif_in = exif::Reader::new().read_from_container(&mut Cursor::new(&input))?;
    assert!(exif_in
        .get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
        .is_some());
    assert_eq!(
        exif_in
            .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
            .and_then(|f| f.value.get_uint(0)),
        Some(6)
    );

    let p = case.run("gps.jpg", &input, Purpose::Attachment)?;
    // Orientation 6 is a quarter turn: the stored picture is 200 wide, 300 high.
    assert_eq!(
        (p.original.width, p.original.height),
        (Some(200), Some(300))
    );
    assert_eq!(p.meta["original"]["size"], "200x300");
    for path in [&p.original.path, &p.small.as_ref().ok_or("small")?.path] {
        let bytes = std::fs::read(path)?;
        assert!(
            exif::Reader::new()
                .read_from_container(&mut Cursor::new(&bytes))
                .is_err(),
            "EXIF survived in {path:?}"
        );
        assert!(!bytes.windows(6).any(|w| w == b"Exif\0\0"));
        // The GPS rational 2417/1 (big-endian) appears nowhere.
        assert!(!bytes.windows(8).any(|w| w == [0, 0, 9, 113, 0, 0, 0, 1]));
        let shown = read_image(path);
        assert!(shown.height() > shown.width());
    }
    Ok(())
}

#[test]
fn avatar_and_header_are_cover_cropped() -> TestResult {
    let case = Case::new();
    let wide = encode(&picture(900, 300, false), ImageFormat::Png);
    let p = case.run("avatar.png", &wide, Purpose::Avatar)?;
    assert_eq!(
        (p.original.width, p.original.height),
        (Some(400), Some(400))
    );
    assert_eq!(read_image(&p.original.path).width(), 400);
    assert!(p.static_version.is_none() && p.small.is_none());
    let p = case.run("header.png", &wide, Purpose::Header)?;
    assert_eq!(
        (p.original.width, p.original.height),
        (Some(1500), Some(500))
    );
    let shown = read_image(&p.original.path);
    assert_eq!((shown.width(), shown.height()), (1500, 500));
    Ok(())
}

#[test]
fn animated_avatar_gets_a_static_version() -> TestResult {
    let case = Case::new();
    let p = case.run("anim.gif", &animated_gif(64, 48, 3), Purpose::Avatar)?;
    let still = p.static_version.as_ref().ok_or("no static version")?;
    assert_eq!(still.content_type, "image/png");
    assert_eq!(read_image(&still.path).width(), 400);
    assert_eq!(p.original.content_type, "image/gif");
    let animation = read_image(&p.original.path);
    if media::av::tools().is_some() {
        // ffmpeg resized and cropped the animation too.
        assert_eq!((animation.width(), animation.height()), (400, 400));
    } else {
        // Without ffmpeg the animation is kept as uploaded.
        assert_eq!((animation.width(), animation.height()), (64, 48));
    }
    assert_eq!(case.out_files(), 2);
    Ok(())
}

/// CRC-32 (PNG's) of `bytes`.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A tiny PNG whose header declares `width`×`height`.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut png = encode(&picture(1, 1, false), ImageFormat::Png);
    // Signature (8), IHDR length (4), "IHDR" (4), width, height, ..., CRC at 29..33.
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// Whether an error is the one expected.
type Expected = fn(&Error) -> bool;

#[test]
fn bad_inputs_get_typed_errors_and_leave_nothing() -> TestResult {
    let case = Case::new();
    let jpeg = encode(&picture(200, 150, false), ImageFormat::Jpeg);
    let png = encode(&picture(200, 150, false), ImageFormat::Png);
    let mut corrupt = jpeg[..20].to_vec();
    corrupt.extend(std::iter::repeat_n(0x5Au8, 2000));

    let cases: Vec<(&str, Vec<u8>, Expected)> = vec![
        ("bomb.png", png_bomb(60_000, 60_000), |e| {
            matches!(
                e,
                Error::ImageTooLarge {
                    width: 60_000,
                    height: 60_000,
                    ..
                }
            )
        }),
        ("corrupt.jpg", corrupt, |e| {
            matches!(e, Error::CorruptMedia(_))
        }),
        ("truncated.png", png[..png.len() / 2].to_vec(), |e| {
            matches!(e, Error::CorruptMedia(_))
        }),
        (
            "image.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>".to_vec(),
            |e| matches!(e, Error::UnsupportedMedia(_)),
        ),
        (
            "page.html",
            b"<!DOCTYPE html><html><body>x</body></html>".to_vec(),
            |e| matches!(e, Error::UnsupportedMedia(_)),
        ),
        ("empty.png", Vec::new(), |e| {
            matches!(e, Error::CorruptMedia(_))
        }),
    ];
    for (name, bytes, expected) in cases {
        let err = case
            .run(name, &bytes, Purpose::Attachment)
            .err()
            .ok_or(name)?;
        assert!(expected(&err), "{name}: {err:?}");
        assert_eq!(
            err.status(),
            http::StatusCode::UNPROCESSABLE_ENTITY,
            "{name}"
        );
        assert_eq!(case.out_files(), 0, "{name} left a file");
    }

    let small_limit = Limits {
        image_bytes: 1000,
        ..Limits::default()
    };
    let input = case.input("big.jpg", &jpeg);
    let err = media::image::process_image(&input, Purpose::Attachment, &small_limit, &case.out)
        .err()
        .ok_or("no error")?;
    assert!(
        matches!(err, Error::MediaTooLarge { limit: 1000 }),
        "{err:?}"
    );
    assert_eq!(err.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(case.out_files(), 0);
    Ok(())
}

#[test]
fn avif_and_heic_are_refused_as_unsupported() -> TestResult {
    let case = Case::new();
    for brand in [b"avif", b"heic"] {
        let mut bytes = vec![0, 0, 0, 24];
        bytes.extend_from_slice(b"ftyp");
        bytes.extend_from_slice(brand);
        bytes.extend_from_slice(&[0, 0, 0, 0]);
        bytes.extend_from_slice(b"mif1miaf");
        bytes.extend_from_slice(&[0; 64]);
        let err = case
            .run("x.img", &bytes, Purpose::Attachment)
            .err()
            .ok_or("accepted")?;
        assert!(
            matches!(&err, Error::UnsupportedMedia(m) if m.contains("no Rust decoder")),
            "{err:?}"
        );
    }
    assert_eq!(case.out_files(), 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_bounds_concurrency_and_time() -> TestResult {
    let case = Case::new();
    let pool = MediaPool::new(2, Limits::default(), case.out.clone());
    assert_eq!(pool.workers(), 2);
    // Big enough (3 MP) that each job runs long enough to be seen running.
    let jpeg = encode(&picture(2000, 1500, false), ImageFormat::Jpeg);
    let inputs: Vec<_> = (0..4)
        .map(|i| case.input(&format!("{i}.jpg"), &jpeg))
        .collect();
    let jobs: Vec<_> = inputs
        .into_iter()
        .map(|input| {
            let pool = pool.clone();
            tokio::spawn(async move { pool.process(input, Purpose::Attachment).await })
        })
        .collect();
    // Never more than two at once while the four are processed.
    let mut most = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !jobs.iter().all(|j| j.is_finished()) && Instant::now() < deadline {
        most = most.max(pool.busy());
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!((1..=2).contains(&most), "{most} busy at once");
    for job in jobs {
        let p = job.await??;
        assert_eq!(p.original.width, Some(2000));
    }
    assert_eq!(case.out_files(), 8);

    // Over its time bound: a typed error, and whatever the worker still writes is deleted.
    let timed = Case::new();
    let limits = Limits {
        total_timeout: Duration::from_millis(1),
        ..Limits::default()
    };
    let pool = MediaPool::new(1, limits, timed.out.clone());
    let input = timed.input(
        "slow.jpg",
        &encode(&picture(3000, 2000, false), ImageFormat::Jpeg),
    );
    let err = pool
        .process(input, Purpose::Attachment)
        .await
        .err()
        .ok_or("no timeout")?;
    assert!(matches!(err, Error::MediaTimeout), "{err:?}");
    tokio::time::timeout(Duration::from_secs(120), pool.idle()).await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while timed.out_files() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(timed.out_files(), 0);
    Ok(())
}

#[test]
fn supported_types_are_listed() {
    let types = media::supported_mime_types();
    assert!(types.contains(&"image/jpeg") && types.contains(&"audio/mpeg"));
    assert!(!types.contains(&"image/svg+xml"));
}
