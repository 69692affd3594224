//! What all providers share: errors, lenient wire types, retries, pacing, credentials and the
//! runtime that every generated client runs through. Provider modules configure these; they do
//! not copy them.

pub mod call;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli_glue;
pub mod config;
pub mod drift;
pub mod error;
pub mod lenient;
pub mod money;
pub mod ops;
pub mod paginate;
pub mod ratelimit;
#[cfg(feature = "redis")]
pub mod redis;
pub mod retry;
pub mod runtime;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod secret;
pub mod shapes;
pub mod taxid;
pub mod token;

/// Locks a mutex, carrying on with the data if a panicking thread poisoned it (every value kept
/// behind these mutexes stays consistent between statements).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
