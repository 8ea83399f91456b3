//! `multipart/form-data` bodies, read with `multer` from a stream of chunks within size
//! limits: text fields for the parameters, file parts (name, file name, content type, bytes)
//! for uploads.

use bytes::{Bytes, BytesMut};
use futures::Stream;
use http::StatusCode;

use super::responses::ApiError;

/// Size limits for one multipart body. Passing one answers `413`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// The whole body, in bytes.
    pub(crate) body: u64,
    /// One text field, in bytes.
    pub(crate) text_field: u64,
    /// One file part, in bytes.
    pub(crate) file: u64,
    /// The number of parts.
    pub(crate) parts: usize,
}

impl Limits {
    /// The client API's limits: 16 MiB for the body and for a file (the server's body limit
    /// for the API, and Mastodon's limit for an image), 1 MiB for a text field, 1,000 parts.
    pub(crate) const API: Limits = Limits {
        body: 16 << 20,
        text_field: 1 << 20,
        file: 16 << 20,
        parts: 1000,
    };
}

/// A file part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilePart {
    /// The field name.
    pub(crate) name: String,
    /// The file name the client gave (not empty).
    pub(crate) filename: String,
    /// The part's `Content-Type`, if it had one.
    pub(crate) content_type: Option<String>,
    /// The file's bytes.
    pub(crate) bytes: Bytes,
}

/// A multipart body, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Form {
    /// The text fields, in order (name, value; invalid UTF-8 replaced).
    pub(crate) text: Vec<(String, String)>,
    /// The file parts, in order. A part with an empty file name (a form's empty file input)
    /// is left out.
    pub(crate) files: Vec<FilePart>,
}

/// The boundary of a `multipart/form-data` content type (`400` without a valid one).
pub(crate) fn boundary(content_type: &str) -> Result<String, ApiError> {
    multer::parse_boundary(content_type)
        .ok()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| ApiError::bad_request("multipart body without a boundary"))
}

fn too_large(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("{what} is too large"),
    )
}

fn multer_error(e: multer::Error) -> ApiError {
    match e {
        multer::Error::FieldSizeExceeded { .. } => too_large("a multipart field"),
        multer::Error::StreamSizeExceeded { .. } => too_large("the multipart body"),
        other => ApiError::bad_request(format!("invalid multipart body: {other}")),
    }
}

/// A multipart reader of `body` within `limits`' body and field sizes.
fn open<'r, S, E>(body: S, boundary: &str, limits: &Limits) -> multer::Multipart<'r>
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'r,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'r,
{
    let sizes = multer::SizeLimit::new()
        .whole_stream(limits.body)
        .per_field(limits.file.max(limits.text_field));
    let constraints = multer::Constraints::new().size_limit(sizes);
    multer::Multipart::with_constraints(body, boundary, constraints)
}

/// The next part, counted in `count`: `413` past `limits.parts` parts.
async fn next_part<'r>(
    parts: &mut multer::Multipart<'r>,
    count: &mut usize,
    limits: &Limits,
) -> Result<Option<multer::Field<'r>>, ApiError> {
    let Some(field) = parts.next_field().await.map_err(multer_error)? else {
        return Ok(None);
    };
    *count += 1;
    if *count > limits.parts {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the multipart body has too many parts",
        ));
    }
    Ok(Some(field))
}

/// Reads a multipart body with `boundary` from a stream of chunks as [`read`] does, but writes
/// each file part into an upload of `app`'s work directory as it arrives (at most
/// `limits.file` bytes each: `413` past it) instead of keeping it in memory. Returns the text
/// fields and the uploads by field name; on an error every upload written so far is deleted.
pub(crate) async fn read_to_uploads<'r, S, E>(
    app: &crate::app::App,
    body: S,
    boundary: &str,
    limits: Limits,
) -> Result<(Vec<(String, String)>, Vec<(String, crate::app::Upload)>), ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'r,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'r,
{
    let mut parts = open(body, boundary, &limits);
    let mut text = Vec::new();
    let mut uploads = Vec::new();
    let mut count = 0usize;
    while let Some(mut field) = next_part(&mut parts, &mut count, &limits).await? {
        let name = field.name().map(str::to_owned);
        match field.file_name().map(str::to_owned) {
            Some(filename) => {
                let mut upload = app.new_upload()?;
                while let Some(chunk) = field.chunk().await.map_err(multer_error)? {
                    upload.write_chunk(&chunk, limits.file)?;
                }
                if let (Some(name), false) = (name, filename.is_empty()) {
                    uploads.push((name, upload));
                }
            }
            None => {
                let mut data = BytesMut::new();
                while let Some(chunk) = field.chunk().await.map_err(multer_error)? {
                    if (data.len() + chunk.len()) as u64 > limits.text_field {
                        return Err(too_large("a text field"));
                    }
                    data.extend_from_slice(&chunk);
                }
                if let Some(name) = name {
                    text.push((name, String::from_utf8_lossy(&data).into_owned()));
                }
            }
        }
    }
    Ok((text, uploads))
}

/// Reads a multipart body with `boundary` from a stream of chunks, within `limits`: `413`
/// once a limit is passed (without reading further), `400` for a malformed body or a failed
/// stream. Parts without a name are skipped.
pub(crate) async fn read<'r, S, E>(
    body: S,
    boundary: &str,
    limits: Limits,
) -> Result<Form, ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'r,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'r,
{
    let mut parts = open(body, boundary, &limits);
    let mut form = Form::default();
    let mut count = 0usize;
    while let Some(mut field) = next_part(&mut parts, &mut count, &limits).await? {
        let name = field.name().map(str::to_owned);
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(ToString::to_string);
        let (limit, what) = match filename {
            Some(_) => (limits.file, "a file"),
            None => (limits.text_field, "a text field"),
        };
        let mut data = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(multer_error)? {
            if (data.len() + chunk.len()) as u64 > limit {
                return Err(too_large(what));
            }
            data.extend_from_slice(&chunk);
        }
        let Some(name) = name else { continue };
        match filename {
            Some(filename) if filename.is_empty() => {}
            Some(filename) => form.files.push(FilePart {
                name,
                filename,
                content_type,
                bytes: data.freeze(),
            }),
            None => form
                .text
                .push((name, String::from_utf8_lossy(&data).into_owned())),
        }
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn one_chunk(body: &[u8]) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
        futures::stream::iter([Ok(Bytes::copy_from_slice(body))])
    }

    const LIMITS: Limits = Limits {
        body: 400,
        text_field: 10,
        file: 100,
        parts: 3,
    };

    #[tokio::test]
    async fn text_and_file_parts_are_read() {
        let body = b"--b0undary\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\na sheep\r\n\
--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"sheep.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n\
--b0undary\r\nContent-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n\r\n\r\n--b0undary--\r\n";
        let form = read(one_chunk(body), "b0undary", Limits::API)
            .await
            .unwrap();
        assert_eq!(
            form.text,
            [("description".to_owned(), "a sheep".to_owned())]
        );
        assert_eq!(
            form.files,
            [FilePart {
                name: "file".into(),
                filename: "sheep.png".into(),
                content_type: Some("image/png".into()),
                bytes: Bytes::from_static(b"\x89PNG\r\n\x1a\n"),
            }]
        );
    }

    #[tokio::test]
    async fn chunks_split_anywhere_give_the_same_form() {
        let body: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\ntwo\r\n--XyZ--\r\n";
        for size in [1, 2, 7, 64] {
            let chunks: Vec<Result<Bytes, std::io::Error>> = body
                .chunks(size)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect();
            let form = read(futures::stream::iter(chunks), "XyZ", LIMITS)
                .await
                .unwrap();
            assert_eq!(
                form.text,
                [("a".into(), "one".into()), ("b".into(), "two".into())],
                "chunks of {size}"
            );
        }
    }

    #[tokio::test]
    async fn limits_answer_413() {
        // A text field over its limit (a file of that size would do).
        let text = b"--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n0123456789ab\r\n--b--\r\n";
        let e = read(one_chunk(text), "b", LIMITS).await.unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        let file = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n0123456789ab\r\n--b--\r\n";
        let form = read(one_chunk(file), "b", LIMITS).await.unwrap();
        assert_eq!(form.files[0].bytes.len(), 12);
        // A file over its limit.
        let mut big =
            b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n".to_vec();
        big.extend([b'x'; 101]);
        big.extend(b"\r\n--b--\r\n");
        let e = read(one_chunk(&big), "b", LIMITS).await.unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        // The whole body over its limit.
        let e = read(one_chunk(&[b'-'; 401]), "b", LIMITS)
            .await
            .unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        // Too many parts.
        let many = b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n3\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n4\r\n--b--\r\n";
        let e = read(one_chunk(many), "b", LIMITS).await.unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn malformed_bodies_answer_400() {
        for body in [
            // Another boundary than the header's.
            &b"--other\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--other--\r\n"[..],
            // Cut before the closing boundary.
            b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1",
            // Headers never ended.
            b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n",
            // Not multipart at all.
            b"a=1&b=2",
        ] {
            let e = read(one_chunk(body), "b", LIMITS).await.unwrap_err();
            assert_eq!(
                e.status,
                StatusCode::BAD_REQUEST,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        // A stream that fails.
        let failing = futures::stream::iter([
            Ok(Bytes::from_static(b"--b\r\n")),
            Err(std::io::Error::other("reset")),
        ]);
        let e = read(failing, "b", LIMITS).await.unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn boundaries_come_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=XyZ").unwrap(),
            "XyZ"
        );
        assert_eq!(
            boundary("Multipart/Form-Data; boundary=\"a b\"").unwrap(),
            "a b"
        );
        for bad in [
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/mixed; boundary=x",
            "text/plain",
        ] {
            assert_eq!(
                boundary(bad).unwrap_err().status,
                StatusCode::BAD_REQUEST,
                "{bad}"
            );
        }
    }
}
