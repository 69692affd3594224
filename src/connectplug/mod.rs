//! connectplug client.

crate::generated_client!("connectplug");

pub use generated::types;
