//! Opens the media store the configuration names: files under `<data_dir>/media`, or an
//! S3-compatible bucket (`media_backend = "s3"`).

use std::sync::Arc;

use fedi_storage::media::fs::FsMediaStore;
use fedi_storage::media::s3::{S3Config, S3MediaStore};
use fedi_storage::media::MediaStore;

use crate::config::{Config, MediaBackend};
use crate::Error;

/// The directory of the filesystem media backend, below the data directory.
pub const MEDIA_DIR: &str = "media";

/// Opens the configured media store. With S3, one listing request checks the bucket and the
/// credentials first, so a wrong setting fails at startup rather than at the first upload
/// (as [`Error::Storage`]: `is_access_denied()` for refused credentials).
pub async fn open_media_store(config: &Config) -> Result<Arc<dyn MediaStore>, Error> {
    match config.media_backend {
        MediaBackend::Fs => {
            let store = FsMediaStore::open(config.data_dir.join(MEDIA_DIR)).await?;
            Ok(Arc::new(store))
        }
        MediaBackend::S3 => Ok(Arc::new(S3MediaStore::open(s3_config(config)?).await?)),
    }
}

/// The S3 backend's settings from the configuration.
fn s3_config(config: &Config) -> Result<S3Config, Error> {
    if config.s3_bucket.is_empty() {
        return Err(Error::Config(
            "s3_bucket is required with media_backend = \"s3\"".into(),
        ));
    }
    let mut s3 = S3Config::new(
        config.s3_bucket.clone(),
        config.s3_region.clone(),
        config.s3_access_key_id.clone(),
        config.s3_secret_access_key.0.clone(),
    );
    s3.endpoint = config.s3_endpoint.clone();
    s3.allow_http = config.s3_allow_http;
    s3.public_url = config.s3_public_url.clone();
    s3.prefix = config.s3_prefix.clone();
    Ok(s3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[tokio::test]
    async fn the_default_is_files_under_the_data_dir() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let store = open_media_store(&config).await.expect("opens");
        assert!(dir.path().join(MEDIA_DIR).is_dir());
        let key = fedi_storage::media::MediaKey::new("a/b.png").expect("key");
        let body = futures::stream::iter([Ok(bytes::Bytes::from_static(b"png"))]);
        store.put(&key, Box::pin(body), 10).await.expect("put");
        assert_eq!(
            std::fs::read(dir.path().join("media/a/b.png")).expect("file"),
            b"png"
        );
        assert_eq!(store.url_for(&key), None);
    }

    #[tokio::test]
    async fn s3_settings_reach_the_backend() {
        let mut config = Config {
            media_backend: MediaBackend::S3,
            s3_bucket: "media".into(),
            s3_access_key_id: "AK".into(),
            s3_secret_access_key: Secret("SK".into()),
            s3_endpoint: Some("https://s3.example".into()),
            s3_public_url: Some("https://files.example/".into()),
            s3_prefix: Some("woolly".into()),
            ..Config::default()
        };
        let s3 = s3_config(&config).expect("complete");
        assert_eq!(s3.bucket, "media");
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(s3.secret_access_key, "SK");
        assert_eq!(s3.endpoint.as_deref(), Some("https://s3.example"));
        assert!(!s3.allow_http);
        let store = S3MediaStore::new(s3).expect("valid");
        let key = fedi_storage::media::MediaKey::new("a/b.png").expect("key");
        assert_eq!(
            store.url_for(&key).as_deref(),
            Some("https://files.example/woolly/a/b.png")
        );
        // Refused before any request: a plain-HTTP endpoint not allowed, or no bucket.
        config.s3_endpoint = Some("http://127.0.0.1:9".into());
        let err = open_media_store(&config).await.err().expect("refused");
        assert!(matches!(err, Error::Storage(_)), "{err}");
        config.s3_bucket.clear();
        let err = open_media_store(&config).await.err().expect("refused");
        assert!(matches!(err, Error::Config(_)), "{err}");
    }
}
