//! Media processing: what an uploaded file becomes before it is stored.
//!
//! A library-like API with no HTTP and no [`App`](crate::App): the upload API hands a file on
//! disk to a [`MediaPool`], which sniffs its real type from the bytes ([`sniff`]), then
//! processes it on a bounded pool of blocking workers:
//!
//! - images ([`image`]): the pixel count is checked from the header before decoding, EXIF
//!   orientation is applied, every other piece of metadata is dropped by re-encoding, the
//!   original is brought within Mastodon's area limit, a small preview (about 640 px) and a
//!   blurhash are made; avatars and headers are cover-cropped to 400×400 and 1500×500;
//! - video and audio ([`av`]): probed and transcoded with `ffmpeg` where it is installed (H.264/AAC
//!   MP4, MP3), with a preview frame; without it they are stored as uploaded.
//!
//! [`store::open_media_store`] opens the store the files are kept in (the data directory or an
//! S3-compatible bucket, as configured).
//!
//! Every rendition is a file in the caller's `out_dir`; the caller moves it into the
//! `MediaStore` and deletes it. On every error path the half-written files are removed.

pub mod av;
pub mod image;
pub mod pool;
pub mod sniff;
pub mod store;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Map, Value};

pub use pool::MediaPool;
pub use sniff::{sniff, sniff_file, MediaType};

use crate::Error;

/// What an upload is for; decides the renditions made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// A status attachment: original within the limits plus a small preview.
    Attachment,
    /// A profile picture: cover-cropped to 400×400, plus a static version when animated.
    Avatar,
    /// A profile header: cover-cropped to 1500×500, plus a static version when animated.
    Header,
}

/// Mastodon's attachment `type` (stored in attachment records too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// A still image.
    Image,
    /// A soundless video played like a GIF (looping, muted).
    Gifv,
    /// A video with sound.
    Video,
    /// Audio only.
    Audio,
    /// Something else (a remote attachment of a type not shown here): linked, not embedded.
    Unknown,
}

/// Size and time limits; [`Default`] is Mastodon's.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest image upload in bytes (Mastodon: 16 MB).
    pub image_bytes: u64,
    /// Largest video or audio upload in bytes (Mastodon: 99 MB).
    pub video_bytes: u64,
    /// Largest input image, width × height, checked from the header before decoding
    /// (default 33,177,600 = 7680×4320, Mastodon's `image_matrix_limit`).
    pub max_pixels: u64,
    /// Largest single allocation the image decoder may make, in bytes.
    pub max_decode_bytes: u64,
    /// Area the stored original is scaled down to fit (Mastodon: 8,294,400 = 3840×2160).
    pub output_pixels: u64,
    /// Area of the small preview (Mastodon: 230,400 = 640×360).
    pub small_pixels: u64,
    /// Largest video area after transcoding (Mastodon's `video_matrix_limit`: 3840×2160).
    pub video_pixels: u64,
    /// Highest video frame rate kept (Mastodon's `video_frame_rate_limit`: 120).
    pub video_frame_rate: u32,
    /// Time bound for one `ffmpeg`/`ffprobe` child process.
    pub child_timeout: Duration,
    /// Time bound for processing one upload as a whole (checked by the [`MediaPool`]).
    pub total_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            image_bytes: 16_777_216,
            video_bytes: 103_809_024,
            max_pixels: 33_177_600,
            max_decode_bytes: 256 * 1024 * 1024,
            output_pixels: 8_294_400,
            small_pixels: 230_400,
            video_pixels: 8_294_400,
            video_frame_rate: 120,
            child_timeout: Duration::from_secs(300),
            total_timeout: Duration::from_secs(600),
        }
    }
}

/// One stored file made from an upload.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendition {
    /// A file in `out_dir`; the caller moves it into the media store and deletes it.
    pub path: PathBuf,
    /// Its MIME type, e.g. `image/jpeg`.
    pub content_type: String,
    /// Its file extension without the dot, e.g. `jpg`.
    pub extension: String,
    /// Width in pixels (none for audio, or when unknown without ffmpeg).
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Size of the file in bytes.
    pub size: u64,
    /// Duration in seconds (video and audio, when probed).
    pub duration: Option<f64>,
    /// Frame rate as ffprobe gives it, e.g. `"25/1"` (video, when probed).
    pub frame_rate: Option<String>,
    /// Bit rate in bits per second (video and audio, when probed).
    pub bitrate: Option<u64>,
}

/// The result of processing one upload.
#[derive(Debug, Clone)]
pub struct Processed {
    /// Mastodon's attachment `type`.
    pub kind: MediaKind,
    /// The stored original (re-encoded, resized or transcoded; or as uploaded without ffmpeg).
    pub original: Rendition,
    /// The preview (`preview_url`), when one could be made.
    pub small: Option<Rendition>,
    /// A still version of an animated avatar or header (`avatar_static`, `header_static`).
    pub static_version: Option<Rendition>,
    /// The blurhash of the preview.
    pub blurhash: Option<String>,
    /// Mastodon's `meta`: `original` and `small` objects.
    pub meta: Value,
}

impl Processed {
    /// Every file this result refers to, to move into the store (or delete).
    pub fn paths(&self) -> Vec<&Path> {
        let mut all = vec![self.original.path.as_path()];
        all.extend(self.small.as_ref().map(|r| r.path.as_path()));
        all.extend(self.static_version.as_ref().map(|r| r.path.as_path()));
        all
    }

    /// Deletes every file of this result (for a caller that gives up on it).
    pub fn remove_files(&self) {
        for p in self.paths() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The MIME types accepted for upload here, for `/api/v1/instance`: only what really works.
/// Video and audio are listed either way: without ffmpeg they are stored as uploaded.
/// The other names browsers give the same formats are listed too, since clients compare a
/// file's declared type with this list (the server itself goes by the bytes).
pub fn supported_mime_types() -> Vec<&'static str> {
    let mut types: Vec<&'static str> = MediaType::ALL
        .iter()
        .filter(|t| t.is_supported())
        .map(|t| t.mime())
        .collect();
    types.extend(["audio/wav", "audio/x-wav", "audio/mp3", "video/x-matroska"]);
    types
}

/// Processes the file at `input` for `purpose`, writing renditions into `out_dir`
/// (synchronous; [`MediaPool`] runs it on a blocking thread).
///
/// The type comes from the bytes ([`sniff`]); avatars and headers must be images.
pub fn process_file(
    input: &Path,
    purpose: Purpose,
    limits: &Limits,
    out_dir: &Path,
) -> Result<Processed, Error> {
    let kind = sniff_file(input)?;
    if kind.is_image() {
        image::process_image(input, purpose, limits, out_dir)
    } else if purpose != Purpose::Attachment {
        Err(Error::UnsupportedMedia(format!(
            "a {purpose:?} must be an image, not {}",
            kind.mime()
        )))
    } else {
        av::process_av(input, limits, out_dir)
    }
}

/// Checks the size of the file at `input` against `limit`.
fn check_size(input: &Path, limit: u64) -> Result<u64, Error> {
    let size = std::fs::metadata(input)?.len();
    if size > limit {
        return Err(Error::MediaTooLarge { limit });
    }
    if size == 0 {
        return Err(Error::CorruptMedia("the file is empty".into()));
    }
    Ok(size)
}

/// Files written so far for one upload; removed on drop unless [`Outputs::keep`] was called,
/// so that no error path leaves a half-written rendition behind.
#[derive(Debug, Default)]
pub(crate) struct Outputs {
    paths: Vec<PathBuf>,
}

impl Outputs {
    /// Writes a new file in `dir` with `extension` through `write`. The file is created as a
    /// temporary file (deleted if `write` fails) and only then kept under its random name.
    pub(crate) fn write(
        &mut self,
        dir: &Path,
        extension: &str,
        write: impl FnOnce(&mut File) -> Result<(), Error>,
    ) -> Result<PathBuf, Error> {
        let mut tmp = self.temp(dir, extension)?;
        write(tmp.as_file_mut())?;
        tmp.as_file_mut().flush()?;
        self.adopt(tmp)
    }

    /// A new empty temporary file in `dir` (deleted when dropped), for a child process to fill.
    pub(crate) fn temp(
        &mut self,
        dir: &Path,
        extension: &str,
    ) -> Result<tempfile::NamedTempFile, Error> {
        Ok(tempfile::Builder::new()
            .prefix("media-")
            .suffix(&format!(".{extension}"))
            .tempfile_in(dir)?)
    }

    /// Keeps a temporary file as one of this upload's outputs.
    pub(crate) fn adopt(&mut self, tmp: tempfile::NamedTempFile) -> Result<PathBuf, Error> {
        let (_, path) = tmp.keep().map_err(|e| Error::Io(e.error))?;
        self.paths.push(path.clone());
        Ok(path)
    }

    /// The processing succeeded: the files now belong to the caller.
    pub(crate) fn keep(mut self) {
        self.paths.clear();
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        for p in &self.paths {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Mastodon's meta object for an image rendition: width, height, `"WxH"`, aspect.
pub(crate) fn image_meta(width: u32, height: u32) -> Value {
    json!({
        "width": width,
        "height": height,
        "size": format!("{width}x{height}"),
        "aspect": f64::from(width) / f64::from(height.max(1)),
    })
}

/// Mastodon's meta object for a probed video or audio rendition.
pub(crate) fn av_meta(r: &Rendition) -> Value {
    let mut m = Map::new();
    if let (Some(w), Some(h)) = (r.width, r.height) {
        if let Value::Object(geometry) = image_meta(w, h) {
            m.extend(geometry);
        }
    }
    if let Some(f) = &r.frame_rate {
        m.insert("frame_rate".into(), json!(f));
    }
    if let Some(d) = r.duration {
        m.insert("duration".into(), json!(d));
    }
    if let Some(b) = r.bitrate {
        m.insert("bitrate".into(), json!(b));
    }
    Value::Object(m)
}

/// Builds `meta` from an original's and a small rendition's objects.
pub(crate) fn meta(original: Value, small: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("original".into(), original);
    if let Some(s) = small {
        m.insert("small".into(), s);
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_mastodons() {
        let l = Limits::default();
        assert_eq!(l.image_bytes, 16 * 1024 * 1024);
        assert_eq!(l.video_bytes, 99 * 1024 * 1024);
        assert_eq!(l.output_pixels, 3840 * 2160);
        assert_eq!(l.small_pixels, 640 * 360);
    }

    #[test]
    fn image_meta_is_shaped_like_mastodons() {
        let m = image_meta(640, 480);
        assert_eq!(m["size"], "640x480");
        assert_eq!(m["width"], 640);
        assert_eq!(m["height"], 480);
        assert!((m["aspect"].as_f64().unwrap_or(0.0) - 4.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn mime_types_exclude_what_has_no_decoder() {
        let types = supported_mime_types();
        for t in [
            "image/jpeg",
            "image/png",
            "image/gif",
            "image/webp",
            "video/mp4",
        ] {
            assert!(types.contains(&t), "{t} missing");
        }
        assert!(!types.contains(&"image/avif"));
        assert!(!types.contains(&"image/heic"));
    }

    #[test]
    fn outputs_are_removed_unless_kept() -> Result<(), Error> {
        let dir = tempfile::tempdir()?;
        let mut out = Outputs::default();
        let a = out.write(dir.path(), "bin", |f| Ok(f.write_all(b"x")?))?;
        assert!(a.exists());
        let failed = out.write(dir.path(), "bin", |_| Err(Error::CorruptMedia("no".into())));
        assert!(failed.is_err());
        drop(out);
        assert!(!a.exists());
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 0);

        let mut out = Outputs::default();
        let b = out.write(dir.path(), "bin", |f| Ok(f.write_all(b"y")?))?;
        out.keep();
        assert!(b.exists());
        Ok(())
    }
}
