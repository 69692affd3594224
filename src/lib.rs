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

/// Declares the providers: for each, its module (gated by the cargo feature of the same name,
/// the name of its spec `specs/<id>.yaml`), its [`Provider`] variant, the name the provider
/// writes and what it is. Adding a provider is one line below (CONTRIBUTING.md, "Adding a
/// provider").
macro_rules! providers {
    ($($module:ident $id:literal => $variant:ident, $name:literal, $what:literal;)*) => {
        $(
            #[cfg(feature = $id)]
            pub mod $module;
        )*

        /// The provider an error, a client or a call belongs to.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Provider {
            $(
                #[doc = concat!($name, " (", $what, ").")]
                $variant,
            )*
        }

        impl Provider {
            /// Every provider the crate knows, built or not.
            pub const ALL: &'static [Provider] = &[$(Provider::$variant),*];

            /// The provider's name as it writes it.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Provider::$variant => $name,)*
                }
            }

            /// The lowercase id used for cargo features, spec files, tracing fields and the
            /// command line.
            pub const fn id(self) -> &'static str {
                match self {
                    $(Provider::$variant => $id,)*
                }
            }

            /// True when this build has the provider's client (its cargo feature is on).
            pub const fn is_enabled(self) -> bool {
                match self {
                    $(Provider::$variant => cfg!(feature = $id),)*
                }
            }

            /// The provider whose [`id`](Provider::id) this is.
            pub fn from_id(id: &str) -> Option<Provider> {
                Provider::ALL.iter().copied().find(|p| p.id() == id)
            }

            /// How the `brc` command line reaches this provider, when this build has it
            /// (feature `cli`, for the `brc` package; not for library users).
            #[cfg(feature = "cli")]
            #[doc(hidden)]
            #[allow(unreachable_patterns, reason = "every provider may be built")]
            pub fn command_line(self) -> Option<&'static dyn common::cli_glue::CommandLine> {
                match self {
                    $(
                        #[cfg(feature = $id)]
                        Provider::$variant => Some(&$module::cli_glue::Glue),
                    )*
                    _ => None,
                }
            }
        }
    };
}

providers! {
    ecomdc "ecomdc" => Ecomdc, "ecomDC", "online store";
    pluggto "pluggto" => Pluggto, "PluggTo", "marketplace hub";
    appclubmais "appclubmais" => Appclubmais, "AppClubMais", "loyalty club";
    connectplug "connectplug" => Connectplug, "ConnectPlug", "ERP/POS, API v3";
}
#[cfg(all(feature = "webhooks", any(feature = "ecomdc", feature = "pluggto")))]
pub mod webhooks;

pub use common::call::{Unread, Written};
pub use common::error::{Error, ErrorKind, FieldError, ProviderError, Record, Result};
pub use common::runtime::CallOptions;
