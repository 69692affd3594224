//! Generates one typed client per enabled provider from `specs/<provider>.yaml`.
//!
//! For every provider whose cargo feature is on, this parses the YAML into `openapiv3`, runs
//! progenitor with the settings shared by all providers (`build/generate.rs`), pretty-prints the
//! result and writes it to `$OUT_DIR/<provider>.rs`, which `src/<provider>/mod.rs` includes. A
//! broken spec stops the build with one message naming the file and what is wrong. A provider
//! whose spec and settings did not change since the last build is not generated again.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::{env, fs};

#[path = "build/generate.rs"]
mod generate;

/// Every provider the crate knows: one `specs/<provider>.yaml` each, named as its cargo feature.
/// The specs directory is the one list build.rs, CI and the scripts read (`scripts/lib.sh`).
fn providers() -> Vec<String> {
    let mut found: Vec<String> = fs::read_dir("specs")
        .expect("the specs directory")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(".yaml")?.to_owned())
        })
        .collect();
    found.sort();
    found
}

fn main() {
    let out_dir =
        PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts"));
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/generate.rs");
    println!("cargo:rerun-if-env-changed=BRCOMMERCE_DUMP_GENERATED");
    let cli = env::var_os("CARGO_FEATURE_CLI").is_some();

    println!("cargo:rerun-if-changed=specs");
    let providers = providers();
    let enabled = providers
        .iter()
        .filter(|p| env::var_os(format!("CARGO_FEATURE_{}", p.to_uppercase())).is_some());
    let mut failed = false;
    for provider in enabled {
        let spec_path = Path::new("specs").join(format!("{provider}.yaml"));
        println!("cargo:rerun-if-changed={}", spec_path.display());
        let text = match fs::read_to_string(&spec_path) {
            Ok(t) => t,
            Err(e) => {
                report(&spec_path, &format!("cannot read the spec: {e}"));
                failed = true;
                continue;
            }
        };
        // Skip providers whose spec and generation settings are unchanged.
        let fingerprint = fingerprint(&text, cli);
        let stamp = out_dir.join(format!("{provider}.fingerprint"));
        let out = out_dir.join(format!("{provider}.rs"));
        let cli_out = out_dir.join(format!("{provider}_cli.rs"));
        let up_to_date = fs::read_to_string(&stamp).is_ok_and(|s| s == fingerprint)
            && out.exists()
            && (!cli || cli_out.exists());
        if up_to_date && env::var_os("BRCOMMERCE_DUMP_GENERATED").is_none() {
            continue;
        }
        match generate::generate(provider, &text, cli) {
            Ok((code, cli_code)) => {
                write_if_changed(&out, &code);
                if let Some(cli_code) = cli_code {
                    write_if_changed(&cli_out, &cli_code);
                }
                write_if_changed(&stamp, &fingerprint);
                if let Some(dir) = env::var_os("BRCOMMERCE_DUMP_GENERATED") {
                    // Opt-in copy for people who want to read the generated client.
                    let _ = fs::create_dir_all(&dir);
                    let _ = fs::write(Path::new(&dir).join(format!("{provider}.rs")), &code);
                }
            }
            Err(msg) => {
                report(&spec_path, &msg);
                failed = true;
            }
        }
    }
    // The reference client of the overhead bench (progenitor alone, see `generate::plain`); the
    // library never includes it. Absent from a trimmed package, where nothing needs it.
    let bench_spec = Path::new("benches/support/stock.yaml");
    println!("cargo:rerun-if-changed={}", bench_spec.display());
    if let Ok(text) = fs::read_to_string(bench_spec) {
        match generate::plain(&text) {
            Ok(code) => write_if_changed(&out_dir.join("bench_stock.rs"), &code),
            Err(msg) => {
                report(bench_spec, &msg);
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}

/// A broken spec: cargo shows `cargo::error=` lines prominently.
fn report(spec_path: &Path, msg: &str) {
    println!("cargo::error={}: {msg}", spec_path.display());
    eprintln!("error: {}: {msg}", spec_path.display());
}

/// Identifies a spec's generated output: its text, the generation routine and the settings.
fn fingerprint(spec: &str, cli: bool) -> String {
    let mut h = DefaultHasher::new();
    spec.hash(&mut h);
    include_str!("build/generate.rs").hash(&mut h);
    cli.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Leaves the file untouched when the content is the same, so rustc does not rebuild for nothing.
fn write_if_changed(path: &Path, content: &str) {
    if fs::read_to_string(path).is_ok_and(|old| old == content) {
        return;
    }
    fs::write(path, content).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
