//! Sign-up through the client API, as Mastodon does it: the registration modes
//! ([`Registrations`]), the checks of a sign-up form with Mastodon's per-field errors
//! ([`FieldError`]), accounts waiting for approval ([`Signup`]), invites ([`Invite`]) and the
//! admin's queue ([`AdminNote`]) where Woolly records what Mastodon would have e-mailed (no mail
//! server is assumed).
//!
//! Where things are kept (own namespaces, so that the account record is untouched):
//! - `signups`: account id → [`Signup`], for every account made through `POST /api/v1/accounts`
//!   (e-mail, locale, reason, invite, approval). An account without one was made by an admin.
//! - `signups.by_email`: lowercased e-mail → account id (an e-mail signs up once).
//! - collection `signups:pending`: the ids of accounts waiting for approval, newest first.
//! - `invites`: code → [`Invite`]; collection `invites` lists them.
//! - `admin.queue` (note id → [`AdminNote`]) and collection `admin:queue`.

use fedi_storage::{CollectionStoreExt, Page, PageRequest, WriteBatch};
use serde::{Deserialize, Serialize};

use super::model::{coll, ns, Account};
use super::App;
use crate::config::Registrations;
use crate::error::Error;

const NS_SIGNUPS: &str = "signups";
const NS_SIGNUP_BY_EMAIL: &str = "signups.by_email";
const COLL_PENDING: &str = "signups:pending";
const NS_INVITES: &str = "invites";
const COLL_INVITES: &str = "invites";
const NS_ADMIN_QUEUE: &str = "admin.queue";
const COLL_ADMIN_QUEUE: &str = "admin:queue";

/// Mastodon's default reserved usernames (`reserved_usernames` in its `config/settings.yml`);
/// the instance actor's name (the host) is reserved too ([`App::username_reserved`]).
pub const RESERVED_USERNAMES: &[&str] = &[
    "admin",
    "support",
    "help",
    "root",
    "webmaster",
    "administrator",
    "mod",
    "moderator",
];

/// The longest username (Mastodon's `USERNAME_LENGTH_LIMIT`).
pub const USERNAME_MAX: usize = 30;
/// The shortest password (Devise's default, as Mastodon configures it).
pub const PASSWORD_MIN: usize = 8;
/// The longest password (Devise's, bcrypt's 72).
pub const PASSWORD_MAX: usize = 72;
/// The longest reason (Mastodon's `InviteRequest::TEXT_SIZE_LIMIT`).
pub const REASON_MAX: usize = 420;

/// One refused field of a sign-up, as Mastodon's `ValidationErrorFormatter` lists it:
/// `{"error": "ERR_TAKEN", "description": "has already been taken"}` under the field's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The parameter (`username`, `email`, `password`, `agreement`, `locale`, `reason`).
    pub field: &'static str,
    /// `ERR_BLANK`, `ERR_TAKEN`, `ERR_RESERVED`, `ERR_INVALID`, `ERR_TOO_SHORT`,
    /// `ERR_TOO_LONG`, `ERR_ACCEPTED` or `ERR_INCLUSION`.
    pub code: &'static str,
    /// Rails' message (`is reserved`).
    pub description: String,
}

impl FieldError {
    fn new(field: &'static str, code: &'static str, description: impl Into<String>) -> Self {
        FieldError {
            field,
            code,
            description: description.into(),
        }
    }
    /// The attribute's name in the full message (`Username is reserved`).
    pub fn attribute(&self) -> &'static str {
        match self.field {
            "username" => "Username",
            "email" => "Email",
            "password" => "Password",
            "agreement" => "Agreement",
            "locale" => "Locale",
            _ => "Reason",
        }
    }
}

/// A sign-up form (`POST /api/v1/accounts`).
#[derive(Debug, Clone, Default)]
pub struct SignupForm {
    /// The username asked for.
    pub username: String,
    /// An e-mail address (optional on Woolly: no mail server is assumed).
    pub email: Option<String>,
    /// The password.
    pub password: String,
    /// Whether the rules and terms were accepted.
    pub agreement: bool,
    /// The preferred locale (`en`, `pt-BR`).
    pub locale: Option<String>,
    /// Why the account is wanted (required when approval is).
    pub reason: Option<String>,
    /// An invite code.
    pub invite_code: Option<String>,
}

/// Why a sign-up was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignupRefusal {
    /// Registrations are closed and no valid invite was given.
    Closed,
    /// Fields failed their checks, in Mastodon's order.
    Invalid(Vec<FieldError>),
}

/// A sign-up through the client API: what was given, and whether the account is approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signup {
    /// The account.
    pub account_id: u64,
    /// Its username (for the admin's lists).
    pub username: String,
    /// The e-mail address, if one was given.
    pub email: Option<String>,
    /// The locale, if one was given.
    pub locale: Option<String>,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// The invite used, if any.
    pub invite_code: Option<String>,
    /// When (Unix milliseconds).
    pub created_at: u64,
    /// Whether the account may sign in (false while waiting for approval).
    pub approved: bool,
    /// The SHA-256 digests of the tokens issued at sign-up (marked pending until approval).
    #[serde(default)]
    pub token_digests: Vec<String>,
}

/// An invite: a code that lets an account sign up when registrations are closed, and skips
/// approval when they need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// The code (eight letters and digits, as Mastodon's).
    pub code: String,
    /// How many sign-ups it allows (`None`: any number).
    pub max_uses: Option<u64>,
    /// How many sign-ups used it.
    pub uses: u64,
    /// When it stops working (Unix milliseconds; `None`: never).
    pub expires_at: Option<u64>,
    /// When it was made (Unix milliseconds).
    pub created_at: u64,
}

impl Invite {
    /// Whether it can still be used at `now` (Mastodon's `valid_for_use?`).
    pub fn valid_at(&self, now: u64) -> bool {
        self.max_uses.is_none_or(|m| self.uses < m) && self.expires_at.is_none_or(|e| now < e)
    }
}

/// Something for the admin to see, in place of Mastodon's e-mails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminNote {
    /// Its id.
    pub id: u64,
    /// `confirmation_not_sent` (Mastodon would have e-mailed a confirmation link to the new
    /// account) or `pending_approval` (Mastodon would have told the admins of a new sign-up
    /// to review).
    pub kind: String,
    /// The account.
    pub account_id: u64,
    /// Its username.
    pub username: String,
    /// The e-mail address concerned, if any.
    pub email: Option<String>,
    /// When (Unix milliseconds).
    pub created_at: u64,
}

/// What is wrong with a new password by Mastodon's rules (Devise's: present, 8 to 72
/// characters), as the field error the sign-up reports; `None` when it is acceptable. Used by
/// sign-up and by password changes ([`App::change_password`](crate::app::App::change_password)).
pub fn password_error(password: &str) -> Option<FieldError> {
    let pw = password.chars().count();
    // Rails' presence: only whitespace is blank too.
    if password.trim().is_empty() {
        Some(FieldError::new("password", "ERR_BLANK", "can't be blank"))
    } else if pw < PASSWORD_MIN {
        Some(FieldError::new(
            "password",
            "ERR_TOO_SHORT",
            format!("is too short (minimum is {PASSWORD_MIN} characters)"),
        ))
    } else if pw > PASSWORD_MAX {
        Some(FieldError::new(
            "password",
            "ERR_TOO_LONG",
            format!("is too long (maximum is {PASSWORD_MAX} characters)"),
        ))
    } else {
        None
    }
}

fn valid_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((user, host)) => {
            !user.is_empty()
                && !host.is_empty()
                && !host.contains('@')
                && !e.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

fn valid_locale(l: &str) -> bool {
    let mut parts = l.split(['-', '_']);
    let lang = parts.next().unwrap_or("");
    (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// A lock around the check-then-write of a sign-up (username, e-mail, invite uses), so that
/// two sign-ups at once cannot both take a name or an invite's last use.
static SIGNUP_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl App {
    /// Whether a username is reserved for sign-up: Mastodon's list or the instance actor's
    /// name (the host, which Mastodon gives its instance actor), regardless of case.
    pub fn username_reserved(&self, username: &str) -> bool {
        let u = username.to_lowercase();
        let host = url::Url::parse(self.base())
            .ok()
            .and_then(|b| b.host_str().map(str::to_lowercase))
            .unwrap_or_default();
        RESERVED_USERNAMES.contains(&u.as_str()) || u == host
    }

    /// Checks a sign-up form against the mode, the rules and the store, and creates the
    /// account: approved, or waiting for approval (in `approved` mode without a valid invite).
    /// `Ok(Err(_))` is a refusal (closed, or fields failing their checks).
    pub async fn sign_up(
        &self,
        form: &SignupForm,
    ) -> Result<Result<(Account, Signup), SignupRefusal>, Error> {
        let _turn = SIGNUP_LOCK.lock().await;
        let now = self.now_ms();
        let code = form
            .invite_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let invite = match code {
            Some(c) => self.invite(c).await?.filter(|i| i.valid_at(now)),
            None => None,
        };
        let mode = self.config().registrations;
        if mode == Registrations::Closed && invite.is_none() {
            return Ok(Err(SignupRefusal::Closed));
        }
        let approved = mode == Registrations::Open || invite.is_some();
        let errors = self.check_form(form, !approved).await?;
        if !errors.is_empty() {
            return Ok(Err(SignupRefusal::Invalid(errors)));
        }
        // The account and its sign-up record are stored in one write: an account waiting
        // for approval never exists without its record.
        let (account, account_batch) = self
            .new_local_account(&form.username, Some(&form.password), false)
            .await?;
        let email = form
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned);
        let signup = Signup {
            account_id: account.id,
            username: account.username.clone(),
            email: email.clone(),
            locale: form.locale.clone().filter(|l| !l.is_empty()),
            reason: form
                .reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
            invite_code: invite.as_ref().map(|i| i.code.clone()),
            created_at: now,
            approved,
            token_digests: Vec::new(),
        };
        let id = account.id.to_string();
        let mut batch = account_batch.kv_put(NS_SIGNUPS, id.clone(), serde_json::to_vec(&signup)?);
        if let Some(e) = &email {
            batch = batch.kv_put(NS_SIGNUP_BY_EMAIL, e.to_lowercase(), id.clone());
        }
        if !approved {
            batch = batch.insert(COLL_PENDING, account.id, id.clone());
        }
        if let Some(mut i) = invite {
            i.uses += 1;
            batch = batch.kv_put(NS_INVITES, i.code.clone(), serde_json::to_vec(&i)?);
        }
        let mut notes = Vec::new();
        if email.is_some() {
            notes.push("confirmation_not_sent");
        }
        if !approved {
            notes.push("pending_approval");
        }
        for kind in notes {
            let note = AdminNote {
                id: self.inner.ids.next(now),
                kind: kind.to_owned(),
                account_id: account.id,
                username: account.username.clone(),
                email: email.clone(),
                created_at: now,
            };
            batch = batch
                .kv_put(
                    NS_ADMIN_QUEUE,
                    note.id.to_string(),
                    serde_json::to_vec(&note)?,
                )
                .insert(COLL_ADMIN_QUEUE, note.id, note.id.to_string());
        }
        self.store().apply(&batch).await?;
        Ok(Ok((account, signup)))
    }

    /// The checks of a form, in the order Mastodon reports them.
    async fn check_form(
        &self,
        form: &SignupForm,
        reason_required: bool,
    ) -> Result<Vec<FieldError>, Error> {
        let mut errors = Vec::new();
        if let Some(e) = form
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            if !valid_email(e) {
                errors.push(FieldError::new("email", "ERR_INVALID", "is invalid"));
            } else if self
                .get_str(NS_SIGNUP_BY_EMAIL, &e.to_lowercase())
                .await?
                .is_some()
            {
                errors.push(FieldError::new(
                    "email",
                    "ERR_TAKEN",
                    "has already been taken",
                ));
            }
        }
        errors.extend(password_error(&form.password));
        let u = form.username.as_str();
        if u.trim().is_empty() {
            errors.push(FieldError::new("username", "ERR_BLANK", "can't be blank"));
        } else {
            if self.account_by_acct(u).await?.is_some_and(|a| a.is_local()) && !u.contains('@') {
                errors.push(FieldError::new(
                    "username",
                    "ERR_TAKEN",
                    "has already been taken",
                ));
            }
            if !u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                errors.push(FieldError::new(
                    "username",
                    "ERR_INVALID",
                    "must contain only letters, numbers and underscores",
                ));
            }
            if u.chars().count() > USERNAME_MAX {
                errors.push(FieldError::new(
                    "username",
                    "ERR_TOO_LONG",
                    format!("is too long (maximum is {USERNAME_MAX} characters)"),
                ));
            }
            if self.username_reserved(u) {
                errors.push(FieldError::new("username", "ERR_RESERVED", "is reserved"));
            }
        }
        if !form.agreement {
            errors.push(FieldError::new(
                "agreement",
                "ERR_ACCEPTED",
                "must be accepted",
            ));
        }
        if let Some(l) = form.locale.as_deref().filter(|l| !l.is_empty()) {
            if !valid_locale(l) {
                errors.push(FieldError::new(
                    "locale",
                    "ERR_INCLUSION",
                    "is not included in the list",
                ));
            }
        }
        let reason = form.reason.as_deref().map(str::trim).unwrap_or("");
        if reason_required && reason.is_empty() {
            errors.push(FieldError::new("reason", "ERR_BLANK", "can't be blank"));
        } else if reason.chars().count() > REASON_MAX {
            errors.push(FieldError::new(
                "reason",
                "ERR_TOO_LONG",
                format!("is too long (maximum is {REASON_MAX} characters)"),
            ));
        }
        Ok(errors)
    }

    /// The sign-up record of an account (`None` for accounts made by an admin or remote
    /// ones). The seam for the admin accounts API: `approved`, `email`, `locale`, and the
    /// reason as `invite_request`.
    pub async fn signup_of(&self, account_id: u64) -> Result<Option<Signup>, Error> {
        self.get(NS_SIGNUPS, &account_id.to_string()).await
    }

    /// The sign-up records of several accounts in one store call (for a page of the admin
    /// accounts API).
    pub async fn signups_of(&self, account_ids: &[u64]) -> Result<Vec<Option<Signup>>, Error> {
        let keys: Vec<String> = account_ids.iter().map(u64::to_string).collect();
        self.get_many(NS_SIGNUPS, &keys).await
    }

    /// Whether an account waits for approval (it cannot sign in or use its tokens).
    pub async fn is_pending(&self, account_id: u64) -> Result<bool, Error> {
        Ok(self
            .signup_of(account_id)
            .await?
            .is_some_and(|s| !s.approved))
    }

    /// A page of the accounts waiting for approval, newest first (the seam for
    /// `GET /api/v1/admin/accounts?pending=true`): their sign-up records, and the page for
    /// its `Link` header.
    pub async fn pending_signups(&self, req: &PageRequest) -> Result<(Vec<Signup>, Page), Error> {
        let page = self.store().page(COLL_PENDING, req).await?;
        let ids: Vec<u64> = page
            .items
            .iter()
            .filter_map(|i| i.member.parse().ok())
            .collect();
        let list = self.signups_of(&ids).await?.into_iter().flatten().collect();
        Ok((list, page))
    }

    /// Records the digest of a token issued at sign-up, so that approval can free it and
    /// rejection revoke it.
    pub(crate) async fn add_signup_token(
        &self,
        account_id: u64,
        digest: String,
    ) -> Result<(), Error> {
        if let Some(mut s) = self.signup_of(account_id).await? {
            s.token_digests.push(digest);
            self.put(NS_SIGNUPS, &account_id.to_string(), &s).await?;
        }
        Ok(())
    }

    /// The waiting sign-up of a local account: `NotFound` for an unknown account, `Forbidden`
    /// for a remote one or one not waiting (as Mastodon's policy refuses).
    async fn pending_signup(&self, account_id: u64) -> Result<(Account, Signup), Error> {
        let account = self.account(account_id).await?;
        if account.deleted {
            return Err(Error::NotFound(format!("account {account_id}")));
        }
        match self.signup_of(account_id).await? {
            Some(s) if account.is_local() && !s.approved => Ok((account, s)),
            _ => Err(Error::Forbidden("This action is not allowed".into())),
        }
    }

    /// Approves an account waiting for approval; returns its sign-up record (the caller frees
    /// the tokens of [`Signup::token_digests`]).
    pub async fn approve_signup(&self, account_id: u64) -> Result<Signup, Error> {
        let _turn = SIGNUP_LOCK.lock().await;
        let (_, mut s) = self.pending_signup(account_id).await?;
        s.approved = true;
        let id = account_id.to_string();
        let batch = WriteBatch::new()
            .kv_put(NS_SIGNUPS, id.clone(), serde_json::to_vec(&s)?)
            .remove(COLL_PENDING, id);
        self.store().apply(&batch).await?;
        Ok(s)
    }

    /// Rejects an account waiting for approval: its data is deleted (account, name, password,
    /// sign-up record; the caller revokes the tokens of [`Signup::token_digests`]), so that the
    /// name and e-mail can sign up again. Its key pair stays in the engine's key store (which
    /// has no deletion; the key never left the server and is reused by a later account of
    /// that name).
    pub async fn reject_signup(&self, account_id: u64) -> Result<(Account, Signup), Error> {
        let _turn = SIGNUP_LOCK.lock().await;
        let (account, s) = self.pending_signup(account_id).await?;
        let id = account_id.to_string();
        let mut batch = WriteBatch::new()
            .kv_delete(ns::ACCOUNTS, id.clone())
            .kv_delete(ns::ACCOUNT_BY_IRI, account.actor.clone())
            .kv_delete(ns::ACCOUNT_BY_ACCT, account.username.to_lowercase())
            .kv_delete(ns::PASSWORDS, id.clone())
            .kv_delete(NS_SIGNUPS, id.clone())
            .remove(coll::LOCAL_ACCOUNTS, id.clone())
            .remove(COLL_PENDING, id);
        if let Some(e) = &s.email {
            batch = batch.kv_delete(NS_SIGNUP_BY_EMAIL, e.to_lowercase());
        }
        self.store().apply(&batch).await?;
        Ok((account, s))
    }

    /// Makes an invite allowing `max_uses` sign-ups (any number if `None`), valid for
    /// `expires_in` seconds (forever if `None`).
    pub async fn create_invite(
        &self,
        max_uses: Option<u64>,
        expires_in: Option<u64>,
    ) -> Result<Invite, Error> {
        if max_uses == Some(0) {
            return Err(Error::Unprocessable("max uses: at least 1".into()));
        }
        let now = self.now_ms();
        let invite = Invite {
            code: invite_code()?,
            max_uses,
            uses: 0,
            expires_at: expires_in.map(|s| now.saturating_add(s.saturating_mul(1000))),
            created_at: now,
        };
        let batch = WriteBatch::new()
            .kv_put(
                NS_INVITES,
                invite.code.clone(),
                serde_json::to_vec(&invite)?,
            )
            .insert(COLL_INVITES, self.inner.ids.next(now), invite.code.clone());
        self.store().apply(&batch).await?;
        Ok(invite)
    }

    /// An invite by code (used up and expired ones included).
    pub async fn invite(&self, code: &str) -> Result<Option<Invite>, Error> {
        if code.is_empty() || code.len() > 64 {
            return Ok(None);
        }
        self.get(NS_INVITES, code).await
    }

    /// Every invite, newest first.
    pub async fn invites(&self) -> Result<Vec<Invite>, Error> {
        let codes: Vec<String> = self
            .store()
            .all_members(COLL_INVITES, 500)
            .await?
            .into_iter()
            .map(|i| i.member)
            .collect();
        Ok(self
            .get_many::<Invite>(NS_INVITES, &codes)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    /// The admin's queue, newest first: what Mastodon would have e-mailed.
    pub async fn admin_queue(&self) -> Result<Vec<AdminNote>, Error> {
        let ids: Vec<String> = self
            .store()
            .all_members(COLL_ADMIN_QUEUE, 500)
            .await?
            .into_iter()
            .map(|i| i.member)
            .collect();
        Ok(self
            .get_many::<AdminNote>(NS_ADMIN_QUEUE, &ids)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }
}

/// A fresh invite code: eight random letters and digits (Mastodon's length), from an
/// alphabet of 56 without look-alikes (0/O, 1/l/I).
fn invite_code() -> Result<String, Error> {
    use ring::rand::SecureRandom as _;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 8];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Config("no random source for an invite code".into()))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}
