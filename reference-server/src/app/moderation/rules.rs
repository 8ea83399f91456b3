//! The instance's rules (Mastodon's server rules): shown by `GET /api/v1/instance/rules` and
//! in the instance entity, chosen by reporters of the `violation` category, and managed by
//! `woolly admin rules` (Mastodon has no admin API for them).
//!
//! Each rule is a record in `instance.rules` keyed by its id; the collection `instance:rules` holds the
//! ids in the order they were added, which is the order they are shown in.

use fedi_storage::{CollectionItem, CollectionStoreExt, WriteBatch};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::error::Error;

/// Rule id → [`Rule`].
const RULES: &str = "instance.rules";
/// The rules' ids, keyed by id (the order they were added).
const RULE_LIST: &str = "instance:rules";

/// The longest rule text taken (Mastodon shows rules as short lines; its form caps them
/// at 300 characters).
pub const MAX_RULE_TEXT: usize = 300;
/// The longest hint taken.
pub const MAX_RULE_HINT: usize = 1000;

/// One rule of the instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Id.
    pub id: u64,
    /// The rule.
    pub text: String,
    /// A longer explanation (may be empty).
    #[serde(default)]
    pub hint: String,
    /// Created (ms).
    pub created_at: u64,
}

impl App {
    /// Adds a rule; the text must be non-empty and at most [`MAX_RULE_TEXT`] characters, the
    /// hint at most [`MAX_RULE_HINT`] (`422` otherwise).
    pub async fn add_rule(&self, text: &str, hint: Option<&str>) -> Result<Rule, Error> {
        let text = text.trim();
        let hint = hint.unwrap_or("").trim();
        if text.is_empty() {
            return Err(Error::Unprocessable(
                "Validation failed: Text can't be blank".into(),
            ));
        }
        if text.chars().count() > MAX_RULE_TEXT {
            return Err(Error::Unprocessable(format!(
                "Validation failed: Text is too long (maximum is {MAX_RULE_TEXT} characters)"
            )));
        }
        if hint.chars().count() > MAX_RULE_HINT {
            return Err(Error::Unprocessable(format!(
                "Validation failed: Hint is too long (maximum is {MAX_RULE_HINT} characters)"
            )));
        }
        let now = self.now_ms();
        let rule = Rule {
            id: self.inner.ids.next(now),
            text: text.to_owned(),
            hint: hint.to_owned(),
            created_at: now,
        };
        let batch = WriteBatch::new()
            .kv_put(RULES, rule.id.to_string(), serde_json::to_vec(&rule)?)
            .insert(RULE_LIST, rule.id, rule.id.to_string());
        self.store().apply(&batch).await?;
        Ok(rule)
    }

    /// Removes a rule (`404` if there is none of that id). Reports that cite it keep its id
    /// and no longer show it.
    pub async fn remove_rule(&self, id: u64) -> Result<Rule, Error> {
        let rule: Rule = self
            .get(RULES, &id.to_string())
            .await?
            .ok_or_else(|| Error::NotFound(format!("rule {id}")))?;
        let batch = WriteBatch::new()
            .kv_delete(RULES, id.to_string())
            .remove(RULE_LIST, id.to_string());
        self.store().apply(&batch).await?;
        Ok(rule)
    }

    /// Every rule, in the order they were added (two store calls).
    pub async fn rules(&self) -> Result<Vec<Rule>, Error> {
        let items: Vec<CollectionItem> = self.store().all_members(RULE_LIST, 500).await?;
        let keys: Vec<String> = items.into_iter().rev().map(|i| i.member).collect();
        Ok(self
            .get_many::<Rule>(RULES, &keys)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    /// The rules of these ids that exist, in the order of `ids` (one store call).
    pub async fn rules_by_id(&self, ids: &[u64]) -> Result<Vec<Rule>, Error> {
        let keys: Vec<String> = ids.iter().map(u64::to_string).collect();
        Ok(self
            .get_many::<Rule>(RULES, &keys)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }
}
