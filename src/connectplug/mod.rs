//! connectplug client.

crate::generated_client!("connectplug");

pub use generated::types;

/// The generated client, its request builders and the types they use.
pub mod raw {
    pub use super::generated::*;
}
