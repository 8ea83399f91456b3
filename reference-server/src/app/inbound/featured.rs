//! `Add` and `Remove` of a remote account's pinned statuses (its `featured` collection).

use activitypub_core::engine::InboxActivity;
use activitypub_core::AnyObject;

use crate::app::model::Account;
use crate::app::App;
use crate::error::Error;

impl App {
    /// An `Add` (`add`) or `Remove` aimed at a `featured` collection.
    pub(super) async fn on_featured(
        &self,
        a: &InboxActivity,
        actor: &Account,
        object_id: Option<String>,
        add: bool,
    ) -> Result<(), Error> {
        let target = a
            .activity
            .target
            .as_ref()
            .and_then(|t| t.iter().next())
            .and_then(|r| r.id())
            .map(str::to_owned);
        let embedded = match &a.object {
            Some(AnyObject::Object(o)) => Some(o),
            _ => None,
        };
        self.apply_featured(
            actor,
            target.as_deref(),
            object_id.as_deref(),
            embedded,
            add,
        )
        .await?;
        Ok(())
    }
}
