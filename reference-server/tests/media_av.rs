//! Video, audio and animated GIFs through ffmpeg, on files made at test time with ffmpeg's
//! `lavfi` sources. Skipped, with a message, only where ffmpeg is not installed (CI installs
//! it: see `.ci/run`).

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Frame, Rgba, RgbaImage};
use reference_server::media::{self, av, Limits, MediaKind, Purpose};
use reference_server::Error;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The ffmpeg programs, or `None` (and a message) when they are not installed.
fn tools_or_skip(test: &str) -> Option<av::Tools> {
    let tools = av::tools();
    if tools.is_none() {
        eprintln!("SKIPPED {test}: ffmpeg/ffprobe not found on PATH");
    }
    tools
}

/// Runs `cmd` for at most `limit`, killing it by its PID past that.
fn run_bounded(mut cmd: Command, limit: Duration) -> Result<(), Box<dyn std::error::Error>> {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).spawn()?;
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return if status.success() {
                Ok(())
            } else {
                Err(format!("{cmd:?} failed: {status}").into())
            };
        }
        if Instant::now() >= deadline {
            child.kill()?;
            child.wait()?;
            return Err(format!("{cmd:?} ran over {limit:?} and was killed").into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A 2-second 320x240 25 fps test video in `format` (`mp4`, `mov`), with a 440 Hz tone when
/// `audio`.
fn make_video(tools: &av::Tools, path: &Path, format: &str, audio: bool) -> TestResult {
    let mut cmd = Command::new(&tools.ffmpeg);
    cmd.args(["-nostdin", "-loglevel", "error", "-y"]).args([
        "-f",
        "lavfi",
        "-i",
        "testsrc=duration=2:size=320x240:rate=25",
    ]);
    if audio {
        cmd.args(["-f", "lavfi", "-i", "sine=frequency=440:duration=2"])
            .args(["-c:a", "aac", "-shortest"]);
    }
    cmd.args([
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-preset",
        "ultrafast",
    ])
    .args(["-f", format])
    .arg(path);
    run_bounded(cmd, Duration::from_secs(120))
}

fn out_dir() -> Result<(tempfile::TempDir, PathBuf), std::io::Error> {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("out");
    std::fs::create_dir(&out)?;
    Ok((dir, out))
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn a_silent_video_is_a_gifv_with_meta_and_preview() -> TestResult {
    let Some(tools) = tools_or_skip("a_silent_video_is_a_gifv_with_meta_and_preview") else {
        return Ok(());
    };
    let (dir, out) = out_dir()?;
    let input = dir.path().join("upload.bin");
    make_video(&tools, &input, "mp4", false)?;
    let p = media::process_file(&input, Purpose::Attachment, &Limits::default(), &out)?;
    assert_eq!(p.kind, MediaKind::Gifv);
    assert_eq!(p.original.content_type, "video/mp4");
    assert_eq!(
        (p.original.width, p.original.height),
        (Some(320), Some(240))
    );
    let duration = p.meta["original"]["duration"]
        .as_f64()
        .ok_or("no duration")?;
    assert!((duration - 2.0).abs() < 0.2, "{duration}");
    assert_eq!(p.meta["original"]["frame_rate"], "25/1");
    assert_eq!(p.meta["original"]["size"], "320x240");
    assert!(p.meta["original"]["bitrate"].as_u64().is_some());
    let small = p.small.as_ref().ok_or("no preview frame")?;
    assert_eq!(small.content_type, "image/jpeg");
    let frame = image::open(&small.path)?;
    assert_eq!((frame.width(), frame.height()), (320, 240));
    assert_eq!(p.meta["small"]["size"], "320x240");
    assert_eq!(p.blurhash.as_deref().map(str::len), Some(36));
    // The stored video has no audio stream.
    let probed = av::probe(&tools, &p.original.path, &Limits::default())?;
    assert!(probed.has_video && !probed.has_audio);
    assert_eq!(count(&out), 2);
    Ok(())
}

#[test]
fn a_video_with_sound_is_a_video() -> TestResult {
    let Some(tools) = tools_or_skip("a_video_with_sound_is_a_video") else {
        return Ok(());
    };
    let (dir, out) = out_dir()?;
    let input = dir.path().join("clip.mov");
    make_video(&tools, &input, "mov", true)?;
    assert_eq!(media::sniff_file(&input)?, media::MediaType::Mov);
    let p = media::process_file(&input, Purpose::Attachment, &Limits::default(), &out)?;
    assert_eq!(p.kind, MediaKind::Video);
    let probed = av::probe(&tools, &p.original.path, &Limits::default())?;
    assert!(probed.has_video && probed.has_audio);
    assert!(p.small.is_some() && p.blurhash.is_some());
    assert!(p.meta["original"]["duration"].as_f64().is_some());
    Ok(())
}

#[test]
fn audio_is_transcoded_to_mp3() -> TestResult {
    let Some(tools) = tools_or_skip("audio_is_transcoded_to_mp3") else {
        return Ok(());
    };
    let (dir, out) = out_dir()?;
    let input = dir.path().join("tone.wav");
    let mut cmd = Command::new(&tools.ffmpeg);
    cmd.args(["-nostdin", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=3"])
        .arg(&input);
    run_bounded(cmd, Duration::from_secs(60))?;
    let p = media::process_file(&input, Purpose::Attachment, &Limits::default(), &out)?;
    assert_eq!(p.kind, MediaKind::Audio);
    assert_eq!(
        (
            p.original.content_type.as_str(),
            p.original.extension.as_str()
        ),
        ("audio/mpeg", "mp3")
    );
    assert_eq!(media::sniff_file(&p.original.path)?, media::MediaType::Mp3);
    let duration = p.meta["original"]["duration"]
        .as_f64()
        .ok_or("no duration")?;
    assert!((duration - 3.0).abs() < 0.2, "{duration}");
    assert!(p.meta["original"].get("width").is_none());
    assert!(p.small.is_none());
    Ok(())
}

#[test]
fn an_animated_gif_becomes_a_gifv() -> TestResult {
    if tools_or_skip("an_animated_gif_becomes_a_gifv").is_none() {
        return Ok(());
    }
    let mut gif = Vec::new();
    {
        let mut enc = GifEncoder::new(Cursor::new(&mut gif));
        enc.set_repeat(Repeat::Infinite)?;
        for i in 0..5u32 {
            let img = RgbaImage::from_fn(81, 60, |x, y| {
                Rgba([(x * 3 + i * 40) as u8, (y * 4) as u8, 90, 255])
            });
            enc.encode_frame(Frame::from_parts(
                img,
                0,
                0,
                image::Delay::from_numer_denom_ms(100, 1),
            ))?;
        }
    }
    let (dir, out) = out_dir()?;
    let input = dir.path().join("anim.gif");
    std::fs::write(&input, &gif)?;
    let p = media::process_file(&input, Purpose::Attachment, &Limits::default(), &out)?;
    assert_eq!(p.kind, MediaKind::Gifv);
    assert_eq!(p.original.content_type, "video/mp4");
    // H.264 in yuv420p needs even sides: 81 wide becomes 80.
    assert_eq!((p.original.width, p.original.height), (Some(80), Some(60)));
    assert!(p.small.is_some());
    Ok(())
}

#[test]
fn a_broken_video_is_refused_and_leaves_nothing() -> TestResult {
    if tools_or_skip("a_broken_video_is_refused_and_leaves_nothing").is_none() {
        return Ok(());
    }
    let (dir, out) = out_dir()?;
    let input = dir.path().join("broken.mp4");
    let mut bytes = vec![0, 0, 0, 24];
    bytes.extend_from_slice(b"ftypisom\0\0\0\0isommp41");
    bytes.extend(std::iter::repeat_n(0xA5u8, 4096));
    std::fs::write(&input, &bytes)?;
    let err = media::process_file(&input, Purpose::Attachment, &Limits::default(), &out)
        .err()
        .ok_or("a broken video was accepted")?;
    assert!(matches!(err, Error::CorruptMedia(_)), "{err:?}");
    assert_eq!(err.status(), http::StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&out), 0);

    let avatar = media::process_file(&input, Purpose::Avatar, &Limits::default(), &out);
    assert!(
        matches!(avatar, Err(Error::UnsupportedMedia(_))),
        "{avatar:?}"
    );
    Ok(())
}

#[test]
fn a_video_over_the_frame_limit_is_refused() -> TestResult {
    let Some(tools) = tools_or_skip("a_video_over_the_frame_limit_is_refused") else {
        return Ok(());
    };
    let (dir, out) = out_dir()?;
    let input = dir.path().join("v.mp4");
    make_video(&tools, &input, "mp4", false)?;
    let limits = Limits {
        video_pixels: 320 * 200,
        ..Limits::default()
    };
    let err = media::process_file(&input, Purpose::Attachment, &limits, &out)
        .err()
        .ok_or("accepted")?;
    assert!(
        matches!(&err, Error::UnsupportedMedia(m) if m.contains("320x240")),
        "{err:?}"
    );
    let limits = Limits {
        video_frame_rate: 24,
        ..Limits::default()
    };
    let err = media::process_file(&input, Purpose::Attachment, &limits, &out)
        .err()
        .ok_or("accepted")?;
    assert!(
        matches!(&err, Error::UnsupportedMedia(m) if m.contains("frame rate")),
        "{err:?}"
    );
    assert_eq!(count(&out), 0);
    Ok(())
}
