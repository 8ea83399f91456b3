//! `multipart/form-data` request bodies (RFC 7578) with a fixed boundary, for media uploads.
//!
//! The body is built in memory once and sent as one buffer, so an upload's timing does not
//! include building it. A part whose bytes contain the boundary is refused rather than sent
//! broken.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{Error, Result};

/// The boundary used unless another is given: long and unlikely in image data.
pub const BOUNDARY: &str = "woolly-loadgen-7f3a9c1e5b2d4086a1c3e5f7092b4d6f";

/// A `multipart/form-data` body being built.
#[derive(Debug, Clone)]
pub struct FormBody {
    boundary: String,
    buf: BytesMut,
}

impl Default for FormBody {
    fn default() -> Self {
        FormBody::new(BOUNDARY)
    }
}

impl FormBody {
    /// An empty body with `boundary` (1–70 characters of letters, digits, `-`, `_`, `.`).
    pub fn new(boundary: &str) -> FormBody {
        FormBody {
            boundary: boundary.to_owned(),
            buf: BytesMut::new(),
        }
    }

    /// The `Content-Type` header value naming the boundary.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// Adds a text field.
    pub fn text(&mut self, name: &str, value: &str) -> Result<&mut FormBody> {
        self.check(name, value.as_bytes())?;
        self.head();
        self.buf.put_slice(
            format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
        );
        self.buf.put_slice(value.as_bytes());
        self.buf.put_slice(b"\r\n");
        Ok(self)
    }

    /// Adds a file field.
    pub fn file(
        &mut self,
        name: &str,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<&mut FormBody> {
        self.check(name, bytes)?;
        if !header_safe(filename) || !header_safe(content_type) {
            return Err(Error::Usage(format!(
                "multipart: unusable file name or type {filename:?} {content_type:?}"
            )));
        }
        self.head();
        self.buf.put_slice(
            format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                 Content-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        self.buf.put_slice(bytes);
        self.buf.put_slice(b"\r\n");
        Ok(self)
    }

    /// The finished body (closing delimiter appended).
    pub fn finish(mut self) -> Bytes {
        self.buf
            .put_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        self.buf.freeze()
    }

    fn head(&mut self) {
        self.buf
            .put_slice(format!("--{}\r\n", self.boundary).as_bytes());
    }

    fn check(&self, name: &str, value: &[u8]) -> Result<()> {
        if !header_safe(name) {
            return Err(Error::Usage(format!(
                "multipart: unusable field name {name:?}"
            )));
        }
        let b = self.boundary.as_bytes();
        if b.is_empty() || value.windows(b.len()).any(|w| w == b) {
            return Err(Error::Usage(format!(
                "multipart: field {name:?} contains the boundary"
            )));
        }
        Ok(())
    }
}

/// Whether `s` can stand between the quotes of a header parameter as it is.
fn header_safe(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Parses `body` with `multer` (the parser the server uses) into (name, file name, type,
    /// bytes) per part.
    async fn parse(
        body: Bytes,
        content_type: &str,
    ) -> Vec<(String, Option<String>, Option<String>, Vec<u8>)> {
        let boundary = multer::parse_boundary(content_type).unwrap();
        let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
        let mut m = multer::Multipart::new(stream, boundary);
        let mut out = Vec::new();
        while let Some(f) = m.next_field().await.unwrap() {
            let name = f.name().unwrap().to_owned();
            let file = f.file_name().map(str::to_owned);
            let ty = f.content_type().map(|m| m.to_string());
            out.push((name, file, ty, f.bytes().await.unwrap().to_vec()));
        }
        out
    }

    #[tokio::test]
    async fn parses_back_with_multer() {
        // Binary data with CR LF and dashes in it, as in image files.
        let data: Vec<u8> = (0..5000u32)
            .map(|i| (i * 7 % 256) as u8)
            .chain(*b"\r\n--x\r\n")
            .collect();
        let mut f = FormBody::default();
        f.file("file", "photo.jpg", "image/jpeg", &data)
            .unwrap()
            .text("description", "a gradient, with noise")
            .unwrap()
            .text("focus", "0.0,-0.5")
            .unwrap();
        let ct = f.content_type();
        let parts = parse(f.finish(), &ct).await;
        assert_eq!(parts.len(), 3);
        assert_eq!(
            parts[0],
            (
                "file".to_owned(),
                Some("photo.jpg".to_owned()),
                Some("image/jpeg".to_owned()),
                data
            )
        );
        assert_eq!(parts[1].0, "description");
        assert_eq!(parts[1].1, None);
        assert_eq!(parts[1].3, b"a gradient, with noise");
        assert_eq!(parts[2].3, b"0.0,-0.5");
    }

    #[test]
    fn refuses_a_part_containing_the_boundary_or_a_bad_name() {
        let mut f = FormBody::new("abc");
        let e = f
            .file("file", "x.png", "image/png", b"12abc34")
            .unwrap_err();
        assert!(e.is_usage(), "{e}");
        assert!(f.text("na\"me", "v").unwrap_err().is_usage());
        assert!(f
            .file("file", "x\r\n.png", "image/png", b"1")
            .unwrap_err()
            .is_usage());
        // Nothing was written by the refused parts.
        assert_eq!(&f.finish()[..], b"--abc--\r\n");
    }
}
