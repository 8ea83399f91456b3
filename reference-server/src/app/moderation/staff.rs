//! Who is notified of reports: the seam between reports and roles.
//!
//! Until accounts have roles (owner, admin, moderator), an account counts as staff once it
//! has been given a token that can read reports (`admin:read:reports`, or its parent
//! `admin:read`): [`App::mark_staff`] is called when such a token is issued
//! (`woolly token create NAME --scopes "admin:read admin:write"`, or an OAuth grant with those
//! scopes), and [`App::staff_accounts`] lists the accounts so marked. When roles land,
//! `staff_accounts` becomes "local accounts whose role may manage reports" and the marker
//! goes away; its callers do not change.

use fedi_storage::{CollectionStoreExt, WriteBatch};

use crate::app::model::{Notification, NotificationType};
use crate::app::notification_groups::lock_account;
use crate::app::{Account, App, Event};
use crate::error::Error;

use super::reports::Report;

/// Account id → `1`: accounts given a token that reads reports.
const STAFF: &str = "accounts.staff";
/// The same accounts, as a list (ids keyed by id).
const STAFF_LIST: &str = "accounts:staff";

/// The scope a token must carry for its account to count as staff.
pub const STAFF_SCOPE: &str = "admin:read:reports";

impl App {
    /// Marks local account `account_id` as staff (see the module documentation); doing it
    /// again changes nothing.
    pub async fn mark_staff(&self, account_id: u64) -> Result<(), Error> {
        let key = account_id.to_string();
        if self.get_str(STAFF, &key).await?.is_some() {
            return Ok(());
        }
        let batch = WriteBatch::new()
            .kv_put(STAFF, key.clone(), b"1".to_vec())
            .insert(STAFF_LIST, account_id, key);
        self.store().apply(&batch).await?;
        Ok(())
    }

    /// The local accounts to notify of reports (see the module documentation), oldest
    /// first; accounts that are gone are left out.
    pub async fn staff_accounts(&self) -> Result<Vec<Account>, Error> {
        let ids: Vec<u64> = self
            .store()
            .all_members(STAFF_LIST, 500)
            .await?
            .into_iter()
            .rev()
            .filter_map(|i| i.member.parse().ok())
            .collect();
        Ok(self
            .accounts_by_id(&ids)
            .await?
            .into_iter()
            .flatten()
            .filter(|a| a.is_local() && !a.deleted)
            .collect())
    }

    /// Gives every staff account an `admin.report` notification of `report` (from its
    /// reporter, carrying the report), except the reporter itself.
    pub(super) async fn notify_staff(&self, report: &Report) -> Result<(), Error> {
        for staff in self.staff_accounts().await? {
            if staff.id == report.account_id {
                continue;
            }
            let _guard = lock_account(staff.id).await;
            let now = self.now_ms();
            let n = Notification {
                id: self.inner.ids.next(now),
                kind: NotificationType::AdminReport,
                account_id: staff.id,
                from_account_id: report.account_id,
                status_id: None,
                created_at: now,
                group_key: None,
                filtered: false,
                report_id: Some(report.id),
            };
            self.store_notification(&n).await?;
            self.emit(Event::Notification {
                account_id: staff.id,
                notification_id: n.id,
            });
        }
        Ok(())
    }
}
