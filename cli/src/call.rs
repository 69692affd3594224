//! Running one generated command through the library: its call gets the client's credentials,
//! pacing and retries, and its outcome comes back as [`brcommerce::Error`] or as a write's
//! [`Written`](brcommerce::Written)-like result.

use std::sync::Arc;

use brcommerce::common::call::{Outcome, Unread};
use brcommerce::common::cli_glue::Facade;
use brcommerce::common::drift::DriftReport;
use brcommerce::common::runtime::StatsSnapshot;
use clap::ArgMatches;
use serde_json::Value;

use crate::output::{Failure, Printer, say, stdin_named};

/// A client of one provider (cheap to clone: clones share the pool, pacing and counters).
#[derive(Clone, Debug)]
pub struct AnyClient(pub Arc<dyn Facade>);

/// What a command that did not fail came to.
enum Answer {
    /// The provider answered as documented (printed or captured by the printer).
    Done,
    /// A write answered with a success status and a body the spec does not describe.
    Unread(Unread),
    /// A write that changed nothing (what was sent equals what the provider holds), as the
    /// provider's facade reads it ([`Facade::unchanged`]).
    Unchanged(String),
}

impl AnyClient {
    /// Requests, retries and time waited for the quota so far.
    pub fn stats(&self) -> StatsSnapshot {
        self.0.stats()
    }

    /// What the provider sent that the spec does not describe, so far.
    pub fn drift(&self) -> DriftReport {
        self.0.drift()
    }

    fn provider(&self) -> brcommerce::Provider {
        self.0.provider()
    }

    /// The library's client, for what only it knows (its facade lists).
    pub fn facade(&self) -> &dyn Facade {
        &*self.0
    }

    /// Runs the generated command `op` and prints its result: the provider's answer as JSON,
    /// or one line saying the write went through when the answer has no body.
    pub async fn execute(&self, op: &str, matches: &ArgMatches) -> Result<(), Failure> {
        let printer = Printer::print();
        match self.run(op, matches, &printer).await? {
            Answer::Done => {
                if let Some(status) = printer.empty_answer() {
                    say(&format!("ok: {} {op} answered {status}", self.provider()));
                }
            }
            Answer::Unread(u) => match serde_json::from_str::<Value>(&u.body) {
                Ok(v) => say(&serde_json::to_string_pretty(&v).unwrap_or_default()),
                Err(_) if u.body.trim().is_empty() => {
                    say(&format!(
                        "ok: {} {op} answered {}",
                        self.provider(),
                        u.status
                    ));
                }
                Err(_) => say(&u.body),
            },
            Answer::Unchanged(message) => {
                say(&format!("unchanged: {} {op}: {message}", self.provider()));
            }
        }
        Ok(())
    }

    /// Runs the generated command `op` and gives back its answer (for paging without a facade).
    pub async fn capture(&self, op: &str, matches: &ArgMatches) -> Result<Value, Failure> {
        let printer = Printer::capture();
        match self.run(op, matches, &printer).await? {
            Answer::Done => Ok(printer.take().unwrap_or(Value::Null)),
            Answer::Unread(u) => serde_json::from_str(&u.body).map_err(|e| {
                Failure::Usage(format!(
                    "{} {op}: the answer is not JSON: {e}",
                    self.provider()
                ))
            }),
            Answer::Unchanged(_) => Ok(Value::Null),
        }
    }

    async fn run(
        &self,
        op: &str,
        matches: &ArgMatches,
        printer: &Printer,
    ) -> Result<Answer, Failure> {
        let (result, outcome) = self
            .0
            .execute(op, matches, printer)
            .ok_or_else(|| Failure::Usage(format!("unknown operation {op}")))?
            .await;
        match (result, outcome) {
            // As the provider's facade reads it: the write changed nothing, and that is fine.
            (_, Outcome::Failed(e)) => match self.0.unchanged(&e) {
                Some(message) => Ok(Answer::Unchanged(message)),
                None => Err(Failure::Call(e)),
            },
            (_, Outcome::Unread(u)) => Ok(Answer::Unread(u)),
            // Failed before any call: a bad or unreadable parameter (e.g. the body).
            (Err(e), Outcome::Done) => Err(Failure::Usage(stdin_named(
                &brcommerce::common::secret::redact_query_secrets(&format!("{e:#}")),
            ))),
            (Ok(()), Outcome::Done) => Ok(Answer::Done),
        }
    }
}
