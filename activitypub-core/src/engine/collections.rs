//! Reading remote collections: pages walked with a loop within a request budget, and the
//! origin rule for the items they embed.

use super::fetch::FetchBudget;
use super::{Engine, FetchErrorKind};
use crate::vocab::Category;
use crate::{AnyObject, Error, ObjectId, Reference};

/// An item of a remote collection, as [`Engine::fetch_collection_items`] returns it: the
/// origin rule is already applied, so an embedded object can be used as it is and a
/// reference is to be fetched (from its own origin) before use.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RemoteItem {
    /// An object the page embeds whose `id` is on the page's own origin: that server speaks
    /// for it, so it needs no fetch. It always has an `id`.
    Embedded(Box<AnyObject>),
    /// An item listed by IRI, or embedded by a page on another origin than its `id` (a
    /// server cannot speak for another one's objects: the embedded copy is dropped, only its
    /// `id` is kept).
    Reference(ObjectId<AnyObject>),
}

impl RemoteItem {
    /// Applies the origin rule to one item of a page whose `id` is `page` (a fetched page:
    /// its `id` is on the origin it was served from). An embedded object without an `id`
    /// cannot be told apart from a forgery, nor fetched: `None`.
    pub fn from_page_item(item: &Reference<AnyObject>, page: &ObjectId<AnyObject>) -> Option<Self> {
        match item {
            Reference::Id(id) => Some(RemoteItem::Reference(id.clone())),
            Reference::Object(o) => {
                let id = o.id.as_ref()?;
                Some(if id.same_origin(page) {
                    RemoteItem::Embedded(o.clone())
                } else {
                    RemoteItem::Reference(id.clone())
                })
            }
        }
    }

    /// The item's id.
    pub fn id(&self) -> &str {
        match self {
            // Only objects with an id are kept embedded.
            RemoteItem::Embedded(o) => o.id.as_ref().map_or("", ObjectId::as_str),
            RemoteItem::Reference(id) => id.as_str(),
        }
    }

    /// The embedded object, if the item can be used without a fetch.
    pub fn embedded(&self) -> Option<&AnyObject> {
        match self {
            RemoteItem::Embedded(o) => Some(o),
            RemoteItem::Reference(_) => None,
        }
    }
}

impl Engine {
    /// Reads a remote collection's items (following `first` and `next` pages with a loop),
    /// at most `max_items`, within the budget, in collection order, with the origin rule
    /// applied to each page's items (see [`RemoteItem`]): an object embedded by a page on
    /// its own origin is kept, one embedded by a page on another origin becomes a reference
    /// to fetch, one without an `id` is left out (and does not count towards `max_items`).
    pub async fn fetch_collection_items(
        &self,
        iri: &str,
        max_items: usize,
        budget: &mut FetchBudget,
    ) -> Result<Vec<RemoteItem>, Error> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut next = Some(iri.to_owned());
        while let Some(page_iri) = next.take() {
            if out.len() >= max_items || !seen.insert(page_iri.clone()) {
                break;
            }
            let fetched = self.fetch(&page_iri, budget).await?;
            let (Some(c), Some(page)) = (fetched.document.as_collection(), &fetched.document.id)
            else {
                return Err(Error::fetch(
                    FetchErrorKind::Malformed,
                    &page_iri,
                    "not a collection",
                ));
            };
            let items = c
                .all_items()
                .iter()
                .filter_map(|item| RemoteItem::from_page_item(item, page));
            out.extend(items.take(max_items - out.len()));
            next = c
                .next
                .as_ref()
                .and_then(|n| n.id().map(str::to_owned))
                .or_else(|| {
                    (fetched.document.category() == Category::Collection
                        && c.all_items().is_empty())
                    .then(|| c.first.as_ref().and_then(|f| f.id().map(str::to_owned)))
                    .flatten()
                });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::RemoteItem;
    use crate::{AnyObject, ObjectId, Reference};

    fn page() -> ObjectId<AnyObject> {
        ObjectId::parse("https://far.example/users/f/collections/featured").expect("an id")
    }

    fn embedded(json: serde_json::Value) -> Reference<AnyObject> {
        Reference::Object(Box::new(serde_json::from_value(json).expect("an object")))
    }

    #[test]
    fn an_object_embedded_by_its_own_origin_is_kept() {
        let note = embedded(serde_json::json!({
            "id": "https://far.example/users/f/statuses/1", "type": "Note", "content": "kept"
        }));
        let item = RemoteItem::from_page_item(&note, &page()).expect("kept");
        assert_eq!(item.id(), "https://far.example/users/f/statuses/1");
        assert_eq!(
            item.embedded().and_then(|o| o.content.as_deref()),
            Some("kept")
        );
    }

    #[test]
    fn an_object_embedded_by_another_origin_becomes_a_reference() {
        for id in [
            "https://victim.example/users/v/statuses/1",
            // Same host, other scheme or port: another origin.
            "http://far.example/users/f/statuses/1",
            "https://far.example:8443/users/f/statuses/1",
        ] {
            let note = embedded(serde_json::json!({"id": id, "type": "Note", "content": "forged"}));
            let item = RemoteItem::from_page_item(&note, &page()).expect("listed");
            assert_eq!(
                item,
                RemoteItem::Reference(ObjectId::parse(id).expect("an id"))
            );
            assert!(item.embedded().is_none());
        }
    }

    #[test]
    fn an_embedded_object_without_an_id_is_dropped_and_iris_are_references() {
        let anonymous = embedded(serde_json::json!({"type": "Note", "content": "who?"}));
        assert_eq!(RemoteItem::from_page_item(&anonymous, &page()), None);
        let iri = Reference::Id(ObjectId::parse("https://elsewhere.example/notes/1").expect("id"));
        assert_eq!(
            RemoteItem::from_page_item(&iri, &page()).map(|i| i.id().to_owned()),
            Some("https://elsewhere.example/notes/1".to_owned())
        );
    }
}
