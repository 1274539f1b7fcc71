#!/usr/bin/env bash
# Installs what the tests need and runs them all: formatting, lints, unit
# and end-to-end tests against the real mdm binary. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build artefacts live outside the checkout so repeated runs (and CI) reuse them.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/mdm-target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

need_apt=()
command -v cc >/dev/null || need_apt+=(gcc)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_apt[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt clippy

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --all-features --quiet -- -D warnings
echo "== cargo test"
cargo test --all-features
