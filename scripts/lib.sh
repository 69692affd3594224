# Shared helpers for the scripts in this directory (sourced, not run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Every provider has a spec `specs/<provider>.yaml` and a cargo feature of the same name; the
# specs directory is the one list the scripts and CI read.
PROVIDERS=()
for _spec in "$ROOT"/specs/*.yaml; do
    [ -e "$_spec" ] && PROVIDERS+=("$(basename "$_spec" .yaml)")
done
unset _spec
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

# Installs the pinned Node tools (package-lock.json) when they are missing or stale.
node_tools() {
    command -v npm >/dev/null || { echo "npm is required (Node.js 20.19+)" >&2; exit 1; }
    if [ ! -x "$ROOT/node_modules/.bin/redocly" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
        (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

redocly() { "$ROOT/node_modules/.bin/redocly" "$@" 2> >(grep -v -E '║|╔|╚' >&2); }

# Debian's Chromium, installed on first use when missing (root on CI machines).
chromium_bin() {
    if ! command -v chromium >/dev/null; then
        echo "installing Debian's chromium…" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
    fi
    command -v chromium
}

crate_version() {
    sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1
}
