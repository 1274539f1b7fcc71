//! Values that several keys decide together: the connection pool in effect
//! on a server (`database.postgresql.pool_*` over `database.sqlalchemy.*`)
//! and the number of feature workers, with the bounds validation holds
//! them to.

use super::schema::{Database, Performance};

/// Connections mdm holds at once on a server: the dataset's database and
/// the maintenance database (create, rename, drop).
pub const MIN_SERVER_CONNECTIONS: u32 = 2;

/// The connection limits in effect on a server, and the key that set the
/// size (for messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool {
    pub size: u32,
    pub overflow: u32,
    pub timeout: u64,
    pub size_key: &'static str,
}

impl Database {
    /// `database.postgresql.pool_*` where given, else `database.sqlalchemy.*`.
    pub fn pool(&self) -> Pool {
        let server = &self.postgresql;
        Pool {
            size: server.pool_size.unwrap_or(self.sqlalchemy.pool_size),
            overflow: server.max_overflow.unwrap_or(self.sqlalchemy.max_overflow),
            timeout: server.pool_timeout.unwrap_or(self.sqlalchemy.pool_timeout),
            size_key: if server.pool_size.is_some() {
                "database.postgresql.pool_size"
            } else {
                "database.sqlalchemy.pool_size"
            },
        }
    }
}

impl Performance {
    /// `workers`, where 0 (one per core) is capped by
    /// `max_concurrent_operations` when that is given.
    pub fn fill_workers(&self) -> usize {
        match (self.workers, self.max_concurrent_operations) {
            (0, Some(cap)) => std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(4)
                .min(cap)
                .max(1),
            (workers, _) => workers,
        }
    }
}

/// The most workers `performance.workers` accepts.
pub const MAX_WORKERS: usize = 64;
