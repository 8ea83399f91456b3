//! Addressing: Mastodon's visibility levels to and from `to`/`cc`.

use crate::lenient::OneOrMany;

/// The public collection, in its canonical spelling.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Whether an addressing entry is the public collection, in any of its spellings:
/// `https://www.w3.org/ns/activitystreams#Public` (Mastodon and most), `as:Public`
/// (Pleroma, compacted JSON-LD), `Public` (GoToSocial and some older software).
pub fn is_public(iri: &str) -> bool {
    matches!(
        iri,
        PUBLIC | "as:Public" | "Public" | "http://www.w3.org/ns/activitystreams#Public"
    )
}

/// Who can see a post, in Mastodon's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Visibility {
    /// Public: the public collection is in `to`.
    Public,
    /// Unlisted ("quiet public"): the public collection is in `cc`, not in `to`.
    Unlisted,
    /// Followers only: the author's followers collection in `to`, no public collection.
    FollowersOnly,
    /// Direct: addressed only to the actors it mentions.
    Direct,
    /// Limited: addressed to some other audience (a circle, a list, a group's members).
    Limited,
}

impl Visibility {
    /// Mastodon's name for the level (`public`, `unlisted`, `private`, `direct`, `limited`).
    pub fn as_mastodon_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::FollowersOnly => "private",
            Visibility::Direct => "direct",
            Visibility::Limited => "limited",
        }
    }

    /// Reads the visibility of a received post from its addressing, as Mastodon does:
    /// public if the public collection is in `to`; unlisted if it is in `cc`; followers-only
    /// if the author's followers collection is in `to`; direct if every recipient is a
    /// mentioned actor; otherwise limited.
    pub fn from_audience<'a>(
        to: impl IntoIterator<Item = &'a str>,
        cc: impl IntoIterator<Item = &'a str>,
        author_followers: Option<&str>,
        mentioned: &[&str],
    ) -> Visibility {
        let to: Vec<&str> = to.into_iter().collect();
        let cc: Vec<&str> = cc.into_iter().collect();
        if to.iter().any(|i| is_public(i)) {
            Visibility::Public
        } else if cc.iter().any(|i| is_public(i)) {
            Visibility::Unlisted
        } else if author_followers.is_some_and(|f| to.contains(&f)) {
            Visibility::FollowersOnly
        } else if to
            .iter()
            .chain(cc.iter())
            .all(|r| mentioned.contains(r) || Some(*r) == author_followers)
            && !to.is_empty()
        {
            Visibility::Direct
        } else {
            Visibility::Limited
        }
    }

    /// [`Visibility::from_audience`] over an object's `to`/`cc` and its `Mention` tags.
    pub fn of_object(object: &crate::Object, author_followers: Option<&str>) -> Visibility {
        let to = object
            .to
            .as_ref()
            .map(OneOrMany::as_slice)
            .unwrap_or_default();
        let cc = object
            .cc
            .as_ref()
            .map(OneOrMany::as_slice)
            .unwrap_or_default();
        let mentions: Vec<&str> = object
            .tag
            .as_ref()
            .map(|t| {
                t.iter()
                    .filter_map(|r| r.object())
                    .filter_map(|o| o.as_link())
                    .filter(|l| l.is(&crate::Kind::Mention))
                    .filter_map(|l| l.href.as_deref())
                    .collect()
            })
            .unwrap_or_default();
        Visibility::from_audience(
            to.iter().map(String::as_str),
            cc.iter().map(String::as_str),
            author_followers,
            &mentions,
        )
    }

    /// The `to` and `cc` Mastodon sends for a post of this visibility by an author with
    /// this followers collection, mentioning these actors:
    ///
    /// | visibility | `to` | `cc` |
    /// |---|---|---|
    /// | public | Public | followers, mentions |
    /// | unlisted | followers | Public, mentions |
    /// | followers-only | followers | mentions |
    /// | direct, limited | mentions | — |
    pub fn addressing(self, followers: &str, mentions: &[&str]) -> (Vec<String>, Vec<String>) {
        let m = mentions.iter().map(|s| (*s).to_owned());
        match self {
            Visibility::Public => (
                vec![PUBLIC.to_owned()],
                std::iter::once(followers.to_owned()).chain(m).collect(),
            ),
            Visibility::Unlisted => (
                vec![followers.to_owned()],
                std::iter::once(PUBLIC.to_owned()).chain(m).collect(),
            ),
            Visibility::FollowersOnly => (vec![followers.to_owned()], m.collect()),
            Visibility::Direct | Visibility::Limited => (m.collect(), Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &str = "https://m.example/users/a/followers";
    const B: &str = "https://o.example/users/b";

    #[test]
    fn matrix_round_trips() {
        for v in [
            Visibility::Public,
            Visibility::Unlisted,
            Visibility::FollowersOnly,
            Visibility::Direct,
        ] {
            let (to, cc) = v.addressing(F, &[B]);
            let back = Visibility::from_audience(
                to.iter().map(String::as_str),
                cc.iter().map(String::as_str),
                Some(F),
                &[B],
            );
            assert_eq!(back, v, "{to:?} {cc:?}");
        }
    }

    #[test]
    fn exact_addressing() {
        assert_eq!(
            Visibility::Public.addressing(F, &[B]),
            (vec![PUBLIC.to_owned()], vec![F.to_owned(), B.to_owned()])
        );
        assert_eq!(
            Visibility::Unlisted.addressing(F, &[]),
            (vec![F.to_owned()], vec![PUBLIC.to_owned()])
        );
        assert_eq!(
            Visibility::FollowersOnly.addressing(F, &[B]),
            (vec![F.to_owned()], vec![B.to_owned()])
        );
        assert_eq!(
            Visibility::Direct.addressing(F, &[B]),
            (vec![B.to_owned()], vec![])
        );
    }

    #[test]
    fn public_spellings() {
        for p in [PUBLIC, "as:Public", "Public"] {
            assert_eq!(
                Visibility::from_audience([p], [], None, &[]),
                Visibility::Public
            );
            assert_eq!(
                Visibility::from_audience([F], [p], Some(F), &[]),
                Visibility::Unlisted
            );
        }
        assert!(!is_public("https://www.w3.org/ns/activitystreams#public"));
        assert_eq!(
            Visibility::from_audience(["https://m.example/lists/1"], [], Some(F), &[B]),
            Visibility::Limited
        );
    }
}
