//! Policies on what an activity carries: media, sensitivity, words, addressing, mentions.
//! They look at `Create` and `Update` activities (and `Announce` where said) and leave every
//! other kind alone.

use aho_corasick::AhoCorasick;

use super::{creates, post, posts_mut, Policy, Sender, Verdict};
use crate::engine::InboxActivity;
use crate::lenient::OneOrMany;
use crate::visibility::{is_public, PUBLIC};
use crate::{AnyObject, Object, Reference};

/// Removes media: a post's attachments (profile-field `PropertyValue`s are kept) and, on an
/// actor's `Update`, its avatar and header — as Mastodon's `reject_media` stores none of a
/// domain's files.
#[derive(Debug, Clone, Copy, Default)]
pub struct StripMedia;

fn strip_attachments(o: &mut Object) -> bool {
    let Some(list) = o.attachment.as_mut() else {
        return false;
    };
    let keep = |r: &Reference<AnyObject>| {
        r.object()
            .is_some_and(|a| a.object().type_name() == Some("PropertyValue"))
    };
    let before = list.len();
    let kept: Vec<_> = std::mem::replace(list, OneOrMany::Many(Vec::new()))
        .into_vec()
        .into_iter()
        .filter(keep)
        .collect();
    let changed = kept.len() != before;
    if kept.is_empty() {
        o.attachment = None;
    } else {
        *list = OneOrMany::Many(kept);
    }
    changed
}

fn strip_images(o: &mut Object) -> bool {
    let changed = o.icon.is_some() || o.image.is_some();
    o.icon = None;
    o.image = None;
    changed
}

impl Policy for StripMedia {
    fn name(&self) -> &str {
        "strip_media"
    }
    fn filter(&self, activity: &mut InboxActivity, _sender: Sender<'_>) -> Verdict {
        if !creates(activity) {
            return Verdict::Accept;
        }
        let mut changed = false;
        for o in posts_mut(activity) {
            changed |= strip_attachments(o);
        }
        if let Some(AnyObject::Actor(a)) = activity.object.as_mut() {
            changed |= strip_images(a);
        }
        if let Some(Reference::Object(b)) = activity
            .activity
            .object
            .as_mut()
            .and_then(|o| o.first_mut())
        {
            if let AnyObject::Actor(a) = b.as_mut() {
                changed |= strip_images(a);
            }
        }
        if changed {
            Verdict::Rewritten
        } else {
            Verdict::Accept
        }
    }
}

/// Marks posts that carry media as sensitive (Pleroma's `media_nsfw`): clients hide the
/// media behind a warning.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkSensitive;

impl Policy for MarkSensitive {
    fn name(&self) -> &str {
        "mark_sensitive"
    }
    fn filter(&self, activity: &mut InboxActivity, _sender: Sender<'_>) -> Verdict {
        if !creates(activity) {
            return Verdict::Accept;
        }
        let mut changed = false;
        for o in posts_mut(activity) {
            let has_media = o.attachment.as_ref().is_some_and(|a| {
                a.iter().any(|r| {
                    r.object()
                        .is_none_or(|x| x.object().type_name() != Some("PropertyValue"))
                })
            });
            if has_media && o.sensitive != Some(true) {
                o.sensitive = Some(true);
                changed = true;
            }
        }
        if changed {
            Verdict::Rewritten
        } else {
            Verdict::Accept
        }
    }
}

/// Drops posts (and boosts of posts) whose text, content warning or title contains one of
/// some keywords, compared case-insensitively (ASCII) in one pass over each text.
#[derive(Debug, Clone)]
pub struct DropKeywords {
    matcher: Option<AhoCorasick>,
    keywords: Vec<String>,
}

impl DropKeywords {
    /// Drops what contains any of `keywords` (empty keywords are ignored).
    pub fn new<S: AsRef<str>>(keywords: impl IntoIterator<Item = S>) -> Self {
        let keywords: Vec<String> = keywords
            .into_iter()
            .map(|k| k.as_ref().trim().to_owned())
            .filter(|k| !k.is_empty())
            .collect();
        let matcher = if keywords.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&keywords)
                .ok()
        };
        DropKeywords { matcher, keywords }
    }

    fn found(&self, o: &Object) -> Option<&str> {
        let m = self.matcher.as_ref()?;
        let texts = [
            o.content.as_deref(),
            o.summary.as_deref(),
            o.name.as_deref(),
        ];
        let maps = [o.content_map.as_ref(), o.summary_map.as_ref()];
        let in_maps = maps
            .into_iter()
            .flatten()
            .flat_map(|m| m.0.values().filter_map(|v| v.as_str()));
        texts
            .into_iter()
            .flatten()
            .chain(in_maps)
            .find_map(|t| m.find(t))
            .map(|hit| self.keywords[hit.pattern().as_usize()].as_str())
    }
}

impl Policy for DropKeywords {
    fn name(&self) -> &str {
        "drop_keywords"
    }
    fn filter(&self, activity: &mut InboxActivity, _sender: Sender<'_>) -> Verdict {
        if !creates(activity) && activity.kind() != "Announce" {
            return Verdict::Accept;
        }
        match post(activity).and_then(|o| self.found(o)) {
            Some(k) => Verdict::reject(format!("contains the keyword {k:?}")),
            None => Verdict::Accept,
        }
    }
}

/// Rewrites public addressing to unlisted (Pleroma's `federated_timeline_removal`): the
/// public collection moves from `to` to `cc`, on the activity and on its post, so the post
/// stays visible to followers and on the author's profile but leaves public timelines.
#[derive(Debug, Clone, Copy, Default)]
pub struct ForceUnlisted;

fn unlist(to: &mut Option<OneOrMany<String>>, cc: &mut Option<OneOrMany<String>>) -> bool {
    let Some(list) = to.as_mut() else {
        return false;
    };
    if !list.iter().any(|a| is_public(a)) {
        return false;
    }
    let kept: Vec<String> = std::mem::replace(list, OneOrMany::Many(Vec::new()))
        .into_vec()
        .into_iter()
        .filter(|a| !is_public(a))
        .collect();
    *list = OneOrMany::Many(kept);
    match cc.as_mut() {
        Some(c) if c.iter().any(|a| is_public(a)) => {}
        Some(c) => c.push(PUBLIC.to_owned()),
        None => *cc = Some(OneOrMany::Many(vec![PUBLIC.to_owned()])),
    }
    true
}

impl Policy for ForceUnlisted {
    fn name(&self) -> &str {
        "force_unlisted"
    }
    fn filter(&self, activity: &mut InboxActivity, _sender: Sender<'_>) -> Verdict {
        if !creates(activity) && activity.kind() != "Announce" {
            return Verdict::Accept;
        }
        let a = &mut activity.activity.base;
        let mut changed = unlist(&mut a.to, &mut a.cc);
        if creates(activity) {
            for o in posts_mut(activity) {
                changed |= unlist(&mut o.to, &mut o.cc);
            }
        }
        if changed {
            Verdict::Rewritten
        } else {
            Verdict::Accept
        }
    }
}

/// Drops posts that mention more than some number of accounts (mention spam; Pleroma's
/// `hellthread` policy counts the same way): `Mention` tags, each href once.
#[derive(Debug, Clone, Copy)]
pub struct LimitMentions {
    max: usize,
}

impl LimitMentions {
    /// At most `max` mentions per post.
    pub fn new(max: usize) -> Self {
        LimitMentions { max }
    }
}

fn mention_href(r: &Reference<AnyObject>) -> Option<&str> {
    let o = r.object()?;
    if o.object().type_name() != Some("Mention") {
        return None;
    }
    match o {
        AnyObject::Link(l) => l.href.as_deref(),
        other => other.object().extra.get("href").and_then(|v| v.as_str()),
    }
}

impl Policy for LimitMentions {
    fn name(&self) -> &str {
        "limit_mentions"
    }
    fn filter(&self, activity: &mut InboxActivity, _sender: Sender<'_>) -> Verdict {
        if activity.kind() != "Create" {
            return Verdict::Accept;
        }
        let Some(tags) = post(activity).and_then(|o| o.tag.as_ref()) else {
            return Verdict::Accept;
        };
        let mut seen: Vec<&str> = Vec::new();
        for href in tags.iter().filter_map(mention_href) {
            if !seen.contains(&href) {
                seen.push(href);
                if seen.len() > self.max {
                    return Verdict::reject(format!("mentions more than {} accounts", self.max));
                }
            }
        }
        Verdict::Accept
    }
}
