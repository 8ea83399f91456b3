//! Roles of local accounts (owner, admin, moderator, user) and what each may do, as
//! Mastodon's default roles (`config/roles.yml`) and its `UserRole` permission flags.
//!
//! A role is kept with the account ([`Account::role`](super::Account::role)); accounts stored
//! before roles existed read as [`Role::User`]. Admin scopes (`admin:read`, `admin:write` and
//! their sub-scopes) are issued only to accounts whose role is a staff role
//! ([`Role::may_hold_admin_scopes`]), and every admin endpoint checks the role's permission
//! flag again at each request, so that a token outlives no demotion.

use serde::{Deserialize, Serialize};

use super::App;
use crate::error::Error;

/// Mastodon's `UserRole::FLAGS`: one bit per permission.
pub mod flags {
    /// Every permission (the owner's `administrator` flag).
    pub const ADMINISTRATOR: u64 = 1 << 0;
    /// Sidekiq and PgHero.
    pub const VIEW_DEVOPS: u64 = 1 << 1;
    /// The audit log.
    pub const VIEW_AUDIT_LOG: u64 = 1 << 2;
    /// The dashboard.
    pub const VIEW_DASHBOARD: u64 = 1 << 3;
    /// Reports.
    pub const MANAGE_REPORTS: u64 = 1 << 4;
    /// Domain blocks and allows.
    pub const MANAGE_FEDERATION: u64 = 1 << 5;
    /// Server settings.
    pub const MANAGE_SETTINGS: u64 = 1 << 6;
    /// E-mail and IP blocks.
    pub const MANAGE_BLOCKS: u64 = 1 << 7;
    /// Trends and hashtags.
    pub const MANAGE_TAXONOMIES: u64 = 1 << 8;
    /// Appeals.
    pub const MANAGE_APPEALS: u64 = 1 << 9;
    /// Accounts: see them, moderate them (limit, suspend …).
    pub const MANAGE_USERS: u64 = 1 << 10;
    /// Invite links.
    pub const MANAGE_INVITES: u64 = 1 << 11;
    /// Server rules.
    pub const MANAGE_RULES: u64 = 1 << 12;
    /// Announcements.
    pub const MANAGE_ANNOUNCEMENTS: u64 = 1 << 13;
    /// Custom emoji.
    pub const MANAGE_CUSTOM_EMOJIS: u64 = 1 << 14;
    /// Webhooks.
    pub const MANAGE_WEBHOOKS: u64 = 1 << 15;
    /// Inviting people.
    pub const INVITE_USERS: u64 = 1 << 16;
    /// Roles below one's own.
    pub const MANAGE_ROLES: u64 = 1 << 17;
    /// Other users' two-factor settings, e-mail and password.
    pub const MANAGE_USER_ACCESS: u64 = 1 << 18;
    /// Deleting the data of suspended accounts.
    pub const DELETE_USER_DATA: u64 = 1 << 19;
    /// Other users' feeds.
    pub const VIEW_FEEDS: u64 = 1 << 20;
    /// Every flag.
    pub const ALL: u64 = (1 << 21) - 1;
}

/// The role of a local account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// No role (Mastodon's `@everyone`).
    #[default]
    User,
    /// Mastodon's default `Moderator` (position 10).
    Moderator,
    /// Mastodon's default `Admin` (position 100).
    Admin,
    /// Mastodon's default `Owner` (position 1000): every permission.
    Owner,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 4] = [Role::User, Role::Moderator, Role::Admin, Role::Owner];

    /// Parses `user`, `moderator`, `admin` or `owner` (any case).
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }
    /// Its name on the command line and in records.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
    /// Mastodon's id of the role: `-99` for `@everyone`, then the ids its seeds give the
    /// default roles in `roles.yml` order.
    pub fn id(self) -> &'static str {
        match self {
            Role::User => "-99",
            Role::Moderator => "1",
            Role::Admin => "2",
            Role::Owner => "3",
        }
    }
    /// Its display name (empty for `@everyone`).
    pub fn name(self) -> &'static str {
        match self {
            Role::User => "",
            Role::Moderator => "Moderator",
            Role::Admin => "Admin",
            Role::Owner => "Owner",
        }
    }
    /// Whether it is shown on profiles (Mastodon seeds its staff roles highlighted).
    pub fn highlighted(self) -> bool {
        self != Role::User
    }
    /// The permissions it was given (`roles.yml`), before `@everyone`'s are added.
    fn own_permissions(self) -> u64 {
        use flags::*;
        match self {
            Role::User => INVITE_USERS,
            Role::Moderator => {
                INVITE_USERS
                    | VIEW_DASHBOARD
                    | VIEW_AUDIT_LOG
                    | VIEW_FEEDS
                    | MANAGE_USERS
                    | MANAGE_REPORTS
                    | MANAGE_TAXONOMIES
            }
            Role::Admin => {
                INVITE_USERS
                    | VIEW_DASHBOARD
                    | VIEW_AUDIT_LOG
                    | VIEW_FEEDS
                    | MANAGE_USERS
                    | MANAGE_USER_ACCESS
                    | DELETE_USER_DATA
                    | MANAGE_REPORTS
                    | MANAGE_TAXONOMIES
                    | MANAGE_FEDERATION
                    | MANAGE_SETTINGS
                    | MANAGE_BLOCKS
                    | MANAGE_APPEALS
                    | MANAGE_RULES
                    | MANAGE_INVITES
                    | MANAGE_ANNOUNCEMENTS
                    | MANAGE_CUSTOM_EMOJIS
                    | MANAGE_WEBHOOKS
                    | MANAGE_ROLES
            }
            Role::Owner => ADMINISTRATOR,
        }
    }
    /// Mastodon's `computed_permissions`: every flag for `administrator`, else its own with
    /// `@everyone`'s.
    pub fn permissions(self) -> u64 {
        let own = self.own_permissions() | Role::User.own_permissions();
        if own & flags::ADMINISTRATOR != 0 {
            flags::ALL
        } else {
            own
        }
    }
    /// Whether it has permission `flag` (one of [`flags`]).
    pub fn can(self, flag: u64) -> bool {
        self.permissions() & flag == flag
    }
    /// Whether it ranks above `other` (Mastodon's `overrides?`: by position).
    pub fn overrides(self, other: Role) -> bool {
        self > other
    }
    /// Whether a token of an account with this role may carry admin scopes: staff roles
    /// (those with any moderation permission).
    pub fn may_hold_admin_scopes(self) -> bool {
        self != Role::User
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a space-separated scope list holds an admin scope.
pub fn has_admin_scope(scopes: &str) -> bool {
    scopes.split_whitespace().any(|s| s.starts_with("admin:"))
}

impl App {
    /// Gives local account `account_id` role `role`.
    pub async fn set_role(&self, account_id: u64, role: Role) -> Result<super::Account, Error> {
        let mut a = self.account(account_id).await?;
        if !a.is_local() {
            return Err(Error::Unprocessable(format!(
                "{} is not a local account: only local accounts have roles",
                a.acct()
            )));
        }
        a.role = role;
        let batch = fedi_storage::WriteBatch::new().kv_put(
            super::model::ns::ACCOUNTS,
            a.id.to_string(),
            serde_json::to_vec(&a)?,
        );
        let batch = super::moderation::staff::staff_list_change(batch, a.id, role);
        self.store().apply(&batch).await?;
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_mastodons() {
        assert_eq!(Role::User.permissions(), 65_536);
        assert_eq!(Role::Owner.permissions(), flags::ALL);
        assert!(Role::Moderator.can(flags::MANAGE_USERS));
        assert!(Role::Moderator.can(flags::MANAGE_REPORTS));
        assert!(!Role::Moderator.can(flags::DELETE_USER_DATA));
        assert!(!Role::Moderator.can(flags::MANAGE_ROLES));
        assert!(Role::Admin.can(flags::DELETE_USER_DATA));
        assert!(!Role::Admin.can(flags::ADMINISTRATOR));
        assert!(Role::Owner.overrides(Role::Admin) && !Role::Moderator.overrides(Role::Moderator));
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }
}
