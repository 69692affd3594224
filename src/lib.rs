#![doc = include_str!("../README.md")]
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

pub use common::error::{Error, ErrorKind, FieldError, Provider, ProviderError, Result};
pub use common::runtime::CallOptions;
