#!/usr/bin/env bash
# Builds the first-party plugins for wasm32-wasip2 and packs each into target/kpkg/, signed
# with the publisher key in the data directory (generated, and trusted, on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${KEFU_DATA_DIR:-./data}
KEFU=${KEFU_BIN:-target/release/kefu}
rustup target add wasm32-wasip2 >/dev/null
mkdir -p "$DATA" target/kpkg
[ -x "$KEFU" ] || cargo build --release -p kefu-host --bin kefu
(cd plugins && CARGO_TARGET_DIR=../target/wasm cargo build --release --target wasm32-wasip2)
if [ ! -f "$DATA/publisher.key" ]; then
  "$KEFU" keys generate --out "$DATA/publisher.key" >/dev/null
fi
pub=$(cat "$DATA/publisher.key.pub")
grep -qxF "$pub" "$DATA/trusted_keys" 2>/dev/null || echo "$pub" >> "$DATA/trusted_keys"
for dir in plugins/*/; do
  [ -f "$dir/manifest.toml" ] || continue
  crate=$(sed -n 's/^name = "\(.*\)"/\1/p' "$dir/Cargo.toml" | head -1 | tr - _)
  "$KEFU" plugin pack "$dir" --key "$DATA/publisher.key" \
    --component "target/wasm/wasm32-wasip2/release/$crate.wasm" \
    --out "target/kpkg/$(basename "$dir").kpkg"
done
