//! `CustomEmoji`.

use serde::Serialize;

use crate::app::{self, App, Loaded};

/// Mastodon's `CustomEmoji`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CustomEmoji {
    /// The shortcode, without colons.
    pub shortcode: String,
    /// The image.
    pub url: String,
    /// A still image: the same file (Woolly keeps no separate still rendition of emoji).
    pub static_url: String,
    /// Shown in the picker.
    pub visible_in_picker: bool,
    /// The picker category: present only when set, as Mastodon's serializer leaves it out
    /// otherwise (and always on statuses and accounts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

impl CustomEmoji {
    /// The entity of an emoji record, with its category when `with_category`.
    pub(crate) fn new(app: &App, e: &app::CustomEmoji, with_category: bool) -> CustomEmoji {
        let url = app.emoji_url(e);
        CustomEmoji {
            shortcode: e.shortcode.clone(),
            static_url: url.clone(),
            url,
            visible_in_picker: e.visible_in_picker,
            category: e.category.clone().filter(|_| with_category),
        }
    }

    /// The entities of the emoji keys `keys` that `l` holds, in order.
    pub(crate) fn of_keys(app: &App, keys: &[String], l: &Loaded) -> Vec<CustomEmoji> {
        keys.iter()
            .filter_map(|k| l.emoji(k))
            .map(|e| CustomEmoji::new(app, e, false))
            .collect()
    }
}
