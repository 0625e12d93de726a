//! Bounded password hashing. Each argon2 run takes 19 MiB and a core for tens of
//! milliseconds: at most [`RUNNING`] run at once, at most [`QUEUED`] more wait, and
//! anything beyond gets [`CoreError::Busy`] at once (a 429 with `Retry-After`) instead of
//! a place in an ever longer queue. A flood of sign-in attempts then costs the server a
//! bounded amount of memory and CPU, and the queue's wait stays short for everyone.

use crate::error::{CoreError, CoreResult};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Hashes running at once.
pub const RUNNING: usize = 2;
/// Hashes waiting for a turn, at most.
pub const QUEUED: usize = 8;
/// What a refused caller is told to wait, in seconds (the queue drains in well under).
const RETRY_AFTER_SECS: i64 = 1;

/// Admission to, and turns at, password hashing.
#[derive(Debug)]
pub struct HashingQueue {
    /// Running or waiting: `RUNNING + QUEUED` places.
    admitted: Semaphore,
    /// Running.
    running: Semaphore,
}

impl Default for HashingQueue {
    fn default() -> Self {
        Self {
            admitted: Semaphore::new(RUNNING + QUEUED),
            running: Semaphore::new(RUNNING),
        }
    }
}

/// A turn at hashing: run while holding it.
pub struct Turn<'a> {
    _admitted: SemaphorePermit<'a>,
    _running: SemaphorePermit<'a>,
}

impl HashingQueue {
    /// Waits for a turn, or refuses at once when the queue is full.
    pub async fn turn(&self) -> CoreResult<Turn<'_>> {
        let admitted = self.admitted.try_acquire().map_err(|_| CoreError::Busy {
            retry_after_secs: RETRY_AFTER_SECS,
        })?;
        let running = self
            .running
            .acquire()
            .await
            .map_err(|_| CoreError::Internal("hashing closed"))?;
        Ok(Turn {
            _admitted: admitted,
            _running: running,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn turn_refuses_at_once_beyond_the_queue() {
        let queue = HashingQueue::default();
        let mut held = Vec::new();
        for _ in 0..RUNNING {
            held.push(queue.turn().await.expect("a running turn"));
        }
        // The waiting places fill up (these futures wait; they hold their admission).
        let waiting: Vec<_> = (0..QUEUED).map(|_| Box::pin(queue.turn())).collect();
        let mut waiting = waiting;
        for w in &mut waiting {
            assert!(
                futures_poll_once(w.as_mut()).await.is_none(),
                "a queued turn waits"
            );
        }
        assert!(matches!(
            queue.turn().await,
            Err(CoreError::Busy {
                retry_after_secs: 1
            })
        ));
        drop(held);
        // A running place is free again: the first queued turn gets it.
        assert!(waiting.remove(0).await.is_ok());
    }

    /// Polls a future once: `Some` when it finished.
    async fn futures_poll_once<F: std::future::Future + Unpin>(f: F) -> Option<F::Output> {
        let mut f = f;
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut f).poll(cx) {
                std::task::Poll::Ready(out) => Some(out),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }
}
