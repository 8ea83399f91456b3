//! Mastodon's admin API for instance-wide domain blocks and allows
//! (`/api/v1/admin/domain_blocks`, `/api/v1/admin/domain_allows`) and the public list
//! (`GET /api/v1/instance/domain_blocks`). The rules themselves are
//! [`crate::app::domain_blocks`].

use fedi_storage::{CollectionItem, Page, PageRequest};
use http::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::params::path_id;
use super::responses::{ok, ApiError, ApiResult};
use super::Ctx;
use crate::app::activitypub::rfc3339;
use crate::app::instance_domains::{
    BlockRefused, DomainAllow, DomainBlock, DomainBlockParams, Severity,
};
use crate::app::roles::flags;
use crate::http::routes::Api;

fn digest(domain: &str) -> String {
    Sha256::digest(domain.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Mastodon's `Admin::DomainBlock` entity.
pub(crate) fn block_json(b: &DomainBlock) -> Value {
    json!({
        "id": b.id.to_string(),
        "domain": b.domain,
        "digest": digest(&b.domain),
        "created_at": rfc3339(b.created_at),
        "severity": b.severity.as_str(),
        "reject_media": b.reject_media,
        "reject_reports": b.reject_reports,
        "private_comment": b.private_comment,
        "public_comment": b.public_comment,
        "obfuscate": b.obfuscate,
    })
}

/// Mastodon's `Admin::DomainAllow` entity.
pub(crate) fn allow_json(a: &DomainAllow) -> Value {
    json!({
        "id": a.id.to_string(),
        "domain": a.domain,
        "created_at": rfc3339(a.created_at),
    })
}

/// A page of `items` (sorted newest first by id) as `req` asks: `max_id` / `since_id` /
/// `min_id` / `limit`, newest first.
fn page_of<T: Clone>(items: &[T], id: impl Fn(&T) -> u64, req: &PageRequest) -> Vec<T> {
    let within = |t: &&T| {
        let i = id(t);
        req.max_id.is_none_or(|m| i < m)
            && req.since_id.is_none_or(|s| i > s)
            && req.min_id.is_none_or(|s| i > s)
    };
    if req.min_id.is_some() {
        // Anchored just after `min_id`: the oldest `limit` newer ones, shown newest first.
        let mut v: Vec<T> = items
            .iter()
            .rev()
            .filter(within)
            .take(req.limit)
            .cloned()
            .collect();
        v.reverse();
        v
    } else {
        items
            .iter()
            .filter(within)
            .take(req.limit)
            .cloned()
            .collect()
    }
}

fn paged(ctx: &Ctx<'_>, body: Vec<Value>, ids: Vec<u64>) -> ApiResult {
    let mut page = Page::default();
    page.items = ids
        .into_iter()
        .map(|i| CollectionItem::new(i, i.to_string()))
        .collect();
    ctx.paged(Value::Array(body), &page)
}

fn params(ctx: &Ctx<'_>) -> Result<DomainBlockParams, ApiError> {
    let severity = match ctx.p.nonempty("severity") {
        None => None,
        Some(s) => Some(Severity::parse(&s).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "Validation failed: Severity {s:?} is not one of silence, suspend, noop"
            ))
        })?),
    };
    Ok(DomainBlockParams {
        severity,
        reject_media: ctx.p.bool("reject_media")?,
        reject_reports: ctx.p.bool("reject_reports")?,
        private_comment: ctx.p.str("private_comment"),
        public_comment: ctx.p.str("public_comment"),
        obfuscate: ctx.p.bool("obfuscate")?,
    })
}

/// Answers the admin domain block and allow routes.
pub(crate) async fn answer(ctx: &Ctx<'_>, m: &Method, route: Api, id: &str) -> ApiResult {
    let app = ctx.app;
    match (m, route) {
        (&Method::GET, Api::AdminDomainBlocks) => {
            ctx.staff("admin:read:domain_blocks", flags::MANAGE_FEDERATION)
                .await?;
            let req = ctx.p.page(100, 200)?;
            let all = app.domain_blocks().await?;
            let page = page_of(&all, |b| b.id, &req);
            paged(
                ctx,
                page.iter().map(block_json).collect(),
                page.iter().map(|b| b.id).collect(),
            )
        }
        (&Method::GET, Api::AdminDomainBlock) => {
            ctx.staff("admin:read:domain_blocks", flags::MANAGE_FEDERATION)
                .await?;
            let b = app
                .domain_block(path_id(id)?)
                .await?
                .ok_or_else(ApiError::not_found)?;
            ok(block_json(&b))
        }
        (&Method::POST, Api::AdminDomainBlocks) => {
            ctx.staff("admin:write:domain_blocks", flags::MANAGE_FEDERATION)
                .await?;
            let domain = ctx.p.nonempty("domain").ok_or_else(|| {
                ApiError::unprocessable("Validation failed: Domain can't be blank")
            })?;
            let params = params(ctx)?;
            match app.create_domain_block(&domain, &params).await {
                Ok(b) => ok(block_json(&b)),
                Err(BlockRefused::Existing(e)) => Err(ApiError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    body: json!({
                        "error": format!("You have already imposed stricter limits on {}.", e.domain),
                        "existing_domain_block": block_json(&e),
                    }),
                    www_authenticate: None,
                }),
                Err(BlockRefused::Invalid(m)) => Err(ApiError::unprocessable(format!(
                    "Validation failed: Domain {m}"
                ))),
                Err(BlockRefused::Other(e)) => Err(e.into()),
            }
        }
        (&Method::PUT, Api::AdminDomainBlock) => {
            ctx.staff("admin:write:domain_blocks", flags::MANAGE_FEDERATION)
                .await?;
            let id = path_id(id)?;
            let params = params(ctx)?;
            let b = app
                .update_domain_block(id, &params)
                .await?
                .ok_or_else(ApiError::not_found)?;
            ok(block_json(&b))
        }
        (&Method::DELETE, Api::AdminDomainBlock) => {
            ctx.staff("admin:write:domain_blocks", flags::MANAGE_FEDERATION)
                .await?;
            app.remove_domain_block(path_id(id)?)
                .await?
                .ok_or_else(ApiError::not_found)?;
            ok(json!({}))
        }
        (&Method::GET, Api::AdminDomainAllows) => {
            ctx.staff("admin:read:domain_allows", flags::MANAGE_FEDERATION)
                .await?;
            let req = ctx.p.page(100, 200)?;
            let all = app.domain_allows().await?;
            let page = page_of(&all, |a| a.id, &req);
            paged(
                ctx,
                page.iter().map(allow_json).collect(),
                page.iter().map(|a| a.id).collect(),
            )
        }
        (&Method::GET, Api::AdminDomainAllow) => {
            ctx.staff("admin:read:domain_allows", flags::MANAGE_FEDERATION)
                .await?;
            let a = app
                .domain_allow(path_id(id)?)
                .await?
                .ok_or_else(ApiError::not_found)?;
            ok(allow_json(&a))
        }
        (&Method::POST, Api::AdminDomainAllows) => {
            ctx.staff("admin:write:domain_allows", flags::MANAGE_FEDERATION)
                .await?;
            let domain = ctx.p.nonempty("domain").ok_or_else(|| {
                ApiError::unprocessable("Validation failed: Domain can't be blank")
            })?;
            let a = app
                .create_domain_allow(&domain)
                .await
                .map_err(|e| match e {
                    crate::error::Error::Unprocessable(m) => {
                        ApiError::unprocessable(format!("Validation failed: Domain {m}"))
                    }
                    other => other.into(),
                })?;
            ok(allow_json(&a))
        }
        (&Method::DELETE, Api::AdminDomainAllow) => {
            ctx.staff("admin:write:domain_allows", flags::MANAGE_FEDERATION)
                .await?;
            app.remove_domain_allow(path_id(id)?)
                .await?
                .ok_or_else(ApiError::not_found)?;
            ok(json!({}))
        }
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "Not found")),
    }
}

/// `GET /api/v1/instance/domain_blocks`: the blocks that limit something (not a bare
/// `noop`), suspensions first, then silences, then the rest, each by domain; obfuscated
/// domains partly hidden, with the SHA-256 of the real one; comments if the rationale is
/// shown. `404` when the list is not shown to this viewer (`show_domain_blocks`).
pub(crate) async fn instance_list(ctx: &Ctx<'_>) -> ApiResult {
    let signed_in = ctx.viewer("read")?.is_some();
    let cfg = ctx.app.config();
    if !cfg.show_domain_blocks.shows(signed_in) {
        return Err(ApiError::not_found());
    }
    let with_comment = cfg.show_domain_blocks_rationale.shows(signed_in);
    let mut blocks: Vec<DomainBlock> = ctx
        .app
        .domain_blocks()
        .await?
        .into_iter()
        .filter(|b| b.severity != Severity::Noop || b.reject_media || b.reject_reports)
        .collect();
    let rank = |s: Severity| match s {
        Severity::Suspend => 0,
        Severity::Silence => 1,
        Severity::Noop => 2,
    };
    blocks.sort_by(|a, b| {
        rank(a.severity)
            .cmp(&rank(b.severity))
            .then_with(|| a.domain.cmp(&b.domain))
    });
    ok(Value::Array(
        blocks
            .iter()
            .map(|b| {
                json!({
                    "domain": b.public_domain(),
                    "digest": digest(&b.domain),
                    "severity": b.severity.as_str(),
                    "comment": if with_comment { b.public_comment.clone() } else { None },
                })
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_mastodon_ids() {
        let ids: Vec<u64> = (1..=10).rev().collect();
        let req = |max: Option<u64>, since: Option<u64>, min: Option<u64>, limit| {
            let mut r = PageRequest::newest(limit);
            r.max_id = max;
            r.since_id = since;
            r.min_id = min;
            r
        };
        assert_eq!(page_of(&ids, |i| *i, &req(None, None, None, 3)), [10, 9, 8]);
        assert_eq!(
            page_of(&ids, |i| *i, &req(Some(8), None, None, 3)),
            [7, 6, 5]
        );
        assert_eq!(page_of(&ids, |i| *i, &req(None, Some(7), None, 2)), [10, 9]);
        assert_eq!(page_of(&ids, |i| *i, &req(None, None, Some(7), 2)), [9, 8]);
    }

    #[test]
    fn digests_are_sha256_hex_of_the_domain() {
        assert_eq!(
            digest("example.com"),
            "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce1947"
        );
    }
}
