//! The local admin endpoint, for the admin subcommands while the server runs (sled allows one
//! process per store).
//!
//! It listens on its own loopback socket (never reachable through the public listener or a
//! reverse proxy), answers only loopback peers, and requires `Authorization: Bearer <secret>`
//! with the secret the server writes at start to `data_dir/admin.token` (mode 0600); the
//! socket address goes to `data_dir/admin.addr`. One route: `POST /_admin` with an
//! [`AdminRequest`] as JSON, answered with the JSON result; `GET /_admin/health` answers
//! `{"ok":true}`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{json_error, response, JSON_CONTENT_TYPE};
use crate::app::App;
use crate::error::Error;

/// The file (in the data directory) holding the admin secret.
pub const TOKEN_FILE: &str = "admin.token";
/// The file (in the data directory) holding the admin socket address.
pub const ADDR_FILE: &str = "admin.addr";

/// One admin operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AdminRequest {
    /// Creates a local account.
    CreateAccount {
        /// Username.
        username: String,
        /// Password, if any.
        password: Option<String>,
        /// Follows need approval.
        locked: bool,
        /// Its role (`user`, `moderator`, `admin`, `owner`); `user` if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
    },
    /// Gives a local account a role.
    SetRole {
        /// The account's username.
        username: String,
        /// `user`, `moderator`, `admin` or `owner`.
        role: String,
    },
    /// Lists accounts as moderators see them (`woolly admin accounts list`).
    ModerationList {
        /// Local (`true`) or remote (`false`) accounts only.
        #[serde(default)]
        local: Option<bool>,
        /// `active`, `disabled`, `silenced`, `suspended` or `sensitized` only.
        #[serde(default)]
        status: Option<String>,
    },
    /// Shows an account as moderators see it.
    ModerationShow {
        /// `user` (local), `user@domain` or an account id.
        account: String,
    },
    /// Acts on an account as the owner would: `none`, `sensitive`, `disable`, `silence`,
    /// `suspend`, their undo `unsensitive`, `enable`, `unsilence`, `unsuspend`, or `delete`
    /// (the data of a suspended account).
    ModerationAction {
        /// `user` (local), `user@domain` or an account id.
        account: String,
        /// The action.
        action: String,
    },
    /// Lists local accounts.
    ListAccounts,
    /// Account migration (`woolly account alias|move`; see [`crate::cli::migration`]).
    Migration {
        /// The local account's username.
        username: String,
        /// `alias_add`, `alias_remove`, `alias_list` or `move`.
        action: String,
        /// The other account (`@user@host`, a local username or an actor IRI).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        handle: Option<String>,
    },
    /// Blocks a domain.
    BlockDomain {
        /// The domain.
        domain: String,
    },
    /// Lifts a domain block.
    UnblockDomain {
        /// The domain.
        domain: String,
    },
    /// Lists domain blocks.
    ListDomainBlocks,
    /// Adds a domain block with Mastodon's severity and flags.
    AddDomainBlock {
        /// The domain.
        domain: String,
        /// `silence` (default), `suspend` or `noop`.
        #[serde(default)]
        severity: Option<String>,
        /// Store none of the domain's media.
        #[serde(default)]
        reject_media: bool,
        /// Drop the domain's reports.
        #[serde(default)]
        reject_reports: bool,
        /// A note for admins.
        #[serde(default)]
        private_comment: Option<String>,
        /// A note for the public list.
        #[serde(default)]
        public_comment: Option<String>,
        /// Partly hide the domain on the public list.
        #[serde(default)]
        obfuscate: bool,
    },
    /// Allows a domain (allow-list mode).
    AllowDomain {
        /// The domain.
        domain: String,
    },
    /// Removes a domain's allow.
    DisallowDomain {
        /// The domain.
        domain: String,
    },
    /// Lists allowed domains.
    ListDomainAllows,
    /// Looks up a handle (WebFinger) or URL and fetches the document, signed.
    Lookup {
        /// `@user@domain` or a URL.
        query: String,
    },
    /// Creates a client-API bearer token for a local account.
    CreateToken {
        /// The account's username.
        username: String,
        /// Space-separated scopes.
        scopes: String,
    },
    /// Imports a CSV file for a local account (`woolly account import`): the import is
    /// created and its job enqueued.
    Import {
        /// The account's username.
        username: String,
        /// `follows`, `lists`, `blocks`, `mutes`, `domain-blocks` or `bookmarks`.
        kind: String,
        /// `overwrite` rather than `merge`.
        overwrite: bool,
        /// The file, base64.
        data: String,
        /// The file's name.
        #[serde(default)]
        filename: Option<String>,
    },
    /// Shows an import of a local account.
    ImportStatus {
        /// The account's username.
        username: String,
        /// The import's id.
        id: String,
    },
    /// Adds a local custom emoji.
    AddEmoji {
        /// The shortcode (without colons).
        shortcode: String,
        /// The picker category.
        category: Option<String>,
        /// The image (PNG, GIF or WebP, at most 256 KB), base64.
        image: String,
        /// Replace an existing emoji of that shortcode instead of refusing.
        #[serde(default)]
        replace: bool,
    },
    /// Removes a local custom emoji.
    RemoveEmoji {
        /// The shortcode.
        shortcode: String,
    },
    /// Lists the local custom emoji.
    ListEmoji,
    /// Makes an invite for sign-ups (`woolly admin invite`).
    CreateInvite {
        /// How many sign-ups it allows (any number if unset).
        max_uses: Option<u64>,
        /// For how many seconds it works (forever if unset).
        expires_in: Option<u64>,
    },
    /// Lists the accounts waiting for approval and the admin's queue.
    ListPendingAccounts,
    /// Approves an account waiting for approval.
    ApproveAccount {
        /// The account's username.
        username: String,
    },
    /// Rejects (deletes) an account waiting for approval.
    RejectAccount {
        /// The account's username.
        username: String,
    },
    /// Adds an instance rule.
    AddRule {
        /// The rule.
        text: String,
        /// A longer explanation.
        #[serde(default)]
        hint: Option<String>,
    },
    /// Removes an instance rule.
    RemoveRule {
        /// Its id.
        id: String,
    },
    /// Lists the instance rules.
    ListRules,
    /// Lists reports (open ones, or resolved ones).
    ListReports {
        /// Resolved ones instead of open ones.
        #[serde(default)]
        resolved: bool,
    },
    /// Shows a report.
    ShowReport {
        /// Its id.
        id: String,
    },
    /// Resolves a report.
    ResolveReport {
        /// Its id.
        id: String,
    },
    /// Sets a local account's password (`woolly account password`).
    SetPassword {
        /// The account's username.
        username: String,
        /// The new password.
        password: String,
        /// Revoke every token of the account too.
        #[serde(default)]
        revoke_tokens: bool,
    },
    /// Lists the applications holding tokens for a local account (`woolly account apps`).
    ListAuthorizedApps {
        /// The account's username.
        username: String,
    },
    /// Revokes an application's tokens for a local account.
    RevokeAuthorizedApp {
        /// The account's username.
        username: String,
        /// The application's id (as listed).
        app_id: String,
    },
    /// Deletes a local account (`woolly account delete`).
    DeleteAccount {
        /// The account's username.
        username: String,
    },
}

/// Runs an admin operation and returns its result as JSON.
pub async fn execute(app: &App, request: AdminRequest) -> Result<Value, Error> {
    match request {
        AdminRequest::CreateAccount {
            username,
            password,
            locked,
            role,
        } => {
            let role = match role.as_deref() {
                Some(r) => parse_role(r)?,
                None => crate::app::Role::User,
            };
            let mut a = app
                .create_account(&username, password.as_deref(), locked)
                .await?;
            if role != crate::app::Role::User {
                a = app.set_role(a.id, role).await?;
            }
            Ok(account_json(app, &a))
        }
        AdminRequest::SetRole { username, role } => {
            let role = parse_role(&role)?;
            let a = app
                .account_by_acct(&username)
                .await?
                .filter(|a| a.is_local())
                .ok_or_else(|| Error::NotFound(format!("no local account {username:?}")))?;
            let a = app.set_role(a.id, role).await?;
            Ok(account_json(app, &a))
        }
        AdminRequest::Migration {
            username,
            action,
            handle,
        } => crate::cli::migration::execute(app, &username, &action, handle.as_deref()).await,
        AdminRequest::ModerationList { local, status } => {
            super::admin_accounts::list(app, local, status.as_deref()).await
        }
        AdminRequest::ModerationShow { account } => {
            super::admin_accounts::show(app, &account).await
        }
        AdminRequest::ModerationAction { account, action } => {
            super::admin_accounts::act(app, &account, &action).await
        }
        AdminRequest::ListAccounts => {
            let accounts = app.local_accounts().await?;
            Ok(Value::Array(
                accounts.iter().map(|a| account_json(app, a)).collect(),
            ))
        }
        AdminRequest::BlockDomain { domain } => {
            let added = app.block_domain(&domain).await?;
            Ok(json!({ "domain": domain.trim().to_lowercase(), "added": added }))
        }
        AdminRequest::UnblockDomain { domain } => {
            let removed = app.unblock_domain(&domain).await?;
            Ok(json!({ "domain": domain.trim().to_lowercase(), "removed": removed }))
        }
        AdminRequest::ListDomainBlocks => {
            let blocks = app.domain_blocks().await?;
            Ok(Value::Array(
                blocks
                    .iter()
                    .map(crate::api::admin_domains::block_json)
                    .collect(),
            ))
        }
        AdminRequest::AddDomainBlock {
            domain,
            severity,
            reject_media,
            reject_reports,
            private_comment,
            public_comment,
            obfuscate,
        } => {
            use crate::app::instance_domains::{BlockRefused, DomainBlockParams, Severity};
            let severity = match severity.as_deref() {
                None => None,
                Some(s) => Some(Severity::parse(s).ok_or_else(|| {
                    Error::BadRequest(format!("severity {s:?}: silence, suspend or noop"))
                })?),
            };
            let params = DomainBlockParams {
                severity,
                reject_media: Some(reject_media),
                reject_reports: Some(reject_reports),
                private_comment,
                public_comment,
                obfuscate: Some(obfuscate),
            };
            match app.create_domain_block(&domain, &params).await {
                Ok(b) => Ok(crate::api::admin_domains::block_json(&b)),
                Err(BlockRefused::Existing(e)) => Err(Error::Unprocessable(format!(
                    "{} is already blocked ({})",
                    e.domain,
                    e.severity.as_str()
                ))),
                Err(BlockRefused::Invalid(m)) => Err(Error::BadRequest(m)),
                Err(BlockRefused::Other(e)) => Err(e),
            }
        }
        AdminRequest::AllowDomain { domain } => {
            let a = app.create_domain_allow(&domain).await?;
            Ok(crate::api::admin_domains::allow_json(&a))
        }
        AdminRequest::DisallowDomain { domain } => {
            let removed = app.disallow_domain(&domain).await?;
            Ok(json!({ "domain": domain.trim().to_lowercase(), "removed": removed }))
        }
        AdminRequest::ListDomainAllows => {
            let allows = app.domain_allows().await?;
            Ok(Value::Array(
                allows
                    .iter()
                    .map(crate::api::admin_domains::allow_json)
                    .collect(),
            ))
        }
        AdminRequest::Lookup { query } => lookup(app, &query).await,
        AdminRequest::CreateToken { username, scopes } => {
            let a = app
                .account_by_acct(&username)
                .await?
                .filter(|a| a.is_local())
                .ok_or_else(|| Error::NotFound(format!("no local account {username:?}")))?;
            let token = crate::api::create_token(app, a.id, &scopes).await?;
            Ok(json!({ "username": a.username, "scopes": scopes, "token": token }))
        }
        AdminRequest::Import { .. } | AdminRequest::ImportStatus { .. } => {
            crate::cli::import::execute(app, request).await
        }
        AdminRequest::AddEmoji {
            shortcode,
            category,
            image,
            replace,
        } => {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(image.as_bytes())
                .map_err(|e| Error::BadRequest(format!("image: {e}")))?;
            let e = app
                .add_local_emoji(&shortcode, bytes.into(), category, replace)
                .await?;
            Ok(emoji_json(app, &e))
        }
        AdminRequest::RemoveEmoji { shortcode } => {
            let removed = app.remove_local_emoji(&shortcode).await?;
            Ok(json!({ "shortcode": shortcode.trim().trim_matches(':'), "removed": removed }))
        }
        AdminRequest::CreateInvite {
            max_uses,
            expires_in,
        } => {
            let i = app.create_invite(max_uses, expires_in).await?;
            Ok(invite_json(&i))
        }
        AdminRequest::ListPendingAccounts => {
            let req = fedi_storage::PageRequest::newest(500);
            let (pending, _) = app.pending_signups(&req).await?;
            let queue = app.admin_queue().await?;
            Ok(json!({
                "pending": pending.iter().map(|s| json!({
                    "id": s.account_id.to_string(),
                    "username": s.username,
                    "email": s.email,
                    "reason": s.reason,
                    "created_at": crate::app::activitypub::rfc3339(s.created_at),
                })).collect::<Vec<_>>(),
                "queue": queue.iter().map(|n| json!({
                    "kind": n.kind,
                    "username": n.username,
                    "email": n.email,
                    "created_at": crate::app::activitypub::rfc3339(n.created_at),
                })).collect::<Vec<_>>(),
            }))
        }
        AdminRequest::ApproveAccount { username } => {
            let a = local_account(app, &username).await?;
            crate::api::approve_account(app, a.id).await
        }
        AdminRequest::RejectAccount { username } => {
            let a = local_account(app, &username).await?;
            crate::api::reject_account(app, a.id).await
        }
        AdminRequest::AddRule { .. }
        | AdminRequest::RemoveRule { .. }
        | AdminRequest::ListRules
        | AdminRequest::ListReports { .. }
        | AdminRequest::ShowReport { .. }
        | AdminRequest::ResolveReport { .. } => {
            super::admin_moderation::execute(app, request).await
        }
        AdminRequest::SetPassword { .. }
        | AdminRequest::ListAuthorizedApps { .. }
        | AdminRequest::RevokeAuthorizedApp { .. }
        | AdminRequest::DeleteAccount { .. } => super::admin_lifecycle::execute(app, request).await,
        AdminRequest::ListEmoji => Ok(Value::Array(
            app.local_emojis()
                .await?
                .iter()
                .map(|e| emoji_json(app, e))
                .collect(),
        )),
    }
}

pub(super) async fn local_account(app: &App, username: &str) -> Result<crate::app::Account, Error> {
    app.account_by_acct(username)
        .await?
        .filter(|a| a.is_local())
        .ok_or_else(|| Error::NotFound(format!("no local account {username:?}")))
}

fn invite_json(i: &crate::app::signup::Invite) -> Value {
    json!({
        "code": i.code,
        "max_uses": i.max_uses,
        "uses": i.uses,
        "expires_at": i.expires_at.map(crate::app::activitypub::rfc3339),
    })
}

fn emoji_json(app: &App, e: &crate::app::CustomEmoji) -> Value {
    json!({
        "shortcode": e.shortcode,
        "url": app.emoji_url(e),
        "category": e.category,
        "content_type": e.file.as_ref().map(|f| f.content_type.clone()),
        "size": e.file.as_ref().map(|f| f.size),
        "updated_at": crate::app::activitypub::rfc3339(e.updated_at),
    })
}

fn account_json(app: &App, a: &crate::app::Account) -> Value {
    json!({
        "id": a.id.to_string(),
        "username": a.username,
        "acct": format!("{}@{}", a.username, app.config().domain()),
        "actor": a.actor,
        "url": a.url,
        "locked": a.locked,
        "role": a.role.as_str(),
        "created_at": crate::app::activitypub::rfc3339(a.created_at),
    })
}

fn parse_role(r: &str) -> Result<crate::app::Role, Error> {
    crate::app::Role::parse(r).ok_or_else(|| {
        Error::BadRequest(format!(
            "unknown role {r:?}: user, moderator, admin or owner"
        ))
    })
}

/// WebFinger (for a handle) and a signed fetch by the instance actor.
async fn lookup(app: &App, query: &str) -> Result<Value, Error> {
    let q = query.trim();
    let url = if q.starts_with("http://") || q.starts_with("https://") {
        q.to_owned()
    } else {
        let handle = q.trim_start_matches("acct:").trim_start_matches('@');
        if !handle.contains('@') {
            return Err(Error::BadRequest(format!(
                "{q:?}: give @user@domain or a URL"
            )));
        }
        app.engine().webfinger(handle).await?
    };
    let mut budget = activitypub_core::engine::FetchBudget::new(app.engine().config().fetch_budget);
    let fetched = app.engine().fetch(&url, &mut budget).await?;
    Ok(serde_json::from_slice(&fetched.bytes)?)
}

/// Checks and answers admin requests.
#[derive(Clone)]
pub struct AdminEndpoint {
    app: App,
    secret: String,
}

impl std::fmt::Debug for AdminEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminEndpoint").finish_non_exhaustive()
    }
}

impl AdminEndpoint {
    /// An endpoint over `app` accepting `secret`.
    pub fn new(app: App, secret: String) -> Self {
        AdminEndpoint { app, secret }
    }

    /// Answers one request from `peer`.
    pub async fn handle(&self, request: Request<Bytes>, peer: SocketAddr) -> Response<Bytes> {
        if !peer.ip().is_loopback() {
            return json_error(StatusCode::FORBIDDEN, "loopback only");
        }
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !constant_time_eq(presented.as_bytes(), self.secret.as_bytes()) {
            return json_error(StatusCode::UNAUTHORIZED, "bad admin token");
        }
        match (request.method(), request.uri().path()) {
            (&Method::GET, "/_admin/health") => {
                response(StatusCode::OK, JSON_CONTENT_TYPE, r#"{"ok":true}"#)
            }
            (&Method::POST, "/_admin") => {
                let op: AdminRequest = match serde_json::from_slice(request.body()) {
                    Ok(op) => op,
                    Err(e) => return json_error(StatusCode::BAD_REQUEST, &e.to_string()),
                };
                tracing::info!(op = op_name(&op), "admin request");
                match execute(&self.app, op).await {
                    Ok(v) => response(StatusCode::OK, JSON_CONTENT_TYPE, v.to_string()),
                    Err(e) => {
                        let status = if e.status().is_server_error() {
                            StatusCode::UNPROCESSABLE_ENTITY
                        } else {
                            e.status()
                        };
                        json_error(status, &e.to_string())
                    }
                }
            }
            _ => json_error(StatusCode::NOT_FOUND, "Record not found"),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || b.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh random secret (256 bits, hex).
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Writes the secret (mode 0600) and the address into `data_dir`.
pub fn write_files(data_dir: &Path, secret: &str, addr: SocketAddr) -> std::io::Result<()> {
    let token = data_dir.join(TOKEN_FILE);
    let _ = std::fs::remove_file(&token);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    {
        use std::io::Write;
        let mut f = options.open(&token)?;
        f.write_all(secret.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()?;
    }
    std::fs::write(data_dir.join(ADDR_FILE), format!("{addr}\n"))
}

/// Removes the files [`write_files`] wrote.
pub fn remove_files(data_dir: &Path) {
    let _ = std::fs::remove_file(data_dir.join(TOKEN_FILE));
    let _ = std::fs::remove_file(data_dir.join(ADDR_FILE));
}

/// The admin endpoint of a running server, read from `data_dir`.
#[derive(Debug, Clone)]
pub struct AdminClient {
    addr: SocketAddr,
    secret: String,
}

impl AdminClient {
    /// Reads the address and secret a running server wrote; `None` if there are none.
    pub fn from_data_dir(data_dir: &Path) -> Option<Self> {
        let secret = std::fs::read_to_string(data_dir.join(TOKEN_FILE)).ok()?;
        let addr = std::fs::read_to_string(data_dir.join(ADDR_FILE)).ok()?;
        Some(AdminClient {
            addr: addr.trim().parse().ok()?,
            secret: secret.trim().to_owned(),
        })
    }

    /// Whether the server answers.
    pub async fn healthy(&self) -> bool {
        matches!(
            self.send(Method::GET, "/_admin/health", Bytes::new()).await,
            Ok((StatusCode::OK, _))
        )
    }

    /// Runs an operation on the server.
    pub async fn execute(&self, op: &AdminRequest) -> Result<Value, Error> {
        let body = Bytes::from(serde_json::to_vec(op)?);
        let (status, bytes) = self.send(Method::POST, "/_admin", body).await?;
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Config(format!("admin endpoint answered {status}: {e}")))?;
        if status.is_success() {
            return Ok(v);
        }
        let msg = v
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("error")
            .to_owned();
        Err(match status {
            StatusCode::NOT_FOUND => Error::NotFound(msg),
            StatusCode::BAD_REQUEST => Error::BadRequest(msg),
            StatusCode::FORBIDDEN => Error::Forbidden(msg),
            StatusCode::UNAUTHORIZED => Error::Unauthorized(msg),
            _ => Error::Unprocessable(msg),
        })
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes), Error> {
        use http_body_util::{BodyExt, Full};
        let timeout = std::time::Duration::from_secs(60);
        let fut = async {
            let stream = tokio::net::TcpStream::connect(self.addr).await?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .map_err(io_err)?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            let req = Request::builder()
                .method(method)
                .uri(path)
                .header(header::HOST, self.addr.to_string())
                .header(
                    header::AUTHORIZATION,
                    HeaderValue::from_str(&format!("Bearer {}", self.secret)).map_err(io_err)?,
                )
                .header(header::CONTENT_TYPE, "application/json")
                .body(Full::new(body))
                .map_err(io_err)?;
            let res = sender.send_request(req).await.map_err(io_err)?;
            let status = res.status();
            let bytes = res.into_body().collect().await.map_err(io_err)?.to_bytes();
            Ok::<_, std::io::Error>((status, bytes))
        };
        match tokio::time::timeout(timeout, fut).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the admin endpoint did not answer",
            ))),
        }
    }
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// The data directory's admin files, for messages.
pub fn token_path(data_dir: &Path) -> PathBuf {
    data_dir.join(TOKEN_FILE)
}

fn op_name(op: &AdminRequest) -> &'static str {
    match op {
        AdminRequest::CreateAccount { .. } => "create_account",
        AdminRequest::ListAccounts => "list_accounts",
        AdminRequest::Migration { .. } => "migration",
        AdminRequest::SetRole { .. } => "set_role",
        AdminRequest::ModerationList { .. } => "moderation_list",
        AdminRequest::ModerationShow { .. } => "moderation_show",
        AdminRequest::ModerationAction { .. } => "moderation_action",
        AdminRequest::BlockDomain { .. } => "block_domain",
        AdminRequest::UnblockDomain { .. } => "unblock_domain",
        AdminRequest::ListDomainBlocks => "list_domain_blocks",
        AdminRequest::AddDomainBlock { .. } => "add_domain_block",
        AdminRequest::AllowDomain { .. } => "allow_domain",
        AdminRequest::DisallowDomain { .. } => "disallow_domain",
        AdminRequest::ListDomainAllows => "list_domain_allows",
        AdminRequest::Lookup { .. } => "lookup",
        AdminRequest::CreateToken { .. } => "create_token",
        AdminRequest::Import { .. } => "import",
        AdminRequest::ImportStatus { .. } => "import_status",
        AdminRequest::AddEmoji { .. } => "add_emoji",
        AdminRequest::RemoveEmoji { .. } => "remove_emoji",
        AdminRequest::ListEmoji => "list_emoji",
        AdminRequest::CreateInvite { .. } => "create_invite",
        AdminRequest::ListPendingAccounts => "list_pending_accounts",
        AdminRequest::ApproveAccount { .. } => "approve_account",
        AdminRequest::RejectAccount { .. } => "reject_account",
        AdminRequest::AddRule { .. } => "add_rule",
        AdminRequest::RemoveRule { .. } => "remove_rule",
        AdminRequest::ListRules => "list_rules",
        AdminRequest::ListReports { .. } => "list_reports",
        AdminRequest::ShowReport { .. } => "show_report",
        AdminRequest::ResolveReport { .. } => "resolve_report",
        AdminRequest::SetPassword { .. } => "set_password",
        AdminRequest::ListAuthorizedApps { .. } => "list_authorized_apps",
        AdminRequest::RevokeAuthorizedApp { .. } => "revoke_authorized_app",
        AdminRequest::DeleteAccount { .. } => "delete_account",
    }
}
