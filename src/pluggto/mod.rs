//! pluggto client.

crate::generated_client!("pluggto");

pub use generated::types;
