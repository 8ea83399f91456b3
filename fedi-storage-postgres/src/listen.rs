//! Waking idle queue consumers: one connection per store `LISTEN`s on the `fedi_jobs`
//! channel, which a statement-level trigger on `fedi_jobs` notifies with the queue's name
//! whenever jobs are added (by any store, in any process); each waiter waits on a counter
//! per queue, with a timeout as the bounded fallback poll.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt as _;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;

use crate::config::PostgresConfig;

type Senders = Arc<Mutex<HashMap<String, watch::Sender<u64>>>>;

/// The listening connection's task and the waiters' counters.
pub(crate) struct Listener {
    senders: Senders,
    task: Option<JoinHandle<()>>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

fn lock(s: &Senders) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<u64>>> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

fn wake(senders: &Senders, queue: Option<&str>) {
    let map = lock(senders);
    match queue {
        Some(q) => {
            if let Some(s) = map.get(q) {
                s.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
        None => {
            for s in map.values() {
                s.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }
}

impl Listener {
    /// Starts listening (when called within a Tokio runtime; otherwise waiters only time out).
    pub(crate) fn start(config: PostgresConfig) -> Self {
        let senders: Senders = Arc::default();
        let task = tokio::runtime::Handle::try_current()
            .ok()
            .map(|h| h.spawn(run(config, senders.clone())));
        Listener { senders, task }
    }

    pub(crate) fn waiter(&self, queue: &str) -> QueueWaiter {
        let rx = lock(&self.senders)
            .entry(queue.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        QueueWaiter { rx }
    }
}

/// Listens until the store is dropped, reconnecting after a failure (waiting 0.1 s, doubling
/// up to 5 s). After every (re)connection every waiter is woken: notifications sent while
/// the connection was down are lost.
async fn run(config: PostgresConfig, senders: Senders) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match listen_once(&config, &senders).await {
            Ok(()) => tracing::debug!("queue listener connection closed"),
            Err(e) => tracing::warn!(error = %e, "queue listener failed; reconnecting"),
        }
        wake(&senders, None);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn listen_once(config: &PostgresConfig, senders: &Senders) -> Result<(), String> {
    let pg = config.pg_config().map_err(|e| e.to_string())?;
    let tls = config.tls().map_err(|e| e.to_string())?;
    let (client, mut conn) = pg.connect(tls).await.map_err(|e| e.to_string())?;
    let mut messages = futures::stream::poll_fn(move |cx| conn.poll_message(cx));
    let listen = client.batch_execute("LISTEN fedi_jobs");
    tokio::pin!(listen);
    let mut listening = false;
    loop {
        tokio::select! {
            r = &mut listen, if !listening => {
                r.map_err(|e| e.to_string())?;
                listening = true;
                wake(senders, None);
            }
            m = messages.next() => match m {
                Some(Ok(AsyncMessage::Notification(n))) => wake(senders, Some(n.payload())),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.to_string()),
                None => return Ok(()),
            },
        }
    }
}

/// Waits for jobs to be added to one queue; see
/// [`PostgresStore::queue_waiter`](crate::PostgresStore::queue_waiter).
///
/// A notification that arrives between two waits is not lost: the next
/// [`QueueWaiter::wait`] returns at once. A consumer leases until it gets nothing, then
/// waits, then leases again.
#[derive(Debug)]
pub struct QueueWaiter {
    rx: watch::Receiver<u64>,
}

impl QueueWaiter {
    /// Waits until jobs may have been added to the queue since the last wait (returns
    /// `true`), or until `timeout` passes (returns `false`).
    pub async fn wait(&mut self, timeout: Duration) -> bool {
        match tokio::time::timeout(timeout, self.rx.changed()).await {
            Ok(Ok(())) => true,
            Ok(Err(_)) => {
                // The store was closed: nothing will wake us; wait out the timeout.
                tokio::time::sleep(timeout).await;
                false
            }
            Err(_) => false,
        }
    }
}
