//! Instance-wide domain blocks and allows, as Mastodon's admin has them, built on the
//! engine's inbound policies ([`activitypub_core::policy`]).
//!
//! The records live in the kv namespaces [`ns::DOMAIN_BLOCKS`] and [`ns::DOMAIN_ALLOWS`]
//! (keyed by domain). Every change recompiles [`DomainRules`] — one [`DomainSet`] per
//! severity and flag, held in memory — and from it the engine's [`PolicySet`]:
//!
//! - allow-list mode (`limited_federation`): [`AllowDomains`] over the allowed domains;
//! - `suspend`: [`BlockDomains`] (refused at the inbox with `403`, before the signature);
//! - `reject_reports`: a `Flag` from the domain is dropped ([`RejectReports`]);
//! - `reject_media`: [`StripMedia`] on the domain's activities (no attachment, avatar or
//!   header of it is stored or fetched; [`App::refuses_media_of`] guards the fetches too);
//! - `silence`: [`ForceUnlisted`] on the domain's activities, so its posts reach followers'
//!   home timelines but not public ones; posts stored before the silence are kept off public
//!   timelines when pages are read ([`App::statuses_page`]).
//!
//! Reads on the request path ([`State::is_domain_blocked`], page filters) use the compiled
//! rules: no store read.

use std::sync::Arc;

use activitypub_core::policy::{
    AllowDomains, BlockDomains, DomainSet, ForceUnlisted, OnDomains, Policy, PolicySet, Sender,
    StripMedia, Verdict,
};
use fedi_storage::CollectionStoreExt;
use serde::{Deserialize, Serialize};

use super::model::{coll, ns, Account};
use super::{App, State};
use crate::error::Error;

/// A domain block's severity, as Mastodon's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The domain's posts stay out of public timelines; followers still see them.
    Silence,
    /// Nothing is taken from the domain, nothing is sent to it, its content is hidden.
    /// (Blocks recorded before severities existed were suspensions.)
    #[default]
    Suspend,
    /// No limit by itself (for `reject_media` / `reject_reports` alone).
    Noop,
}

impl Severity {
    /// Mastodon's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Silence => "silence",
            Severity::Suspend => "suspend",
            Severity::Noop => "noop",
        }
    }
    /// Parses Mastodon's name.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "silence" => Some(Severity::Silence),
            "suspend" => Some(Severity::Suspend),
            "noop" => Some(Severity::Noop),
            _ => None,
        }
    }
}

/// An instance-level domain block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainBlock {
    /// Its id (`0` in records written before blocks had ids; given one when rules load).
    #[serde(default)]
    pub id: u64,
    /// The blocked domain (normalized; matches its subdomains too).
    pub domain: String,
    /// Created (ms).
    pub created_at: u64,
    /// How severe.
    #[serde(default)]
    pub severity: Severity,
    /// Media of the domain is not stored.
    #[serde(default)]
    pub reject_media: bool,
    /// Reports (`Flag`) from the domain are dropped.
    #[serde(default)]
    pub reject_reports: bool,
    /// A note for admins.
    #[serde(default)]
    pub private_comment: Option<String>,
    /// A note shown with the public list.
    #[serde(default)]
    pub public_comment: Option<String>,
    /// The public list shows the domain partly hidden.
    #[serde(default)]
    pub obfuscate: bool,
}

impl DomainBlock {
    /// Mastodon's `stricter_than?`: whether this block limits at least as much as `other`.
    pub fn stricter_than(&self, other: &DomainBlock) -> bool {
        if self.severity == Severity::Suspend {
            return true;
        }
        if other.severity == Severity::Suspend {
            return false;
        }
        if other.severity == Severity::Silence && self.severity == Severity::Noop {
            return false;
        }
        (self.reject_media || !other.reject_media) && (self.reject_reports || !other.reject_reports)
    }

    /// The domain as the public list shows it: as Mastodon's `public_domain`, the middle
    /// half of an obfuscated domain's characters (dots kept) become `*`.
    pub fn public_domain(&self) -> String {
        if !self.obfuscate {
            return self.domain.clone();
        }
        let chars: Vec<char> = self.domain.chars().collect();
        let len = chars.len();
        let visible = len / 4;
        chars
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i > visible && i < len - visible && *c != '.' {
                    '*'
                } else {
                    *c
                }
            })
            .collect()
    }
}

/// A domain allowed in allow-list (limited federation) mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainAllow {
    /// Its id.
    pub id: u64,
    /// The allowed domain (and its subdomains).
    pub domain: String,
    /// Created (ms).
    pub created_at: u64,
}

/// What a new or changed domain block sets (unset: the default, or unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainBlockParams {
    /// Severity (default `silence`, as Mastodon's).
    pub severity: Option<Severity>,
    /// `reject_media`.
    pub reject_media: Option<bool>,
    /// `reject_reports`.
    pub reject_reports: Option<bool>,
    /// `private_comment`.
    pub private_comment: Option<String>,
    /// `public_comment`.
    pub public_comment: Option<String>,
    /// `obfuscate`.
    pub obfuscate: Option<bool>,
}

impl DomainBlockParams {
    fn apply(&self, b: &mut DomainBlock) {
        if let Some(s) = self.severity {
            b.severity = s;
        }
        if let Some(v) = self.reject_media {
            b.reject_media = v;
        }
        if let Some(v) = self.reject_reports {
            b.reject_reports = v;
        }
        if let Some(v) = &self.private_comment {
            b.private_comment = Some(v.clone()).filter(|s| !s.is_empty());
        }
        if let Some(v) = &self.public_comment {
            b.public_comment = Some(v.clone()).filter(|s| !s.is_empty());
        }
        if let Some(v) = self.obfuscate {
            b.obfuscate = v;
        }
    }
}

/// Why a domain block was not created.
#[derive(Debug)]
pub enum BlockRefused {
    /// The domain is empty or not a domain.
    Invalid(String),
    /// A block of the domain or a parent domain already limits as much (Mastodon's
    /// `existing_domain_block`).
    Existing(Box<DomainBlock>),
    /// Another error.
    Other(Error),
}

impl From<Error> for BlockRefused {
    fn from(e: Error) -> Self {
        BlockRefused::Other(e)
    }
}

/// The compiled domain rules: one set per severity and flag.
#[derive(Debug, Clone, Default)]
pub struct DomainRules {
    /// Suspended domains.
    pub suspended: DomainSet,
    /// Silenced domains.
    pub silenced: DomainSet,
    /// Domains whose media is rejected.
    pub reject_media: DomainSet,
    /// Domains whose reports are rejected.
    pub reject_reports: DomainSet,
    /// Allowed domains (allow-list mode).
    pub allowed: DomainSet,
    /// Whether allow-list mode is on.
    pub limited: bool,
}

impl DomainRules {
    /// Whether nothing is exchanged with `host` (lowercase, no port): suspended, or not
    /// allowed in allow-list mode.
    pub fn refuses(&self, host: &str) -> bool {
        self.suspended.contains(host) || (self.limited && !self.allowed.contains(host))
    }

    /// The inbound policies these rules make.
    pub fn policies(&self) -> PolicySet {
        let mut set = PolicySet::new();
        if self.limited {
            set.push(AllowDomains::new(self.allowed.clone()));
        }
        set.push(BlockDomains::new(self.suspended.clone()));
        set.push(OnDomains::new(self.reject_reports.clone(), RejectReports));
        set.push(OnDomains::new(self.reject_media.clone(), StripMedia).named("reject_media"));
        set.push(OnDomains::new(self.silenced.clone(), ForceUnlisted).named("silence"));
        set
    }
}

/// Drops reports (`Flag`) — scoped to the `reject_reports` domains by [`OnDomains`]. The
/// server's own policy beside the library's.
#[derive(Debug, Clone, Copy)]
pub struct RejectReports;

impl Policy for RejectReports {
    fn name(&self) -> &str {
        "reject_reports"
    }
    fn filter(
        &self,
        activity: &mut activitypub_core::engine::InboxActivity,
        sender: Sender<'_>,
    ) -> Verdict {
        if activity.kind() == "Flag" {
            Verdict::reject(format!("reports from {} are rejected", sender.host))
        } else {
            Verdict::Accept
        }
    }
}

/// A domain as given by an admin: trimmed, lowercase, without scheme, path or port.
pub fn normalize_domain(input: &str) -> Result<String, String> {
    let s = input.trim();
    let s = s.split_once("://").map_or(s, |(_, r)| r);
    let host = activitypub_core::policy::host_of(&format!("https://{s}")).into_owned();
    let ok = !s.contains(char::is_whitespace)
        && !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        && !host.starts_with('.');
    if ok {
        Ok(host)
    } else {
        Err(format!("{input:?} is not a domain"))
    }
}

fn bare_host(host: &str) -> String {
    activitypub_core::policy::host_of(&format!("https://{host}")).into_owned()
}

impl State {
    /// The compiled domain rules in force.
    pub(crate) fn domain_rules(&self) -> Arc<DomainRules> {
        self.domain_rules
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Whether nothing is exchanged with `host` (a host, `host:port`, as
    /// [`host_of`](super::host_of) gives): suspended, or not allowed in allow-list mode. Our
    /// own host never is. From memory: no store read.
    pub(crate) async fn is_domain_blocked(&self, host: &str) -> Result<bool, Error> {
        let bare = bare_host(host);
        if bare.is_empty() || bare == activitypub_core::policy::host_of(&self.config.base_url) {
            return Ok(false);
        }
        Ok(self.domain_rules().refuses(&bare))
    }
}

impl App {
    /// The compiled domain rules in force.
    pub fn domain_rules(&self) -> Arc<DomainRules> {
        self.inner.domain_rules()
    }

    /// Whether `host` is blocked: suspended, or not allowed in allow-list mode.
    pub async fn is_domain_blocked(&self, host: &str) -> Result<bool, Error> {
        self.inner.is_domain_blocked(host).await
    }

    /// Whether files from `iri`'s domain are not to be fetched (`reject_media` or blocked).
    pub fn refuses_media_of(&self, iri: &str) -> bool {
        let rules = self.domain_rules();
        let host = activitypub_core::policy::host_of(iri);
        !self.config().is_local_iri(iri)
            && (rules.reject_media.contains(&host) || rules.refuses(&host))
    }

    /// Reads the records, compiles the rules and hands the engine its policies. Runs at start
    /// and after every change. Blocks recorded before they had ids are given one.
    pub async fn reload_domain_rules(&self) -> Result<(), Error> {
        let blocks = self.domain_blocks().await?;
        let allows = self.domain_allows().await?;
        let of = |f: &dyn Fn(&DomainBlock) -> bool| {
            blocks
                .iter()
                .filter(|b| f(b))
                .map(|b| b.domain.as_str())
                .collect::<DomainSet>()
        };
        let rules = DomainRules {
            suspended: of(&|b| b.severity == Severity::Suspend),
            silenced: of(&|b| b.severity == Severity::Silence),
            reject_media: of(&|b| b.reject_media),
            reject_reports: of(&|b| b.reject_reports),
            allowed: allows.iter().map(|a| a.domain.as_str()).collect(),
            limited: self.config().limited_federation,
        };
        self.engine().set_policies(rules.policies());
        *self
            .inner
            .domain_rules
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(rules);
        Ok(())
    }

    /// Every domain block, newest first.
    pub async fn domain_blocks(&self) -> Result<Vec<DomainBlock>, Error> {
        let rows = self
            .store()
            .kv_scan(ns::DOMAIN_BLOCKS, b"", None, 100_000)
            .await?;
        let mut out: Vec<DomainBlock> = Vec::with_capacity(rows.len());
        for (_, v) in rows {
            let Ok(mut b) = serde_json::from_slice::<DomainBlock>(&v) else {
                continue;
            };
            if b.id == 0 {
                b.id = self.inner.ids.at(b.created_at, self.now_ms());
                self.put(ns::DOMAIN_BLOCKS, &b.domain.clone(), &b).await?;
            }
            out.push(b);
        }
        out.sort_by_key(|b| std::cmp::Reverse(b.id));
        Ok(out)
    }

    /// The domain block with this id.
    pub async fn domain_block(&self, id: u64) -> Result<Option<DomainBlock>, Error> {
        Ok(self.domain_blocks().await?.into_iter().find(|b| b.id == id))
    }

    /// Creates a domain block, as Mastodon's admin API: refused when a block of the domain,
    /// or one of a parent domain that this one is not stricter than, exists.
    pub async fn create_domain_block(
        &self,
        domain: &str,
        params: &DomainBlockParams,
    ) -> Result<DomainBlock, BlockRefused> {
        let domain = normalize_domain(domain).map_err(BlockRefused::Invalid)?;
        let now = self.now_ms();
        let mut block = DomainBlock {
            id: self.inner.ids.next(now),
            domain: domain.clone(),
            created_at: now,
            severity: Severity::Silence,
            reject_media: false,
            reject_reports: false,
            private_comment: None,
            public_comment: None,
            obfuscate: false,
        };
        params.apply(&mut block);
        let existing = self.domain_blocks().await?;
        let rule = DomainSet::from_iter(existing.iter().map(|b| b.domain.as_str()));
        if let Some(hit) = rule.matching(&domain) {
            if let Some(e) = existing.iter().find(|b| b.domain == hit) {
                if e.domain == domain || !block.stricter_than(e) {
                    return Err(BlockRefused::Existing(Box::new(e.clone())));
                }
            }
        }
        self.put(ns::DOMAIN_BLOCKS, &domain, &block).await?;
        self.after_block_change(&block).await?;
        Ok(block)
    }

    /// Changes a domain block (not its domain).
    pub async fn update_domain_block(
        &self,
        id: u64,
        params: &DomainBlockParams,
    ) -> Result<Option<DomainBlock>, Error> {
        let Some(mut b) = self.domain_block(id).await? else {
            return Ok(None);
        };
        params.apply(&mut b);
        self.put(ns::DOMAIN_BLOCKS, &b.domain.clone(), &b).await?;
        self.after_block_change(&b).await?;
        Ok(Some(b))
    }

    /// Lifts the domain block with this id; the block if there was one.
    pub async fn remove_domain_block(&self, id: u64) -> Result<Option<DomainBlock>, Error> {
        let Some(b) = self.domain_block(id).await? else {
            return Ok(None);
        };
        self.store()
            .kv_delete(ns::DOMAIN_BLOCKS, b.domain.as_bytes())
            .await?;
        self.reload_domain_rules().await?;
        Ok(Some(b))
    }

    /// Suspends a domain (the `woolly domain-block add` of before severities); `false` if a
    /// block of it (or a stricter one of a parent domain) existed.
    pub async fn block_domain(&self, domain: &str) -> Result<bool, Error> {
        let params = DomainBlockParams {
            severity: Some(Severity::Suspend),
            ..DomainBlockParams::default()
        };
        match self.create_domain_block(domain, &params).await {
            Ok(_) => Ok(true),
            Err(BlockRefused::Existing(_)) => Ok(false),
            Err(BlockRefused::Invalid(m)) => Err(Error::BadRequest(m)),
            Err(BlockRefused::Other(e)) => Err(e),
        }
    }

    /// Lifts the block of `domain`; `false` if there was none.
    pub async fn unblock_domain(&self, domain: &str) -> Result<bool, Error> {
        let d = normalize_domain(domain).map_err(Error::BadRequest)?;
        let existed = self
            .store()
            .kv_delete(ns::DOMAIN_BLOCKS, d.as_bytes())
            .await?;
        self.reload_domain_rules().await?;
        Ok(existed)
    }

    async fn after_block_change(&self, b: &DomainBlock) -> Result<(), Error> {
        self.reload_domain_rules().await?;
        if b.severity == Severity::Suspend {
            self.end_follows_with(&b.domain).await?;
        }
        Ok(())
    }

    /// As Mastodon's suspension: follows between local accounts and the domain's accounts
    /// end, so nothing more is delivered there (federate() also drops such recipients).
    async fn end_follows_with(&self, domain: &str) -> Result<(), Error> {
        let set = DomainSet::from_iter([domain]);
        let accounts = self
            .scan_records::<Account>(ns::ACCOUNTS, b"", |a| {
                a.domain
                    .as_deref()
                    .is_some_and(|host| set.contains(&bare_host(host)))
            })
            .await?;
        for (_, acc) in accounts {
            for f in self
                .store()
                .all_members(&coll::following(acc.id), 1000)
                .await?
            {
                if let Ok(t) = f.member.parse() {
                    self.remove_follow_record(acc.id, t).await?;
                }
            }
            for f in self
                .store()
                .all_members(&coll::followers(acc.id), 1000)
                .await?
            {
                if let Ok(t) = f.member.parse() {
                    self.remove_follow_record(t, acc.id).await?;
                }
            }
        }
        Ok(())
    }

    /// Every allowed domain, newest first.
    pub async fn domain_allows(&self) -> Result<Vec<DomainAllow>, Error> {
        let rows = self
            .store()
            .kv_scan(ns::DOMAIN_ALLOWS, b"", None, 100_000)
            .await?;
        let mut out: Vec<DomainAllow> = rows
            .into_iter()
            .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
            .collect();
        out.sort_by_key(|b| std::cmp::Reverse(b.id));
        Ok(out)
    }

    /// The allowed domain with this id.
    pub async fn domain_allow(&self, id: u64) -> Result<Option<DomainAllow>, Error> {
        Ok(self.domain_allows().await?.into_iter().find(|a| a.id == id))
    }

    /// Allows a domain (the existing allow if it was allowed, as Mastodon answers).
    pub async fn create_domain_allow(&self, domain: &str) -> Result<DomainAllow, Error> {
        let d = normalize_domain(domain).map_err(Error::Unprocessable)?;
        if let Some(a) = self.get::<DomainAllow>(ns::DOMAIN_ALLOWS, &d).await? {
            return Ok(a);
        }
        let now = self.now_ms();
        let allow = DomainAllow {
            id: self.inner.ids.next(now),
            domain: d.clone(),
            created_at: now,
        };
        self.put(ns::DOMAIN_ALLOWS, &d, &allow).await?;
        self.reload_domain_rules().await?;
        Ok(allow)
    }

    /// Removes the allow with this id; the allow if there was one.
    pub async fn remove_domain_allow(&self, id: u64) -> Result<Option<DomainAllow>, Error> {
        let Some(a) = self.domain_allow(id).await? else {
            return Ok(None);
        };
        self.store()
            .kv_delete(ns::DOMAIN_ALLOWS, a.domain.as_bytes())
            .await?;
        self.reload_domain_rules().await?;
        Ok(Some(a))
    }

    /// Removes the allow of `domain`; `false` if there was none.
    pub async fn disallow_domain(&self, domain: &str) -> Result<bool, Error> {
        let d = normalize_domain(domain).map_err(Error::BadRequest)?;
        let existed = self
            .store()
            .kv_delete(ns::DOMAIN_ALLOWS, d.as_bytes())
            .await?;
        self.reload_domain_rules().await?;
        Ok(existed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(domain: &str, severity: Severity, media: bool, obfuscate: bool) -> DomainBlock {
        DomainBlock {
            id: 1,
            domain: domain.into(),
            created_at: 0,
            severity,
            reject_media: media,
            reject_reports: false,
            private_comment: None,
            public_comment: None,
            obfuscate,
        }
    }

    #[test]
    fn obfuscation_hides_the_middle_as_mastodon_does() {
        let b = block("example.com", Severity::Suspend, false, true);
        // 11 characters: the first 3 and last 2 shown, dots kept (i > len/4 && i < len - len/4).
        assert_eq!(b.public_domain(), "exa****.*om");
        let b = block("spam.example", Severity::Suspend, false, true);
        assert_eq!(b.public_domain(), "spam.****ple");
        assert_eq!(
            block("a.b", Severity::Noop, false, true).public_domain(),
            "a.*"
        );
        assert_eq!(
            block("x.example", Severity::Noop, false, false).public_domain(),
            "x.example"
        );
    }

    #[test]
    fn strictness_follows_mastodon() {
        let suspend = block("a", Severity::Suspend, false, false);
        let silence = block("a", Severity::Silence, false, false);
        let noop_media = block("a", Severity::Noop, true, false);
        assert!(suspend.stricter_than(&silence));
        assert!(!silence.stricter_than(&suspend));
        assert!(!noop_media.stricter_than(&silence));
        assert!(silence.stricter_than(&block("a", Severity::Noop, false, false)));
        assert!(!silence.stricter_than(&block("a", Severity::Silence, true, false)));
    }

    #[test]
    fn domains_are_normalized_or_refused() {
        assert_eq!(
            normalize_domain(" Spam.Example. ").as_deref(),
            Ok("spam.example")
        );
        assert_eq!(
            normalize_domain("https://x.example:443/path").as_deref(),
            Ok("x.example")
        );
        assert!(normalize_domain("").is_err());
        assert!(normalize_domain("not a domain").is_err());
        assert!(normalize_domain("a/b c").is_err());
    }

    #[test]
    fn rules_refuse_suspended_and_unlisted_in_allow_list_mode() {
        let mut r = DomainRules {
            suspended: DomainSet::from_iter(["bad.example"]),
            allowed: DomainSet::from_iter(["good.example"]),
            ..DomainRules::default()
        };
        assert!(r.refuses("eu.bad.example"));
        assert!(!r.refuses("other.example"));
        r.limited = true;
        assert!(r.refuses("other.example"));
        assert!(!r.refuses("good.example"));
        assert_eq!(
            r.policies().names(),
            [
                "allow_domains",
                "block_domains",
                "reject_reports",
                "reject_media",
                "silence"
            ]
        );
    }
}
