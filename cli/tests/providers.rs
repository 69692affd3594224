//! A new provider reaches `brc` through its library module alone (issue #20, item 4): no file
//! of the command line names a provider outside comments and docs. Which providers there are,
//! their credentials, sandboxes, generated commands and typed paging come from the library
//! (`brcommerce::common::cli_glue`, listed by `Provider::command_line`).
//!
//! Two files are scenarios written for particular providers, not lists of providers, and may
//! name them: `demo.rs` (the scripted integration across the four sandboxes) and `listen.rs`
//! (the ecomDC and PluggTo callbacks). A new provider touches neither.

use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};

const SCENARIOS: [&str; 2] = ["demo.rs", "listen.rs"];

/// Every provider id the library knows (built or not), so a new one is checked too.
fn ids() -> Vec<&'static str> {
    brcommerce::Provider::ALL.iter().map(|p| p.id()).collect()
}

/// Where `code` names a provider (any case) in an identifier or a literal, with its line;
/// comments and doc comments (`#[doc = ...]` once tokenized) are not code.
fn names(code: &str) -> Vec<(usize, String)> {
    let tokens: TokenStream = code.parse().unwrap_or_else(|e| panic!("not Rust: {e}"));
    let mut found = Vec::new();
    walk(tokens, &ids(), &mut found);
    found
}

fn walk(tokens: TokenStream, ids: &[&str], found: &mut Vec<(usize, String)>) {
    let mut iter = tokens.into_iter().peekable();
    while let Some(tree) = iter.next() {
        match tree {
            // `#[doc = "..."]` / `#![doc = "..."]`: a doc comment.
            TokenTree::Punct(p) if p.as_char() == '#' => {
                if matches!(iter.peek(), Some(TokenTree::Punct(b)) if b.as_char() == '!') {
                    iter.next();
                }
                if let Some(TokenTree::Group(g)) = iter.peek()
                    && g.delimiter() == Delimiter::Bracket
                {
                    let is_doc = matches!(
                        g.stream().into_iter().next(),
                        Some(TokenTree::Ident(i)) if i == "doc"
                    );
                    let g = g.stream();
                    iter.next();
                    if !is_doc {
                        walk(g, ids, found);
                    }
                }
            }
            TokenTree::Group(g) => walk(g.stream(), ids, found),
            TokenTree::Ident(i) => check(&i.to_string(), i.span().start().line, ids, found),
            TokenTree::Literal(l) => check(&l.to_string(), l.span().start().line, ids, found),
            TokenTree::Punct(_) => {}
        }
    }
}

fn check(text: &str, line: usize, ids: &[&str], found: &mut Vec<(usize, String)>) {
    let lower = text.to_lowercase();
    if ids.iter().any(|id| lower.contains(id)) {
        found.push((line, text.to_owned()));
    }
}

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn no_file_of_the_command_line_names_a_provider() {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = sources(&cli.join("src"));
    assert!(
        files.iter().any(|f| f.ends_with("main.rs")),
        "no sources read: {files:?}"
    );
    let mut offenders = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        if SCENARIOS.contains(&name.as_ref()) {
            continue;
        }
        let code = std::fs::read_to_string(file).unwrap();
        for (line, text) in names(&code) {
            offenders.push(format!("src/{name}:{line}: {text}"));
        }
    }
    // The library's providers come with its default features, not a list here.
    let manifest = std::fs::read_to_string(cli.join("Cargo.toml")).unwrap();
    for (n, line) in manifest.lines().enumerate() {
        let code = line.split('#').next().unwrap_or_default().to_lowercase();
        if ids().iter().any(|id| code.contains(id)) {
            offenders.push(format!("Cargo.toml:{}: {}", n + 1, line.trim()));
        }
    }
    assert!(
        offenders.is_empty(),
        "the command line names providers (per-provider code belongs in the provider's \
         module, src/<provider>/cli_glue.rs in the library):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_check_sees_code_and_skips_comments() {
    let code = r#"
        //! The ecomDC sandbox.
        /// PluggTo.
        // AppClubMais
        /* ConnectPlug */
        #[doc = "ecomdc"]
        fn f() -> &'static str {
            let _ = brcommerce::Provider::Pluggto;
            "connectplug"
        }
        #[cfg(feature = "appclubmais")]
        mod m {}
    "#;
    let found: Vec<usize> = names(code).into_iter().map(|(line, _)| line).collect();
    assert_eq!(found, [8, 9, 11]);
}
