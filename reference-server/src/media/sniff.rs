//! The real type of an upload, from its first bytes (never the name or the client's header).
//!
//! The signatures are the `infer` crate's matchers; this module only decides which of them
//! are accepted and in which order (AVIF and HEIC before MP4, since all three are ISO BMFF
//! files with an `ftyp` box).

use std::io::Read;
use std::path::Path;

use crate::Error;

/// How many leading bytes are read to sniff a type (infer's Matroska/WebM check needs 257).
pub const SNIFF_LEN: usize = 512;

/// A media type recognised from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaType {
    /// JPEG.
    Jpeg,
    /// PNG (also APNG; only the first frame is kept).
    Png,
    /// GIF, still or animated.
    Gif,
    /// WebP (an animated one keeps its first frame).
    WebP,
    /// AVIF: recognised, rejected (no pure-Rust decoder).
    Avif,
    /// HEIC/HEIF: recognised, rejected (no Rust decoder).
    Heic,
    /// MP4 (ISO BMFF with an MP4 brand).
    Mp4,
    /// QuickTime MOV.
    Mov,
    /// WebM or Matroska.
    WebM,
    /// MP3.
    Mp3,
    /// Ogg (Vorbis, Opus).
    Ogg,
    /// WAV.
    Wav,
}

impl MediaType {
    /// Every type this module recognises.
    pub const ALL: [MediaType; 12] = [
        MediaType::Jpeg,
        MediaType::Png,
        MediaType::Gif,
        MediaType::WebP,
        MediaType::Avif,
        MediaType::Heic,
        MediaType::Mp4,
        MediaType::Mov,
        MediaType::WebM,
        MediaType::Mp3,
        MediaType::Ogg,
        MediaType::Wav,
    ];

    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Gif => "image/gif",
            MediaType::WebP => "image/webp",
            MediaType::Avif => "image/avif",
            MediaType::Heic => "image/heic",
            MediaType::Mp4 => "video/mp4",
            MediaType::Mov => "video/quicktime",
            MediaType::WebM => "video/webm",
            MediaType::Mp3 => "audio/mpeg",
            MediaType::Ogg => "audio/ogg",
            MediaType::Wav => "audio/wave",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Gif => "gif",
            MediaType::WebP => "webp",
            MediaType::Avif => "avif",
            MediaType::Heic => "heic",
            MediaType::Mp4 => "mp4",
            MediaType::Mov => "mov",
            MediaType::WebM => "webm",
            MediaType::Mp3 => "mp3",
            MediaType::Ogg => "ogg",
            MediaType::Wav => "wav",
        }
    }

    /// Whether this is a still or animated image format.
    pub fn is_image(self) -> bool {
        matches!(
            self,
            MediaType::Jpeg
                | MediaType::Png
                | MediaType::Gif
                | MediaType::WebP
                | MediaType::Avif
                | MediaType::Heic
        )
    }

    /// Whether this is an audio-only format.
    pub fn is_audio(self) -> bool {
        matches!(self, MediaType::Mp3 | MediaType::Ogg | MediaType::Wav)
    }

    /// Whether uploads of this type are accepted here (AVIF and HEIC have no Rust decoder).
    pub fn is_supported(self) -> bool {
        !matches!(self, MediaType::Avif | MediaType::Heic)
    }
}

/// A signature check of the `infer` crate.
type Matcher = fn(&[u8]) -> bool;

/// The type of `bytes` (the start of a file), or [`Error::UnsupportedMedia`].
pub fn sniff(bytes: &[u8]) -> Result<MediaType, Error> {
    use infer::{audio, image, text, video};
    let checks: [(Matcher, MediaType); 13] = [
        (image::is_jpeg, MediaType::Jpeg),
        (image::is_png, MediaType::Png),
        (image::is_gif, MediaType::Gif),
        (image::is_webp, MediaType::WebP),
        (image::is_avif, MediaType::Avif),
        (image::is_heif, MediaType::Heic),
        (video::is_mov, MediaType::Mov),
        (video::is_mp4, MediaType::Mp4),
        (video::is_m4v, MediaType::Mp4),
        (video::is_webm, MediaType::WebM),
        (video::is_mkv, MediaType::WebM),
        (audio::is_ogg, MediaType::Ogg),
        (audio::is_wav, MediaType::Wav),
    ];
    if let Some((_, t)) = checks.iter().find(|(is, _)| is(bytes)) {
        return Ok(*t);
    }
    // MP3 last: its frame-sync signature is two bytes, the weakest of all.
    if audio::is_mp3(bytes) {
        return Ok(MediaType::Mp3);
    }
    let text_start = String::from_utf8_lossy(&bytes[..bytes.len().min(SNIFF_LEN)])
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_lowercase();
    if text::is_html(bytes) || text_start.starts_with("<svg") || text_start.starts_with("<?xml") {
        return Err(Error::UnsupportedMedia(
            "SVG, HTML and XML documents are not accepted as media".into(),
        ));
    }
    Err(Error::UnsupportedMedia(
        "not a supported image, video or audio file".into(),
    ))
}

/// The type of the file at `path`, from its first [`SNIFF_LEN`] bytes.
pub fn sniff_file(path: &Path) -> Result<MediaType, Error> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    std::fs::File::open(path)?
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)?;
    if head.is_empty() {
        return Err(Error::CorruptMedia("the file is empty".into()));
    }
    sniff(&head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(brand: &[u8; 4], compatible: &[u8; 4]) -> Vec<u8> {
        let mut b = vec![0, 0, 0, 24];
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(brand);
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(compatible);
        b.extend_from_slice(b"mif1");
        b.extend_from_slice(&[0; 16]);
        b
    }

    #[test]
    fn iso_bmff_brands() -> Result<(), Error> {
        assert_eq!(sniff(&ftyp(b"isom", b"isom"))?, MediaType::Mp4);
        assert_eq!(sniff(&ftyp(b"mp42", b"isom"))?, MediaType::Mp4);
        assert_eq!(sniff(&ftyp(b"qt  ", b"qt  "))?, MediaType::Mov);
        assert_eq!(sniff(&ftyp(b"avif", b"mif1"))?, MediaType::Avif);
        assert_eq!(sniff(&ftyp(b"heic", b"mif1"))?, MediaType::Heic);
        Ok(())
    }

    #[test]
    fn signatures() -> Result<(), Error> {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0")?, MediaType::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR")?, MediaType::Png);
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0")?, MediaType::Gif);
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 ")?, MediaType::WebP);
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt ")?, MediaType::Wav);
        assert_eq!(sniff(b"OggS\0\x02\0\0\0\0")?, MediaType::Ogg);
        assert_eq!(sniff(b"ID3\x04\0\0\0\0\0\0")?, MediaType::Mp3);
        Ok(())
    }

    #[test]
    fn documents_and_unknown_bytes_are_rejected() {
        for doc in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"[..],
            b"  <?xml version='1.0'?><svg/>",
            b"<!DOCTYPE html><html><body>hi</body></html>",
            b"\xEF\xBB\xBF<svg/>",
        ] {
            let e = sniff(doc).err();
            assert!(
                matches!(&e, Some(Error::UnsupportedMedia(m)) if m.contains("SVG")),
                "{e:?}"
            );
        }
        assert!(matches!(
            sniff(b"just some text"),
            Err(Error::UnsupportedMedia(_))
        ));
        assert!(matches!(sniff(b""), Err(Error::UnsupportedMedia(_))));
    }
}
