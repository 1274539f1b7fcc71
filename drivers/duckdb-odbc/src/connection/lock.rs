//! The lock each connection holds while a thread is inside one of its
//! entry points: ODBC lets threads share a connection, DuckDB's connection
//! runs one thing at a time, and an entry point may call another.

/// A lock one thread may take again (an entry point that calls another):
/// the owner and how many times it holds it.
#[derive(Default)]
pub struct ConnectionLock {
    state: std::sync::Mutex<(Option<std::thread::ThreadId>, usize)>,
    free: std::sync::Condvar,
}

/// Holds a [`ConnectionLock`] until dropped.
pub struct Held<'a>(&'a ConnectionLock);

impl ConnectionLock {
    pub fn hold(&self) -> Held<'_> {
        let me = std::thread::current().id();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            match state.0 {
                None => {
                    *state = (Some(me), 1);
                    break;
                }
                Some(owner) if owner == me => {
                    state.1 += 1;
                    break;
                }
                Some(_) => {
                    state = self.free.wait(state).unwrap_or_else(|p| p.into_inner());
                }
            }
        }
        Held(self)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut state = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
        state.1 -= 1;
        if state.1 == 0 {
            state.0 = None;
            self.0.free.notify_one();
        }
    }
}
