// The README's examples use every provider; show it as the crate docs when they are all built.
#![cfg_attr(
    all(feature = "ecomdc", feature = "pluggto", feature = "appclubmais", feature = "connectplug"),
    doc = include_str!("../README.md")
)]
#![cfg_attr(
    not(all(
        feature = "ecomdc",
        feature = "pluggto",
        feature = "appclubmais",
        feature = "connectplug"
    )),
    doc = "Typed clients for Brazilian commerce APIs; see the README."
)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod common;

#[cfg(feature = "appclubmais")]
pub mod appclubmais;
#[cfg(feature = "connectplug")]
pub mod connectplug;
#[cfg(feature = "ecomdc")]
pub mod ecomdc;
#[cfg(feature = "pluggto")]
pub mod pluggto;
#[cfg(all(feature = "webhooks", any(feature = "ecomdc", feature = "pluggto")))]
pub mod webhooks;

pub use common::call::{Unread, Written};
pub use common::error::{Error, ErrorKind, FieldError, Provider, ProviderError, Record, Result};
pub use common::runtime::CallOptions;
