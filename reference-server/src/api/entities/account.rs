//! Mastodon's `Account`, and the `CredentialAccount` an account sees of itself (with
//! `source` and `role`).

use serde::Serialize;

use super::CustomEmoji;
use crate::app::activitypub::rfc3339;
use crate::app::model;
use crate::app::render::strip_html;
use crate::app::{AccountCounts, App, Loaded};

/// Mastodon's `Account`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Account {
    /// Id (a string, as Mastodon's).
    pub id: String,
    /// `preferredUsername`.
    pub username: String,
    /// `user` for local accounts, `user@domain` for remote ones.
    pub acct: String,
    /// Display name.
    pub display_name: String,
    /// Follows need approval.
    pub locked: bool,
    /// A bot or an application.
    pub bot: bool,
    /// Listed in directories.
    pub discoverable: bool,
    /// Searchable (as `discoverable`).
    pub indexable: bool,
    /// Never a group.
    pub group: bool,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Bio, HTML.
    pub note: String,
    /// The profile page.
    pub url: String,
    /// The actor IRI.
    pub uri: String,
    /// Avatar URL (Mastodon's placeholder when there is none).
    pub avatar: String,
    /// Avatar URL, not animated (the same).
    pub avatar_static: String,
    /// Header URL (Mastodon's placeholder when there is none).
    pub header: String,
    /// Header URL, not animated (the same).
    pub header_static: String,
    /// Accepted followers.
    pub followers_count: u64,
    /// Accounts it follows.
    pub following_count: u64,
    /// Statuses and boosts.
    pub statuses_count: u64,
    /// The day of its newest status (`YYYY-MM-DD`), or `null`.
    pub last_status_at: Option<String>,
    /// Collections are shown.
    pub hide_collections: bool,
    /// Search engines may index it.
    pub noindex: bool,
    /// The custom emoji of the display name, bio and fields.
    pub emojis: Vec<CustomEmoji>,
    /// Roles shown on the profile (its role, when highlighted).
    pub roles: Vec<AccountRole>,
    /// Profile fields.
    pub fields: Vec<Field>,
    /// Suspended (here, or by its own server): shown only when true, as Mastodon does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended: Option<bool>,
    /// Silenced here (Mastodon's `limited`): shown only when true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limited: Option<bool>,
    /// The account it moved to (Mastodon's `moved`), shown only when it moved; never
    /// nested further.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<Box<Account>>,
}

/// A role shown on a profile (Mastodon's `AccountRole`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AccountRole {
    /// The role's id.
    pub id: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Its colour (none).
    pub color: &'static str,
}

/// A profile field (`name`, `value` HTML; never verified).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Field {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// When the link was verified: never.
    pub verified_at: Option<String>,
}

/// `Account` with `source` and `role`, for the account itself.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CredentialAccount {
    /// The account.
    #[serde(flatten)]
    pub account: Account,
    /// What the account typed, and its settings.
    pub source: Source,
    /// Its role.
    pub role: Role,
}

/// `CredentialAccount.source`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Source {
    /// Default visibility of new statuses.
    pub privacy: &'static str,
    /// Default sensitivity.
    pub sensitive: bool,
    /// Default language.
    pub language: Option<String>,
    /// Bio as typed.
    pub note: String,
    /// Profile fields as plain text.
    pub fields: Vec<Field>,
    /// Pending follow requests.
    pub follow_requests_count: u64,
    /// Collections are shown.
    pub hide_collections: bool,
    /// Listed in directories.
    pub discoverable: bool,
    /// Searchable.
    pub indexable: bool,
}

/// Mastodon's `Role` (`CredentialAccount.role`, `Admin::Account.role`): `-99` with no name
/// for accounts without a role (`@everyone`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Role {
    /// The role's id.
    pub id: &'static str,
    /// Its name (empty for `@everyone`).
    pub name: &'static str,
    /// Its permission flags, a bitmask as a decimal string.
    pub permissions: String,
    /// Its colour (none).
    pub color: &'static str,
    /// Shown on profiles.
    pub highlighted: bool,
}

impl Role {
    /// The entity of `role`.
    pub(crate) fn of(role: crate::app::Role) -> Role {
        Role {
            id: role.id(),
            name: role.name(),
            permissions: role.permissions().to_string(),
            color: "",
            highlighted: role.highlighted(),
        }
    }
}

fn date_of(ms: u64) -> String {
    rfc3339(ms).chars().take(10).collect()
}

impl Account {
    /// The entity of `a` with its counts.
    pub(crate) fn build(app: &App, a: &model::Account, counts: AccountCounts) -> Account {
        let (avatar, avatar_static) = app.avatar_urls(a);
        let (header, header_static) = app.header_urls(a);
        if a.is_suspended() {
            // As Mastodon shows a suspended account: no profile, no counts.
            let (avatar, avatar_static) = app.avatar_urls(&model::Account {
                avatar: None,
                avatar_file: None,
                ..a.clone()
            });
            let (header, header_static) = app.header_urls(&model::Account {
                header: None,
                header_file: None,
                ..a.clone()
            });
            return Account {
                id: a.id.to_string(),
                username: a.username.clone(),
                acct: a.acct(),
                display_name: String::new(),
                locked: false,
                bot: false,
                discoverable: false,
                indexable: false,
                group: false,
                created_at: rfc3339(a.created_at),
                note: String::new(),
                url: a.url.clone(),
                uri: a.actor.clone(),
                avatar_static,
                avatar,
                header_static,
                header,
                followers_count: 0,
                following_count: 0,
                statuses_count: 0,
                last_status_at: None,
                hide_collections: false,
                noindex: false,
                emojis: Vec::new(),
                roles: Vec::new(),
                fields: Vec::new(),
                suspended: Some(true),
                limited: a.moderation.silenced_at.map(|_| true),
                moved: None,
            };
        }
        Account {
            id: a.id.to_string(),
            username: a.username.clone(),
            acct: a.acct(),
            display_name: a.display_name.clone(),
            locked: a.locked,
            bot: a.bot,
            discoverable: a.discoverable,
            indexable: a.discoverable,
            group: false,
            created_at: rfc3339(a.created_at),
            note: a.note.clone(),
            url: a.url.clone(),
            uri: a.actor.clone(),
            avatar_static,
            avatar,
            header_static,
            header,
            followers_count: counts.followers,
            following_count: counts.following,
            statuses_count: counts.statuses,
            last_status_at: counts.last_status_at.map(date_of),
            hide_collections: false,
            noindex: false,
            emojis: Vec::new(),
            roles: if a.role.highlighted() {
                vec![AccountRole {
                    id: a.role.id(),
                    name: a.role.name(),
                    color: "",
                }]
            } else {
                Vec::new()
            },
            fields: a
                .fields
                .iter()
                .map(|(name, value)| Field {
                    name: name.clone(),
                    value: value.clone(),
                    verified_at: None,
                })
                .collect(),
            suspended: None,
            limited: a.moderation.silenced_at.map(|_| true),
            moved: None,
        }
    }

    /// The entity of a loaded account.
    pub(crate) fn from_loaded(app: &App, a: &model::Account, l: &Loaded) -> Account {
        let mut entity = Account::build(app, a, l.account_counts(a.id));
        entity.emojis = CustomEmoji::of_keys(app, &a.emojis, l);
        if !a.is_suspended() {
            if let Some(t) = a.migration.moved_to.and_then(|id| l.account(id)) {
                let mut moved = Account::build(app, t, l.account_counts(t.id));
                moved.emojis = CustomEmoji::of_keys(app, &t.emojis, l);
                entity.moved = Some(Box::new(moved));
            }
        }
        entity
    }
}

impl CredentialAccount {
    /// The credential entity of `a` (loaded by
    /// [`App::load_credential_account`](crate::app::App::load_credential_account)).
    pub(crate) fn from_loaded(app: &App, a: &model::Account, l: &Loaded) -> CredentialAccount {
        CredentialAccount {
            account: Account::from_loaded(app, a, l),
            source: Source {
                privacy: "public",
                sensitive: false,
                language: None,
                note: a.note_source.clone(),
                fields: a
                    .fields
                    .iter()
                    .map(|(name, value)| Field {
                        name: strip_html(name),
                        value: strip_html(value),
                        verified_at: None,
                    })
                    .collect(),
                follow_requests_count: l.follow_requests(a.id),
                hide_collections: false,
                discoverable: a.discoverable,
                indexable: a.discoverable,
            },
            role: Role::of(a.role),
        }
    }
}
