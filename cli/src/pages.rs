//! `--all-pages`: runs a list operation page after page through the crate's pagination layer
//! and prints each item as one JSON line.

use brcommerce::{Error, ErrorKind, Provider};
use serde_json::Value;

use crate::creds::Target;
use crate::output::{Failure, Printer};

/// One fetched page: its items and the cursor of the next one.
struct Fetched {
    items: Vec<Value>,
    next: Option<String>,
}

/// How a provider pages and where its items are.
#[derive(Clone, Copy)]
enum Style {
    /// `--page N` (ConnectPlug adds `--per-page 100`; `meta` says the last page).
    Numbered { per_page: bool },
    /// `--next <last id>` with `--limit 100` (PluggTo).
    Cursor,
}

fn provider_of(name: &str) -> Provider {
    match name {
        "ecomdc" => Provider::Ecomdc,
        "pluggto" => Provider::Pluggto,
        "appclubmais" => Provider::Appclubmais,
        _ => Provider::Connectplug,
    }
}

/// The items of one answer.
fn items(provider: &str, answer: &Value) -> Vec<Value> {
    let list = match provider {
        "connectplug" => answer["data"]
            .as_object()
            .and_then(|d| d.values().find_map(Value::as_array)),
        "pluggto" => answer["result"].as_array(),
        _ => answer
            .as_object()
            .and_then(|o| o.values().find_map(Value::as_array)),
    };
    list.into_iter()
        .flatten()
        .map(|item| match item.as_object() {
            // PluggTo wraps each item: {"Order": {...}}.
            Some(o) if provider == "pluggto" && o.len() == 1 => {
                o.values().next().cloned().unwrap_or(Value::Null)
            }
            _ => item.clone(),
        })
        .collect()
}

pub async fn all(
    target: &Target,
    provider: &'static str,
    op: &str,
    args: &[String],
) -> Result<(), Failure> {
    let command = crate::provider_command(provider);
    let Some(sub) = command.find_subcommand(op) else {
        return Err(Failure::Usage(format!("unknown operation {op}")));
    };
    let has = |id: &str| sub.get_arguments().any(|a| a.get_id() == id);
    let style = if has("next") && has("limit") {
        Style::Cursor
    } else if has("page") {
        Style::Numbered {
            per_page: has("per-page"),
        }
    } else {
        return Err(Failure::Usage(format!(
            "{provider} {op} is not a paged list; run it without --all-pages"
        )));
    };
    let op_name: &'static str = Box::leak(op.to_owned().into_boxed_str());
    let first = match style {
        Style::Numbered { .. } => "1".to_owned(),
        Style::Cursor => String::new(),
    };
    let fetch = |cursor: String| {
        let mut argv: Vec<String> = args.to_vec();
        match style {
            Style::Numbered { per_page } => {
                argv.extend(["--page".into(), cursor.clone()]);
                if per_page && !args.iter().any(|a| a == "--per-page") {
                    argv.extend(["--per-page".into(), "100".into()]);
                }
            }
            Style::Cursor => {
                if !args.iter().any(|a| a == "--limit") {
                    argv.extend(["--limit".into(), "100".into()]);
                }
                if !cursor.is_empty() {
                    argv.extend(["--next".into(), cursor.clone()]);
                }
            }
        }
        let command = crate::provider_command(provider);
        async move {
            let fail = |m: String| {
                Error::new(
                    provider_of(provider),
                    op_name,
                    ErrorKind::InvalidInput {
                        field: "arguments".into(),
                        message: m,
                    },
                )
            };
            let matches = command
                .try_get_matches_from(std::iter::once(provider.to_owned()).chain(argv))
                .map_err(|e| fail(e.to_string()))?;
            let (_, op_matches) = matches
                .subcommand()
                .ok_or_else(|| fail("no operation".into()))?;
            let printer = Printer::capture();
            target
                .execute_with(op_name, op_matches, &printer)
                .await
                .map_err(|f| match f {
                    Failure::Usage(m) => fail(m),
                    Failure::Call(m) => Error::new(
                        provider_of(provider),
                        op_name,
                        ErrorKind::Provider(brcommerce::ProviderError::new(0, m)),
                    ),
                })?;
            let answer = printer.take().unwrap_or(Value::Null);
            let items = items(provider, &answer);
            let next = match style {
                Style::Numbered { .. } if items.is_empty() => None,
                Style::Numbered { .. } => {
                    let current = cursor.parse::<i64>().unwrap_or(1);
                    let last = answer["meta"]["last_page"].as_i64();
                    match last {
                        Some(last) if current >= last => None,
                        _ => Some((current + 1).to_string()),
                    }
                }
                Style::Cursor => {
                    let limit = answer["limit"].as_u64().unwrap_or(100);
                    if (items.len() as u64) < limit {
                        None
                    } else {
                        items
                            .last()
                            .and_then(|i| i["id"].as_str())
                            .map(str::to_owned)
                    }
                }
            };
            Ok::<_, Error>(Fetched { items, next })
        }
    };
    let mut cursor = first;
    loop {
        let page = fetch(cursor.clone()).await.map_err(|e| match e.kind() {
            ErrorKind::InvalidInput { message, .. } => Failure::Usage(message.clone()),
            ErrorKind::Provider(p) => Failure::Call(p.message.clone()),
            _ => Failure::Call(e.to_string()),
        })?;
        for v in &page.items {
            println!("{}", serde_json::to_string(v).unwrap_or_default());
        }
        match page.next {
            None => return Ok(()),
            Some(next) if next == cursor => {
                return Err(Failure::Call(
                    "the provider returned the same page cursor again".to_owned(),
                ));
            }
            Some(next) => cursor = next,
        }
    }
}
