//! Builders for the documents a Mastodon-style server sends, shaped as Mastodon shapes them:
//! its `@context`s, its `to`/`cc` for each visibility, an embedded object in `Create`,
//! `Update`, `Accept`, `Reject` and `Undo`, an IRI in `Like`, `Announce`, `Follow` and `Block`,
//! a `Tombstone` in `Delete`, `Add` / `Remove` of pins with the `featured` collection as
//! `target`; and the `OrderedCollection`s and `OrderedCollectionPage`s
//! it publishes (outbox, followers, following, featured), with its keys in its order.

use crate::context::Context;
use crate::id::ObjectId;
use crate::lenient::{LanguageMap, OneOrMany, Reference, XsdDateTime};
use crate::visibility::Visibility;
use crate::vocab::{
    Activity, Actor, AnyObject, Collection, Endpoints, Kind, Link, Object, PublicKey, Refs,
};

/// An id, for any kind.
pub type Id = ObjectId<AnyObject>;

fn iri<K>(id: &ObjectId<K>) -> Refs {
    OneOrMany::One(Reference::Id(id.clone().cast()))
}

fn embed(o: impl Into<AnyObject>) -> Refs {
    OneOrMany::One(Reference::Object(Box::new(o.into())))
}

fn activity(kind: Kind, id: &Id, actor: &ObjectId<Actor>, object: Refs) -> Activity {
    let mut a = Activity::default();
    a.base.context = Some(Context::activitystreams());
    a.base.id = Some(id.clone());
    a.base.kind = Some(kind.into());
    a.actor = Some(iri(actor));
    a.object = Some(object);
    a
}

/// A `Note` as Mastodon writes a status.
#[derive(Debug, Clone)]
pub struct NoteBuilder {
    note: Object,
    followers: String,
    visibility: Visibility,
    mentions: Vec<String>,
}

impl NoteBuilder {
    /// A note by `author` (whose followers collection is `followers`) with HTML `content`.
    pub fn new(
        id: Id,
        author: &ObjectId<Actor>,
        followers: &str,
        content: impl Into<String>,
        visibility: Visibility,
    ) -> Self {
        let mut note = Object::new(Kind::Note);
        note.context = Some(Context::mastodon());
        note.id = Some(id);
        note.attributed_to = Some(iri(author));
        note.sensitive = Some(false);
        note.content = Some(content.into());
        NoteBuilder {
            note,
            followers: followers.to_owned(),
            visibility,
            mentions: Vec::new(),
        }
    }
    /// `published`.
    pub fn published(mut self, t: impl Into<XsdDateTime>) -> Self {
        self.note.published = Some(t.into());
        self
    }
    /// `url` (the HTML page).
    pub fn url(mut self, url: &Id) -> Self {
        self.note.url = Some(iri(url));
        self
    }
    /// `inReplyTo`.
    pub fn in_reply_to(mut self, id: &Id) -> Self {
        self.note.in_reply_to = Some(iri(id));
        self
    }
    /// A content warning (`summary`); Mastodon marks such posts `sensitive`.
    pub fn content_warning(mut self, cw: impl Into<String>) -> Self {
        self.note.summary = Some(cw.into());
        self.note.sensitive = Some(true);
        self
    }
    /// `sensitive`.
    pub fn sensitive(mut self, s: bool) -> Self {
        self.note.sensitive = Some(s);
        self
    }
    /// The language: adds `contentMap` with the content under it, as Mastodon does.
    pub fn language(mut self, lang: &str) -> Self {
        if let Some(c) = &self.note.content {
            self.note.content_map = Some(LanguageMap::single(lang, c.clone()));
        }
        self
    }
    /// `conversation` (the OStatus thread tag).
    pub fn conversation(mut self, c: impl Into<String>) -> Self {
        self.note.conversation = Some(c.into());
        self
    }
    /// Mentions an actor: a `Mention` tag, and the actor among the recipients.
    pub fn mention(mut self, actor: &ObjectId<Actor>, handle: &str) -> Self {
        let mut l = Link::default();
        l.base.kind = Some(Kind::Mention.into());
        l.href = Some(actor.as_str().to_owned());
        l.base.name = Some(handle.to_owned());
        self.push_tag(l.into());
        self.mentions.push(actor.as_str().to_owned());
        self
    }
    /// A `Hashtag` tag (`name` is `#tag`, `href` the tag page).
    pub fn hashtag(mut self, href: &str, name: &str) -> Self {
        let mut l = Link::default();
        l.base.kind = Some(Kind::Hashtag.into());
        l.href = Some(href.to_owned());
        l.base.name = Some(name.to_owned());
        self.push_tag(l.into());
        self
    }
    /// A media attachment (`Document` with `mediaType`, `url`, alt text in `name`, and
    /// `blurhash`/`width`/`height` when known).
    pub fn attachment(mut self, doc: Object) -> Self {
        let r = Reference::Object(Box::new(AnyObject::Object(doc)));
        match &mut self.note.attachment {
            Some(a) => a.push(r),
            None => self.note.attachment = Some(OneOrMany::Many(vec![r])),
        }
        self
    }
    /// A custom emoji (an `Emoji` tag, see
    /// [`EmojiBuilder`](crate::media::emoji::EmojiBuilder)); the `@context` gains Mastodon's
    /// `Emoji` term, as Mastodon's does when a post has one.
    pub fn emoji(mut self, tag: Object) -> Self {
        if let Some(c) = &mut self.note.context {
            c.add_term("Emoji", "toot:Emoji");
        }
        self.push_tag(tag.into());
        self
    }
    fn push_tag(&mut self, t: AnyObject) {
        let r = Reference::Object(Box::new(t));
        match &mut self.note.tag {
            Some(a) => a.push(r),
            None => self.note.tag = Some(OneOrMany::Many(vec![r])),
        }
    }
    /// The note.
    pub fn build(mut self) -> Object {
        let mentions: Vec<&str> = self.mentions.iter().map(String::as_str).collect();
        let (to, cc) = self.visibility.addressing(&self.followers, &mentions);
        self.note.to = Some(OneOrMany::Many(to));
        self.note.cc = Some(OneOrMany::Many(cc));
        self.note
    }
}

/// A media attachment as Mastodon sends one (`Document`; alt text in `name`). Shorthand for
/// [`MediaAttachmentBuilder`] without a focal point.
pub fn media_attachment(
    media_type: &str,
    url: &Id,
    alt: Option<&str>,
    blurhash: Option<&str>,
    size: Option<(u64, u64)>,
) -> Object {
    let mut b = MediaAttachmentBuilder::new(media_type, url);
    if let Some(alt) = alt {
        b = b.description(alt);
    }
    if let Some(h) = blurhash {
        b = b.blurhash(h);
    }
    if let Some((w, h)) = size {
        b = b.size(w, h);
    }
    b.build()
}

/// A media attachment as Mastodon sends one: a `Document` with `mediaType`, `url`, the
/// description in `name`, `blurhash`, `focalPoint` (`toot:focalPoint`, defined with
/// `toot:blurhash` in the `@context` [`NoteBuilder`] writes), `width` and `height`.
///
/// ```
/// use activitypub_core::{builder::MediaAttachmentBuilder, media, ObjectId};
/// let doc = MediaAttachmentBuilder::new("image/png", &ObjectId::parse("https://wool.example/m/1.png")?)
///     .description("a sheep")
///     .focal_point(-0.5, 0.25)
///     .build();
/// let json = serde_json::to_value(&doc)?;
/// assert_eq!(json["focalPoint"], serde_json::json!([-0.5, 0.25]));
/// assert_eq!(json["name"], "a sheep");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct MediaAttachmentBuilder {
    doc: Object,
}

impl MediaAttachmentBuilder {
    /// A `Document` of this media type at this URL.
    pub fn new(media_type: &str, url: &Id) -> Self {
        let mut doc = Object::new(Kind::Document);
        doc.media_type = Some(media_type.to_owned());
        doc.url = Some(iri(url));
        MediaAttachmentBuilder { doc }
    }
    /// The description (alt text), sent as `name`.
    pub fn description(mut self, alt: &str) -> Self {
        self.doc.name = Some(alt.to_owned());
        self
    }
    /// `blurhash`.
    pub fn blurhash(mut self, hash: &str) -> Self {
        self.doc.blurhash = Some(hash.to_owned());
        self
    }
    /// `width` and `height` in pixels.
    pub fn size(mut self, width: u64, height: u64) -> Self {
        self.doc.width = Some(width);
        self.doc.height = Some(height);
        self
    }
    /// `focalPoint`: `x` from -1 (left) to 1 (right), `y` from -1 (bottom) to 1 (top); values
    /// outside are clamped, and a value that is not a number is taken as 0 (the centre).
    pub fn focal_point(mut self, x: f64, y: f64) -> Self {
        let clamp = |v: f64| if v.is_nan() { 0.0 } else { v.clamp(-1.0, 1.0) };
        self.doc.focal_point = Some(vec![clamp(x), clamp(y)]);
        self
    }
    /// The attachment.
    pub fn build(self) -> Object {
        self.doc
    }
}

/// `Create` wrapping an object: the object's `@context` moves to the activity; `actor`,
/// `published`, `to` and `cc` are copied from the object, as Mastodon does.
pub fn create(id: &Id, mut object: Object) -> Activity {
    let mut a = Activity::default();
    a.base.context = object.context.take();
    a.base.id = Some(id.clone());
    a.base.kind = Some(Kind::Create.into());
    a.actor = object.attributed_to.clone();
    a.base.published = object.published.clone();
    a.base.to = object.to.clone();
    a.base.cc = object.cc.clone();
    a.object = Some(embed(object));
    a
}

/// `Update` of an object or actor (embedded); the object's `@context` moves to the activity.
/// Mastodon addresses actor updates to Public.
pub fn update(id: &Id, actor: &ObjectId<Actor>, object: impl Into<AnyObject>) -> Activity {
    let mut object = object.into();
    let mut a = Activity::default();
    a.base.context = object.object_mut().context.take();
    a.base.id = Some(id.clone());
    a.base.kind = Some(Kind::Update.into());
    a.actor = Some(iri(actor));
    match &object {
        AnyObject::Actor(_) => {
            a.base.to = Some(OneOrMany::Many(vec![crate::visibility::PUBLIC.to_owned()]));
        }
        o => {
            a.base.to = o.to.clone();
            a.base.cc = o.cc.clone();
        }
    }
    a.object = Some(embed(object));
    a
}

/// `Delete` of a post: the object is a `Tombstone` with the post's id; addressed to Public,
/// as Mastodon does.
pub fn delete(id: &Id, actor: &ObjectId<Actor>, deleted: &Id) -> Activity {
    let mut t = Object::new(Kind::Tombstone);
    t.id = Some(deleted.clone());
    let mut a = activity(Kind::Delete, id, actor, embed(t));
    a.base.to = Some(OneOrMany::Many(vec![crate::visibility::PUBLIC.to_owned()]));
    a
}

/// `Follow`.
pub fn follow(id: &Id, actor: &ObjectId<Actor>, followed: &ObjectId<Actor>) -> Activity {
    activity(Kind::Follow, id, actor, iri(followed))
}

fn respond(kind: Kind, id: &Id, actor: &ObjectId<Actor>, mut request: Activity) -> Activity {
    request.base.context = None;
    activity(kind, id, actor, embed(request))
}

/// `Accept` of a `Follow` (embedded without its `@context`).
pub fn accept(id: &Id, actor: &ObjectId<Actor>, follow: Activity) -> Activity {
    respond(Kind::Accept, id, actor, follow)
}

/// `Reject` of a `Follow` (embedded without its `@context`).
pub fn reject(id: &Id, actor: &ObjectId<Actor>, follow: Activity) -> Activity {
    respond(Kind::Reject, id, actor, follow)
}

/// `Undo` of an earlier activity (embedded without its `@context`).
pub fn undo(id: &Id, actor: &ObjectId<Actor>, undone: Activity) -> Activity {
    respond(Kind::Undo, id, actor, undone)
}

/// `Like` of a post (by IRI).
pub fn like(id: &Id, actor: &ObjectId<Actor>, liked: &Id) -> Activity {
    activity(Kind::Like, id, actor, iri(liked))
}

/// `Block` of an actor (by IRI).
pub fn block(id: &Id, actor: &ObjectId<Actor>, blocked: &ObjectId<Actor>) -> Activity {
    activity(Kind::Block, id, actor, iri(blocked))
}

/// `Announce` (boost) of a post, as Mastodon addresses it: `to` Public (or followers for
/// unlisted boosts), `cc` the original author and the booster's followers.
#[allow(clippy::too_many_arguments)]
pub fn announce(
    id: &Id,
    actor: &ObjectId<Actor>,
    followers: &str,
    post: &Id,
    post_author: &ObjectId<Actor>,
    published: impl Into<XsdDateTime>,
    visibility: Visibility,
) -> Activity {
    let mut a = activity(Kind::Announce, id, actor, iri(post));
    a.base.published = Some(published.into());
    let (to, mut cc) = visibility.addressing(followers, &[]);
    cc.insert(0, post_author.as_str().to_owned());
    a.base.to = Some(OneOrMany::Many(to));
    a.base.cc = Some(OneOrMany::Many(cc));
    a
}

fn collection_change(
    kind: Kind,
    id: Option<&Id>,
    actor: &ObjectId<Actor>,
    object: &Id,
    target: &ObjectId<Collection>,
) -> Activity {
    let mut a = Activity::default();
    a.base.context = Some(Context::activitystreams());
    a.base.id = id.cloned();
    a.base.kind = Some(kind.into());
    a.actor = Some(iri(actor));
    a.object = Some(iri(object));
    a.target = Some(iri(target));
    a
}

/// `Add` of a post to the actor's `featured` collection (a pin), as Mastodon sends it:
/// `actor`, `object` (the post's IRI) and `target` (the collection), with no `to`/`cc` (it
/// goes to the actor's followers). Mastodon's carry no `id` (pass `None` for that exact
/// shape); an `id` lets receivers deduplicate it and refer to it.
///
/// ```
/// use activitypub_core::{builder, ObjectId};
/// let alice = ObjectId::parse("https://wool.example/users/alice")?;
/// let add = builder::add(
///     None,
///     &alice,
///     &ObjectId::parse("https://wool.example/users/alice/statuses/1")?,
///     &ObjectId::parse("https://wool.example/users/alice/collections/featured")?,
/// );
/// assert_eq!(
///     serde_json::to_string(&add)?,
///     r#"{"@context":"https://www.w3.org/ns/activitystreams","type":"Add","actor":"https://wool.example/users/alice","object":"https://wool.example/users/alice/statuses/1","target":"https://wool.example/users/alice/collections/featured"}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn add(
    id: Option<&Id>,
    actor: &ObjectId<Actor>,
    post: &Id,
    featured: &ObjectId<Collection>,
) -> Activity {
    collection_change(Kind::Add, id, actor, post, featured)
}

/// `Remove` of a post from the actor's `featured` collection (an unpin), shaped as
/// [`add`].
pub fn remove(
    id: Option<&Id>,
    actor: &ObjectId<Actor>,
    post: &Id,
    featured: &ObjectId<Collection>,
) -> Activity {
    collection_change(Kind::Remove, id, actor, post, featured)
}

/// `Flag` (a report): sent by the instance actor, `object` lists the reported account then
/// the reported posts, `content` is the comment.
pub fn flag(id: &Id, actor: &ObjectId<Actor>, comment: &str, objects: &[Id]) -> Activity {
    let refs = objects.iter().map(|o| Reference::Id(o.clone())).collect();
    let mut a = activity(Kind::Flag, id, actor, OneOrMany::Many(refs));
    a.base.content = Some(comment.to_owned());
    a
}

/// A `Person` as Mastodon serves one, with Mastodon's URL layout under the actor id:
/// `/inbox`, `/outbox`, `/followers`, `/following`, `/collections/featured`,
/// `/collections/tags`, the key at `#main-key`, and the shared inbox at the origin's `/inbox`.
#[derive(Debug, Clone)]
pub struct PersonBuilder {
    actor: Actor,
}

impl PersonBuilder {
    /// A person with this id, username and PEM public key.
    pub fn new(
        id: &ObjectId<Actor>,
        username: &str,
        public_key_pem: &str,
    ) -> Result<Self, crate::Error> {
        let base = id.as_str().trim_end_matches('/');
        let sub = |p: &str| ObjectId::parse(&format!("{base}{p}"));
        let mut a = Actor::default();
        a.base.context = Some(Context::mastodon_actor());
        a.base.id = Some(id.clone().cast());
        a.base.kind = Some(Kind::Person.into());
        a.following = Some(sub("/following")?);
        a.followers = Some(sub("/followers")?);
        a.inbox = Some(sub("/inbox")?);
        a.outbox = Some(sub("/outbox")?);
        a.featured = Some(sub("/collections/featured")?);
        a.featured_tags = Some(sub("/collections/tags")?);
        a.preferred_username = Some(username.to_owned());
        a.manually_approves_followers = Some(false);
        a.discoverable = Some(true);
        a.indexable = Some(false);
        a.memorial = Some(false);
        let key = PublicKey {
            id: Some(sub("#main-key")?.cast()),
            owner: Some(id.clone()),
            public_key_pem: Some(public_key_pem.to_owned()),
            ..PublicKey::default()
        };
        a.public_key = Some(OneOrMany::One(Reference::Object(Box::new(key))));
        a.endpoints = Some(Endpoints {
            shared_inbox: Some(ObjectId::parse(&format!("{}/inbox", id.origin()))?),
            ..Endpoints::default()
        });
        Ok(PersonBuilder { actor: a })
    }
    /// The display name.
    pub fn name(mut self, name: &str) -> Self {
        self.actor.base.name = Some(name.to_owned());
        self
    }
    /// The bio (HTML).
    pub fn summary(mut self, html: &str) -> Self {
        self.actor.base.summary = Some(html.to_owned());
        self
    }
    /// The profile page.
    pub fn url(mut self, url: &Id) -> Self {
        self.actor.base.url = Some(iri(url));
        self
    }
    /// `published` (account creation; Mastodon sends midnight UTC of that day).
    pub fn published(mut self, t: impl Into<XsdDateTime>) -> Self {
        self.actor.base.published = Some(t.into());
        self
    }
    /// `manuallyApprovesFollowers` (a locked account).
    pub fn locked(mut self, locked: bool) -> Self {
        self.actor.manually_approves_followers = Some(locked);
        self
    }
    /// A profile field (a `PropertyValue` attachment).
    pub fn field(mut self, name: &str, value_html: &str) -> Self {
        let mut p = Object::new(Kind::PropertyValue);
        p.name = Some(name.to_owned());
        p.value = Some(value_html.to_owned());
        let r = Reference::Object(Box::new(AnyObject::Object(p)));
        match &mut self.actor.base.attachment {
            Some(a) => a.push(r),
            None => self.actor.base.attachment = Some(OneOrMany::Many(vec![r])),
        }
        self
    }
    /// The avatar (`icon`, an `Image`).
    pub fn avatar(mut self, media_type: &str, url: &Id) -> Self {
        let mut i = Object::new(Kind::Image);
        i.media_type = Some(media_type.to_owned());
        i.url = Some(iri(url));
        self.actor.base.icon = Some(embed(i));
        self
    }
    /// The header (`image`, an `Image`), as Mastodon sends it.
    pub fn header(mut self, media_type: &str, url: &Id) -> Self {
        let mut i = Object::new(Kind::Image);
        i.media_type = Some(media_type.to_owned());
        i.url = Some(iri(url));
        self.actor.base.image = Some(embed(i));
        self
    }
    /// A custom emoji of the display name, bio or fields (an `Emoji` tag, see
    /// [`EmojiBuilder`](crate::media::emoji::EmojiBuilder)).
    pub fn emoji(mut self, tag: Object) -> Self {
        let r = Reference::Object(Box::new(AnyObject::Object(tag)));
        match &mut self.actor.base.tag {
            Some(a) => a.push(r),
            None => self.actor.base.tag = Some(OneOrMany::Many(vec![r])),
        }
        self
    }
    /// The actor.
    pub fn build(mut self) -> Actor {
        if self.actor.base.tag.is_none() {
            self.actor.base.tag = Some(OneOrMany::Many(Vec::new()));
        }
        if self.actor.base.attachment.is_none() {
            self.actor.base.attachment = Some(OneOrMany::Many(Vec::new()));
        }
        self.actor
    }
}

fn link(id: &Id) -> Reference<AnyObject> {
    Reference::Id(id.clone())
}

/// The items of a collection as Mastodon writes them: IRIs as they are, embedded objects
/// without their `@context` (the collection's applies).
fn ordered(items: impl IntoIterator<Item = Reference<AnyObject>>) -> Refs {
    OneOrMany::Many(
        items
            .into_iter()
            .map(|item| match item {
                Reference::Object(mut o) => {
                    o.object_mut().context = None;
                    Reference::Object(o)
                }
                other => other,
            })
            .collect(),
    )
}

fn collection(kind: Kind, id: &Id) -> Collection {
    let mut c = Collection::default();
    c.base.context = Some(Context::activitystreams());
    c.base.id = Some(id.clone());
    c.base.kind = Some(kind.into());
    c
}

/// An `OrderedCollection` as Mastodon publishes one: either paged (`totalItems` and a link to
/// the `first` page, and for the outbox the `last` one: `/outbox`, `/followers`,
/// `/following`) or with every item inline (`orderedItems`: `/collections/featured`).
///
/// Keys come in Mastodon's order: `@context`, `id`, `type`, `totalItems`, `first`, `last`,
/// `orderedItems`.
///
/// ```
/// use activitypub_core::builder::OrderedCollectionBuilder;
/// use activitypub_core::{ObjectId, Reference};
/// let featured = OrderedCollectionBuilder::new(&ObjectId::parse("https://wool.example/users/alice/collections/featured")?)
///     .ordered_items([Reference::Id(ObjectId::parse("https://wool.example/users/alice/statuses/1")?)])
///     .build();
/// assert_eq!(
///     serde_json::to_string(&featured)?,
///     r#"{"@context":"https://www.w3.org/ns/activitystreams","id":"https://wool.example/users/alice/collections/featured","type":"OrderedCollection","totalItems":1,"orderedItems":["https://wool.example/users/alice/statuses/1"]}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct OrderedCollectionBuilder {
    collection: Collection,
}

impl OrderedCollectionBuilder {
    /// An `OrderedCollection` with this id (and the ActivityStreams `@context`).
    pub fn new(id: &Id) -> Self {
        OrderedCollectionBuilder {
            collection: collection(Kind::OrderedCollection, id),
        }
    }
    /// `totalItems`. Without it, a collection with inline items counts them.
    pub fn total_items(mut self, n: u64) -> Self {
        self.collection.total_items = Some(n);
        self
    }
    /// `first`: the first page (the newest items).
    pub fn first(mut self, page: &Id) -> Self {
        self.collection.first = Some(link(page));
        self
    }
    /// `last`: the last page (the oldest items).
    pub fn last(mut self, page: &Id) -> Self {
        self.collection.last = Some(link(page));
        self
    }
    /// The items inline (`orderedItems`, written even when empty): IRIs, or embedded objects,
    /// whose `@context` is dropped.
    pub fn ordered_items(mut self, items: impl IntoIterator<Item = Reference<AnyObject>>) -> Self {
        self.collection.ordered_items = Some(ordered(items));
        self
    }
    /// The collection.
    pub fn build(mut self) -> Collection {
        if self.collection.total_items.is_none() {
            if let Some(items) = &self.collection.ordered_items {
                self.collection.total_items = Some(items.len() as u64);
            }
        }
        self.collection
    }
}

/// An `OrderedCollectionPage` as Mastodon publishes one: `partOf` its collection, `next`
/// (older items) and `prev` (newer items) when there are some, `orderedItems` always (IRIs
/// or embedded objects, whose `@context` is dropped); the pages of followers and following
/// also carry the collection's `totalItems`.
///
/// Keys come in Mastodon's order: `@context`, `id`, `type`, `totalItems`, `next`, `prev`,
/// `partOf`, `orderedItems`.
///
/// ```
/// use activitypub_core::builder::OrderedCollectionPageBuilder;
/// use activitypub_core::{ObjectId, Reference};
/// let followers = ObjectId::parse("https://wool.example/users/alice/followers")?;
/// let page = OrderedCollectionPageBuilder::new(&ObjectId::parse("https://wool.example/users/alice/followers?page=1")?, &followers)
///     .total_items(1)
///     .ordered_items([Reference::Id(ObjectId::parse("https://far.example/users/bob")?)])
///     .build();
/// assert_eq!(
///     serde_json::to_string(&page)?,
///     r#"{"@context":"https://www.w3.org/ns/activitystreams","id":"https://wool.example/users/alice/followers?page=1","type":"OrderedCollectionPage","totalItems":1,"partOf":"https://wool.example/users/alice/followers","orderedItems":["https://far.example/users/bob"]}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct OrderedCollectionPageBuilder {
    page: Collection,
}

impl OrderedCollectionPageBuilder {
    /// A page with this id, part of this collection (and the ActivityStreams `@context`).
    pub fn new(id: &Id, part_of: &Id) -> Self {
        let mut page = collection(Kind::OrderedCollectionPage, id);
        page.part_of = Some(link(part_of));
        OrderedCollectionPageBuilder { page }
    }
    /// `totalItems`: the size of the whole collection.
    pub fn total_items(mut self, n: u64) -> Self {
        self.page.total_items = Some(n);
        self
    }
    /// `next`: the page of older items.
    pub fn next(mut self, page: &Id) -> Self {
        self.page.next = Some(link(page));
        self
    }
    /// `prev`: the page of newer items.
    pub fn prev(mut self, page: &Id) -> Self {
        self.page.prev = Some(link(page));
        self
    }
    /// The page's items: IRIs, or embedded objects, whose `@context` is dropped.
    pub fn ordered_items(mut self, items: impl IntoIterator<Item = Reference<AnyObject>>) -> Self {
        self.page.ordered_items = Some(ordered(items));
        self
    }
    /// The page (with `orderedItems: []` when no items were given).
    pub fn build(mut self) -> Collection {
        if self.page.ordered_items.is_none() {
            self.page.ordered_items = Some(OneOrMany::Many(Vec::new()));
        }
        self.page
    }
}
