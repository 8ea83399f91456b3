//! The inbox's group writer: the requests in flight share one store write (see
//! [`GroupWriter`]).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use fedi_storage::{BatchOutcome, WriteBatch};
use tokio::sync::oneshot;

use super::Engine;
use crate::Error;

/// The inbox's group writer: the requests in flight share one store write (and, on a
/// durable backend, one flush) through [`BatchStore::apply_many`](fedi_storage::BatchStore).
///
/// There is no task and no timer. A request that finds no write in progress leads: it takes
/// every batch queued so far, its own first, applies them with one `apply_many` and hands each
/// waiter its own result. Requests that arrive while a write is in progress queue their batch
/// and wait; when the write ends, the leader passes the lead to the first of them, which
/// writes everything queued by then. Groups therefore form only from requests that would
/// otherwise have waited for the store anyway. Each batch keeps the semantics of a lone
/// `apply` (its own dedupe guard, seeing the batches before it), so a duplicate is still
/// reported as one, also within a group.
///
/// Cancellation: if a leader's future is dropped during the write, the waiters whose batches
/// it had taken get a storage error (the write may or may not have happened; a retry is then
/// answered as a duplicate if it did), and the lead passes on to the next waiter. A waiter
/// that is dropped just after being handed the lead passes it on in turn.
#[derive(Default)]
pub(crate) struct GroupWriter {
    state: Mutex<GroupState>,
}

#[derive(Default)]
struct GroupState {
    /// A leader is writing (or has been handed the lead and not yet taken it up).
    leading: bool,
    queue: VecDeque<Waiting>,
}

struct Waiting {
    batch: WriteBatch,
    reply: oneshot::Sender<Reply>,
}

enum Reply {
    /// The batch was written (or failed) as part of a group.
    Done(fedi_storage::Result<BatchOutcome>),
    /// Lead the next group, starting with this (the waiter's own) batch.
    Lead(WriteBatch),
}

impl GroupWriter {
    fn lock(&self) -> MutexGuard<'_, GroupState> {
        // Every update under the lock is a single push, take or flag change: a poisoned lock
        // carries no broken state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Passes the lead to the first waiter still waiting, or ends it if none is.
    fn hand_off(&self) {
        let mut s = self.lock();
        while let Some(next) = s.queue.pop_front() {
            // A waiter that has gone away takes its batch with it (nothing was written).
            if next.reply.send(Reply::Lead(next.batch)).is_ok() {
                return;
            }
        }
        s.leading = false;
    }
}

/// Passes the lead on however the leader's future ends.
struct LeadGuard<'a>(&'a GroupWriter);

impl Drop for LeadGuard<'_> {
    fn drop(&mut self) {
        self.0.hand_off();
    }
}

/// A waiter's receiver: if the waiter is dropped after being handed the lead, it passes the
/// lead on.
struct WaitGuard<'a> {
    writer: &'a GroupWriter,
    rx: oneshot::Receiver<Reply>,
    received: bool,
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        if self.received {
            return;
        }
        // No send can succeed after `close`; one that succeeded before is in `try_recv`.
        self.rx.close();
        if let Ok(Reply::Lead(_)) = self.rx.try_recv() {
            self.writer.hand_off();
        }
    }
}

impl Engine {
    /// Applies `batch` as part of a group write (see [`GroupWriter`]); the result is what
    /// `store.apply(&batch)` would have given.
    pub(crate) async fn apply_grouped(&self, batch: WriteBatch) -> Result<BatchOutcome, Error> {
        let writer = &self.inner.group_writer;
        let wait = {
            let mut s = writer.lock();
            if s.leading {
                let (reply, rx) = oneshot::channel();
                s.queue.push_back(Waiting { batch, reply });
                Err(rx)
            } else {
                s.leading = true;
                Ok(batch)
            }
        };
        let batch = match wait {
            Ok(batch) => batch,
            Err(rx) => {
                let mut guard = WaitGuard {
                    writer,
                    rx,
                    received: false,
                };
                let reply = (&mut guard.rx).await;
                guard.received = true;
                match reply {
                    Ok(Reply::Done(r)) => return r.map_err(Error::from),
                    Ok(Reply::Lead(batch)) => batch,
                    Err(_) => {
                        return Err(Error::from(fedi_storage::Error::Backend(
                            "the group write carrying this request was interrupted".into(),
                        )))
                    }
                }
            }
        };
        self.lead_group_write(batch).await
    }

    /// Writes `own` and every batch queued so far in one `apply_many`, answers the waiters,
    /// and passes the lead on.
    async fn lead_group_write(&self, own: WriteBatch) -> Result<BatchOutcome, Error> {
        let writer = &self.inner.group_writer;
        let _lead = LeadGuard(writer);
        let queued = std::mem::take(&mut writer.lock().queue);
        let mut batches = Vec::with_capacity(queued.len() + 1);
        let mut replies = Vec::with_capacity(queued.len());
        batches.push(own);
        for w in queued {
            batches.push(w.batch);
            replies.push(w.reply);
        }
        match self.inner.store.apply_many(&batches).await {
            Ok(results) => {
                let mut results = results.into_iter();
                let mut next = || {
                    results.next().unwrap_or_else(|| {
                        Err(fedi_storage::Error::Backend(
                            "the store returned fewer results than batches".into(),
                        ))
                    })
                };
                let mine = next();
                for reply in replies {
                    // A waiter that has gone away no longer needs its result.
                    let _ = reply.send(Reply::Done(next()));
                }
                mine.map_err(Error::from)
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Reply::Done(Err(crate::error::duplicate_storage_error(&e))));
                }
                Err(Error::from(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiter(w: &GroupWriter, tag: &str) -> oneshot::Receiver<Reply> {
        let (reply, rx) = oneshot::channel();
        let batch = WriteBatch::new().kv_put("t", tag.as_bytes(), &b"x"[..]);
        w.lock().queue.push_back(Waiting { batch, reply });
        rx
    }

    fn lead_tag(r: Result<Reply, oneshot::error::TryRecvError>) -> Option<Vec<u8>> {
        match r {
            Ok(Reply::Lead(b)) => match b.ops.first() {
                Some(fedi_storage::BatchOp::KvPut { key, .. }) => Some(key.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    #[test]
    fn the_lead_passes_to_the_first_waiter_still_waiting() {
        let w = GroupWriter::default();
        w.lock().leading = true;
        let gone = waiter(&w, "gone");
        let mut next = waiter(&w, "next");
        drop(gone);
        w.hand_off();
        assert_eq!(lead_tag(next.try_recv()).as_deref(), Some(&b"next"[..]));
        assert!(w.lock().leading, "the lead was handed on, not ended");
        assert!(w.lock().queue.is_empty());
        w.hand_off();
        assert!(!w.lock().leading, "no waiter left: the lead ends");
    }

    #[test]
    fn a_waiter_dropped_after_being_handed_the_lead_passes_it_on() {
        let w = GroupWriter::default();
        w.lock().leading = true;
        let first = waiter(&w, "first");
        let mut second = waiter(&w, "second");
        w.hand_off();
        // The first waiter's future is dropped before it takes up the lead.
        drop(WaitGuard {
            writer: &w,
            rx: first,
            received: false,
        });
        assert_eq!(lead_tag(second.try_recv()).as_deref(), Some(&b"second"[..]));
        assert!(w.lock().leading);
        // A waiter dropped while still queued (nothing sent to it) changes nothing.
        let third = waiter(&w, "third");
        drop(WaitGuard {
            writer: &w,
            rx: third,
            received: false,
        });
        assert!(w.lock().leading);
        w.hand_off();
        assert!(!w.lock().leading, "the closed waiter is skipped");
    }
}
