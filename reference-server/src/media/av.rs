//! Video and audio: MP4, MOV, WebM, MP3, Ogg, WAV — and animated GIFs turned into `gifv`.
//!
//! With `ffmpeg` and `ffprobe` (found once on `PATH`, as Mastodon finds them; or named by the
//! environment variable `WOOLLY_FFMPEG`, the path of `ffmpeg` with `ffprobe` beside it, or
//! `off`), an upload is probed (duration, size, frame rate, bit rate, audio present),
//! transcoded like Mastodon (H.264/AAC MP4 with even sides, `yuv420p`, metadata dropped; audio
//! to MP3) and a JPEG preview frame with its blurhash is made. A video without an audio stream
//! is a `gifv`, as Mastodon marks it. Videos over Mastodon's limits (3840×2160, 120 fps) are
//! refused.
//!
//! Without them (degraded mode) the file is stored as uploaded, its type from the bytes, with
//! no preview and a `meta` without size or duration.
//!
//! Every child process runs with a time bound ([`Limits::child_timeout`]) and is killed by its
//! PID when it runs over.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{
    av_meta, check_size, image_meta, meta, sniff_file, Limits, MediaKind, MediaType, Outputs,
    Processed, Rendition,
};
use crate::Error;

/// The environment variable naming `ffmpeg` (a path, or `off` for the degraded mode).
pub const FFMPEG_ENV: &str = "WOOLLY_FFMPEG";

/// The ffmpeg programs used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    /// The `ffmpeg` executable.
    pub ffmpeg: PathBuf,
    /// The `ffprobe` executable.
    pub ffprobe: PathBuf,
}

/// The ffmpeg programs to use, or `None` for the degraded mode: [`FFMPEG_ENV`] when set
/// (`off`, or the path of `ffmpeg` with `ffprobe` in the same directory), else both found on
/// `PATH` (searched once per process).
pub fn tools() -> Option<Tools> {
    match std::env::var_os(FFMPEG_ENV) {
        Some(v) if v == "off" => None,
        Some(v) if !v.is_empty() => {
            let ffmpeg = PathBuf::from(v);
            let ffprobe = ffmpeg.with_file_name("ffprobe");
            if ffmpeg.is_file() && ffprobe.is_file() {
                Some(Tools { ffmpeg, ffprobe })
            } else {
                tracing::warn!(
                    ?ffmpeg,
                    "{FFMPEG_ENV}: no ffmpeg and ffprobe there; degraded mode"
                );
                None
            }
        }
        _ => {
            static ON_PATH: OnceLock<Option<Tools>> = OnceLock::new();
            ON_PATH.get_or_init(find_on_path).clone()
        }
    }
}

fn find_on_path() -> Option<Tools> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        let ffmpeg = dir.join("ffmpeg");
        let ffprobe = dir.join("ffprobe");
        (ffmpeg.is_file() && ffprobe.is_file()).then_some(Tools { ffmpeg, ffprobe })
    })
}

/// What ffprobe says of a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probe {
    /// Width of the first video stream.
    pub width: Option<u32>,
    /// Height of the first video stream.
    pub height: Option<u32>,
    /// Frame rate of the first video stream, as a fraction string (`"25/1"`).
    pub frame_rate: Option<String>,
    /// Duration in seconds.
    pub duration: Option<f64>,
    /// Overall bit rate in bits per second.
    pub bitrate: Option<u64>,
    /// Whether there is a video stream (cover art in audio files does not count).
    pub has_video: bool,
    /// Whether there is an audio stream.
    pub has_audio: bool,
}

impl Probe {
    /// Reads ffprobe's `-print_format json -show_format -show_streams` output.
    pub fn from_json(v: &Value) -> Probe {
        let streams = v["streams"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let video = streams.iter().find(|s| {
            s["codec_type"] == "video" && s["disposition"]["attached_pic"].as_i64() != Some(1)
        });
        let dim = |s: &Value, k: &str| s[k].as_u64().and_then(|n| u32::try_from(n).ok());
        let rate = video.and_then(|s| {
            ["avg_frame_rate", "r_frame_rate"]
                .iter()
                .filter_map(|k| s[*k].as_str())
                .find(|r| fraction(r).is_some_and(|f| f > 0.0))
                .map(str::to_owned)
        });
        Probe {
            width: video.and_then(|s| dim(s, "width")),
            height: video.and_then(|s| dim(s, "height")),
            frame_rate: rate,
            duration: v["format"]["duration"]
                .as_str()
                .and_then(|d| d.parse::<f64>().ok())
                .filter(|d| d.is_finite() && *d >= 0.0),
            bitrate: v["format"]["bit_rate"]
                .as_str()
                .and_then(|b| b.parse().ok()),
            has_video: video.is_some(),
            has_audio: streams.iter().any(|s| s["codec_type"] == "audio"),
        }
    }

    /// The frame rate as a number.
    pub fn fps(&self) -> Option<f64> {
        self.frame_rate.as_deref().and_then(fraction)
    }
}

/// `"30000/1001"` → 29.97.
fn fraction(s: &str) -> Option<f64> {
    let (n, d) = s.split_once('/').unwrap_or((s, "1"));
    let (n, d) = (n.parse::<f64>().ok()?, d.parse::<f64>().ok()?);
    (d != 0.0).then(|| n / d).filter(|f| f.is_finite())
}

/// Runs `cmd` with no input, its output to `stdout` (or nowhere), within `timeout`; a child
/// that runs over is killed by its PID and [`Error::MediaTimeout`] returned. A failing child
/// gives [`Error::CorruptMedia`] with the end of what it wrote on stderr.
fn run(mut cmd: Command, timeout: Duration, stdout: Option<&File>) -> Result<(), Error> {
    let mut stderr = tempfile::tempfile()?;
    cmd.stdin(Stdio::null())
        .stderr(stderr.try_clone()?)
        .stdout(match stdout {
            Some(f) => Stdio::from(f.try_clone()?),
            None => Stdio::null(),
        });
    let mut child = cmd.spawn()?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            // Child::kill sends SIGKILL to this child's PID; wait reaps it.
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::MediaTimeout);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if status.success() {
        return Ok(());
    }
    let mut text = String::new();
    use std::io::Seek;
    stderr.rewind()?;
    stderr.take(64 * 1024).read_to_string(&mut text).ok();
    let tail: String = text
        .trim()
        .chars()
        .rev()
        .take(300)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Err(Error::CorruptMedia(format!(
        "the media could not be read ({status}): {tail}"
    )))
}

/// An `ffmpeg` command with the options every call uses.
fn ffmpeg(tools: &Tools, input: &Path) -> Command {
    let mut cmd = Command::new(&tools.ffmpeg);
    cmd.args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(input)
        .args(["-map_metadata", "-1"]);
    cmd
}

/// Probes `path` with ffprobe.
pub fn probe(tools: &Tools, path: &Path, limits: &Limits) -> Result<Probe, Error> {
    let out = tempfile::tempfile()?;
    let mut cmd = Command::new(&tools.ffprobe);
    cmd.args([
        "-hide_banner",
        "-loglevel",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
    ])
    .arg(path);
    run(cmd, limits.child_timeout, Some(&out))?;
    let mut text = String::new();
    let mut out = out;
    use std::io::Seek;
    out.rewind()?;
    out.take(4 * 1024 * 1024).read_to_string(&mut text)?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| Error::CorruptMedia(format!("ffprobe output: {e}")))?;
    Ok(Probe::from_json(&v))
}

/// Copies the upload into `out_dir` unchanged (the degraded mode; an animated GIF kept).
pub(crate) fn copy_as_uploaded(
    input: &Path,
    media_type: MediaType,
    out_dir: &Path,
    out: &mut Outputs,
) -> Result<Rendition, Error> {
    let path = out.write(out_dir, media_type.extension(), |f| {
        std::io::copy(&mut File::open(input)?, f)?;
        Ok(())
    })?;
    let size = std::fs::metadata(&path)?.len();
    Ok(Rendition {
        path,
        content_type: media_type.mime().into(),
        extension: media_type.extension().into(),
        width: None,
        height: None,
        size,
        duration: None,
        frame_rate: None,
        bitrate: None,
    })
}

/// Processes a video or audio upload (see the module docs).
pub fn process_av(input: &Path, limits: &Limits, out_dir: &Path) -> Result<Processed, Error> {
    let media_type = sniff_file(input)?;
    if media_type.is_image() {
        return Err(Error::UnsupportedMedia(format!(
            "{} is not video or audio",
            media_type.mime()
        )));
    }
    check_size(input, limits.video_bytes)?;
    let mut out = Outputs::default();
    let processed = match tools() {
        None => {
            let original = copy_as_uploaded(input, media_type, out_dir, &mut out)?;
            Processed {
                kind: if media_type.is_audio() {
                    MediaKind::Audio
                } else {
                    MediaKind::Video
                },
                original,
                small: None,
                static_version: None,
                blurhash: None,
                meta: meta(json!({}), None),
            }
        }
        Some(tools) => {
            let probed = probe(&tools, input, limits)?;
            if probed.has_video && !media_type.is_audio() {
                video(&tools, input, &probed, false, limits, out_dir, &mut out)?
            } else if probed.has_audio {
                audio(&tools, input, limits, out_dir, &mut out)?
            } else {
                return Err(Error::CorruptMedia("no video or audio stream found".into()));
            }
        }
    };
    out.keep();
    Ok(processed)
}

/// An animated GIF as a soundless H.264 MP4 (`gifv`).
pub(crate) fn gif_to_gifv(
    tools: &Tools,
    input: &Path,
    limits: &Limits,
    out_dir: &Path,
    out: &mut Outputs,
) -> Result<Processed, Error> {
    let probed = probe(tools, input, limits)?;
    video(tools, input, &probed, true, limits, out_dir, out)
}

/// An animated GIF resized and cover-cropped to `size` by ffmpeg (animated avatars, headers).
pub(crate) fn resize_gif(
    tools: &Tools,
    input: &Path,
    size: (u32, u32),
    limits: &Limits,
    out_dir: &Path,
    out: &mut Outputs,
) -> Result<Rendition, Error> {
    let (w, h) = size;
    let tmp = out.temp(out_dir, "gif")?;
    let mut cmd = ffmpeg(tools, input);
    cmd.arg("-vf")
        .arg(format!(
            "scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},\
             split[a][b];[a]palettegen[p];[b][p]paletteuse"
        ))
        .args(["-loop", "0", "-f", "gif"])
        .arg(tmp.path());
    run(cmd, limits.child_timeout, None)?;
    let path = out.adopt(tmp)?;
    Ok(Rendition {
        size: std::fs::metadata(&path)?.len(),
        path,
        content_type: "image/gif".into(),
        extension: "gif".into(),
        width: Some(w),
        height: Some(h),
        duration: None,
        frame_rate: None,
        bitrate: None,
    })
}

/// A probed rendition written by ffmpeg into `tmp`, kept.
fn probed_rendition(
    tools: &Tools,
    tmp: tempfile::NamedTempFile,
    content_type: &str,
    extension: &str,
    limits: &Limits,
    out: &mut Outputs,
) -> Result<Rendition, Error> {
    let p = probe(tools, tmp.path(), limits)?;
    let path = out.adopt(tmp)?;
    Ok(Rendition {
        size: std::fs::metadata(&path)?.len(),
        path,
        content_type: content_type.into(),
        extension: extension.into(),
        width: p.width,
        height: p.height,
        duration: p.duration,
        frame_rate: p.frame_rate,
        bitrate: p.bitrate,
    })
}

/// Transcodes a video like Mastodon and makes its preview frame.
fn video(
    tools: &Tools,
    input: &Path,
    probed: &Probe,
    force_gifv: bool,
    limits: &Limits,
    out_dir: &Path,
    out: &mut Outputs,
) -> Result<Processed, Error> {
    let (Some(w), Some(h)) = (probed.width, probed.height) else {
        return Err(Error::CorruptMedia("the video has no size".into()));
    };
    if u64::from(w) * u64::from(h) > limits.video_pixels {
        return Err(Error::UnsupportedMedia(format!(
            "video of {w}x{h} is over the limit of {} pixels",
            limits.video_pixels
        )));
    }
    if probed
        .fps()
        .is_some_and(|f| f > f64::from(limits.video_frame_rate))
    {
        return Err(Error::UnsupportedMedia(format!(
            "video frame rate over the limit of {} fps",
            limits.video_frame_rate
        )));
    }
    let gifv = force_gifv || !probed.has_audio;
    let tmp = out.temp(out_dir, "mp4")?;
    let mut cmd = ffmpeg(tools, input);
    cmd.args([
        "-map", "0:v:0", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
    ])
    .args([
        "-maxrate", "1300K", "-bufsize", "1300K", "-pix_fmt", "yuv420p",
    ])
    .args([
        "-vf",
        "scale=trunc(iw/2)*2:trunc(ih/2)*2",
        "-movflags",
        "+faststart",
    ]);
    if gifv {
        cmd.arg("-an");
    } else {
        cmd.args(["-map", "0:a:0", "-c:a", "aac", "-b:a", "128k"]);
    }
    cmd.args(["-f", "mp4"]).arg(tmp.path());
    run(cmd, limits.child_timeout, None)?;
    let original = probed_rendition(tools, tmp, "video/mp4", "mp4", limits, out)?;

    let (ow, oh) = (original.width.unwrap_or(w), original.height.unwrap_or(h));
    let (sw, sh) = super::image::fit_area(ow, oh, limits.small_pixels);
    let frame = out.temp(out_dir, "jpg")?;
    let mut cmd = ffmpeg(tools, &original.path);
    cmd.args(["-frames:v", "1", "-vf"])
        .arg(format!("scale={sw}:{sh}"))
        .args(["-q:v", "3", "-f", "image2"])
        .arg(frame.path());
    run(cmd, limits.child_timeout, None)?;
    let frame_path = out.adopt(frame)?;
    let (blurhash, fw, fh) = super::image::blurhash_of_file(&frame_path, limits)?;
    let small = Rendition {
        size: std::fs::metadata(&frame_path)?.len(),
        path: frame_path,
        content_type: "image/jpeg".into(),
        extension: "jpg".into(),
        width: Some(fw),
        height: Some(fh),
        duration: None,
        frame_rate: None,
        bitrate: None,
    };
    Ok(Processed {
        kind: if gifv {
            MediaKind::Gifv
        } else {
            MediaKind::Video
        },
        meta: meta(av_meta(&original), Some(image_meta(fw, fh))),
        original,
        small: Some(small),
        static_version: None,
        blurhash: Some(blurhash),
    })
}

/// Transcodes audio to MP3 like Mastodon (`-q:a 2`, metadata dropped).
fn audio(
    tools: &Tools,
    input: &Path,
    limits: &Limits,
    out_dir: &Path,
    out: &mut Outputs,
) -> Result<Processed, Error> {
    let tmp = out.temp(out_dir, "mp3")?;
    let mut cmd = ffmpeg(tools, input);
    cmd.args([
        "-vn",
        "-map",
        "0:a:0",
        "-c:a",
        "libmp3lame",
        "-q:a",
        "2",
        "-f",
        "mp3",
    ])
    .arg(tmp.path());
    run(cmd, limits.child_timeout, None)?;
    let original = probed_rendition(tools, tmp, "audio/mpeg", "mp3", limits, out)?;
    let mut m = av_meta(&original);
    if let Value::Object(o) = &mut m {
        // Audio has no picture: only duration and bit rate, as in Mastodon's meta.
        o.retain(|k, _| k == "duration" || k == "bitrate");
    }
    Ok(Processed {
        kind: MediaKind::Audio,
        original,
        small: None,
        static_version: None,
        blurhash: None,
        meta: meta(m, None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions() {
        assert_eq!(fraction("25/1"), Some(25.0));
        assert_eq!(fraction("30"), Some(30.0));
        assert_eq!(fraction("0/0"), None);
        assert_eq!(fraction("x/1"), None);
    }

    #[test]
    fn probe_json() {
        let v = json!({
            "streams": [
                {"codec_type": "video", "width": 320, "height": 240,
                 "avg_frame_rate": "0/0", "r_frame_rate": "25/1"},
                {"codec_type": "audio"}
            ],
            "format": {"duration": "2.000000", "bit_rate": "123456"}
        });
        let p = Probe::from_json(&v);
        assert_eq!((p.width, p.height), (Some(320), Some(240)));
        assert_eq!(p.frame_rate.as_deref(), Some("25/1"));
        assert_eq!(p.duration, Some(2.0));
        assert_eq!(p.bitrate, Some(123_456));
        assert!(p.has_video && p.has_audio);

        let cover_art = json!({"streams": [
            {"codec_type": "audio"},
            {"codec_type": "video", "width": 500, "height": 500, "disposition": {"attached_pic": 1}}
        ], "format": {}});
        let p = Probe::from_json(&cover_art);
        assert!(!p.has_video && p.has_audio);
        assert_eq!(Probe::from_json(&json!(null)), Probe::default());
    }

    #[test]
    fn a_child_over_its_time_is_killed() {
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let started = Instant::now();
        let r = run(cmd, Duration::from_millis(200), None);
        assert!(matches!(r, Err(Error::MediaTimeout)), "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
