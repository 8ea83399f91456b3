//! Test images made at run time with the `image` crate: a photo-like JPEG (smooth gradients
//! plus per-channel noise, so it compresses like a photograph rather than like a flat
//! drawing) and a PNG of the same kind of content with less noise.
//!
//! The content comes from a seeded generator, so the same arguments give the same bytes.

use std::fmt;
use std::str::FromStr;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};
use rand::{RngCore, SeedableRng};

use crate::error::{Error, Result};

/// The inputs of the media benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A 4000×3000 (12-megapixel) photo-like JPEG, quality 90.
    Jpeg12mp,
    /// A 3840×2160 (4K UHD) PNG.
    Png4k,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 2] = [Kind::Jpeg12mp, Kind::Png4k];

    /// Width and height in pixels.
    pub fn dimensions(self) -> (u32, u32) {
        match self {
            Kind::Jpeg12mp => (4000, 3000),
            Kind::Png4k => (3840, 2160),
        }
    }

    /// The media type sent with the upload.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg12mp => "image/jpeg",
            Kind::Png4k => "image/png",
        }
    }

    /// The file name sent with the upload.
    pub fn file_name(self) -> &'static str {
        match self {
            Kind::Jpeg12mp => "photo-12mp.jpg",
            Kind::Png4k => "picture-4k.png",
        }
    }

    /// Makes the image (a few seconds for the full sizes in a release build).
    pub fn generate(self, seed: u64) -> Result<Vec<u8>> {
        let (w, h) = self.dimensions();
        match self {
            Kind::Jpeg12mp => photo_jpeg(w, h, 90, seed),
            Kind::Png4k => picture_png(w, h, seed),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Jpeg12mp => "jpeg12mp",
            Kind::Png4k => "png4k",
        })
    }
}

impl FromStr for Kind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Kind> {
        match s {
            "jpeg12mp" => Ok(Kind::Jpeg12mp),
            "png4k" => Ok(Kind::Png4k),
            _ => Err(Error::Usage(format!(
                "unknown image kind {s:?} (jpeg12mp, png4k)"
            ))),
        }
    }
}

/// RGB pixels: smooth colour gradients and waves, plus uniform noise of `±noise` on every
/// channel of every pixel.
pub fn photo_pixels(width: u32, height: u32, noise: u8, seed: u64) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = vec![0u8; w * h * 3];
    rng.fill_bytes(&mut out);
    let amp = i32::from(noise);
    let (fw, fh) = (w.max(1) as f32, h.max(1) as f32);
    for y in 0..h {
        let v = y as f32 / fh;
        for x in 0..w {
            let u = x as f32 / fw;
            let base = [
                40.0 + 170.0 * u + 25.0 * (7.0 * v + 3.0 * u).sin(),
                60.0 + 140.0 * v + 30.0 * (11.0 * u).sin() * (4.0 * v).cos(),
                210.0 - 120.0 * (u + v) * 0.5 + 20.0 * (5.0 * (u - v)).sin(),
            ];
            let i = (y * w + x) * 3;
            for (c, b) in base.iter().enumerate() {
                // The random byte becomes noise in -amp..=amp.
                let n = (i32::from(out[i + c]) - 128) * amp / 128;
                out[i + c] = (*b as i32 + n).clamp(0, 255) as u8;
            }
        }
    }
    out
}

/// A photo-like JPEG (noise ±12) at `quality` (1–100).
pub fn photo_jpeg(width: u32, height: u32, quality: u8, seed: u64) -> Result<Vec<u8>> {
    let pixels = photo_pixels(width, height, 12, seed);
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut buf, quality)
        .write_image(&pixels, width, height, ExtendedColorType::Rgb8)
        .map_err(|e| Error::Usage(format!("encoding a JPEG: {e}")))?;
    Ok(buf)
}

/// A PNG of the same content with little noise (±2), like a rendered picture.
pub fn picture_png(width: u32, height: u32, seed: u64) -> Result<Vec<u8>> {
    let pixels = photo_pixels(width, height, 2, seed);
    let mut buf = Vec::new();
    PngEncoder::new(&mut buf)
        .write_image(&pixels, width, height, ExtendedColorType::Rgb8)
        .map_err(|e| Error::Usage(format!("encoding a PNG: {e}")))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn jpeg_and_png_decode_to_their_size() {
        let j = photo_jpeg(96, 64, 90, 1).unwrap();
        let img = image::load_from_memory_with_format(&j, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((img.width(), img.height()), (96, 64));
        let p = picture_png(80, 40, 1).unwrap();
        let img = image::load_from_memory_with_format(&p, image::ImageFormat::Png).unwrap();
        assert_eq!((img.width(), img.height()), (80, 40));
        assert_eq!(img.to_rgb8().into_raw(), photo_pixels(80, 40, 2, 1));
    }

    #[test]
    fn same_seed_same_bytes_and_noise_costs_bytes() {
        assert_eq!(
            photo_jpeg(64, 48, 90, 7).unwrap(),
            photo_jpeg(64, 48, 90, 7).unwrap()
        );
        assert_ne!(photo_pixels(64, 48, 12, 7), photo_pixels(64, 48, 12, 8));
        // Noise is what makes the JPEG photo-sized: the same gradients without it are smaller.
        let encode = |noise| {
            let mut buf = Vec::new();
            JpegEncoder::new_with_quality(&mut buf, 90)
                .write_image(
                    &photo_pixels(256, 192, noise, 7),
                    256,
                    192,
                    ExtendedColorType::Rgb8,
                )
                .unwrap();
            buf.len()
        };
        assert!(
            encode(12) > 2 * encode(0),
            "{} vs {}",
            encode(12),
            encode(0)
        );
    }

    #[test]
    fn kinds_parse_and_print() {
        for k in Kind::ALL {
            assert_eq!(k.to_string().parse::<Kind>().unwrap(), k);
        }
        assert!("gif".parse::<Kind>().unwrap_err().is_usage());
        assert_eq!(Kind::Jpeg12mp.dimensions(), (4000, 3000));
    }
}
