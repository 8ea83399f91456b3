//! Mastodon's `MediaAttachment`.

use serde::Serialize;
use serde_json::Value;

use crate::app::{App, MediaAttachment as Record, MediaState};

/// Mastodon's `MediaAttachment`. `url` is `null` while it is processed; a remote attachment
/// not cached here shows its remote URLs.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MediaAttachment {
    /// Id.
    pub id: String,
    /// `image`, `gifv`, `video`, `audio` or `unknown`.
    #[serde(rename = "type")]
    pub kind: crate::media::MediaKind,
    /// The file (`null` while processing).
    pub url: Option<String>,
    /// The preview (`null` if there is none).
    pub preview_url: Option<String>,
    /// For remote media: the original on its server.
    pub remote_url: Option<String>,
    /// For remote media: the preview on its server.
    pub preview_remote_url: Option<String>,
    /// Deprecated short URL: none.
    pub text_url: Option<String>,
    /// `original`, `small` and `focus`.
    pub meta: Value,
    /// Alt text.
    pub description: Option<String>,
    /// Blurhash of the preview.
    pub blurhash: Option<String>,
}

impl MediaAttachment {
    /// The entity of `m`.
    pub(crate) fn new(app: &App, m: &Record) -> MediaAttachment {
        let ready = m.state == MediaState::Ready;
        let url = m
            .file
            .as_ref()
            .filter(|_| ready)
            .map(|f| app.media_url(&f.key))
            .or_else(|| m.remote_url.clone());
        let preview_url = m
            .preview
            .as_ref()
            .filter(|_| ready)
            .map(|f| app.media_url(&f.key))
            .or_else(|| m.preview_remote_url.clone())
            .or_else(|| {
                url.clone()
                    .filter(|_| m.kind == crate::media::MediaKind::Image)
            });
        MediaAttachment {
            id: m.id.to_string(),
            kind: m.kind,
            url,
            preview_url,
            remote_url: m.remote_url.clone(),
            preview_remote_url: m.preview_remote_url.clone(),
            text_url: None,
            meta: if m.meta.is_object() {
                m.meta.clone()
            } else {
                Value::Object(serde_json::Map::new())
            },
            description: m.description.clone(),
            blurhash: m.blurhash.clone(),
        }
    }
}
