//! Still and animated images: JPEG, PNG, GIF, WebP.
//!
//! The order of the work keeps memory bounded to one decoded full-size image per worker:
//! the header is read and its width × height checked against [`Limits::max_pixels`] (and the
//! decoded size against [`Limits::max_decode_bytes`]) before any pixel is decoded; the image
//! is decoded once, scaled down (with `fast_image_resize`) to the stored size, the full-size
//! buffer dropped, the EXIF orientation applied to the smaller buffer, and the result
//! re-encoded — so no EXIF, XMP, ICC or comment block of the upload survives. The small
//! preview and its blurhash are made from the stored original.
//!
//! Output formats follow Mastodon: JPEG stays JPEG, PNG stays PNG, a still GIF becomes PNG,
//! a WebP with alpha stays WebP (lossless, the image crate's only WebP encoder) and an opaque
//! one becomes JPEG (lossless WebP of a photo is several times larger). An animated GIF becomes an
//! H.264 MP4 `gifv` where ffmpeg is installed ([`super::av`]), else it is kept as uploaded
//! (GIF carries no EXIF) with a PNG preview of its first frame. AVIF and HEIC are recognised
//! and refused: no pure-Rust decoder for them exists in the `image` crate family.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::gif::GifDecoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::metadata::Orientation;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};

use super::{
    av, check_size, image_meta, meta, sniff_file, Limits, MediaKind, MediaType, Outputs, Processed,
    Purpose, Rendition,
};
use crate::Error;

/// JPEG quality of the stored renditions (Mastodon's libvips default is close to this).
const JPEG_QUALITY: u8 = 85;
/// Blurhash components, as Mastodon computes them.
const BLURHASH_COMPONENTS: (u32, u32) = (4, 4);
/// Avatar size (cover-cropped), as Mastodon's.
pub const AVATAR_SIZE: (u32, u32) = (400, 400);
/// Header size (cover-cropped), as Mastodon's.
pub const HEADER_SIZE: (u32, u32) = (1500, 500);

/// The encoding a rendition is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutFormat {
    Jpeg,
    Png,
    WebP,
}

impl OutFormat {
    /// The stored format for an input of type `t`; `alpha`: whether the image has an alpha
    /// channel. An opaque WebP becomes JPEG: the image crate encodes WebP only losslessly,
    /// which for a photo can be several times the size (and over the 16 MB limit).
    fn for_input(t: MediaType, alpha: bool) -> OutFormat {
        match t {
            MediaType::Jpeg => OutFormat::Jpeg,
            MediaType::WebP if alpha => OutFormat::WebP,
            MediaType::WebP => OutFormat::Jpeg,
            _ => OutFormat::Png,
        }
    }
    fn mime(self) -> &'static str {
        match self {
            OutFormat::Jpeg => "image/jpeg",
            OutFormat::Png => "image/png",
            OutFormat::WebP => "image/webp",
        }
    }
    fn extension(self) -> &'static str {
        match self {
            OutFormat::Jpeg => "jpg",
            OutFormat::Png => "png",
            OutFormat::WebP => "webp",
        }
    }
}

/// Processes the image at `input` for `purpose` into renditions in `out_dir`.
///
/// Errors: [`Error::UnsupportedMedia`] (not an image, AVIF/HEIC), [`Error::MediaTooLarge`]
/// (file over [`Limits::image_bytes`]), [`Error::ImageTooLarge`] (declared pixels over
/// [`Limits::max_pixels`], refused before decoding), [`Error::CorruptMedia`] (corrupt or
/// truncated). On error no file is left in `out_dir`.
pub fn process_image(
    input: &Path,
    purpose: Purpose,
    limits: &Limits,
    out_dir: &Path,
) -> Result<Processed, Error> {
    let media_type = sniff_file(input)?;
    let format = match media_type {
        MediaType::Jpeg => ImageFormat::Jpeg,
        MediaType::Png => ImageFormat::Png,
        MediaType::Gif => ImageFormat::Gif,
        MediaType::WebP => ImageFormat::WebP,
        MediaType::Avif | MediaType::Heic => {
            return Err(Error::UnsupportedMedia(format!(
                "{} images cannot be decoded here (no Rust decoder); use JPEG, PNG, GIF or WebP",
                media_type.mime()
            )))
        }
        other => {
            return Err(Error::UnsupportedMedia(format!(
                "{} is not an image",
                other.mime()
            )))
        }
    };
    check_size(input, limits.image_bytes)?;
    let mut out = Outputs::default();
    let processed = if format == ImageFormat::Gif {
        let (first, animated) = gif_first_frame(input, limits)?;
        if animated {
            animated_gif(input, first, purpose, limits, out_dir, &mut out)?
        } else {
            still(
                first,
                Orientation::NoTransforms,
                OutFormat::Png,
                purpose,
                limits,
                out_dir,
                &mut out,
            )?
        }
    } else {
        let (img, orientation) = decode(input, format, limits)?;
        let out_format = OutFormat::for_input(media_type, img.color().has_alpha());
        still(
            img,
            orientation,
            out_format,
            purpose,
            limits,
            out_dir,
            &mut out,
        )?
    };
    out.keep();
    Ok(processed)
}

/// The image crate's decoding limits for `limits`.
fn decoder_limits(limits: &Limits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_alloc = Some(limits.max_decode_bytes);
    l
}

/// Refuses an image whose declared size is over the limits, before any pixel is decoded.
fn check_dimensions(decoder: &impl ImageDecoder, limits: &Limits) -> Result<(), Error> {
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(Error::CorruptMedia(format!(
            "the image declares a size of {width}x{height}"
        )));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels
        || decoder.total_bytes() > limits.max_decode_bytes
    {
        return Err(Error::ImageTooLarge {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(())
}

/// Decodes a still image (the first frame of an animated WebP or APNG) and its orientation.
fn decode(
    input: &Path,
    format: ImageFormat,
    limits: &Limits,
) -> Result<(DynamicImage, Orientation), Error> {
    let mut reader = ImageReader::with_format(BufReader::new(File::open(input)?), format);
    reader.limits(decoder_limits(limits));
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    check_dimensions(&decoder, limits)?;
    // A broken EXIF block is not worth refusing the picture for: it is dropped anyway.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    Ok((to_8bit(img), orientation))
}

/// The first frame of a GIF, composited, and whether a second frame follows.
fn gif_first_frame(input: &Path, limits: &Limits) -> Result<(DynamicImage, bool), Error> {
    let mut decoder = GifDecoder::new(BufReader::new(File::open(input)?)).map_err(decode_error)?;
    check_dimensions(&decoder, limits)?;
    decoder
        .set_limits(decoder_limits(limits))
        .map_err(decode_error)?;
    let mut frames = decoder.into_frames();
    let first = match frames.next() {
        Some(frame) => frame.map_err(decode_error)?.into_buffer(),
        None => return Err(Error::CorruptMedia("the GIF has no frame".into())),
    };
    let animated = matches!(frames.next(), Some(Ok(_)));
    Ok((DynamicImage::ImageRgba8(first), animated))
}

/// Brings any decoded image to 8 bits per channel (the output encoders' depth).
fn to_8bit(img: DynamicImage) -> DynamicImage {
    match img {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => img,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.into_rgba8()),
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    }
}

/// Whether `orientation` turns the picture by a quarter (width and height swap).
fn swaps_sides(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// The largest size with the aspect of `width`×`height` whose area is at most `max_area`
/// (Mastodon's `pixels` geometry); never scales up.
pub fn fit_area(width: u32, height: u32, max_area: u64) -> (u32, u32) {
    let area = u64::from(width) * u64::from(height);
    if area <= max_area {
        return (width, height);
    }
    let scale = (max_area as f64 / area as f64).sqrt();
    let h = ((f64::from(height) * scale).floor() as u32).max(1);
    let w = ((f64::from(width) * scale).floor() as u32).max(1);
    // A side rounded up to 1 px must not push the area over: shorten the other side.
    let w = w.min(
        u32::try_from(max_area / u64::from(h))
            .unwrap_or(u32::MAX)
            .max(1),
    );
    let h = h.min(
        u32::try_from(max_area / u64::from(w))
            .unwrap_or(u32::MAX)
            .max(1),
    );
    (w, h)
}

/// Resizes `src` to exactly `width`×`height`; with `cover`, crops the centre to that aspect
/// first (Mastodon's `#` geometry for avatars and headers).
fn resize(src: &DynamicImage, width: u32, height: u32, cover: bool) -> Result<DynamicImage, Error> {
    if !cover && (src.width(), src.height()) == (width, height) {
        return Ok(src.clone());
    }
    let mut dst = DynamicImage::new(width, height, src.color());
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    if cover {
        options = options.fit_into_destination(Some((0.5, 0.5)));
    }
    Resizer::new()
        .resize(src, &mut dst, &options)
        .map_err(|e| Error::Io(std::io::Error::other(format!("resizing: {e}"))))?;
    Ok(dst)
}

/// The stored size for a picture displayed at `width`×`height`.
fn target_size(width: u32, height: u32, purpose: Purpose, limits: &Limits) -> (u32, u32, bool) {
    match purpose {
        Purpose::Attachment => {
            let (w, h) = fit_area(width, height, limits.output_pixels);
            (w, h, false)
        }
        Purpose::Avatar => (AVATAR_SIZE.0, AVATAR_SIZE.1, true),
        Purpose::Header => (HEADER_SIZE.0, HEADER_SIZE.1, true),
    }
}

/// Scales the decoded `img` (dropping the full-size buffer) and applies `orientation`.
fn scale_and_orient(
    img: DynamicImage,
    orientation: Orientation,
    purpose: Purpose,
    limits: &Limits,
) -> Result<DynamicImage, Error> {
    let swap = swaps_sides(orientation);
    let (shown_w, shown_h) = if swap {
        (img.height(), img.width())
    } else {
        (img.width(), img.height())
    };
    let (w, h, cover) = target_size(shown_w, shown_h, purpose, limits);
    let (stored_w, stored_h) = if swap { (h, w) } else { (w, h) };
    let mut scaled = if cover || (stored_w, stored_h) != (img.width(), img.height()) {
        let scaled = resize(&img, stored_w, stored_h, cover)?;
        drop(img);
        scaled
    } else {
        img
    };
    scaled.apply_orientation(orientation);
    Ok(scaled)
}

/// Writes `img` as a new file in `out_dir` in `format`.
fn write_image(
    img: &DynamicImage,
    format: OutFormat,
    out_dir: &Path,
    out: &mut Outputs,
) -> Result<Rendition, Error> {
    let path = out.write(out_dir, format.extension(), |file| {
        let w = BufWriter::new(file);
        let result = match format {
            OutFormat::Jpeg => {
                let rgb;
                let img = if img.color().has_alpha() {
                    rgb = DynamicImage::ImageRgb8(img.to_rgb8());
                    &rgb
                } else {
                    img
                };
                img.write_with_encoder(JpegEncoder::new_with_quality(w, JPEG_QUALITY))
            }
            OutFormat::Png => img.write_with_encoder(PngEncoder::new(w)),
            OutFormat::WebP => {
                let rgba;
                let img = match img {
                    DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => img,
                    other => {
                        rgba = DynamicImage::ImageRgba8(other.to_rgba8());
                        &rgba
                    }
                };
                img.write_with_encoder(WebPEncoder::new_lossless(w))
            }
        };
        result.map_err(|e| Error::Io(std::io::Error::other(format!("encoding: {e}"))))
    })?;
    let size = std::fs::metadata(&path)?.len();
    Ok(Rendition {
        path,
        content_type: format.mime().into(),
        extension: format.extension().into(),
        width: Some(img.width()),
        height: Some(img.height()),
        size,
        duration: None,
        frame_rate: None,
        bitrate: None,
    })
}

/// The blurhash of `img` (a small preview).
fn blurhash_of(img: &DynamicImage) -> Result<String, Error> {
    let rgba = img.to_rgba8();
    blurhash::encode(
        BLURHASH_COMPONENTS.0,
        BLURHASH_COMPONENTS.1,
        rgba.width(),
        rgba.height(),
        rgba.as_raw(),
    )
    .map_err(|e| Error::Io(std::io::Error::other(format!("blurhash: {e}"))))
}

/// The blurhash and size of the small image file at `path` (a video's preview frame).
pub(crate) fn blurhash_of_file(path: &Path, limits: &Limits) -> Result<(String, u32, u32), Error> {
    let format = match sniff_file(path)? {
        MediaType::Png => ImageFormat::Png,
        _ => ImageFormat::Jpeg,
    };
    let (img, _) = decode(path, format, limits)?;
    Ok((blurhash_of(&img)?, img.width(), img.height()))
}

/// The small preview of `original` (about 640 px), written, with its blurhash.
fn small_preview(
    original: &DynamicImage,
    format: OutFormat,
    limits: &Limits,
    out_dir: &Path,
    out: &mut Outputs,
) -> Result<(Rendition, String), Error> {
    let (w, h) = fit_area(original.width(), original.height(), limits.small_pixels);
    let small = resize(original, w, h, false)?;
    let rendition = write_image(&small, format, out_dir, out)?;
    Ok((rendition, blurhash_of(&small)?))
}

/// A still picture: the stored original and, for attachments, the preview and blurhash.
fn still(
    img: DynamicImage,
    orientation: Orientation,
    format: OutFormat,
    purpose: Purpose,
    limits: &Limits,
    out_dir: &Path,
    out: &mut Outputs,
) -> Result<Processed, Error> {
    let stored = scale_and_orient(img, orientation, purpose, limits)?;
    let original = write_image(&stored, format, out_dir, out)?;
    let original_meta = image_meta(stored.width(), stored.height());
    if purpose != Purpose::Attachment {
        return Ok(Processed {
            kind: MediaKind::Image,
            original,
            small: None,
            static_version: None,
            blurhash: None,
            meta: meta(original_meta, None),
        });
    }
    let (small, blurhash) = small_preview(&stored, format, limits, out_dir, out)?;
    let small_meta = small.width.zip(small.height).map(|(w, h)| image_meta(w, h));
    Ok(Processed {
        kind: MediaKind::Image,
        original,
        small: Some(small),
        static_version: None,
        blurhash: Some(blurhash),
        meta: meta(original_meta, small_meta),
    })
}

/// An animated GIF: a `gifv` MP4 with ffmpeg, else kept as uploaded; for avatars and headers
/// the animation is kept (resized by ffmpeg when present) and a still version made.
fn animated_gif(
    input: &Path,
    first: DynamicImage,
    purpose: Purpose,
    limits: &Limits,
    out_dir: &Path,
    out: &mut Outputs,
) -> Result<Processed, Error> {
    let tools = av::tools();
    if purpose == Purpose::Attachment {
        if let Some(tools) = &tools {
            return av::gif_to_gifv(tools, input, limits, out_dir, out);
        }
        let (w, h) = (first.width(), first.height());
        let original = av::copy_as_uploaded(input, MediaType::Gif, out_dir, out)?;
        let original = Rendition {
            width: Some(w),
            height: Some(h),
            ..original
        };
        let (small, blurhash) = small_preview(&first, OutFormat::Png, limits, out_dir, out)?;
        let small_meta = small.width.zip(small.height).map(|(w, h)| image_meta(w, h));
        return Ok(Processed {
            kind: MediaKind::Image,
            original,
            small: Some(small),
            static_version: None,
            blurhash: Some(blurhash),
            meta: meta(image_meta(w, h), small_meta),
        });
    }
    let (w, h, _) = target_size(first.width(), first.height(), purpose, limits);
    let still_img = scale_and_orient(first, Orientation::NoTransforms, purpose, limits)?;
    let static_version = write_image(&still_img, OutFormat::Png, out_dir, out)?;
    let original = match &tools {
        Some(tools) => av::resize_gif(tools, input, (w, h), limits, out_dir, out)?,
        None => av::copy_as_uploaded(input, MediaType::Gif, out_dir, out)?,
    };
    let shown = original.width.zip(original.height).unwrap_or((w, h));
    Ok(Processed {
        kind: MediaKind::Image,
        original,
        small: None,
        static_version: Some(static_version),
        blurhash: None,
        meta: meta(image_meta(shown.0, shown.1), None),
    })
}

/// Maps a decoding error of the image crate to the crate's error.
fn decode_error(e: ImageError) -> Error {
    match e {
        ImageError::Limits(l) => {
            Error::UnsupportedMedia(format!("image over the decoding limits: {l}"))
        }
        ImageError::Unsupported(u) => Error::UnsupportedMedia(u.to_string()),
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::CorruptMedia("the image is truncated".into())
        }
        other => Error::CorruptMedia(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_area_keeps_aspect_and_never_upscales() {
        assert_eq!(fit_area(640, 480, 230_400), (554, 415));
        assert_eq!(fit_area(100, 50, 230_400), (100, 50));
        assert_eq!(fit_area(7680, 4320, 8_294_400), (3840, 2160));
        let (w, h) = fit_area(100_000, 1, 10);
        assert!(w * h <= 10 && h >= 1, "{w}x{h}");
    }

    #[test]
    fn quarter_turns_swap_sides() {
        assert!(swaps_sides(Orientation::Rotate90));
        assert!(!swaps_sides(Orientation::Rotate180));
        assert!(!swaps_sides(Orientation::FlipHorizontal));
    }

    #[test]
    fn cover_crop_fills_the_box() -> Result<(), Error> {
        let img = DynamicImage::new_rgb8(1000, 300);
        let out = resize(&img, 400, 400, true)?;
        assert_eq!((out.width(), out.height()), (400, 400));
        Ok(())
    }
}
