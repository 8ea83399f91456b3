//! Who is notified of reports: local accounts whose role may manage reports (Mastodon's
//! `manage_reports` permission: moderators, admins and the owner).
//!
//! [`App::set_role`] keeps the list of local accounts with a staff role (`accounts:staff`,
//! ids keyed by id) in the same batch as the account record; [`App::staff_accounts`] reads
//! it and keeps those whose role, read with the account, still has the permission.

use fedi_storage::{CollectionStoreExt, WriteBatch};

use crate::app::model::{Notification, NotificationType};
use crate::app::notification_groups::lock_account;
use crate::app::roles::{flags, Role};
use crate::app::{Account, App, Event};
use crate::error::Error;

use super::reports::Report;

/// Local accounts with a staff role (ids keyed by id).
const STAFF_LIST: &str = "accounts:staff";

/// Adds `account_id` to, or removes it from, the list of staff accounts in `batch`, as its
/// new role makes it staff or not.
pub(crate) fn staff_list_change(batch: WriteBatch, account_id: u64, role: Role) -> WriteBatch {
    if role == Role::User {
        batch.remove(STAFF_LIST, account_id.to_string())
    } else {
        batch.insert(STAFF_LIST, account_id, account_id.to_string())
    }
}

impl App {
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
            .filter(|a| a.is_local() && !a.deleted && a.role.can(flags::MANAGE_REPORTS))
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
