//! Read markers (Mastodon's `Marker`): where a local account stopped reading its home
//! timeline and its notifications, shared between its apps, and the unread notifications
//! counted from there.

use fedi_storage::PageRequest;
use serde::{Deserialize, Serialize};

use super::model::{coll, ns};
use super::App;
use crate::error::Error;

/// The timelines a marker is kept for.
pub const MARKER_TIMELINES: [&str; 2] = ["home", "notifications"];

impl App {
    /// `account_id`'s markers of `timelines` (those it has; unknown names are left out), in
    /// the order asked.
    pub async fn markers(
        &self,
        account_id: u64,
        timelines: &[String],
    ) -> Result<Vec<(String, Marker)>, Error> {
        let names: Vec<String> = timelines
            .iter()
            .filter(|t| MARKER_TIMELINES.contains(&t.as_str()))
            .cloned()
            .collect();
        let keys: Vec<String> = names.iter().map(|t| format!("{account_id}:{t}")).collect();
        let found = self.get_many::<Marker>(ns::MARKERS, &keys).await?;
        Ok(names
            .into_iter()
            .zip(found)
            .filter_map(|(t, m)| Some((t, m?)))
            .collect())
    }

    /// Moves `account_id`'s marker of `timeline` (`home` or `notifications`) to
    /// `last_read_id`. The version goes up by one when the marker moves (a new marker starts
    /// at 0, and setting the same id again changes nothing), as Rails' lock version does on
    /// Mastodon.
    pub async fn set_marker(
        &self,
        account_id: u64,
        timeline: &str,
        last_read_id: u64,
    ) -> Result<Marker, Error> {
        if !MARKER_TIMELINES.contains(&timeline) {
            return Err(Error::Unprocessable(format!(
                "Validation failed: Timeline {timeline:?} is not one of home, notifications"
            )));
        }
        let key = format!("{account_id}:{timeline}");
        let now = self.now_ms();
        let marker = match self.get::<Marker>(ns::MARKERS, &key).await? {
            Some(m) if m.last_read_id == last_read_id => return Ok(m),
            Some(m) => Marker {
                last_read_id,
                version: m.version + 1,
                updated_at: now,
            },
            None => Marker {
                last_read_id,
                version: 0,
                updated_at: now,
            },
        };
        self.put(ns::MARKERS, &key, &marker).await?;
        Ok(marker)
    }

    /// How many of `account_id`'s notifications are newer than its `notifications` marker
    /// (all of them without one), counting at most `limit`: one store call beside the
    /// marker's.
    pub async fn unread_notifications(&self, account_id: u64, limit: usize) -> Result<u64, Error> {
        let marker = self
            .get::<Marker>(ns::MARKERS, &format!("{account_id}:notifications"))
            .await?;
        let list = coll::notifications(account_id);
        let Some(m) = marker else {
            let n = self.store().count(&list).await?;
            return Ok(n.min(limit as u64));
        };
        let mut req = PageRequest::newest(limit);
        req.since_id = Some(m.last_read_id);
        let page = self.store().page(&list, &req).await?;
        Ok(page.items.len() as u64)
    }
}

/// A read marker (Mastodon's `Marker`) of one timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// The id of the last status or notification read.
    pub last_read_id: u64,
    /// Incremented each time the marker moves (starts at 0).
    pub version: u64,
    /// Last updated (ms).
    pub updated_at: u64,
}
