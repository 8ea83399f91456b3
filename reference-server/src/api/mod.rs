//! The Mastodon client API and OAuth (being written).

use bytes::Bytes;

use crate::app::App;

/// Answers a request under `/api/`, `/oauth/` or `/.well-known/oauth-authorization-server`
/// (the body already collected); `None` if the path is not the API's.
pub async fn handle(app: &App, request: &http::Request<Bytes>) -> Option<http::Response<Bytes>> {
    let _ = (app, request);
    None
}

/// Creates a bearer token for local account `account_id` with `scopes` (space-separated),
/// for `woolly token create`; returns the token.
pub async fn create_token(app: &App, account_id: u64, scopes: &str) -> Result<String, crate::Error> {
    let _ = (app, account_id, scopes);
    Err(crate::Error::Config("the client API is not built yet".into()))
}
