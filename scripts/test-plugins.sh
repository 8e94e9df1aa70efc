#!/usr/bin/env bash
# The first-party plugins' own unit tests, run natively (their logic lives in modules that do
# not touch the SDK; the SDK glue is compiled for wasm32 only). The sandboxed behaviour is
# covered by the end-to-end tests and the accuracy gates.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target/plugins-native}
(cd plugins && cargo test -q -p kefu-edu-skill-pack -p kefu-dialect-cantonese -p kefu-nlp-upgrade)
(cd plugins/sentiment-qa/tools/native && cargo test -q)
(cd plugins/nlp-upgrade/trainer && cargo test -q)
