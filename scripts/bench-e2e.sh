#!/usr/bin/env bash
# End-to-end benchmark (issue 4): signed JSON webhook in → the whole pipeline → reply stored
# and returned, on SQLite, with 100 concurrent conversations. Three variants side by side in
# each round: an axum handler that does nothing (the machine's ceiling), a tenant with no
# plugins (built-in normalize, classifier, rules, routing), and a tenant with the four
# first-party add-ons enabled (dialect → NLP classifier → sentiment + skill pack analysis →
# rules → routing → skill pack reply). Server on core 0, wrk on core 1; medians reported.
#   ./scripts/bench-e2e.sh [ROUNDS] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}; SECS=${2:-10}; CONNS=${3:-100}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p kefu-host --bin kefu -p kefu-tests --bin bench-tools
BIN=target/release
WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
KEFU_DATA_DIR="$WORK/data" KEFU_BIN=$BIN/kefu ./scripts/build-plugins.sh >/dev/null
export KEFU_OPERATOR_KEY=kefu_op_bench
taskset -c 0 $BIN/kefu serve --data-dir "$WORK/data" --listen 127.0.0.1:18080 --log warn \
  --install-dir target/kpkg &
taskset -c 0 $BIN/bench-tools empty-server --listen 127.0.0.1:18081 &
for _ in $(seq 1 200); do curl -sf 127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
api() { curl -sf -H "Authorization: Bearer $KEFU_OPERATOR_KEY" -H 'content-type: application/json' "$@"; }
SECRET=bench-webhook-secret-0123456789
for t in bare full; do
  api -d "{\"id\":\"$t\",\"name\":\"$t\"}" 127.0.0.1:18080/v1/tenants >/dev/null
  api -d "{\"name\":\"web\",\"kind\":\"webhook\",\"hmac_secret\":\"$SECRET\"}" \
    127.0.0.1:18080/v1/tenants/$t/channels >/dev/null
  # The same decision rules and routing for both.
  api -X PUT -d '{"rules":[{"id":"angry","when":{"escalate":true},"then":[{"type":"handoff","queue":"managers"}]},
    {"id":"refund","when":{"intent":["refund_request"]},"then":[{"type":"reply","template":"{{customer_name|您}}好，未上课时可按比例退费。"}]}]}' \
    127.0.0.1:18080/v1/tenants/$t/rules >/dev/null
  api -d '{"config":{"routes":[{"id":"vip","vip":true,"to":{"queue":"vip"}},{"id":"coupons","keywords":["优惠券"],"to":{"bot":"default"}}]}}' \
    127.0.0.1:18080/v1/tenants/$t/routing >/dev/null
done
for addon in dialect-pack nlp-upgrade quality-inspection skill-pack-education; do
  api -d "{\"addon\":\"$addon\"}" 127.0.0.1:18080/v1/tenants/full/subscriptions >/dev/null
done
for p in dialect-cantonese nlp-upgrade sentiment-qa edu-skill-pack; do
  curl -sf -X POST -H "Authorization: Bearer $KEFU_OPERATOR_KEY" 127.0.0.1:18080/v1/tenants/full/plugins/$p/enable >/dev/null
done
TS=$(date +%s)

source scripts/bench/lib.sh
RESULTS="$WORK/results"; : > "$RESULTS"
for r in $(seq 1 "$ROUNDS"); do
  for t in bare full; do
    $BIN/bench-tools gen-webhook --secret $SECRET --n 120000 --customers 100 --ts "$TS" \
      --path /webhook/$t/web --base $((r * 10000000 + RANDOM)) --out "$WORK/$t.txt"
  done
  for v in empty bare full; do
    case $v in
      empty) run empty http://127.0.0.1:18081 scripts/bench/empty.lua ;;
      *) KEFU_BENCH_FILE="$WORK/$v.txt" run "$v" http://127.0.0.1:18080 scripts/bench/webhook.lua ;;
    esac | tee -a "$RESULTS"
  done
done
echo "full tenant, one message explained:"
api "127.0.0.1:18080/v1/tenants/full/conversations?limit=1" | head -c 600; echo
summarize "$RESULTS" msg/s empty bare full
