//! Matching statuses against a viewer's filters, as Mastodon's `CustomFilter` does: a
//! keyword matches case-insensitively anywhere in a status's searchable text (content
//! warning, content as plain text, poll options, media descriptions), or, when `whole_word`,
//! only where it starts and ends at word boundaries (a boundary is required on a side only
//! when the keyword has a word character there, as Mastodon's `\b` wrapping); a filter's
//! statuses match the status or what it boosts. Expired filters are left out.
//!
//! A page compiles its viewer's filters once ([`CompiledFilters::new`]): every keyword of
//! every active filter goes into one Aho-Corasick automaton over lowercased text, so a status
//! is read once whatever the number of filters and keywords, and the automaton reports every
//! keyword that occurs (overlapping matches included), from which each filter's
//! `keyword_matches` are taken.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};

use super::filters::{Filter, FilterAction, FilterContext};
use super::model::Status;
use super::render::strip_html;

/// One filter that matched a status.
#[derive(Debug, Clone)]
pub struct FilterMatch<'a> {
    /// The filter.
    pub filter: &'a Filter,
    /// Its keywords that occur (as the filter spells them), in the filter's order.
    pub keywords: Vec<&'a str>,
    /// Its statuses that are the status or what it boosts.
    pub statuses: Vec<u64>,
}

/// Where a pattern of the automaton comes from.
#[derive(Debug, Clone, Copy)]
struct Pattern {
    filter: usize,
    keyword: usize,
    /// A boundary is needed before the match.
    word_start: bool,
    /// A boundary is needed after the match.
    word_end: bool,
}

/// A viewer's active filters, compiled once for a page.
#[derive(Debug, Default)]
pub struct CompiledFilters {
    viewer: u64,
    filters: Vec<Filter>,
    automaton: Option<AhoCorasick>,
    patterns: Vec<Pattern>,
    by_status: HashMap<u64, Vec<usize>>,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl CompiledFilters {
    /// Compiles `viewer`'s `filters` active at `now_ms`.
    pub fn new(viewer: u64, filters: Vec<Filter>, now_ms: u64) -> CompiledFilters {
        let filters: Vec<Filter> = filters
            .into_iter()
            .filter(|f| f.is_active(now_ms))
            .collect();
        let mut texts: Vec<String> = Vec::new();
        let mut patterns = Vec::new();
        let mut by_status: HashMap<u64, Vec<usize>> = HashMap::new();
        for (fi, f) in filters.iter().enumerate() {
            for (ki, k) in f.keywords.iter().enumerate() {
                let text = k.keyword.to_lowercase();
                if text.is_empty() {
                    continue;
                }
                let (first, last) = (text.chars().next(), text.chars().next_back());
                patterns.push(Pattern {
                    filter: fi,
                    keyword: ki,
                    word_start: k.whole_word && first.is_some_and(is_word),
                    word_end: k.whole_word && last.is_some_and(is_word),
                });
                texts.push(text);
            }
            for s in &f.statuses {
                by_status.entry(s.status_id).or_default().push(fi);
            }
        }
        let automaton = if texts.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&texts)
                .map_err(|e| tracing::warn!(error = %e, "filter keywords not compiled"))
                .ok()
        };
        CompiledFilters {
            viewer,
            filters,
            automaton,
            patterns,
            by_status,
        }
    }

    /// Whether no filter is active.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// The filters that match `proper` (the status shown, or what `outer` boosts) in
    /// `context` (every context when `None`), in the order they were created. The viewer's
    /// own statuses are never filtered, as on Mastodon.
    pub fn matches<'a>(
        &'a self,
        outer: &Status,
        proper: &Status,
        description: impl Fn(u64) -> Option<&'a str>,
        context: Option<FilterContext>,
    ) -> Vec<FilterMatch<'a>> {
        if self.filters.is_empty() || proper.account_id == self.viewer {
            return Vec::new();
        }
        let applies = |fi: usize| context.is_none_or(|c| self.filters[fi].context.contains(&c));
        let mut keyword_hits: Vec<Vec<usize>> = vec![Vec::new(); self.filters.len()];
        if let Some(ac) = &self.automaton {
            let text = searchable_text(proper, description).to_lowercase();
            for m in ac.find_overlapping_iter(&text) {
                let Some(p) = self.patterns.get(m.pattern().as_usize()) else {
                    continue;
                };
                if !applies(p.filter) {
                    continue;
                }
                if p.word_start && text[..m.start()].chars().next_back().is_some_and(is_word) {
                    continue;
                }
                if p.word_end && text[m.end()..].chars().next().is_some_and(is_word) {
                    continue;
                }
                let hits = &mut keyword_hits[p.filter];
                if !hits.contains(&p.keyword) {
                    hits.push(p.keyword);
                }
            }
        }
        let mut status_hits: Vec<Vec<u64>> = vec![Vec::new(); self.filters.len()];
        let ids = [Some(outer.id), outer.reblog_of_id, Some(proper.id)];
        for id in ids.into_iter().flatten() {
            for fi in self.by_status.get(&id).into_iter().flatten() {
                if applies(*fi) && !status_hits[*fi].contains(&id) {
                    status_hits[*fi].push(id);
                }
            }
        }
        let mut out = Vec::new();
        for (fi, f) in self.filters.iter().enumerate() {
            let mut kws = std::mem::take(&mut keyword_hits[fi]);
            let sts = std::mem::take(&mut status_hits[fi]);
            if kws.is_empty() && sts.is_empty() {
                continue;
            }
            kws.sort_unstable();
            out.push(FilterMatch {
                filter: f,
                keywords: kws
                    .into_iter()
                    .filter_map(|k| f.keywords.get(k).map(|k| k.keyword.as_str()))
                    .collect(),
                statuses: sts,
            });
        }
        out
    }

    /// Whether any of `matches` hides its status.
    pub fn hides(matches: &[FilterMatch<'_>]) -> bool {
        matches
            .iter()
            .any(|m| m.filter.action == FilterAction::Hide)
    }
}

/// Mastodon's `searchable_text`: content warning, content as plain text, poll options and
/// media descriptions, separated by blank lines.
fn searchable_text<'a>(s: &Status, description: impl Fn(u64) -> Option<&'a str>) -> String {
    let mut parts: Vec<String> = vec![s.spoiler_text.clone(), strip_html(&s.content)];
    if let Some(p) = &s.poll {
        parts.extend(p.options.iter().cloned());
    }
    parts.extend(
        s.media_ids
            .iter()
            .filter_map(|id| description(*id).map(str::to_owned)),
    );
    parts.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::filters::FilterKeyword;

    fn filter(id: u64, kws: &[(&str, bool)], ctx: &[FilterContext]) -> Filter {
        Filter {
            id,
            account_id: 1,
            title: format!("f{id}"),
            context: ctx.to_vec(),
            action: FilterAction::Warn,
            expires_at: None,
            keywords: kws
                .iter()
                .enumerate()
                .map(|(i, (k, w))| FilterKeyword {
                    id: id * 100 + i as u64,
                    keyword: (*k).into(),
                    whole_word: *w,
                })
                .collect(),
            statuses: Vec::new(),
        }
    }

    fn status(content: &str) -> Status {
        serde_json::from_value(serde_json::json!({
            "id": 9, "uri": "https://x.example/s/9", "url": "https://x.example/@a/9",
            "account_id": 2, "content": content, "text": null, "spoiler_text": "",
            "sensitive": false, "visibility": "public", "language": null,
            "in_reply_to_id": null, "in_reply_to_uri": null, "in_reply_to_account_id": null,
            "reblog_of_id": null, "mentions": [], "tags": [], "created_at": 0,
            "edited_at": null, "local": false, "activity_uri": null, "conversation": null
        }))
        .expect("a status")
    }

    fn words<'a>(c: &'a CompiledFilters, s: &Status, ctx: Option<FilterContext>) -> Vec<&'a str> {
        c.matches(s, s, |_| None, ctx)
            .into_iter()
            .flat_map(|m| m.keywords)
            .collect()
    }

    #[test]
    fn whole_words_need_boundaries_only_where_the_keyword_has_word_characters() {
        let c = CompiledFilters::new(
            1,
            vec![filter(
                1,
                &[("cat", true), ("dog", false), ("#tag", true), ("c++", true)],
                &[FilterContext::Home],
            )],
            0,
        );
        assert_eq!(
            words(&c, &status("<p>Concatenate</p>"), None),
            Vec::<&str>::new()
        );
        assert_eq!(words(&c, &status("<p>the CAT sat</p>"), None), vec!["cat"]);
        assert_eq!(words(&c, &status("<p>hotdogs</p>"), None), vec!["dog"]);
        assert_eq!(words(&c, &status("<p>a#tag here</p>"), None), vec!["#tag"]);
        assert_eq!(words(&c, &status("<p>C++ rocks</p>"), None), vec!["c++"]);
        assert_eq!(
            words(&c, &status("<p>chat_cat</p>"), None),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn context_expiry_and_own_statuses() {
        let mut old = filter(2, &[("spoiler", false)], &[FilterContext::Public]);
        old.expires_at = Some(500);
        let c = CompiledFilters::new(
            1,
            vec![
                filter(1, &[("spoiler", false)], &[FilterContext::Home]),
                old,
            ],
            1000,
        );
        let s = status("<p>spoiler!</p>");
        assert_eq!(
            c.matches(&s, &s, |_| None, Some(FilterContext::Home)).len(),
            1
        );
        assert!(c
            .matches(&s, &s, |_| None, Some(FilterContext::Public))
            .is_empty());
        let mut own = s.clone();
        own.account_id = 1;
        assert!(c.matches(&own, &own, |_| None, None).is_empty());
    }

    #[test]
    fn content_warning_poll_options_and_media_descriptions_are_searched() {
        let c = CompiledFilters::new(
            1,
            vec![filter(1, &[("Ünïcode", true)], &FilterContext::ALL)],
            0,
        );
        let mut s = status("<p>nothing</p>");
        s.spoiler_text = "about ÜNÏCODE".into();
        assert_eq!(words(&c, &s, None), vec!["Ünïcode"]);
        let mut s = status("<p>nothing</p>");
        s.media_ids = vec![5];
        let hits: Vec<_> = c.matches(&s, &s, |id| (id == 5).then_some("an ünïcode chart"), None);
        assert_eq!(hits.len(), 1);
    }
}
