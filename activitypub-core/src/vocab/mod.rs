//! The ActivityStreams 2.0 vocabulary, with the Mastodon and vendor extensions that matter.
//!
//! The shape:
//!
//! - [`Object`] holds the properties every object has (Note, Article, Page, Question, Image,
//!   Video, Audio, Document, Event, Tombstone, Emoji, PropertyValue, … and any unknown type).
//! - [`Actor`], [`Activity`], [`Collection`] and [`Link`] embed an [`Object`] (reachable
//!   through `Deref`) and add their own properties.
//! - [`AnyObject`] is any of them, chosen by `type` in the same single pass that reads the
//!   fields (unknown types are classified by the properties they carry).
//!
//! Every struct keeps the properties it has no field for — and values of known properties in
//! a shape its field does not accept, and `null`s — in `extra`, so a document we did not
//! change serializes back to the same JSON (key order aside). Reading never goes through
//! `serde_json::Value` for the typed fields, so a lossless typed parse costs about what a
//! `Value` parse costs.

use serde::de::MapAccess;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::context::Context;
use crate::id::ObjectId;
use crate::lenient::{
    HasId, Key, LanguageMap, OneOrMany, Parsed, Reference, Tolerant, XsdDateTime,
};

pub(crate) mod macros;
use macros::{extend_object, record, Taken};

/// A property holding one or more IRIs or embedded objects of any kind.
pub type Refs = OneOrMany<Reference<AnyObject>>;

/// The value of an addressing property (`to`, `cc`, `bto`, `bcc`, `audience`): IRIs as
/// strings, since `as:Public` and `Public` are not URLs. (Whom the engine delivers an
/// activity to is another thing: [`engine::Recipients`](crate::engine::Recipients).)
pub type AddressList = OneOrMany<String>;

/// The broad family of an ActivityStreams type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// A plain object (Note, Image, Tombstone, …).
    Object,
    /// An actor (Person, Group, …).
    Actor,
    /// An activity (Create, Follow, …).
    Activity,
    /// A collection or collection page.
    Collection,
    /// A link (Link, Mention, Hashtag).
    Link,
}

macro_rules! kinds {
    ($( $(#[$m:meta])* $v:ident = $s:literal => $cat:ident, )*) => {
        /// An ActivityStreams (or vendor) `type` name; unknown names are kept as
        /// [`Kind::Other`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Kind {
            $( $(#[$m])* #[doc = concat!("`", $s, "`")] $v, )*
            /// Any other type name, verbatim.
            Other(String),
        }

        impl Kind {
            /// The type name.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Kind::$v => $s, )*
                    Kind::Other(s) => s,
                }
            }
            /// The type for a name (exact, case-sensitive match; otherwise [`Kind::Other`]).
            pub fn from_name(s: &str) -> Kind {
                match s {
                    $( $s => Kind::$v, )*
                    other => Kind::Other(other.to_owned()),
                }
            }
            /// The family of a known type; `None` for [`Kind::Other`].
            pub fn category(&self) -> Option<Category> {
                match self {
                    $( Kind::$v => Some(Category::$cat), )*
                    Kind::Other(_) => None,
                }
            }
        }
    };
}

kinds! {
    Object = "Object" => Object,
    Note = "Note" => Object,
    Article = "Article" => Object,
    Page = "Page" => Object,
    Question = "Question" => Object,
    Image = "Image" => Object,
    Video = "Video" => Object,
    Audio = "Audio" => Object,
    Document = "Document" => Object,
    Event = "Event" => Object,
    Place = "Place" => Object,
    Profile = "Profile" => Object,
    Relationship = "Relationship" => Object,
    Tombstone = "Tombstone" => Object,
    Emoji = "Emoji" => Object,
    PropertyValue = "PropertyValue" => Object,
    IdentityProof = "IdentityProof" => Object,
    ChatMessage = "ChatMessage" => Object,
    Key = "Key" => Object,
    CryptographicKey = "CryptographicKey" => Object,
    Multikey = "Multikey" => Object,
    Person = "Person" => Actor,
    Service = "Service" => Actor,
    Application = "Application" => Actor,
    Group = "Group" => Actor,
    Organization = "Organization" => Actor,
    Create = "Create" => Activity,
    Update = "Update" => Activity,
    Delete = "Delete" => Activity,
    Follow = "Follow" => Activity,
    Accept = "Accept" => Activity,
    Reject = "Reject" => Activity,
    TentativeAccept = "TentativeAccept" => Activity,
    TentativeReject = "TentativeReject" => Activity,
    Undo = "Undo" => Activity,
    Announce = "Announce" => Activity,
    Like = "Like" => Activity,
    Dislike = "Dislike" => Activity,
    Block = "Block" => Activity,
    Flag = "Flag" => Activity,
    Move = "Move" => Activity,
    Add = "Add" => Activity,
    Remove = "Remove" => Activity,
    EmojiReact = "EmojiReact" => Activity,
    Invite = "Invite" => Activity,
    Join = "Join" => Activity,
    Leave = "Leave" => Activity,
    Offer = "Offer" => Activity,
    Listen = "Listen" => Activity,
    Read = "Read" => Activity,
    View = "View" => Activity,
    Arrive = "Arrive" => Activity,
    Travel = "Travel" => Activity,
    Ignore = "Ignore" => Activity,
    Collection = "Collection" => Collection,
    OrderedCollection = "OrderedCollection" => Collection,
    CollectionPage = "CollectionPage" => Collection,
    OrderedCollectionPage = "OrderedCollectionPage" => Collection,
    Link = "Link" => Link,
    Mention = "Mention" => Link,
    Hashtag = "Hashtag" => Link,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Tolerant for Kind {
    fn from_str(s: &str) -> Option<Self> {
        Some(Kind::from_name(s))
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::lenient::strict(d)
    }
}

impl From<Kind> for OneOrMany<Kind> {
    fn from(k: Kind) -> Self {
        OneOrMany::One(k)
    }
}

record! {
    /// The properties every ActivityStreams object has, plus the Mastodon and vendor
    /// extensions that appear on objects. Note, Article, Page, Question, Image, Video, Audio,
    /// Document, Event, Tombstone, Emoji, PropertyValue and unknown types are all `Object`s,
    /// told apart by [`Object::kind`].
    pub struct Object {
        /// `@context`.
        context: Context = "@context",
        /// `id`.
        id: ObjectId<AnyObject> = "id",
        /// `type` (usually one name; some software sends an array).
        kind: OneOrMany<Kind> = "type",
        /// `name` (for `Image`/`Document` attachments, the alt text).
        name: String = "name",
        /// `nameMap`.
        name_map: LanguageMap = "nameMap",
        /// `summary` (Mastodon: the content warning).
        summary: String = "summary",
        /// `summaryMap`.
        summary_map: LanguageMap = "summaryMap",
        /// `content` (HTML).
        content: String = "content",
        /// `contentMap`.
        content_map: LanguageMap = "contentMap",
        /// `mediaType`.
        media_type: String = "mediaType",
        /// `source` (the text as the author typed it).
        source: Source = "source",
        /// `url`.
        url: Refs = "url",
        /// `attributedTo`.
        attributed_to: Refs = "attributedTo",
        /// `to`.
        to: AddressList = "to",
        /// `cc`.
        cc: AddressList = "cc",
        /// `bto`.
        bto: AddressList = "bto",
        /// `bcc`.
        bcc: AddressList = "bcc",
        /// `audience` (Lemmy: the community).
        audience: AddressList = "audience",
        /// `inReplyTo`.
        in_reply_to: Refs = "inReplyTo",
        /// `published`.
        published: XsdDateTime = "published",
        /// `updated`.
        updated: XsdDateTime = "updated",
        /// `startTime`.
        start_time: XsdDateTime = "startTime",
        /// `endTime` (a `Question`'s closing time).
        end_time: XsdDateTime = "endTime",
        /// `deleted` (a `Tombstone`).
        deleted: XsdDateTime = "deleted",
        /// `formerType` (a `Tombstone`).
        former_type: OneOrMany<Kind> = "formerType",
        /// `duration`.
        duration: String = "duration",
        /// `icon`.
        icon: Refs = "icon",
        /// `image`.
        image: Refs = "image",
        /// `attachment` (media, or `PropertyValue` profile fields).
        attachment: Refs = "attachment",
        /// `tag` (Mention, Hashtag, Emoji).
        tag: Refs = "tag",
        /// `generator`.
        generator: Refs = "generator",
        /// `location`.
        location: Refs = "location",
        /// `preview`.
        preview: Refs = "preview",
        /// `replies`.
        replies: Reference<AnyObject> = "replies",
        /// `likes`.
        likes: Reference<AnyObject> = "likes",
        /// `shares`.
        shares: Reference<AnyObject> = "shares",
        /// `context` (the ActivityStreams property, not `@context`; Pleroma: the thread).
        as_context: String = "context",
        /// `sensitive` (Mastodon).
        sensitive: bool = "sensitive",
        /// `conversation` (OStatus thread id; Mastodon, Pleroma).
        conversation: String = "conversation",
        /// `quote` (FEP-044f; Misskey, Mastodon 4.4+).
        quote: String = "quote",
        /// `quoteUri` (Fedibird, Akkoma).
        quote_uri: String = "quoteUri",
        /// `quoteUrl` (Misskey, Akkoma).
        quote_url: String = "quoteUrl",
        /// `_misskey_quote` (Misskey, Sharkey, Fedibird).
        misskey_quote: String = "_misskey_quote",
        /// `_misskey_content` (Misskey: the MFM source).
        misskey_content: String = "_misskey_content",
        /// `attributionDomains` (Mastodon 4.4: domains allowed to credit this author).
        attribution_domains: OneOrMany<String> = "attributionDomains",
        /// `blurhash` (Mastodon media).
        blurhash: String = "blurhash",
        /// `focalPoint` (Mastodon media: `[x, y]` in -1..1).
        focal_point: Vec<f64> = "focalPoint",
        /// `width`.
        width: u64 = "width",
        /// `height`.
        height: u64 = "height",
        /// `value` (schema.org `PropertyValue` profile fields).
        value: String = "value",
        /// `oneOf` (a single-choice `Question`).
        one_of: Refs = "oneOf",
        /// `anyOf` (a multiple-choice `Question`).
        any_of: Refs = "anyOf",
        /// `votersCount` (Mastodon polls).
        voters_count: u64 = "votersCount",
        /// `closed` (a closed `Question`: when it closed).
        closed: XsdDateTime = "closed",
    }
}

impl Object {
    /// An object of one type, with nothing else set.
    pub fn new(kind: Kind) -> Self {
        Object {
            kind: Some(OneOrMany::One(kind)),
            ..Object::default()
        }
    }

    /// The first (usually only) `type`.
    pub fn primary_kind(&self) -> Option<&Kind> {
        self.kind.as_ref().and_then(OneOrMany::first)
    }

    /// Whether the object has this `type` (among others, possibly).
    pub fn is(&self, kind: &Kind) -> bool {
        self.kind
            .as_ref()
            .is_some_and(|k| k.iter().any(|x| x == kind))
    }

    /// The `type` name, or the unknown `type` value as found in `extra`.
    pub fn type_name(&self) -> Option<&str> {
        self.primary_kind().map(Kind::as_str)
    }

    /// The content: `content`, else the first `contentMap` entry.
    pub fn content_text(&self) -> Option<&str> {
        self.content.as_deref().or_else(|| {
            self.content_map
                .as_ref()
                .and_then(|m| m.first())
                .map(|(_, t)| t)
        })
    }

    /// The name: `name`, else the first `nameMap` entry.
    pub fn name_text(&self) -> Option<&str> {
        self.name.as_deref().or_else(|| {
            self.name_map
                .as_ref()
                .and_then(|m| m.first())
                .map(|(_, t)| t)
        })
    }

    /// The summary: `summary`, else the first `summaryMap` entry.
    pub fn summary_text(&self) -> Option<&str> {
        self.summary.as_deref().or_else(|| {
            self.summary_map
                .as_ref()
                .and_then(|m| m.first())
                .map(|(_, t)| t)
        })
    }

    /// The id of the quoted post, whichever property carries it (`quote`, `quoteUri`,
    /// `quoteUrl`, `quoteURL` (Fedibird), `_misskey_quote`).
    pub fn quoted(&self) -> Option<&str> {
        self.quote
            .as_deref()
            .or(self.quote_uri.as_deref())
            .or(self.quote_url.as_deref())
            .or_else(|| self.extra.get("quoteURL").and_then(Value::as_str))
            .or(self.misskey_quote.as_deref())
    }

    /// The ids of `attributedTo` (IRIs, or the ids of embedded actors).
    pub fn attributed_to_ids(&self) -> Vec<&str> {
        ref_ids(self.attributed_to.as_ref())
    }

    /// A property's value as JSON, whether it was read into a typed field or kept in
    /// `extra` (costs one serialization of the field).
    pub fn get_json(&self, key: &str) -> Option<Value> {
        if let Some(v) = self.extra.get(key) {
            return Some(v.clone());
        }
        match serde_json::to_value(self) {
            Ok(Value::Object(mut m)) => m.remove(key),
            _ => None,
        }
    }
}

/// The ids of a [`Refs`] property.
pub fn ref_ids(r: Option<&Refs>) -> Vec<&str> {
    r.map(|r| r.iter().filter_map(Reference::id).collect())
        .unwrap_or_default()
}

impl HasId for Object {
    fn id_str(&self) -> Option<&str> {
        self.id.as_ref().map(ObjectId::as_str)
    }
}

record! {
    /// `source`: the text as the author typed it (Mastodon, Pleroma, Misskey).
    pub struct Source {
        /// `content`.
        content: String = "content",
        /// `mediaType` (e.g. `text/plain`, `text/markdown`, `text/x.misskeymarkdown`).
        media_type: String = "mediaType",
    }
}

record! {
    /// An actor's `endpoints`.
    pub struct Endpoints {
        /// `sharedInbox`.
        shared_inbox: ObjectId<Collection> = "sharedInbox",
    }
}

record! {
    /// An actor's `publicKey` (security v1; used by HTTP Signatures).
    pub struct PublicKey {
        /// `id` (the signature `keyId`).
        id: ObjectId<PublicKey> = "id",
        /// `type` (Fedify: `CryptographicKey`; most send none).
        kind: OneOrMany<Kind> = "type",
        /// `owner`.
        owner: ObjectId<Actor> = "owner",
        /// `publicKeyPem`.
        public_key_pem: String = "publicKeyPem",
    }
}

impl HasId for PublicKey {
    fn id_str(&self) -> Option<&str> {
        self.id.as_ref().map(ObjectId::as_str)
    }
}

record! {
    /// A FEP-521a `Multikey` in an actor's `assertionMethod` (Mitra, Fedify, Hubzilla).
    pub struct Multikey {
        /// `id`.
        id: ObjectId<Multikey> = "id",
        /// `type` (`Multikey`).
        kind: OneOrMany<Kind> = "type",
        /// `controller` (the actor).
        controller: ObjectId<Actor> = "controller",
        /// `publicKeyMultibase` (base58btc multicodec key, e.g. `z6Mk…` for Ed25519).
        public_key_multibase: String = "publicKeyMultibase",
    }
}

impl HasId for Multikey {
    fn id_str(&self) -> Option<&str> {
        self.id.as_ref().map(ObjectId::as_str)
    }
}

extend_object! {
    /// An actor: Person, Service, Application, Group, Organization.
    pub struct Actor / ActorFields {
        /// `inbox`.
        inbox: ObjectId<Collection> = "inbox",
        /// `outbox`.
        outbox: ObjectId<Collection> = "outbox",
        /// `followers`.
        followers: ObjectId<Collection> = "followers",
        /// `following`.
        following: ObjectId<Collection> = "following",
        /// `liked`.
        liked: ObjectId<Collection> = "liked",
        /// `featured` (Mastodon: pinned posts).
        featured: ObjectId<Collection> = "featured",
        /// `featuredTags` (Mastodon).
        featured_tags: ObjectId<Collection> = "featuredTags",
        /// `endpoints` (`sharedInbox`).
        endpoints: Endpoints = "endpoints",
        /// `publicKey` (an object; an array in Fedify).
        public_key: OneOrMany<Reference<PublicKey>> = "publicKey",
        /// `assertionMethod` (FEP-521a `Multikey`s).
        assertion_method: OneOrMany<Reference<Multikey>> = "assertionMethod",
        /// `preferredUsername`.
        preferred_username: String = "preferredUsername",
        /// `manuallyApprovesFollowers`.
        manually_approves_followers: bool = "manuallyApprovesFollowers",
        /// `discoverable` (Mastodon).
        discoverable: bool = "discoverable",
        /// `indexable` (Mastodon 4.2+: posts may be searched).
        indexable: bool = "indexable",
        /// `memorial` (Mastodon).
        memorial: bool = "memorial",
        /// `suspended` (Mastodon).
        suspended: bool = "suspended",
        /// `movedTo` (Mastodon account migration).
        moved_to: ObjectId<Actor> = "movedTo",
        /// `alsoKnownAs` (account migration aliases).
        also_known_as: OneOrMany<ObjectId<Actor>> = "alsoKnownAs",
    }
}

impl Actor {
    /// The first `publicKey` embedded in the actor.
    pub fn main_key(&self) -> Option<&PublicKey> {
        self.public_key
            .as_ref()
            .and_then(|k| k.iter().find_map(Reference::object))
    }
    /// `endpoints.sharedInbox`, if any.
    pub fn shared_inbox(&self) -> Option<&ObjectId<Collection>> {
        self.endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.as_ref())
    }
}

extend_object! {
    /// An activity: Create, Update, Delete, Follow, Accept, Reject, Undo, Announce, Like,
    /// Block, Flag, Move, Add, Remove, EmojiReact, and any other type.
    pub struct Activity / ActivityFields {
        /// `actor`.
        actor: Refs = "actor",
        /// `object`.
        object: Refs = "object",
        /// `target`.
        target: Refs = "target",
        /// `result`.
        result: Refs = "result",
        /// `origin`.
        origin: Refs = "origin",
        /// `instrument`.
        instrument: Refs = "instrument",
    }
}

impl Activity {
    /// The ids of `actor`.
    pub fn actor_ids(&self) -> Vec<&str> {
        ref_ids(self.actor.as_ref())
    }
    /// The first `object`, if any.
    pub fn first_object(&self) -> Option<&Reference<AnyObject>> {
        self.object.as_ref().and_then(OneOrMany::first)
    }
}

extend_object! {
    /// A collection: Collection, OrderedCollection, CollectionPage, OrderedCollectionPage.
    pub struct Collection / CollectionFields {
        /// `totalItems`.
        total_items: u64 = "totalItems",
        /// `first`.
        first: Reference<AnyObject> = "first",
        /// `last`.
        last: Reference<AnyObject> = "last",
        /// `current`.
        current: Reference<AnyObject> = "current",
        /// `next`.
        next: Reference<AnyObject> = "next",
        /// `prev`.
        prev: Reference<AnyObject> = "prev",
        /// `partOf`.
        part_of: Reference<AnyObject> = "partOf",
        /// `items`.
        items: Refs = "items",
        /// `orderedItems`.
        ordered_items: Refs = "orderedItems",
        /// `startIndex`.
        start_index: u64 = "startIndex",
    }
}

impl Collection {
    /// The items, whichever of `items` and `orderedItems` holds them.
    pub fn all_items(&self) -> &[Reference<AnyObject>] {
        self.ordered_items
            .as_ref()
            .or(self.items.as_ref())
            .map(OneOrMany::as_slice)
            .unwrap_or_default()
    }
}

extend_object! {
    /// A link: Link, Mention, Hashtag. (ActivityStreams keeps links apart from objects;
    /// here a link shares [`Object`]'s fields for `id`, `type`, `name`, `mediaType`, `width`,
    /// `height` and `preview`.)
    pub struct Link / LinkFields {
        /// `href`.
        href: String = "href",
        /// `hreflang`.
        hreflang: String = "hreflang",
        /// `rel`.
        rel: OneOrMany<String> = "rel",
    }
}

/// Any ActivityStreams document: the variant is chosen by `type`, in the same single pass
/// that reads the fields.
///
/// Unknown types are classified by what they carry: `actor` → activity; `inbox` → actor;
/// collection properties → collection; `href` without `content` → link; else object.
/// Properties that belong to another family than the one chosen (say, `inbox` on a `Note`)
/// are kept in `extra`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AnyObject {
    /// A plain object.
    Object(Object),
    /// An actor.
    Actor(Actor),
    /// An activity.
    Activity(Activity),
    /// A collection or collection page.
    Collection(Collection),
    /// A link.
    Link(Link),
}

impl Default for AnyObject {
    fn default() -> Self {
        AnyObject::Object(Object::default())
    }
}

impl AnyObject {
    /// The common object properties.
    pub fn object(&self) -> &Object {
        match self {
            AnyObject::Object(o) => o,
            AnyObject::Actor(a) => &a.base,
            AnyObject::Activity(a) => &a.base,
            AnyObject::Collection(c) => &c.base,
            AnyObject::Link(l) => &l.base,
        }
    }
    /// The common object properties, mutably.
    pub fn object_mut(&mut self) -> &mut Object {
        match self {
            AnyObject::Object(o) => o,
            AnyObject::Actor(a) => &mut a.base,
            AnyObject::Activity(a) => &mut a.base,
            AnyObject::Collection(c) => &mut c.base,
            AnyObject::Link(l) => &mut l.base,
        }
    }
    /// The family it was read as.
    pub fn category(&self) -> Category {
        match self {
            AnyObject::Object(_) => Category::Object,
            AnyObject::Actor(_) => Category::Actor,
            AnyObject::Activity(_) => Category::Activity,
            AnyObject::Collection(_) => Category::Collection,
            AnyObject::Link(_) => Category::Link,
        }
    }
    /// The activity, if it is one.
    pub fn as_activity(&self) -> Option<&Activity> {
        match self {
            AnyObject::Activity(a) => Some(a),
            _ => None,
        }
    }
    /// The actor, if it is one.
    pub fn as_actor(&self) -> Option<&Actor> {
        match self {
            AnyObject::Actor(a) => Some(a),
            _ => None,
        }
    }
    /// The collection, if it is one.
    pub fn as_collection(&self) -> Option<&Collection> {
        match self {
            AnyObject::Collection(c) => Some(c),
            _ => None,
        }
    }
    /// The link, if it is one.
    pub fn as_link(&self) -> Option<&Link> {
        match self {
            AnyObject::Link(l) => Some(l),
            _ => None,
        }
    }
    /// The plain object, if it is one.
    pub fn as_plain_object(&self) -> Option<&Object> {
        match self {
            AnyObject::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Parses a document from bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, crate::Error> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// Serializes the document (compact JSON).
    pub fn to_vec(&self) -> Vec<u8> {
        // Serializing these types cannot fail: keys are strings and numbers are finite.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The document as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn visit<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut object = Object::default();
        let mut actor = ActorFields::default();
        let mut activity = ActivityFields::default();
        let mut collection = CollectionFields::default();
        let mut link = LinkFields::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let k = key.as_str();
            if let Taken::Known = object.take_known(k, &mut map)? {
                continue;
            }
            let extra = &mut object.extra;
            if let Taken::Known = activity.take_known(k, &mut map, extra)? {
                continue;
            }
            if let Taken::Known = actor.take_known(k, &mut map, extra)? {
                continue;
            }
            if let Taken::Known = collection.take_known(k, &mut map, extra)? {
                continue;
            }
            if let Taken::Known = link.take_known(k, &mut map, extra)? {
                continue;
            }
            let v = map.next_value::<Value>()?;
            object.extra.insert(key.into_string(), v);
        }
        let category = object
            .kind
            .as_ref()
            .and_then(|k| k.iter().find_map(Kind::category))
            .unwrap_or_else(|| {
                if activity.actor.is_some() {
                    Category::Activity
                } else if actor.inbox.is_some() || object.extra.contains_key("inbox") {
                    Category::Actor
                } else if collection.has_own() {
                    Category::Collection
                } else if link.href.is_some() && object.content.is_none() {
                    Category::Link
                } else {
                    Category::Object
                }
            });
        let extra = &mut object.extra;
        if category != Category::Actor && actor.has_own() {
            actor.own_into(extra);
        }
        if category != Category::Activity && activity.has_own() {
            activity.own_into(extra);
        }
        if category != Category::Collection && collection.has_own() {
            collection.own_into(extra);
        }
        if category != Category::Link && link.has_own() {
            link.own_into(extra);
        }
        Ok(match category {
            Category::Object => AnyObject::Object(object),
            Category::Actor => AnyObject::Actor(actor.with_base(object)),
            Category::Activity => AnyObject::Activity(activity.with_base(object)),
            Category::Collection => AnyObject::Collection(collection.with_base(object)),
            Category::Link => AnyObject::Link(link.with_base(object)),
        })
    }
}

impl std::ops::Deref for AnyObject {
    type Target = Object;
    fn deref(&self) -> &Object {
        self.object()
    }
}

impl std::ops::DerefMut for AnyObject {
    fn deref_mut(&mut self) -> &mut Object {
        self.object_mut()
    }
}

impl HasId for AnyObject {
    fn id_str(&self) -> Option<&str> {
        self.object().id.as_ref().map(ObjectId::as_str)
    }
}

impl From<Object> for AnyObject {
    fn from(o: Object) -> Self {
        AnyObject::Object(o)
    }
}
impl From<Actor> for AnyObject {
    fn from(o: Actor) -> Self {
        AnyObject::Actor(o)
    }
}
impl From<Activity> for AnyObject {
    fn from(o: Activity) -> Self {
        AnyObject::Activity(o)
    }
}
impl From<Collection> for AnyObject {
    fn from(o: Collection) -> Self {
        AnyObject::Collection(o)
    }
}
impl From<Link> for AnyObject {
    fn from(o: Link) -> Self {
        AnyObject::Link(o)
    }
}

impl Serialize for AnyObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AnyObject::Object(o) => o.serialize(s),
            AnyObject::Actor(o) => o.serialize(s),
            AnyObject::Activity(o) => o.serialize(s),
            AnyObject::Collection(o) => o.serialize(s),
            AnyObject::Link(o) => o.serialize(s),
        }
    }
}

impl Tolerant for AnyObject {
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Parsed<Self>, A::Error> {
        Self::visit(map).map(Parsed::Typed)
    }
}

impl<'de> Deserialize<'de> for AnyObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::lenient::strict(d)
    }
}

/// Builds a reference to an id.
impl<T> From<ObjectId<T>> for Reference<T> {
    fn from(id: ObjectId<T>) -> Self {
        Reference::Id(id)
    }
}

impl From<ObjectId<AnyObject>> for Refs {
    fn from(id: ObjectId<AnyObject>) -> Self {
        OneOrMany::One(Reference::Id(id))
    }
}

/// A property's map of unknown values (re-exported for convenience).
pub type Extra = Map<String, Value>;
