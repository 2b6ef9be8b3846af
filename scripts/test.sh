#!/usr/bin/env bash
# Runs the whole ispmon test suite. On a fresh Debian machine with only the
# Rust toolchain it first installs what the tests need (a real Chromium and
# its WebDriver for the browser test, nginx for the proxy test, openssl for
# its certificate, nftables and iproute2 for the network-namespace test,
# sqlite3 for poking at data by hand).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }
have chromium     || missing+=(chromium)
have chromedriver || missing+=(chromium-driver)
have nginx        || missing+=(nginx)
have openssl      || missing+=(openssl)
have sqlite3      || missing+=(sqlite3)
have curl         || missing+=(curl)
have ip           || missing+=(iproute2)
have unshare      || missing+=(util-linux)
have nft          || missing+=(nftables)
have sshd         || missing+=(openssh-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

echo "test.sh: formatting and lints" >&2
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "test.sh: the suite" >&2
# The scheduler's cli_openssh tests run the emulator binary as sshd's
# ForceCommand; build it first (sim's own tests would too, but say so here).
cargo build -p ispmon-sim --bin sim-shell
cargo test --workspace
