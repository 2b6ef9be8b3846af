#!/usr/bin/env bash
# Runs every benchmark; each prints its figures beside a reference measured
# in the same run (raw SQLite inserts, fping). Installs fping when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v fping >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends fping
fi
cargo bench --bench commands
cargo bench --bench replay
cargo bench --bench sweep
cargo bench --bench sweep_path
cargo bench --bench config_pull
cargo bench --bench pages
cargo bench --bench fdb
cargo bench --bench search
cargo bench --bench billing
cargo bench --bench gpon
cargo bench --bench tickets
