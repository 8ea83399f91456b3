//! The ActivityPub documents the server publishes, in Mastodon's shapes and URL layout.

use activitypub_core::builder::{self, MediaAttachmentBuilder, NoteBuilder, PersonBuilder};
use activitypub_core::{Activity, Actor, AnyObject, Object, ObjectId, XsdDateTime};

use super::model::{id_time, Account, MediaAttachment, Status};
use super::App;
use crate::error::Error;

/// RFC 3339 for a millisecond time.
pub fn rfc3339(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let t = t.replace_millisecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub(crate) fn oid<K>(s: &str) -> Result<ObjectId<K>, Error> {
    Ok(ObjectId::parse(s)?)
}

impl App {
    /// A local actor's IRI: `{base}/users/{username}`.
    pub fn actor_iri(&self, username: &str) -> String {
        format!("{}/users/{username}", self.base())
    }
    /// A local account's profile page: `{base}/@{username}`.
    pub fn profile_url(&self, username: &str) -> String {
        format!("{}/@{username}", self.base())
    }
    /// A hashtag's page.
    pub fn tag_url(&self, tag: &str) -> String {
        format!("{}/tags/{}", self.base(), tag.to_lowercase())
    }
    /// A local status's object IRI.
    pub fn status_iri(&self, username: &str, id: u64) -> String {
        format!("{}/users/{username}/statuses/{id}", self.base())
    }

    /// The `Person` of a local account, with its public key.
    pub async fn actor_document(&self, account: &Account) -> Result<Actor, Error> {
        let id: ObjectId<Actor> = oid(&account.actor)?;
        let pem = self
            .engine()
            .local_public_key_pem(&id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no key for {}", account.actor)))?;
        if account.is_suspended() {
            // As Mastodon serves a suspended actor: its name is its username, and no profile.
            let mut actor = PersonBuilder::new(&id, &account.username, &pem)?
                .name(&account.username)
                .summary("")
                .url(&oid(&account.url)?)
                .published(XsdDateTime::new_unchecked(rfc3339(account.created_at)))
                .locked(false)
                .build();
            actor.suspended = Some(true);
            actor.discoverable = Some(false);
            return Ok(actor);
        }
        let mut b = PersonBuilder::new(&id, &account.username, &pem)?
            .name(&account.display_name)
            .summary(&account.note)
            .url(&oid(&account.url)?)
            .published(XsdDateTime::new_unchecked(rfc3339(account.created_at)))
            .locked(account.locked);
        for (name, value) in &account.fields {
            b = b.field(name, value);
        }
        if let Some(f) = &account.avatar_file {
            b = b.avatar(&f.content_type, &oid(&self.media_url(&f.key))?);
        }
        if let Some(f) = &account.header_file {
            b = b.header(&f.content_type, &oid(&self.media_url(&f.key))?);
        }
        for tag in self.emoji_tags(&account.emojis).await? {
            b = b.emoji(tag);
        }
        let mut actor = b.build();
        // Account migration (FEP-7628): aliases and where it moved.
        if !account.migration.also_known_as.is_empty() {
            actor.also_known_as = Some(activitypub_core::OneOrMany::Many(
                account
                    .migration
                    .also_known_as
                    .iter()
                    .map(|a| oid(a))
                    .collect::<Result<_, _>>()?,
            ));
        }
        if let Some(to) = &account.migration.moved_to_uri {
            actor.moved_to = Some(oid(to)?);
        }
        if account.bot {
            actor.base.kind = Some(activitypub_core::Kind::Service.into());
        }
        Ok(actor)
    }

    /// The `Note` of a local status (not for reblogs).
    pub async fn note_document(&self, status: &Status) -> Result<Object, Error> {
        let author = self.account(status.account_id).await?;
        let actor: ObjectId<Actor> = oid(&author.actor)?;
        let followers = format!("{}/followers", author.actor);
        let mut b = NoteBuilder::new(
            oid(&status.uri)?,
            &actor,
            &followers,
            status.content.clone(),
            status.visibility.to_ap(),
        )
        .published(XsdDateTime::new_unchecked(rfc3339(
            id_time(status.id).max(1).min(status.created_at.max(1)),
        )))
        .url(&oid(&status.url)?)
        .sensitive(status.sensitive);
        if !status.spoiler_text.is_empty() {
            b = b.content_warning(status.spoiler_text.clone());
        }
        if let Some(lang) = &status.language {
            b = b.language(lang);
        }
        if let Some(parent) = &status.in_reply_to_uri {
            b = b.in_reply_to(&oid(parent)?);
        }
        if let Some(c) = &status.conversation {
            b = b.conversation(c.clone());
        }
        for m in &status.mentions {
            if let Ok(acc) = self.account(*m).await {
                let handle = format!(
                    "@{}@{}",
                    acc.username,
                    acc.domain.as_deref().unwrap_or(self.config().domain())
                );
                b = b.mention(&oid(&acc.actor)?, &handle);
            }
        }
        for t in &status.tags {
            b = b.hashtag(&self.tag_url(t), &format!("#{t}"));
        }
        for m in self.media_by_id(&status.media_ids).await?.iter().flatten() {
            if let Some(doc) = self.attachment_document(m)? {
                b = b.attachment(doc);
            }
        }
        for tag in self.emoji_tags(&status.emojis).await? {
            b = b.emoji(tag);
        }
        let mut note = b.build();
        if let Some(q) = &status.quote {
            // FEP-044f's `quote`, with the older spellings Misskey and Fedibird read.
            note.quote = Some(q.uri.clone());
            note.quote_uri = Some(q.uri.clone());
            note.misskey_quote = Some(q.uri.clone());
            if let Some(auth) = &q.authorization {
                note.extra.insert(
                    "quoteAuthorization".into(),
                    serde_json::Value::String(auth.clone()),
                );
            }
        }
        if let Some(at) = status.edited_at {
            note.updated = Some(XsdDateTime::new_unchecked(rfc3339(at)));
        }
        self.add_question(&mut note, status).await?;
        Ok(note)
    }

    /// A local attachment as Mastodon sends it: a `Document` with `mediaType`, `url`, the
    /// description as `name`, `blurhash`, `focalPoint`, `width` and `height` (`None` while
    /// it has no file).
    fn attachment_document(&self, m: &MediaAttachment) -> Result<Option<Object>, Error> {
        let Some(file) = &m.file else {
            return Ok(None);
        };
        let mut b =
            MediaAttachmentBuilder::new(&file.content_type, &oid(&self.media_url(&file.key))?);
        if let Some(d) = &m.description {
            b = b.description(d);
        }
        if let Some(h) = &m.blurhash {
            b = b.blurhash(h);
        }
        if let Some((x, y)) = m.focus {
            b = b.focal_point(x, y);
        }
        let original = &m.meta["original"];
        if let (Some(w), Some(h)) = (original["width"].as_u64(), original["height"].as_u64()) {
            b = b.size(w, h);
        }
        Ok(Some(b.build()))
    }

    /// The `Create` of a local status.
    pub async fn create_document(&self, status: &Status) -> Result<Activity, Error> {
        let note = self.note_document(status).await?;
        let id = status
            .activity_uri
            .clone()
            .unwrap_or_else(|| format!("{}/activity", status.uri));
        Ok(builder::create(&oid(&id)?, note))
    }

    /// The `Announce` of a local reblog.
    pub async fn announce_document(&self, reblog: &Status) -> Result<Activity, Error> {
        let booster = self.account(reblog.account_id).await?;
        let original = self.status(reblog.reblog_of_id.unwrap_or_default()).await?;
        let author = self.account(original.account_id).await?;
        let followers = format!("{}/followers", booster.actor);
        let mut a = builder::announce(
            &oid(&reblog.uri)?,
            &oid(&booster.actor)?,
            &followers,
            &oid(&original.uri)?,
            &oid(&author.actor)?,
            XsdDateTime::new_unchecked(rfc3339(reblog.created_at)),
            reblog.visibility.to_ap(),
        );
        a.base.context = Some(activitypub_core::Context::mastodon());
        Ok(a)
    }

    /// The document at a local status URL: the `Note` (or, for a reblog, the `Announce`).
    pub async fn status_document(&self, status: &Status) -> Result<AnyObject, Error> {
        if status.reblog_of_id.is_some() {
            Ok(AnyObject::Activity(self.announce_document(status).await?))
        } else {
            let mut note = self.note_document(status).await?;
            if note.context.is_none() {
                note.context = Some(activitypub_core::Context::mastodon());
            }
            Ok(AnyObject::Object(note))
        }
    }
}
