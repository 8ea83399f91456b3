//! Media helpers of the client API tests: images encoded at test time by the `image` crate,
//! multipart bodies, uploads, and files fetched through the router.
#![allow(dead_code, clippy::unwrap_used)]

use bytes::Bytes;
use http::{Method, StatusCode};
use image::{DynamicImage, ImageFormat, RgbImage};
use reference_server::http::Router;
use reference_server::App;

use super::{send, Answer, BASE};

/// A PNG of `w` × `h` with a gradient (so it compresses like a picture, not a flat colour).
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// A multipart body: text fields, then file parts `(field, file name, bytes)`.
pub fn multipart(text: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Bytes) {
    let boundary = "w00llyB0undary";
    let mut body = Vec::new();
    for (k, v) in text {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, name, bytes) in files {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary={boundary}"),
        Bytes::from(body),
    )
}

pub async fn send_multipart(
    app: &App,
    method: Method,
    path: &str,
    token: Option<&str>,
    text: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> Answer {
    let (ct, body) = multipart(text, files);
    let mut b = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", ct);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    send(app, b.body(body).unwrap()).await
}

/// Uploads a PNG through v1 with `fields`; returns the answer.
pub async fn upload_v1(app: &App, token: &str, fields: &[(&str, &str)]) -> Answer {
    send_multipart(
        app,
        Method::POST,
        "/api/v1/media",
        Some(token),
        fields,
        &[("file", "picture.png", &png(64, 48))],
    )
    .await
}

/// A ready upload's id.
pub async fn uploaded(app: &App, token: &str) -> String {
    let a = upload_v1(app, token, &[]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body["id"].as_str().unwrap().to_owned()
}

/// A file served by the instance (through the router, as `woolly serve` answers).
pub async fn fetch(app: &App, url: &str) -> http::Response<Bytes> {
    let path = url.strip_prefix(BASE).unwrap_or(url);
    let router = Router::new(app.clone());
    router
        .handle(http::Request::get(path).body(Bytes::new()).unwrap(), None)
        .await
}

pub fn decoded(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}
