//! Filters (Mastodon 4's `CustomFilter`): a local account's named groups of keywords and
//! statuses, applied in the contexts it chose (home and lists, notifications, public
//! timelines, threads, account pages) with an action (`warn`, `hide`, `blur`), until they
//! expire.
//!
//! An account's filters are one record (`{account}:filters` among the viewer's marks on
//! statuses, `model::filters_key`), its keywords and statuses inside each filter, so a page
//! reads them in the multi-read it already makes for the viewer's bookmarks and muted
//! conversations (`batch.rs`): filters add no store call to a page. Every lookup (a filter,
//! a keyword, a filter status by id) searches the owner's own record, so another account's
//! id is simply not found. Matching lives in [`super::filter_match`].

use serde::{Deserialize, Serialize};

use super::model::{filters_key, ns};
use super::App;
use crate::error::Error;

/// The most filters an account may have (Mastodon has no limit; a bound keeps the record
/// read with every page small).
pub const MAX_FILTERS: usize = 100;
/// The most keywords and statuses one filter may hold.
pub const MAX_RULES: usize = 200;

/// Where a filter applies (Mastodon's `context`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterContext {
    /// The home timeline and lists.
    Home,
    /// Notifications.
    Notifications,
    /// Public and hashtag timelines.
    Public,
    /// A status's thread (context).
    Thread,
    /// Account pages.
    Account,
}

impl FilterContext {
    /// Every context, in Mastodon's order.
    pub const ALL: [FilterContext; 5] = [
        FilterContext::Home,
        FilterContext::Notifications,
        FilterContext::Public,
        FilterContext::Thread,
        FilterContext::Account,
    ];
    /// From Mastodon's name.
    pub fn parse(s: &str) -> Option<FilterContext> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// Mastodon's name.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterContext::Home => "home",
            FilterContext::Notifications => "notifications",
            FilterContext::Public => "public",
            FilterContext::Thread => "thread",
            FilterContext::Account => "account",
        }
    }
}

/// What a match does (Mastodon's `filter_action`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterAction {
    /// Shown behind a warning naming the filter.
    #[default]
    Warn,
    /// Left out of the answer.
    Hide,
    /// Media hidden behind a warning.
    Blur,
}

impl FilterAction {
    /// From Mastodon's name.
    pub fn parse(s: &str) -> Option<FilterAction> {
        match s {
            "warn" => Some(FilterAction::Warn),
            "hide" => Some(FilterAction::Hide),
            "blur" => Some(FilterAction::Blur),
            _ => None,
        }
    }
    /// Mastodon's name.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterAction::Warn => "warn",
            FilterAction::Hide => "hide",
            FilterAction::Blur => "blur",
        }
    }
}

/// A keyword of a filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterKeyword {
    /// Id.
    pub id: u64,
    /// The text matched (case-insensitively).
    pub keyword: String,
    /// Matched at word boundaries only.
    pub whole_word: bool,
}

/// A status a filter names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterStatus {
    /// Id.
    pub id: u64,
    /// The status.
    pub status_id: u64,
}

/// A filter of a local account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Id.
    pub id: u64,
    /// Its owner.
    pub account_id: u64,
    /// Its name.
    pub title: String,
    /// Where it applies.
    pub context: Vec<FilterContext>,
    /// What a match does.
    pub action: FilterAction,
    /// When it stops applying (ms), if it does.
    pub expires_at: Option<u64>,
    /// Its keywords, oldest first.
    pub keywords: Vec<FilterKeyword>,
    /// Its statuses, oldest first.
    pub statuses: Vec<FilterStatus>,
}

impl Filter {
    /// Whether it applies at `now_ms`.
    pub fn is_active(&self, now_ms: u64) -> bool {
        self.expires_at.is_none_or(|e| e > now_ms)
    }
}

/// A change to a filter's keywords (Mastodon's `keywords_attributes[]`).
#[derive(Debug, Clone, Default)]
pub struct KeywordChange {
    /// The keyword changed or removed (`None`: a new one).
    pub id: Option<u64>,
    /// New text.
    pub keyword: Option<String>,
    /// New `whole_word`.
    pub whole_word: Option<bool>,
    /// Remove it (`_destroy`).
    pub destroy: bool,
}

/// What creating or updating a filter sets (`None`: unchanged, or the default on creation).
#[derive(Debug, Clone, Default)]
pub struct FilterChanges {
    /// `title`.
    pub title: Option<String>,
    /// `context[]`, as given (checked here).
    pub context: Option<Vec<String>>,
    /// `filter_action`, as given (checked here).
    pub action: Option<String>,
    /// `expires_in` in seconds (`Some(None)`: never expires).
    pub expires_in: Option<Option<u64>>,
    /// `keywords_attributes[]`.
    pub keywords: Vec<KeywordChange>,
}

fn invalid(what: &str) -> Error {
    Error::Unprocessable(format!("Validation failed: {what}"))
}

fn check_keyword(k: &str, nested: bool) -> Result<(), Error> {
    if k.trim().is_empty() {
        return Err(invalid(if nested {
            "Keywords keyword can't be blank"
        } else {
            "Keyword can't be blank"
        }));
    }
    Ok(())
}

impl App {
    /// Every filter of `account`, oldest first (expired ones too, as Mastodon lists them).
    pub async fn filters_of(&self, account: u64) -> Result<Vec<Filter>, Error> {
        Ok(self
            .get::<Vec<Filter>>(ns::VIEWER_MARKS, &filters_key(account))
            .await?
            .unwrap_or_default())
    }

    async fn save_filters(&self, account: u64, filters: &[Filter]) -> Result<(), Error> {
        if filters.is_empty() {
            self.store()
                .kv_delete(ns::VIEWER_MARKS, filters_key(account).as_bytes())
                .await?;
            return Ok(());
        }
        self.put(ns::VIEWER_MARKS, &filters_key(account), &filters)
            .await
    }

    /// `account`'s filter `id` (not found for another account's).
    pub async fn filter(&self, account: u64, id: u64) -> Result<Filter, Error> {
        self.filters_of(account)
            .await?
            .into_iter()
            .find(|f| f.id == id)
            .ok_or_else(|| Error::NotFound(format!("filter {id}")))
    }

    /// Replaces `f` among its owner's filters (by id).
    async fn save_filter(&self, f: &Filter) -> Result<(), Error> {
        let mut all = self.filters_of(f.account_id).await?;
        match all.iter_mut().find(|x| x.id == f.id) {
            Some(x) => *x = f.clone(),
            None => all.push(f.clone()),
        }
        self.save_filters(f.account_id, &all).await
    }

    /// Creates a filter, checked as Mastodon's `CustomFilter` validations (`422`).
    pub async fn create_filter(&self, account: u64, c: FilterChanges) -> Result<Filter, Error> {
        if self.filters_of(account).await?.len() >= MAX_FILTERS {
            return Err(invalid("Too many filters"));
        }
        let now = self.now_ms();
        let mut f = Filter {
            id: self.inner.ids.next(now),
            account_id: account,
            title: String::new(),
            context: Vec::new(),
            action: FilterAction::Warn,
            expires_at: None,
            keywords: Vec::new(),
            statuses: Vec::new(),
        };
        self.apply_changes(&mut f, c)?;
        self.save_filter(&f).await?;
        Ok(f)
    }

    /// Updates `account`'s filter `id`.
    pub async fn update_filter(
        &self,
        account: u64,
        id: u64,
        c: FilterChanges,
    ) -> Result<Filter, Error> {
        let mut f = self.filter(account, id).await?;
        self.apply_changes(&mut f, c)?;
        self.save_filter(&f).await?;
        Ok(f)
    }

    /// Deletes `account`'s filter `id` with its keywords and statuses.
    pub async fn delete_filter(&self, account: u64, id: u64) -> Result<Filter, Error> {
        let mut all = self.filters_of(account).await?;
        let i = all
            .iter()
            .position(|f| f.id == id)
            .ok_or_else(|| Error::NotFound(format!("filter {id}")))?;
        let f = all.remove(i);
        self.save_filters(account, &all).await?;
        Ok(f)
    }

    fn apply_changes(&self, f: &mut Filter, c: FilterChanges) -> Result<(), Error> {
        let now = self.now_ms();
        if let Some(t) = c.title {
            f.title = t;
        }
        if let Some(ctx) = c.context {
            let parsed: Vec<Option<FilterContext>> =
                ctx.iter().map(|s| FilterContext::parse(s)).collect();
            match (ctx.is_empty(), parsed.iter().any(Option::is_none)) {
                (true, _) => {
                    return Err(invalid(
                        "Context can't be blank, Context None or invalid context supplied",
                    ))
                }
                (false, true) => return Err(invalid("Context None or invalid context supplied")),
                _ => {}
            }
            let mut list: Vec<FilterContext> = Vec::new();
            for p in parsed.into_iter().flatten() {
                if !list.contains(&p) {
                    list.push(p);
                }
            }
            f.context = list;
        }
        if let Some(a) = c.action {
            f.action = FilterAction::parse(&a)
                .ok_or_else(|| invalid("Action is not included in the list"))?;
        }
        if let Some(e) = c.expires_in {
            f.expires_at = e.map(|s| now.saturating_add(s.saturating_mul(1000)));
        }
        for k in c.keywords {
            match k.id {
                None if k.destroy => {}
                None => {
                    let text = k.keyword.unwrap_or_default();
                    check_keyword(&text, true)?;
                    f.keywords.push(FilterKeyword {
                        id: self.inner.ids.next(now),
                        keyword: text,
                        whole_word: k.whole_word.unwrap_or(true),
                    });
                }
                Some(id) => {
                    let i = f
                        .keywords
                        .iter()
                        .position(|x| x.id == id)
                        .ok_or_else(|| Error::NotFound(format!("filter keyword {id}")))?;
                    if k.destroy {
                        f.keywords.remove(i);
                        continue;
                    }
                    if let Some(text) = k.keyword {
                        check_keyword(&text, true)?;
                        f.keywords[i].keyword = text;
                    }
                    if let Some(w) = k.whole_word {
                        f.keywords[i].whole_word = w;
                    }
                }
            }
        }
        if f.title.trim().is_empty() {
            return Err(invalid("Title can't be blank"));
        }
        if f.context.is_empty() {
            return Err(invalid(
                "Context can't be blank, Context None or invalid context supplied",
            ));
        }
        if f.keywords.len() > MAX_RULES || f.statuses.len() > MAX_RULES {
            return Err(invalid("Too many keywords or statuses"));
        }
        Ok(())
    }

    /// Adds a keyword to `account`'s filter `filter_id`.
    pub async fn add_filter_keyword(
        &self,
        account: u64,
        filter_id: u64,
        keyword: String,
        whole_word: bool,
    ) -> Result<FilterKeyword, Error> {
        let mut f = self.filter(account, filter_id).await?;
        check_keyword(&keyword, false)?;
        if f.keywords.len() >= MAX_RULES {
            return Err(invalid("Too many keywords"));
        }
        let k = FilterKeyword {
            id: self.inner.ids.next(self.now_ms()),
            keyword,
            whole_word,
        };
        f.keywords.push(k.clone());
        self.save_filter(&f).await?;
        Ok(k)
    }

    /// `account`'s keyword `id` and its filter.
    pub async fn filter_keyword(
        &self,
        account: u64,
        id: u64,
    ) -> Result<(Filter, FilterKeyword), Error> {
        let f = self
            .filters_of(account)
            .await?
            .into_iter()
            .find(|f| f.keywords.iter().any(|k| k.id == id))
            .ok_or_else(|| Error::NotFound(format!("filter keyword {id}")))?;
        let k = f
            .keywords
            .iter()
            .find(|k| k.id == id)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("filter keyword {id}")))?;
        Ok((f, k))
    }

    /// Changes `account`'s keyword `id`.
    pub async fn update_filter_keyword(
        &self,
        account: u64,
        id: u64,
        keyword: Option<String>,
        whole_word: Option<bool>,
    ) -> Result<FilterKeyword, Error> {
        let (mut f, _) = self.filter_keyword(account, id).await?;
        if let Some(k) = &keyword {
            check_keyword(k, false)?;
        }
        let mut out = None;
        for k in f.keywords.iter_mut().filter(|k| k.id == id) {
            if let Some(t) = keyword.clone() {
                k.keyword = t;
            }
            if let Some(w) = whole_word {
                k.whole_word = w;
            }
            out = Some(k.clone());
        }
        self.save_filter(&f).await?;
        out.ok_or_else(|| Error::NotFound(format!("filter keyword {id}")))
    }

    /// Removes `account`'s keyword `id`.
    pub async fn delete_filter_keyword(&self, account: u64, id: u64) -> Result<(), Error> {
        let (mut f, _) = self.filter_keyword(account, id).await?;
        f.keywords.retain(|k| k.id != id);
        self.save_filter(&f).await
    }

    /// Adds status `status_id` to `account`'s filter `filter_id` (`422` if it is there
    /// already, as Mastodon's uniqueness validation).
    pub async fn add_filter_status(
        &self,
        account: u64,
        filter_id: u64,
        status_id: u64,
    ) -> Result<FilterStatus, Error> {
        let mut f = self.filter(account, filter_id).await?;
        let s = self.status(status_id).await?;
        if !self.can_view(&s, Some(account)).await? {
            return Err(Error::NotFound(format!("status {status_id}")));
        }
        if f.statuses.iter().any(|x| x.status_id == status_id) {
            return Err(invalid("Status has already been taken"));
        }
        if f.statuses.len() >= MAX_RULES {
            return Err(invalid("Too many statuses"));
        }
        let fs = FilterStatus {
            id: self.inner.ids.next(self.now_ms()),
            status_id,
        };
        f.statuses.push(fs.clone());
        self.save_filter(&f).await?;
        Ok(fs)
    }

    /// `account`'s filter status `id` and its filter.
    pub async fn filter_status(
        &self,
        account: u64,
        id: u64,
    ) -> Result<(Filter, FilterStatus), Error> {
        let f = self
            .filters_of(account)
            .await?
            .into_iter()
            .find(|f| f.statuses.iter().any(|s| s.id == id))
            .ok_or_else(|| Error::NotFound(format!("filter status {id}")))?;
        let s = f
            .statuses
            .iter()
            .find(|s| s.id == id)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("filter status {id}")))?;
        Ok((f, s))
    }

    /// Removes `account`'s filter status `id`.
    pub async fn delete_filter_status(&self, account: u64, id: u64) -> Result<(), Error> {
        let (mut f, _) = self.filter_status(account, id).await?;
        f.statuses.retain(|s| s.id != id);
        self.save_filter(&f).await
    }
}
