#!/usr/bin/env bash
# Runs Kefu on embedded SQLite with the first-party plugins built, signed, installed and
# enabled for the demo tenant. Extra arguments go to `kefu serve` (e.g. --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
export KEFU_DATA_DIR=${KEFU_DATA_DIR:-./data}
cargo build --release -p kefu-host --bin kefu
./scripts/build-plugins.sh
echo "operator key:    $KEFU_DATA_DIR/operator.key (created on first start)"
echo "demo tenant key: $KEFU_DATA_DIR/demo-tenant.key"
exec target/release/kefu serve --data-dir "$KEFU_DATA_DIR" --install-dir target/kpkg --demo "$@"
