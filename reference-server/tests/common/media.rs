//! Media helpers for the multi-process tests: pictures encoded at test time, multipart
//! uploads, and the bytes behind a URL.

use std::io::Cursor;

use serde_json::Value;

/// A PNG of `w`×`h` pixels with a gradient (so that it has a blurhash worth the name).
pub fn png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, seed])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A multipart body of text fields and one file field; returns (content type, body).
pub fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "woolly-test-boundary-7c1e";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (name, filename, bytes) = file;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends a multipart request with the bearer token; the JSON answer (2xx asserted).
pub fn send_multipart(
    method: &str,
    url: &str,
    token: &str,
    fields: &[(&str, &str)],
    file: (&str, &str, &[u8]),
) -> Value {
    let (ct, body) = multipart(fields, file);
    let r = ureq::request(method, url)
        .set("Authorization", &format!("Bearer {token}"))
        .set("Content-Type", &ct)
        .send_bytes(&body);
    match r {
        Ok(r) => serde_json::from_str(&r.into_string().unwrap()).unwrap(),
        Err(ureq::Error::Status(code, r)) => {
            panic!(
                "{method} {url}: {code}: {}",
                r.into_string().unwrap_or_default()
            )
        }
        Err(e) => panic!("{method} {url}: {e}"),
    }
}

/// The bytes at `url` (200 asserted).
pub fn bytes_of(url: &str) -> Vec<u8> {
    let r = ureq::get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut r.into_reader(), &mut out).unwrap();
    out
}

/// Width and height of an encoded picture.
pub fn dimensions(bytes: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory(bytes).unwrap();
    (img.width(), img.height())
}
