//! appclubmais client.

crate::generated_client!("appclubmais");

pub use generated::types;
