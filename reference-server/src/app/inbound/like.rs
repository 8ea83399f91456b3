//! `Like` (a favourite) of a local or known post.

use activitypub_core::engine::InboxActivity;

use crate::app::model::Account;
use crate::app::App;
use crate::error::Error;

impl App {
    /// A `Like` of a known status.
    pub(super) async fn on_like(
        &self,
        a: &InboxActivity,
        actor: &Account,
        object_id: Option<String>,
    ) -> Result<(), Error> {
        let Some(uri) = object_id else { return Ok(()) };
        if let Some(s) = self.status_by_uri(&uri).await? {
            let like_uri = a.activity.id.as_ref().map(|i| i.as_str().to_owned());
            self.record_favourite(actor.id, &s, like_uri).await?;
        }
        Ok(())
    }
}
