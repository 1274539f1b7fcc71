//! The bound on connections one mdm process holds at once on a server
//! (`pool_size` + `max_overflow`), and how long it waits for one
//! (`pool_timeout`). mdm's connections last one command, so there is
//! nothing to reuse: the pool only counts.

use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::config::Pool;
use crate::error::{Error, Result};

struct Slots {
    in_use: Mutex<u32>,
    freed: Condvar,
}

fn slots() -> &'static Slots {
    static SLOTS: OnceLock<Slots> = OnceLock::new();
    SLOTS.get_or_init(|| Slots {
        in_use: Mutex::new(0),
        freed: Condvar::new(),
    })
}

/// A connection slot, given back when dropped.
#[derive(Debug)]
pub struct Permit(());

impl Drop for Permit {
    fn drop(&mut self) {
        let slots = slots();
        let mut in_use = slots.in_use.lock().unwrap_or_else(|e| e.into_inner());
        *in_use = in_use.saturating_sub(1);
        slots.freed.notify_one();
    }
}

/// Takes a slot when one is free now.
pub fn try_acquire(pool: Pool) -> Option<Permit> {
    let slots = slots();
    let mut in_use = slots.in_use.lock().unwrap_or_else(|e| e.into_inner());
    (*in_use < pool.size + pool.overflow).then(|| {
        *in_use += 1;
        Permit(())
    })
}

/// Takes a slot, waiting up to the pool's timeout for one to be freed.
pub fn acquire(pool: Pool) -> Result<Permit> {
    let limit = pool.size + pool.overflow;
    let deadline = Instant::now() + Duration::from_secs(pool.timeout);
    let slots = slots();
    let mut in_use = slots.in_use.lock().unwrap_or_else(|e| e.into_inner());
    while *in_use >= limit {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::Backend(format!(
                "all {limit} server connections this mdm may open are in use \
                 ({} + max_overflow); waited pool_timeout = {} s",
                pool.size_key, pool.timeout
            )));
        }
        in_use = slots
            .freed
            .wait_timeout(in_use, left)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    *in_use += 1;
    Ok(Permit(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_pool_times_out_and_a_freed_slot_is_taken_again() {
        let pool = Pool {
            size: 1,
            overflow: 1,
            timeout: 0,
            size_key: "database.sqlalchemy.pool_size",
        };
        let first = acquire(pool).unwrap();
        let second = acquire(pool).unwrap();
        let err = acquire(pool).unwrap_err();
        assert!(err.to_string().contains("all 2 server connections"));
        drop(first);
        let third = acquire(pool).unwrap();
        drop((second, third));
    }
}
