//! Outgoing deliveries: audience expansion, durable jobs, signing at send time, retries with
//! back-off, a circuit breaker per host, and double-knocking between signature schemes.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fedi_storage::{
    CollectionItem, CollectionStoreExt, Job, LeaseRequest, NewJob, RetryOutcome, Timestamp,
    WriteBatch,
};
use http::{header, Method, StatusCode};
use http_sig::Scheme;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use super::fetch::{host_of, other_scheme, parse_fetch_url};
use super::transport::SendOptions;
use super::{lock, Engine, FetchBudget, InboxActivity, QueueRun, DELIVERY_QUEUE};
use crate::{Actor, Error, ObjectId};

/// The key-value namespace where the engine remembers which signature scheme each host took.
pub(crate) const HOSTS_NS: &str = "engine.hosts";

/// The name of the store collection holding the followers of a local actor (members:
/// follower actor IRIs). The application maintains it (for example through
/// [`Engine::add_follower`]); [`Engine::deliver`] reads it for [`Recipients::followers_of`].
pub fn followers_collection(actor: &str) -> String {
    format!("followers:{actor}")
}

/// The retry delay after the `attempt`-th failed attempt (1-based), before jitter:
/// `(attempt + 1)^4 + 15` seconds, plus a jitter of `jitter × (attempt + 1)` seconds for a
/// jitter in `0..10`. This is Sidekiq's schedule, which Mastodon's deliveries use, shifted by
/// one so that 16 attempts span about three days: 31 s, 96 s, 271 s … the fifteenth retry
/// waits about 3 days after the first attempt in total (2.8 days without jitter).
pub fn backoff(attempt: u32, jitter: u64) -> Duration {
    let n = u64::from(attempt.max(1)) + 1;
    Duration::from_secs(n.pow(4) + 15 + jitter.min(9) * n)
}

/// Whom [`Engine::deliver`] sends an activity to: actors, local actors' followers, inbox
/// URLs. (It is not read from the activity's `to`/`cc`, the vocabulary's
/// [`AddressList`](crate::vocab::AddressList)s: the application decides whom to deliver to.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recipients {
    /// Actor IRIs (mentions, the object of a `Follow` …). Local actors are reported in
    /// [`DeliveryReport::local`], not sent.
    pub actors: Vec<String>,
    /// Local actors whose followers receive it (read from [`followers_collection`]).
    pub followers_of: Vec<String>,
    /// Inbox URLs to deliver to as they are.
    pub inboxes: Vec<String>,
}

impl Recipients {
    /// Nobody yet.
    pub fn new() -> Self {
        Recipients::default()
    }
    /// Adds an actor (builder style).
    pub fn actor(mut self, iri: impl Into<String>) -> Self {
        self.actors.push(iri.into());
        self
    }
    /// Adds a local actor's followers (builder style).
    pub fn followers_of(mut self, actor: impl Into<String>) -> Self {
        self.followers_of.push(actor.into());
        self
    }
    /// Adds an inbox URL (builder style).
    pub fn inbox(mut self, url: impl Into<String>) -> Self {
        self.inboxes.push(url.into());
        self
    }
}

/// What [`Engine::deliver`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryReport {
    /// The distinct inboxes a job was enqueued for (shared inboxes preferred).
    pub inboxes: Vec<String>,
    /// Recipients on this server (not sent over the network).
    pub local: Vec<String>,
    /// Recipients whose inbox could not be found, with the reason.
    pub unresolved: Vec<(String, String)>,
}

#[derive(Debug, Serialize, Deserialize)]
struct DeliveryJob {
    inbox: String,
    signer: String,
    body: String,
}

#[derive(Debug)]
pub(crate) struct HostState {
    failures: u32,
    open_until: Option<Timestamp>,
    pause: Duration,
    probing: bool,
    scheme: Option<Scheme>,
    semaphore: Arc<Semaphore>,
}

enum Gate {
    Go,
    Probe,
    Open(Timestamp),
}

enum Outcome {
    Delivered,
    /// A failure worth retrying; `host_down` counts toward the circuit breaker.
    Retry {
        error: String,
        at_least: Option<Timestamp>,
        host_down: bool,
    },
    /// A permanent failure (410, most 4xx, a denied address).
    Permanent(String),
}

impl Engine {
    /// Adds `follower` to the followers of local actor `local` (in [`followers_collection`]),
    /// under sort key `key` (e.g. the follow time in milliseconds). Durable on return.
    pub async fn add_follower(&self, local: &str, follower: &str, key: u64) -> Result<bool, Error> {
        Ok(self
            .inner
            .store
            .insert(
                &followers_collection(local),
                &CollectionItem::new(key, follower),
            )
            .await?)
    }

    /// Removes `follower` from the followers of local actor `local`. Durable on return.
    pub async fn remove_follower(&self, local: &str, follower: &str) -> Result<bool, Error> {
        Ok(self
            .inner
            .store
            .remove(&followers_collection(local), follower)
            .await?)
    }

    /// Accepts `follow`, a received `Follow` of local `actor`, as an account that approves
    /// every follower does: adds the signer to the actor's followers (sort key: when the Follow
    /// was received) and delivers to the signer an `Accept` that embeds the Follow. The Accept's
    /// id is `{actor}#accepts/follows/{digest}`, from the SHA-256 of the Follow's id, so a
    /// retried handler sends the same Accept again rather than a second one.
    ///
    /// Anything but a `Follow` whose object is `actor` is refused with a permanent
    /// [`Error::Handler`] (and nothing is stored or sent).
    pub async fn accept_follow(
        &self,
        actor: &ObjectId<Actor>,
        follow: InboxActivity,
    ) -> Result<DeliveryReport, Error> {
        if follow.kind() != "Follow" || follow.object_id() != Some(actor.as_str()) {
            return Err(Error::handler_permanent(format!(
                "not a Follow of {actor}: a {} of {:?}",
                follow.kind(),
                follow.object_id()
            )));
        }
        self.add_follower(actor.as_str(), &follow.signer, follow.received_at)
            .await?;
        let follow_id = follow.activity.base.id.as_ref().map(|id| id.as_str());
        let digest = super::inbox::sha256_base64(follow_id.map_or(&follow.raw[..], str::as_bytes));
        // Base64 of the digest, made URL-safe for the fragment.
        let digest: String = digest
            .trim_end_matches('=')
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        let id = ObjectId::parse(&format!("{}#accepts/follows/{digest}", actor.as_str()))?;
        let accept = crate::builder::accept(&id, actor, follow.activity);
        let audience = Recipients::new().actor(follow.signer);
        self.deliver(&serde_json::to_vec(&accept)?, actor, &audience)
            .await
    }

    /// Delivers `activity` (serialized JSON) from local actor `signer` to `audience`:
    /// followers and actors are expanded into inboxes, each remote actor's shared inbox is
    /// preferred, and one durable job is enqueued per distinct inbox, all in one atomic write.
    /// The jobs are sent by [`Engine::process_deliveries`] (or [`Engine::run`]), signed at send
    /// time.
    pub async fn deliver(
        &self,
        activity: &[u8],
        signer: &ObjectId<Actor>,
        audience: &Recipients,
    ) -> Result<DeliveryReport, Error> {
        let body = std::str::from_utf8(activity)
            .map_err(|_| Error::Malformed {
                reason: "the activity is not UTF-8".into(),
            })?
            .to_owned();
        let mut report = DeliveryReport::default();
        let mut actors: BTreeSet<String> = audience.actors.iter().cloned().collect();
        for local in &audience.followers_of {
            for item in self
                .inner
                .store
                .all_members(&followers_collection(local), 1000)
                .await?
            {
                actors.insert(item.member);
            }
        }
        actors.remove(signer.as_str());
        let mut inboxes: BTreeSet<String> = audience.inboxes.iter().cloned().collect();
        let mut budget = FetchBudget::new(actors.len().saturating_mul(3).max(10));
        for actor in actors {
            if self.inner.config.is_local(&actor) {
                report.local.push(actor);
                continue;
            }
            match self.inboxes_of(&actor, &mut budget).await {
                Ok(i) => match i.shared_inbox.or(i.inbox) {
                    Some(inbox) => {
                        inboxes.insert(inbox);
                    }
                    None => report
                        .unresolved
                        .push((actor, "the actor has no inbox".into())),
                },
                Err(e) => report.unresolved.push((actor, e.to_string())),
            }
        }
        let now = self.now();
        let mut batch = WriteBatch::new();
        for inbox in &inboxes {
            let Ok(url) = parse_fetch_url(inbox) else {
                report
                    .unresolved
                    .push((inbox.clone(), "not an http(s) URL".into()));
                continue;
            };
            if self.inner.config.is_local(inbox) {
                continue;
            }
            let job = DeliveryJob {
                inbox: inbox.clone(),
                signer: signer.as_str().to_owned(),
                body: body.clone(),
            };
            let payload = serde_json::to_vec(&job).map_err(Error::from)?;
            batch = batch.enqueue(
                DELIVERY_QUEUE,
                NewJob::new(host_of(&url), payload, now)
                    .with_max_attempts(self.inner.config.delivery.max_attempts),
            );
            report.inboxes.push(inbox.clone());
        }
        if !batch.is_empty() {
            self.inner.store.apply(&batch).await?;
            self.inner.delivery_work.notify_one();
        }
        tracing::debug!(
            inboxes = report.inboxes.len(),
            local = report.local.len(),
            unresolved = report.unresolved.len(),
            "delivery enqueued"
        );
        Ok(report)
    }

    /// Sends the deliveries that are due now: leases up to `limit` jobs and sends them
    /// concurrently (at most [`DeliveryConfig::concurrency`](super::DeliveryConfig) in flight,
    /// and [`per_host_concurrency`](super::DeliveryConfig::per_host_concurrency) per host),
    /// then acknowledges, reschedules or dead-letters each. Returns what happened.
    pub async fn process_deliveries(&self, limit: usize) -> Result<QueueRun, Error> {
        let cfg = &self.inner.config.delivery;
        let now = self.now();
        let jobs = self
            .inner
            .store
            .lease(DELIVERY_QUEUE, &LeaseRequest::new(now, cfg.lease, limit))
            .await?;
        let mut run = QueueRun {
            leased: jobs.len(),
            ..QueueRun::default()
        };
        let global = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
        let mut set = tokio::task::JoinSet::new();
        for job in jobs {
            let engine = self.clone();
            let global = global.clone();
            let host_sem = self.host_semaphore(&job.lane);
            set.spawn(async move {
                let _g = global.acquire_owned().await.ok();
                let _h = host_sem.acquire_owned().await.ok();
                engine.deliver_job(job).await
            });
        }
        while let Some(r) = set.join_next().await {
            match r {
                Ok(Ok(Done::Delivered)) => run.done += 1,
                Ok(Ok(Done::Retried)) => run.retried += 1,
                Ok(Ok(Done::Dead)) => run.dead += 1,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "delivery bookkeeping failed");
                    run.errors += 1;
                }
                Err(e) => {
                    tracing::error!(error = %e, "delivery task panicked");
                    run.errors += 1;
                }
            }
        }
        Ok(run)
    }

    fn host_semaphore(&self, host: &str) -> Arc<Semaphore> {
        let per_host = self.inner.config.delivery.per_host_concurrency.max(1);
        let mut hosts = lock(&self.inner.hosts);
        hosts
            .entry(host.to_owned())
            .or_insert_with(|| HostState::new(self, per_host))
            .semaphore
            .clone()
    }

    async fn deliver_job(&self, job: Job) -> Result<Done, Error> {
        let store = &self.inner.store;
        let now = self.now();
        let parsed: DeliveryJob = match serde_json::from_slice(&job.payload) {
            Ok(j) => j,
            Err(e) => {
                store
                    .bury(DELIVERY_QUEUE, &job.lease, &format!("bad job: {e}"), now)
                    .await?;
                return Ok(Done::Dead);
            }
        };
        let host = job.lane.clone();
        let outcome = match self.gate(&host, now) {
            Gate::Open(until) => Outcome::Retry {
                error: format!("circuit breaker open for {host}"),
                at_least: Some(until),
                host_down: false,
            },
            gate => {
                let o = self.send_delivery(&parsed, &host).await;
                let host_down = matches!(
                    o,
                    Outcome::Retry {
                        host_down: true,
                        ..
                    }
                );
                self.record(&host, !host_down, matches!(gate, Gate::Probe), self.now());
                o
            }
        };
        let now = self.now();
        match outcome {
            Outcome::Delivered => {
                store.ack(DELIVERY_QUEUE, &job.lease).await?;
                tracing::debug!(inbox = %parsed.inbox, "delivered");
                Ok(Done::Delivered)
            }
            Outcome::Permanent(error) => {
                tracing::info!(inbox = %parsed.inbox, %error, "delivery failed for good");
                store.bury(DELIVERY_QUEUE, &job.lease, &error, now).await?;
                Ok(Done::Dead)
            }
            Outcome::Retry {
                error, at_least, ..
            } => {
                let jitter = self.jitter(10);
                let mut at = now.saturating_add(backoff(job.attempts, jitter));
                if let Some(min) = at_least {
                    at = at.max(min);
                }
                match store
                    .retry(DELIVERY_QUEUE, &job.lease, &error, at, now)
                    .await?
                {
                    RetryOutcome::DeadLettered => {
                        tracing::info!(inbox = %parsed.inbox, %error, "delivery gave up");
                        Ok(Done::Dead)
                    }
                    _ => {
                        tracing::debug!(inbox = %parsed.inbox, %error, "delivery will be retried");
                        Ok(Done::Retried)
                    }
                }
            }
        }
    }

    async fn send_delivery(&self, job: &DeliveryJob, host: &str) -> Outcome {
        let first = self.scheme_for(host);
        let mut scheme = first;
        for knock in 0..2 {
            let response = match self.post_signed(job, scheme).await {
                Ok(r) => r,
                Err(e) => {
                    let retry = e.is_retryable();
                    return if retry {
                        Outcome::Retry {
                            error: e.to_string(),
                            at_least: None,
                            host_down: true,
                        }
                    } else {
                        Outcome::Permanent(e.to_string())
                    };
                }
            };
            let status = response.status();
            if status.is_success() {
                if scheme != first {
                    self.remember_scheme(host, scheme).await;
                }
                return Outcome::Delivered;
            }
            if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) && knock == 0 {
                scheme = other_scheme(scheme);
                continue;
            }
            return classify_status(status, response.headers(), self.now());
        }
        Outcome::Retry {
            error: "refused with both signature schemes".into(),
            at_least: None,
            host_down: false,
        }
    }

    async fn post_signed(
        &self,
        job: &DeliveryJob,
        scheme: Scheme,
    ) -> Result<http::Response<Bytes>, Error> {
        let body = Bytes::from(job.body.clone().into_bytes());
        let mut parts = http::Request::builder()
            .method(Method::POST)
            .uri(job.inbox.as_str())
            .header(header::CONTENT_TYPE, "application/activity+json")
            .header(header::ACCEPT, super::fetch::ACCEPT)
            .header(header::USER_AGENT, self.inner.config.user_agent.as_str())
            .body(())
            .map_err(|e| Error::Config(format!("bad inbox URL {}: {e}", job.inbox)))?
            .into_parts()
            .0;
        self.sign(&mut parts, &body, &job.signer, scheme).await?;
        let options = SendOptions::new(self.inner.config.delivery.timeout, 64 * 1024);
        self.inner
            .transport
            .send(http::Request::from_parts(parts, body), &options)
            .await
    }

    /// Signs a request as local actor `signer` with `scheme`, dated now.
    pub(crate) async fn sign(
        &self,
        parts: &mut http::request::Parts,
        body: &[u8],
        signer: &str,
        scheme: Scheme,
    ) -> Result<(), Error> {
        let key = self.signing_key(signer).await?;
        let options = match scheme {
            Scheme::Cavage => http_sig::SignOptions::cavage(key.key_id.clone()),
            _ => http_sig::SignOptions::rfc9421(key.key_id.clone()),
        };
        http_sig::sign_request(parts, body, &key.key, &options, self.now_system())?;
        Ok(())
    }

    /// The signature scheme to use first with `host`: RFC 9421 once the host has shown
    /// support for it (it signed a request to us that way, or accepted one from us after
    /// refusing draft-cavage), draft-cavage otherwise.
    pub fn scheme_for(&self, host: &str) -> Scheme {
        lock(&self.inner.hosts)
            .get(host)
            .and_then(|h| h.scheme)
            .unwrap_or(Scheme::Cavage)
    }

    /// Remembers that `host` takes `scheme` (kept in the store across restarts).
    pub(crate) async fn remember_scheme(&self, host: &str, scheme: Scheme) {
        let per_host = self.inner.config.delivery.per_host_concurrency.max(1);
        let changed = {
            let mut hosts = lock(&self.inner.hosts);
            let h = hosts
                .entry(host.to_owned())
                .or_insert_with(|| HostState::new(self, per_host));
            let changed = h.scheme != Some(scheme);
            h.scheme = Some(scheme);
            changed
        };
        if changed {
            let v = scheme.as_str().as_bytes();
            if let Err(e) = self.inner.store.kv_put(HOSTS_NS, host.as_bytes(), v).await {
                tracing::warn!(%host, error = %e, "could not store the host's signature scheme");
            }
        }
    }

    /// Loads the remembered signature schemes of hosts (at start).
    pub(crate) async fn load_host_schemes(&self) -> Result<(), Error> {
        let per_host = self.inner.config.delivery.per_host_concurrency.max(1);
        let mut after: Option<Vec<u8>> = None;
        loop {
            let rows = self
                .inner
                .store
                .kv_scan(HOSTS_NS, b"", after.as_deref(), 1000)
                .await?;
            let n = rows.len();
            for (k, v) in &rows {
                let scheme = match v.as_slice() {
                    b"rfc9421" => Scheme::Rfc9421,
                    _ => Scheme::Cavage,
                };
                let host = String::from_utf8_lossy(k).into_owned();
                lock(&self.inner.hosts)
                    .entry(host)
                    .or_insert_with(|| HostState::new(self, per_host))
                    .scheme = Some(scheme);
            }
            match rows.into_iter().last() {
                Some((k, _)) if n == 1000 => after = Some(k),
                _ => return Ok(()),
            }
        }
    }

    /// Whether the circuit breaker of `host` is open (the host is paused) at `now`.
    pub fn is_host_paused(&self, host: &str) -> bool {
        let now = self.now();
        lock(&self.inner.hosts)
            .get(host)
            .and_then(|h| h.open_until)
            .is_some_and(|until| now < until)
    }

    fn gate(&self, host: &str, now: Timestamp) -> Gate {
        let mut hosts = lock(&self.inner.hosts);
        let Some(h) = hosts.get_mut(host) else {
            return Gate::Go;
        };
        match h.open_until {
            None => Gate::Go,
            Some(until) if now < until => Gate::Open(until),
            Some(_) if h.probing => Gate::Open(now.saturating_add(Duration::from_secs(5))),
            Some(_) => {
                h.probing = true;
                Gate::Probe
            }
        }
    }

    fn record(&self, host: &str, ok: bool, probe: bool, now: Timestamp) {
        let cfg = &self.inner.config.delivery;
        let mut hosts = lock(&self.inner.hosts);
        let Some(h) = hosts.get_mut(host) else { return };
        if ok {
            if h.open_until.is_some() {
                tracing::info!(%host, "host is back; circuit breaker closed");
            }
            h.failures = 0;
            h.open_until = None;
            h.probing = false;
            h.pause = cfg.breaker_pause;
            return;
        }
        h.failures = h.failures.saturating_add(1);
        if probe {
            h.probing = false;
            h.pause = (h.pause * 2).min(cfg.breaker_max_pause);
            h.open_until = Some(now.saturating_add(h.pause));
        } else if h.open_until.is_none() && h.failures >= cfg.breaker_threshold {
            tracing::warn!(%host, failures = h.failures, "circuit breaker opened");
            h.open_until = Some(now.saturating_add(h.pause));
        }
    }
}

enum Done {
    Delivered,
    Retried,
    Dead,
}

impl HostState {
    fn new(engine: &Engine, per_host: usize) -> Self {
        HostState {
            failures: 0,
            open_until: None,
            pause: engine.inner.config.delivery.breaker_pause,
            probing: false,
            scheme: None,
            semaphore: Arc::new(Semaphore::new(per_host)),
        }
    }
}

fn classify_status(status: StatusCode, headers: &http::HeaderMap, now: Timestamp) -> Outcome {
    let code = status.as_u16();
    let error = format!("HTTP {status}");
    match code {
        410 => Outcome::Permanent(error),
        429 => Outcome::Retry {
            error,
            at_least: retry_after(headers, now),
            host_down: false,
        },
        401 | 408 => Outcome::Retry {
            error,
            at_least: None,
            host_down: false,
        },
        400..=499 => Outcome::Permanent(error),
        500..=599 => Outcome::Retry {
            error,
            at_least: retry_after(headers, now),
            host_down: true,
        },
        // 1xx and 3xx: not a delivery; try again later.
        _ => Outcome::Retry {
            error,
            at_least: None,
            host_down: false,
        },
    }
}

/// `Retry-After` as seconds or an HTTP date, capped at one day.
fn retry_after(headers: &http::HeaderMap, now: Timestamp) -> Option<Timestamp> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let cap = Duration::from_secs(86_400);
    if let Ok(secs) = v.parse::<u64>() {
        return Some(now.saturating_add(Duration::from_secs(secs).min(cap)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    let at = Timestamp::from(at);
    Some(at.min(now.saturating_add(cap)))
}

/// Counts of pending deliveries per host (from the store).
pub async fn pending_per_host(engine: &Engine) -> Result<HashMap<String, u64>, Error> {
    Ok(engine
        .inner
        .store
        .lane_counts(DELIVERY_QUEUE)
        .await?
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_spans_about_three_days_over_sixteen_attempts() {
        let total: u64 = (1..16).map(|a| backoff(a, 0).as_secs()).sum();
        let days = total as f64 / 86_400.0;
        assert!((2.5..3.5).contains(&days), "{days} days");
        assert_eq!(backoff(1, 0), Duration::from_secs(31));
        assert_eq!(backoff(1, 9), Duration::from_secs(31 + 18));
        assert!(backoff(15, 0) > backoff(14, 9));
    }

    #[test]
    fn statuses_map_to_outcomes() {
        let h = http::HeaderMap::new();
        let now = Timestamp::from_unix_millis(1_000_000);
        assert!(matches!(
            classify_status(StatusCode::GONE, &h, now),
            Outcome::Permanent(_)
        ));
        assert!(matches!(
            classify_status(StatusCode::NOT_FOUND, &h, now),
            Outcome::Permanent(_)
        ));
        assert!(matches!(
            classify_status(StatusCode::BAD_REQUEST, &h, now),
            Outcome::Permanent(_)
        ));
        for s in [401u16, 408, 429] {
            assert!(matches!(
                classify_status(StatusCode::from_u16(s).expect("status"), &h, now),
                Outcome::Retry {
                    host_down: false,
                    ..
                }
            ));
        }
        assert!(matches!(
            classify_status(StatusCode::SERVICE_UNAVAILABLE, &h, now),
            Outcome::Retry {
                host_down: true,
                ..
            }
        ));
        let mut h = http::HeaderMap::new();
        h.insert(header::RETRY_AFTER, http::HeaderValue::from_static("120"));
        match classify_status(StatusCode::TOO_MANY_REQUESTS, &h, now) {
            Outcome::Retry { at_least, .. } => {
                assert_eq!(at_least, Some(now.saturating_add(Duration::from_secs(120))))
            }
            _ => panic!("429 must be retried"),
        }
    }

    mod accept_follow {
        use std::sync::{Arc, Mutex};

        use bytes::Bytes;
        use fedi_storage::{memory::MemoryStore, CollectionStoreExt, ManualClock, Timestamp};
        use http_sig::PrivateKey;

        use crate::builder;
        use crate::engine::delivery::followers_collection;
        use crate::engine::transport::memory::MemoryNetwork;
        use crate::engine::{Engine, EngineConfig, InboxActivity, InboxTarget, KeyAlgorithm};
        use crate::{Actor, ObjectId};

        const FOLLOWER: &str = "http://far.test/users/f";

        /// The blog's engine, and far.test serving its follower `f` and recording the bodies
        /// posted to its shared inbox.
        async fn setup() -> (Engine, ObjectId<Actor>, Arc<Mutex<Vec<Bytes>>>) {
            let net = MemoryNetwork::with_seed(17);
            let clock = ManualClock::new(Timestamp::from_unix_millis(1_767_225_600_000));
            let mut config = EngineConfig::new("http://blog.test").expect("config");
            config.instance_key = KeyAlgorithm::Ed25519;
            let engine = Engine::builder(config)
                .store(Arc::new(MemoryStore::new()))
                .transport(Arc::new(net.clone()))
                .clock(Arc::new(clock))
                .build()
                .await
                .expect("engine");
            let blog: ObjectId<Actor> = ObjectId::parse("http://blog.test/blog").expect("id");
            engine
                .create_local_actor(&blog, KeyAlgorithm::Ed25519)
                .await
                .expect("key");
            let key = PrivateKey::generate_ed25519().expect("key");
            let pem = key.public_key().to_pem().expect("pem");
            let f = ObjectId::parse(FOLLOWER).expect("id");
            let person = builder::PersonBuilder::new(&f, "f", &pem)
                .expect("person")
                .build();
            let person = Bytes::from(serde_json::to_vec(&person).expect("json"));
            let posted: Arc<Mutex<Vec<Bytes>>> = Arc::default();
            let seen = posted.clone();
            net.serve("far.test", move |req: http::Request<Bytes>| {
                let (person, seen) = (person.clone(), seen.clone());
                async move {
                    let mut res = http::Response::new(Bytes::new());
                    if req.method() == http::Method::POST && req.uri().path() == "/inbox" {
                        seen.lock().expect("lock").push(req.into_body());
                        *res.status_mut() = http::StatusCode::ACCEPTED;
                    } else if req.uri().path() == "/users/f" {
                        *res.body_mut() = person;
                        res.headers_mut().insert(
                            http::header::CONTENT_TYPE,
                            http::HeaderValue::from_static("application/activity+json"),
                        );
                    } else {
                        *res.status_mut() = http::StatusCode::NOT_FOUND;
                    }
                    res
                }
            });
            (engine, blog, posted)
        }

        fn received(activity: crate::Activity) -> InboxActivity {
            let raw = Bytes::from(serde_json::to_vec(&activity).expect("json"));
            InboxActivity {
                activity,
                object: None,
                object_error: None,
                raw,
                target: InboxTarget::Shared,
                signer: FOLLOWER.into(),
                key_id: format!("{FOLLOWER}#main-key"),
                scheme: "cavage".into(),
                received_at: 1_767_225_600_123,
            }
        }

        fn follow_of(followed: &str) -> InboxActivity {
            let id = ObjectId::parse(&format!("{FOLLOWER}/follows/1")).expect("id");
            let f = ObjectId::parse(FOLLOWER).expect("id");
            let followed = ObjectId::parse(followed).expect("id");
            received(builder::follow(&id, &f, &followed))
        }

        #[tokio::test]
        async fn a_follow_is_recorded_and_answered_with_an_accept() {
            let (engine, blog, posted) = setup().await;
            let report = engine
                .accept_follow(&blog, follow_of("http://blog.test/blog"))
                .await
                .expect("accepted");
            assert_eq!(report.inboxes, ["http://far.test/inbox"]);
            let followers = engine
                .store()
                .all_members(&followers_collection(blog.as_str()), 10)
                .await
                .expect("store");
            assert_eq!(followers.len(), 1);
            assert_eq!(followers[0].member, FOLLOWER);
            assert_eq!(followers[0].key, 1_767_225_600_123);

            assert_eq!(engine.process_deliveries(10).await.expect("send").done, 1);
            let bodies = posted.lock().expect("lock").clone();
            assert_eq!(bodies.len(), 1);
            let accept: serde_json::Value = serde_json::from_slice(&bodies[0]).expect("json");
            assert_eq!(accept["type"], "Accept");
            assert_eq!(accept["actor"], "http://blog.test/blog");
            assert_eq!(accept["object"]["type"], "Follow");
            assert_eq!(accept["object"]["id"], "http://far.test/users/f/follows/1");
            assert_eq!(accept["object"]["actor"], FOLLOWER);
            assert_eq!(accept["object"]["object"], "http://blog.test/blog");
            let id = accept["id"].as_str().expect("an id");
            let digest = id
                .strip_prefix("http://blog.test/blog#accepts/follows/")
                .expect("the Accept's id is under the actor");
            assert_eq!(digest.len(), 43, "{id}"); // SHA-256, base64url without padding
            assert!(
                digest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{id}"
            );

            // The same Follow again (a retried handler): the same Accept id, one follower.
            engine
                .accept_follow(&blog, follow_of("http://blog.test/blog"))
                .await
                .expect("accepted again");
            assert_eq!(engine.process_deliveries(10).await.expect("send").done, 1);
            let bodies = posted.lock().expect("lock").clone();
            let again: serde_json::Value = serde_json::from_slice(&bodies[1]).expect("json");
            assert_eq!(again["id"], accept["id"]);
            let count = engine
                .store()
                .all_members(&followers_collection(blog.as_str()), 10)
                .await
                .expect("store")
                .len();
            assert_eq!(count, 1);
        }

        #[tokio::test]
        async fn anything_but_a_follow_of_the_actor_is_refused_without_effect() {
            let (engine, blog, posted) = setup().await;
            let other = engine
                .accept_follow(&blog, follow_of("http://blog.test/someone-else"))
                .await
                .expect_err("a Follow of another actor");
            assert!(
                matches!(
                    other,
                    crate::Error::Handler {
                        retryable: false,
                        ..
                    }
                ),
                "{other:?}"
            );
            let like_id = ObjectId::parse(&format!("{FOLLOWER}/likes/1")).expect("id");
            let f = ObjectId::parse(FOLLOWER).expect("id");
            let liked = ObjectId::parse("http://blog.test/blog").expect("id");
            let like = received(builder::like(&like_id, &f, &liked));
            let err = engine.accept_follow(&blog, like).await.expect_err("a Like");
            assert!(!err.is_retryable(), "{err:?}");
            assert!(
                err.to_string()
                    .contains("not a Follow of http://blog.test/blog"),
                "{err}"
            );
            let followers = engine
                .store()
                .all_members(&followers_collection(blog.as_str()), 10)
                .await
                .expect("store");
            assert!(followers.is_empty());
            assert_eq!(engine.process_deliveries(10).await.expect("send").leased, 0);
            assert!(posted.lock().expect("lock").is_empty());
        }
    }
}
