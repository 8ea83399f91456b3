//! Policies by the sender's domain: block lists, allow lists, and any policy scoped to a set
//! of domains.

use std::collections::HashSet;
use std::sync::Arc;

use super::{host_of, Policy, Sender, Verdict};
use crate::engine::InboxActivity;

/// A set of domains matched with their subdomains (`example.com` matches
/// `social.example.com`), as Mastodon's domain blocks and allows match. Lookups are a few
/// hash probes (the host, then each parent domain), whatever the set's size. Cheap to clone
/// (an `Arc` inside).
#[derive(Debug, Clone, Default)]
pub struct DomainSet {
    domains: Arc<HashSet<Box<str>>>,
}

impl DomainSet {
    /// An empty set.
    pub fn new() -> Self {
        DomainSet::default()
    }

    /// Normalizes one domain as the set keeps it: trimmed, lowercase, no trailing dot.
    pub fn normalize(domain: &str) -> String {
        domain.trim().trim_end_matches('.').to_ascii_lowercase()
    }

    /// The number of domains.
    pub fn len(&self) -> usize {
        self.domains.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }

    /// Whether `host` (lowercase, no port; as [`host_of`] gives) or one of its parent
    /// domains is in the set; returns the matching entry.
    pub fn matching(&self, host: &str) -> Option<&str> {
        if self.domains.is_empty() || host.is_empty() {
            return None;
        }
        let mut rest = host;
        loop {
            if let Some(d) = self.domains.get(rest) {
                return Some(d);
            }
            match rest.split_once('.') {
                Some((_, parent)) if !parent.is_empty() => rest = parent,
                _ => return None,
            }
        }
    }

    /// Whether `host` or one of its parent domains is in the set.
    pub fn contains(&self, host: &str) -> bool {
        self.matching(host).is_some()
    }

    /// Whether the host of `iri` (or one of its parents) is in the set.
    pub fn contains_iri(&self, iri: &str) -> bool {
        !self.domains.is_empty() && self.contains(&host_of(iri))
    }
}

impl<S: AsRef<str>> FromIterator<S> for DomainSet {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        DomainSet {
            domains: Arc::new(
                iter.into_iter()
                    .map(|d| DomainSet::normalize(d.as_ref()))
                    .filter(|d| !d.is_empty())
                    .map(String::into_boxed_str)
                    .collect(),
            ),
        }
    }
}

/// Refuses everything from the listed domains (and their subdomains): at the inbox before
/// the signature is checked, and again on queued activities (received before the block).
/// An `Announce` of a post from a listed domain is refused too.
#[derive(Debug, Clone)]
pub struct BlockDomains {
    domains: DomainSet,
}

impl BlockDomains {
    /// Blocks `domains`.
    pub fn new(domains: DomainSet) -> Self {
        BlockDomains { domains }
    }
}

impl Policy for BlockDomains {
    fn name(&self) -> &str {
        "block_domains"
    }
    fn admit(&self, sender: Sender<'_>) -> Verdict {
        match self.domains.matching(sender.host) {
            Some(d) => Verdict::reject(format!("{d} is blocked")),
            None => Verdict::Accept,
        }
    }
    fn filter(&self, activity: &mut InboxActivity, sender: Sender<'_>) -> Verdict {
        if let Verdict::Reject(r) = self.admit(sender) {
            return Verdict::Reject(r);
        }
        if activity.kind() == "Announce" {
            if let Some(object) = activity.object_id() {
                let host = host_of(object);
                if let Some(d) = self.domains.matching(&host) {
                    return Verdict::reject(format!(
                        "a boost of a post from {d}, which is blocked"
                    ));
                }
            }
        }
        Verdict::Accept
    }
}

/// Allow-list mode (Mastodon's limited federation): only the listed domains (and their
/// subdomains) are heard; everything else is refused at the inbox.
#[derive(Debug, Clone)]
pub struct AllowDomains {
    domains: DomainSet,
}

impl AllowDomains {
    /// Hears only `domains`.
    pub fn new(domains: DomainSet) -> Self {
        AllowDomains { domains }
    }
}

impl Policy for AllowDomains {
    fn name(&self) -> &str {
        "allow_domains"
    }
    fn admit(&self, sender: Sender<'_>) -> Verdict {
        if self.domains.contains(sender.host) {
            Verdict::Accept
        } else {
            Verdict::reject(format!("{} is not an allowed domain", sender.host))
        }
    }
    fn filter(&self, _activity: &mut InboxActivity, sender: Sender<'_>) -> Verdict {
        self.admit(sender)
    }
}

/// Any policy applied only to senders on some domains (and their subdomains): strip media
/// from one domain, force another's posts unlisted, and so on. Senders elsewhere pass
/// untouched.
#[derive(Debug, Clone)]
pub struct OnDomains<P> {
    domains: DomainSet,
    inner: P,
    name: String,
}

impl<P: Policy> OnDomains<P> {
    /// `inner`, for senders on `domains` only. Named `inner`'s name.
    pub fn new(domains: DomainSet, inner: P) -> Self {
        let name = inner.name().to_owned();
        OnDomains {
            domains,
            inner,
            name,
        }
    }

    /// The same, under another name (to tell two scoped uses of one policy apart).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

impl<P: Policy> Policy for OnDomains<P> {
    fn name(&self) -> &str {
        &self.name
    }
    fn admit(&self, sender: Sender<'_>) -> Verdict {
        if self.domains.contains(sender.host) {
            self.inner.admit(sender)
        } else {
            Verdict::Accept
        }
    }
    fn filter(&self, activity: &mut InboxActivity, sender: Sender<'_>) -> Verdict {
        if self.domains.contains(sender.host) {
            self.inner.filter(activity, sender)
        } else {
            Verdict::Accept
        }
    }
}
