//! `Announce` (a boost) of a post.

use activitypub_core::engine::InboxActivity;
use activitypub_core::AnyObject;

use crate::app::model::{Account, StatusVisibility};
use crate::app::App;
use crate::error::Error;

impl App {
    /// An `Announce`: the boosted post is stored (fetched when needed), then the boost.
    pub(super) async fn on_announce(
        &self,
        a: &InboxActivity,
        actor: &Account,
    ) -> Result<(), Error> {
        let Some(AnyObject::Object(o)) = &a.object else {
            return Ok(());
        };
        let Some(original) = self.ingest_remote_status(o, None).await? else {
            return Ok(());
        };
        if !original.visibility.is_boostable() {
            return Ok(());
        }
        let announce_uri = a
            .activity
            .id
            .as_ref()
            .map(|i| i.as_str().to_owned())
            .unwrap_or_default();
        if self.status_by_uri(&announce_uri).await?.is_some() {
            return Ok(());
        }
        let now = self.now_ms();
        let published = a
            .activity
            .published
            .as_ref()
            .and_then(|p| p.to_datetime())
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000).max(0) as u64)
            .unwrap_or(now);
        let id = self.inner.ids.at(published, now);
        let visibility = StatusVisibility::from_ap(activitypub_core::Visibility::of_object(
            &a.activity,
            actor.followers_url.as_deref(),
        ));
        self.record_reblog(
            actor,
            &original,
            id,
            announce_uri,
            published.min(now),
            visibility,
        )
        .await?;
        Ok(())
    }
}
