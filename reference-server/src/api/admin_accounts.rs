//! Mastodon's admin accounts API: `/api/v1/admin/accounts` (and `/api/v2/admin/accounts`)
//! to list and filter accounts, show one, act on it (`action` with `none`, `sensitive`,
//! `disable`, `silence`, `suspend`), undo (`enable`, `unsilence`, `unsuspend`,
//! `unsensitive`) and delete the data of a suspended one.
//!
//! Each endpoint needs its scope (`admin:read:accounts` or `admin:write:accounts`, or their
//! parents) and a role with Mastodon's permission for it ([`Ctx::staff`]); `403` otherwise.

use fedi_storage::{CollectionItem, Page};
use http::Method;
use serde_json::json;

use super::entities::AdminAccount;
use super::params::path_id;
use super::responses::{ok, ApiError, ApiResult};
use super::Ctx;
use crate::app::roles::flags;
use crate::app::{Account, Action, Role, Undo};
use crate::http::routes::Api;

const READ: &str = "admin:read:accounts";
const WRITE: &str = "admin:write:accounts";

/// Answers the admin accounts routes.
pub(crate) async fn answer(
    ctx: &Ctx<'_>,
    m: &Method,
    route: Api,
    id: &str,
    action: &str,
) -> ApiResult {
    match (m, route) {
        (&Method::GET, Api::AdminAccounts) => index(ctx, false).await,
        (&Method::GET, Api::V2AdminAccounts) => index(ctx, true).await,
        (&Method::GET, Api::AdminAccount) => show(ctx, id).await,
        (&Method::DELETE, Api::AdminAccount) => destroy(ctx, id).await,
        (&Method::POST, Api::AdminAccountAction) => act(ctx, id, action).await,
        _ => Err(ApiError::not_found()),
    }
}

/// What a list asks for, from v1's or v2's parameters.
struct Filter {
    local: Option<bool>,
    domain: Option<String>,
    status: Option<String>,
    staff: bool,
    username: Option<String>,
    display_name: Option<String>,
    role_ids: Vec<String>,
}

impl Filter {
    fn parse(ctx: &Ctx<'_>, v2: bool) -> Result<Filter, ApiError> {
        let p = &ctx.p;
        let (local, status, staff) = if v2 {
            let local = match p.nonempty("origin").as_deref() {
                None => None,
                Some("local") => Some(true),
                Some("remote") => Some(false),
                Some(o) => return Err(ApiError::unprocessable(format!("origin {o:?}"))),
            };
            let status = p.nonempty("status");
            if let Some(s) = &status {
                if !matches!(
                    s.as_str(),
                    "active" | "pending" | "disabled" | "silenced" | "suspended"
                ) {
                    return Err(ApiError::unprocessable(format!("status {s:?}")));
                }
            }
            let staff = match p.nonempty("permissions").as_deref() {
                None => false,
                Some("staff") => true,
                Some(o) => return Err(ApiError::unprocessable(format!("permissions {o:?}"))),
            };
            (local, status, staff)
        } else {
            // As Mastodon's v1 translates its parameters: local and active unless asked.
            let local = Some(!p.flag("remote")?);
            let status = ["active", "pending", "disabled", "silenced", "suspended"]
                .into_iter()
                .map(|k| Ok::<_, ApiError>((k, p.flag(k)?)))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .find(|(_, on)| *on)
                .map(|(k, _)| k.to_owned());
            let status = match status {
                None if p.flag("sensitized")? => Some("sensitized".to_owned()),
                None => Some("active".to_owned()),
                s => s,
            };
            (local, status, p.flag("staff")?)
        };
        Ok(Filter {
            local,
            domain: p.nonempty("by_domain").map(|d| d.to_lowercase()),
            status,
            staff,
            username: p.nonempty("username").map(|u| u.to_lowercase()),
            display_name: p.nonempty("display_name").map(|d| d.to_lowercase()),
            role_ids: p.list("role_ids"),
        })
    }

    fn keeps(&self, a: &Account) -> bool {
        let m = &a.moderation;
        let status = match self.status.as_deref() {
            None => true,
            Some("active") => m.suspended_at.is_none() && !a.deleted,
            // No account waits for approval without registration approval.
            Some("pending") => false,
            Some("disabled") => m.disabled,
            Some("silenced") => m.silenced_at.is_some(),
            Some("suspended") => m.suspended_at.is_some(),
            Some("sensitized") => m.sensitized_at.is_some(),
            Some(_) => false,
        };
        status
            && (!self.staff || a.role != Role::User)
            && (self.role_ids.is_empty()
                || (a.is_local() && self.role_ids.iter().any(|r| r == a.role.id())))
            && self.domain.as_deref().is_none_or(|d| {
                a.domain
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(d))
            })
            && self
                .username
                .as_deref()
                .is_none_or(|u| a.username.to_lowercase().starts_with(u))
            && self
                .display_name
                .as_deref()
                .is_none_or(|d| a.display_name.to_lowercase().contains(d))
    }
}

async fn entities(ctx: &Ctx<'_>, accounts: &[Account]) -> Result<Vec<AdminAccount>, ApiError> {
    let l = ctx.app.load_accounts(accounts).await?;
    Ok(accounts
        .iter()
        .map(|a| AdminAccount::from_loaded(ctx.app, a, &l))
        .collect())
}

async fn one(ctx: &Ctx<'_>, a: &Account) -> ApiResult {
    let e = entities(ctx, std::slice::from_ref(a)).await?;
    ok(serde_json::to_value(&e[0]).map_err(crate::Error::from)?)
}

/// `GET /api/v1/admin/accounts` and `/api/v2/admin/accounts`.
async fn index(ctx: &Ctx<'_>, v2: bool) -> ApiResult {
    ctx.staff(READ, flags::MANAGE_USERS).await?;
    let filter = Filter::parse(ctx, v2)?;
    let req = ctx.p.page(100, 200)?;
    let mut list = ctx
        .app
        .admin_accounts(filter.local, req.max_id, req.min_id, req.limit, |a| {
            filter.keeps(a) && req.since_id.is_none_or(|s| a.id > s)
        })
        .await?;
    list.truncate(req.limit);
    let body = serde_json::to_value(entities(ctx, &list).await?).map_err(crate::Error::from)?;
    let mut page = Page::default();
    page.items = list
        .iter()
        .map(|a| CollectionItem::new(a.id, a.id.to_string()))
        .collect();
    ctx.paged(body, &page)
}

/// `GET /api/v1/admin/accounts/:id`.
async fn show(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    ctx.staff(READ, flags::MANAGE_USERS).await?;
    let a = ctx.app.account(path_id(id)?).await?;
    one(ctx, &a).await
}

/// `DELETE /api/v1/admin/accounts/:id`: deletes the data of a suspended account.
async fn destroy(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let role = ctx.staff(WRITE, flags::DELETE_USER_DATA).await?.1;
    let id = path_id(id)?;
    let a = ctx.app.delete_suspended_data(role, id).await?;
    super::token_access::sync_login(ctx.app, &a).await?;
    one(ctx, &a).await
}

/// `POST /api/v1/admin/accounts/:id/action` (answers `{}`), and the undo endpoints
/// (`enable`, `unsilence`, `unsuspend`, `unsensitive`: the `Admin::Account`).
async fn act(ctx: &Ctx<'_>, id: &str, action: &str) -> ApiResult {
    let role = ctx.staff(WRITE, flags::MANAGE_USERS).await?.1;
    let id = path_id(id)?;
    if action == "action" {
        let kind = ctx.p.str("type").unwrap_or_default();
        let Some(kind) = Action::parse(&kind) else {
            return Err(ApiError::unprocessable(format!(
                "Validation failed: Type is not included in the list ({kind:?})"
            )));
        };
        let a = ctx.app.moderate(role, id, kind).await?;
        super::token_access::sync_login(ctx.app, &a).await?;
        return ok(json!({}));
    }
    let Some(undo) = Undo::parse(action) else {
        return Err(ApiError::not_found());
    };
    let a = ctx.app.unmoderate(role, id, undo).await?;
    super::token_access::sync_login(ctx.app, &a).await?;
    one(ctx, &a).await
}
