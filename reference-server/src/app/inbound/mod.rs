//! The engine's handler: activities from other servers, applied as Mastodon applies them.
//!
//! [`App::apply_inbound`] dispatches on the activity's [`Kind`]; each kind has its module.

use std::sync::Arc;

use activitypub_core::engine::{ActivityHandler, Engine, InboxActivity};
use activitypub_core::Kind;

use super::{App, State};

mod announce;
mod block;
mod create;
mod delete;
mod featured;
mod follow;
mod like;
mod moves;
mod undo;
mod update;
use crate::error::Error;

/// Applies received activities to the instance.
pub struct Handler {
    state: Arc<State>,
}

impl Handler {
    pub(crate) fn new(state: Arc<State>) -> Self {
        Handler { state }
    }
    fn app(&self, engine: &Engine) -> App {
        App::from_parts(self.state.clone(), engine.clone())
    }
}

fn to_core(e: Error) -> activitypub_core::Error {
    match e {
        Error::Federation(e) => e,
        Error::Storage(e) => activitypub_core::Error::Storage(e),
        Error::NotFound(m)
        | Error::Forbidden(m)
        | Error::Unprocessable(m)
        | Error::BadRequest(m)
        | Error::Gone(m) => activitypub_core::Error::handler_permanent(m),
        other => activitypub_core::Error::handler(other.to_string()),
    }
}

#[async_trait::async_trait]
impl ActivityHandler for Handler {
    async fn allow(&self, actor: &str) -> bool {
        // Domain blocks and allows are the engine's policies (before the signature); a
        // remote actor suspended here is refused here.
        !self.state.is_actor_suspended(actor).await.unwrap_or(false)
    }

    async fn handle(
        &self,
        engine: &Engine,
        a: InboxActivity,
    ) -> Result<(), activitypub_core::Error> {
        self.app(engine).apply_inbound(a).await.map_err(to_core)
    }

    async fn actor_gone(
        &self,
        engine: &Engine,
        actor: &str,
    ) -> Result<(), activitypub_core::Error> {
        self.app(engine)
            .remove_remote_account(actor)
            .await
            .map_err(to_core)
    }
}

impl App {
    /// Applies one verified activity from another server.
    pub async fn apply_inbound(&self, a: InboxActivity) -> Result<(), Error> {
        // Domain blocks and allows are the engine's inbound policies
        // (`instance_domains::DomainRules::policies`): what arrives here passed them.
        let actor = self.resolve_actor(&a.signer).await?;
        if actor.moderation.suspended_at.is_some() {
            // Suspended here: nothing it sends is applied.
            return Ok(());
        }
        let object_id = a
            .activity
            .first_object()
            .and_then(|o| o.id())
            .map(str::to_owned);
        if a.kind() == "QuoteRequest" {
            return self.on_quote_request(&a, &actor, object_id).await;
        }
        if a.kind() == "Accept" || a.kind() == "Reject" {
            if let Some(request) = object_id
                .as_deref()
                .filter(|o| o.ends_with(super::quotes::QUOTE_REQUEST_SUFFIX))
            {
                return self
                    .on_quote_answer(&a, &actor, request, a.kind() == "Accept")
                    .await;
            }
        }
        let kind = Kind::from_name(a.kind());
        tracing::debug!(kind = kind.as_str(), actor = %actor.actor, "inbound activity");
        match kind {
            Kind::Follow => self.on_follow(&a, &actor, object_id).await,
            Kind::Accept => self.on_follow_answer(&actor, object_id, true).await,
            Kind::Reject => self.on_follow_answer(&actor, object_id, false).await,
            Kind::Undo => self.on_undo(&a, &actor, object_id).await,
            Kind::Add => self.on_featured(&a, &actor, object_id, true).await,
            Kind::Remove => self.on_featured(&a, &actor, object_id, false).await,
            Kind::Create => self.on_create(&a, &actor).await,
            Kind::Update => self.on_update(&a, &actor).await,
            Kind::Delete => self.on_delete(&actor, object_id).await,
            Kind::Announce => self.on_announce(&a, &actor).await,
            // An emoji reaction (Pleroma's `EmojiReact`; Misskey's is a `Like` with
            // `_misskey_reaction`) counts as a favourite, as Mastodon shows it.
            Kind::Like | Kind::EmojiReact => self.on_like(&a, &actor, object_id).await,
            Kind::Block => self.on_block(&a, &actor, object_id).await,
            Kind::Flag => self.on_flag(&a, &actor).await.map(drop),
            Kind::Move => self.on_move(&a, &actor).await,
            _ => Ok(()),
        }
    }
}

fn parse_pair(p: &str) -> Result<(u64, u64), Error> {
    let (a, b) = p
        .split_once(':')
        .ok_or_else(|| Error::NotFound("follow".into()))?;
    Ok((
        a.parse().map_err(|_| Error::NotFound("follow".into()))?,
        b.parse().map_err(|_| Error::NotFound("follow".into()))?,
    ))
}
