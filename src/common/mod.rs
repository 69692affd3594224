//! What all providers share: errors, lenient wire types, retries, pacing, credentials and the
//! runtime that every generated client runs through. Provider modules configure these; they do
//! not copy them.

pub mod call;
pub mod config;
pub mod error;
pub mod lenient;
pub mod money;
pub mod paginate;
pub mod ratelimit;
#[cfg(feature = "redis")]
pub mod redis;
pub mod retry;
pub mod runtime;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod secret;
pub mod taxid;
pub mod token;
