//! Mastodon's `Filter`, `FilterKeyword`, `FilterStatus`, `FilterResult` and the v1 `Filter`
//! (`V1::Filter`).

use serde::Serialize;

use crate::app::activitypub::rfc3339;
use crate::app::filter_match::FilterMatch;
use crate::app::filters::{self, FilterAction};

/// Mastodon's (v2) `Filter`. `keywords` and `statuses` are present where the filter itself
/// is asked for, and left out inside a `FilterResult`, as Mastodon's serializer does.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Filter {
    /// Id.
    pub id: String,
    /// Name.
    pub title: String,
    /// `home`, `notifications`, `public`, `thread`, `account`.
    pub context: Vec<&'static str>,
    /// When it expires (RFC 3339), if it does.
    pub expires_at: Option<String>,
    /// `warn`, `hide` or `blur`.
    pub filter_action: &'static str,
    /// Its keywords.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<FilterKeyword>>,
    /// Its statuses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<FilterStatus>>,
}

impl Filter {
    /// The entity of `f`; `rules`: with its keywords and statuses.
    pub(crate) fn new(f: &filters::Filter, rules: bool) -> Filter {
        Filter {
            id: f.id.to_string(),
            title: f.title.clone(),
            context: f.context.iter().map(|c| c.as_str()).collect(),
            expires_at: f.expires_at.map(rfc3339),
            filter_action: f.action.as_str(),
            keywords: rules.then(|| f.keywords.iter().map(FilterKeyword::from).collect()),
            statuses: rules.then(|| f.statuses.iter().map(FilterStatus::from).collect()),
        }
    }
}

/// Mastodon's `FilterKeyword`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FilterKeyword {
    /// Id.
    pub id: String,
    /// The text.
    pub keyword: String,
    /// Matched at word boundaries only.
    pub whole_word: bool,
}

impl From<&filters::FilterKeyword> for FilterKeyword {
    fn from(k: &filters::FilterKeyword) -> Self {
        FilterKeyword {
            id: k.id.to_string(),
            keyword: k.keyword.clone(),
            whole_word: k.whole_word,
        }
    }
}

/// Mastodon's `FilterStatus`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FilterStatus {
    /// Id.
    pub id: String,
    /// The filtered status.
    pub status_id: String,
}

impl From<&filters::FilterStatus> for FilterStatus {
    fn from(s: &filters::FilterStatus) -> Self {
        FilterStatus {
            id: s.id.to_string(),
            status_id: s.status_id.to_string(),
        }
    }
}

/// Mastodon's `FilterResult`, in a status's `filtered`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FilterResult {
    /// The filter (without its keywords and statuses).
    pub filter: Filter,
    /// The keywords that matched (`null` if none).
    pub keyword_matches: Option<Vec<String>>,
    /// The filter's statuses that matched (`null` if none).
    pub status_matches: Option<Vec<String>>,
}

impl From<&FilterMatch<'_>> for FilterResult {
    fn from(m: &FilterMatch<'_>) -> Self {
        FilterResult {
            filter: Filter::new(m.filter, false),
            keyword_matches: (!m.keywords.is_empty())
                .then(|| m.keywords.iter().map(|k| (*k).to_owned()).collect()),
            status_matches: (!m.statuses.is_empty())
                .then(|| m.statuses.iter().map(u64::to_string).collect()),
        }
    }
}

/// Mastodon's v1 `Filter`: one keyword of a filter, with its filter's context, expiry and
/// action (`irreversible` for `hide`), as Mastodon's `V1::FilterSerializer` shows a
/// `CustomFilterKeyword`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct V1Filter {
    /// The keyword's id.
    pub id: String,
    /// The keyword.
    pub phrase: String,
    /// The filter's contexts.
    pub context: Vec<&'static str>,
    /// The keyword's `whole_word`.
    pub whole_word: bool,
    /// The filter's expiry.
    pub expires_at: Option<String>,
    /// The filter hides (rather than warns).
    pub irreversible: bool,
}

impl V1Filter {
    /// Keyword `k` of filter `f`.
    pub(crate) fn new(f: &filters::Filter, k: &filters::FilterKeyword) -> V1Filter {
        V1Filter {
            id: k.id.to_string(),
            phrase: k.keyword.clone(),
            context: f.context.iter().map(|c| c.as_str()).collect(),
            whole_word: k.whole_word,
            expires_at: f.expires_at.map(rfc3339),
            irreversible: f.action == FilterAction::Hide,
        }
    }
}
