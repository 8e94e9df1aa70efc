#!/usr/bin/env bash
# Channel ingestion benchmark (issue 3): signed WeChat text messages accepted and durably
# stored on SQLite, plaintext and safe mode, against an axum handler that does nothing (the
# machine's ceiling). Server on core 0, wrk on core 1; rounds interleaved; medians reported.
#   ./scripts/bench-ingest.sh [ROUNDS] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}; SECS=${2:-10}; CONNS=${3:-200}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p kefu-host --bin kefu -p kefu-tests --bin bench-tools
BIN=target/release
WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
export KEFU_OPERATOR_KEY=kefu_op_bench
taskset -c 0 $BIN/kefu serve --data-dir "$WORK/data" --listen 127.0.0.1:18080 --log warn &
taskset -c 0 $BIN/bench-tools empty-server --listen 127.0.0.1:18081 &
for _ in $(seq 1 100); do curl -sf 127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
api() { curl -sf -H "Authorization: Bearer $KEFU_OPERATOR_KEY" -H 'content-type: application/json' "$@"; }
api -d '{"id":"bench","name":"bench"}' 127.0.0.1:18080/v1/tenants >/dev/null
TOKEN=bench-token; AES=$(head -c 32 /dev/urandom | base64 | head -c 43); APPID=wxbench000000001
api -d "{\"name\":\"oa\",\"kind\":\"wechat-oa\",\"token\":\"$TOKEN\",\"settings\":{\"max_clock_skew_secs\":3600}}" \
  127.0.0.1:18080/v1/tenants/bench/channels >/dev/null
api -d "{\"name\":\"safe\",\"kind\":\"wechat-oa\",\"token\":\"$TOKEN\",\"aes_key\":\"$AES\",\"appid\":\"$APPID\",\"settings\":{\"max_clock_skew_secs\":3600}}" \
  127.0.0.1:18080/v1/tenants/bench/channels >/dev/null
TS=$(date +%s); SIG=$($BIN/bench-tools sign-plain --token $TOKEN --ts $TS --nonce 42)
export KEFU_BENCH_TS=$TS KEFU_BENCH_PATH="/wechat/bench/oa?signature=$SIG&timestamp=$TS&nonce=42"

source scripts/bench/lib.sh
RESULTS="$WORK/results"; : > "$RESULTS"
for r in $(seq 1 "$ROUNDS"); do
  export KEFU_BENCH_BASE=$((r * 10000000000 + RANDOM))
  $BIN/bench-tools gen-aes --token $TOKEN --aes-key "$AES" --appid $APPID --n 150000 --ts "$TS" \
    --path /wechat/bench/safe --base $((KEFU_BENCH_BASE + 5000000000)) --out "$WORK/aes.txt"
  export KEFU_BENCH_FILE="$WORK/aes.txt"
  for v in empty plain aes; do
    case $v in
      empty) run empty http://127.0.0.1:18081 scripts/bench/empty.lua ;;
      plain) run plain http://127.0.0.1:18080 scripts/bench/wechat-plain.lua ;;
      aes)   run aes http://127.0.0.1:18080 scripts/bench/wechat-aes.lua ;;
    esac | tee -a "$RESULTS"
  done
done
STORED=$(sqlite3 "$WORK/data/kefu.db" 'select count(*) from inbound_messages' 2>/dev/null || echo "?")
echo "inbound messages stored: $STORED"
summarize "$RESULTS" req/s empty plain aes
