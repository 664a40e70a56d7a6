#!/usr/bin/env bash
# Per-tick write cost (SQLite + journald) and database growth, release build, inside a private
# systemd-journald (root, unshare) so journald entries are really sent and nothing reaches the
# host's journal. Usage: Benchmarks/store.sh [TICKS]
set -euo pipefail
cd "$(dirname "$0")/.."
ticks=${1:-8640}
swift build -c release --static-swift-stdlib $(scripts/swift-cpu-flags) --product surgewatch-bench >/dev/null 2>&1
scripts/with-private-journald /dev/null .build/release/surgewatch-bench store --ticks "$ticks"
