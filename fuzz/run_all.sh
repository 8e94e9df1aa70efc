#!/usr/bin/env bash
# Runs every Kefu fuzz target in turn (never in parallel), SECS seconds each (default 300),
# growing corpus-generated/<target>/ from the committed seeds in corpus/<target>/, and prints
# a summary line per target. Logs: target/run-logs/<target>.log. Usage:
#   fuzz/run_all.sh [SECS] [TARGET...]
# Known, reported host bugs are tolerated so that a run keeps looking for new ones
# (KEFU_FUZZ_TOLERATE, see README.md); set KEFU_FUZZ_TOLERATE= (empty) to re-find them.
set -u
cd "$(dirname "$0")"
secs=${1:-300}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(wechat_xml wechat_xml_model wechat_crypto wechat_reply_roundtrip webhook_json webhook_verify)
fi
export KEFU_FUZZ_TOLERATE=${KEFU_FUZZ_TOLERATE-xml-empty-name,webhook-ts-overflow,webhook-json-array}
mkdir -p target/run-logs
for t in "${targets[@]}"; do
    mkdir -p "corpus-generated/$t"
    seeds=()
    [ -d "corpus/$t" ] && seeds=("corpus/$t")
    extra=(-timeout=2)
    case $t in
        wechat_xml) extra+=(-dict=dict/xml.dict -max_len=70000) ;;
        webhook_json) extra+=(-dict=dict/json.dict) ;;
    esac
    cargo +nightly fuzz build "$t" >/dev/null 2>&1 || { echo "$t: build failed"; continue; }
    cargo +nightly fuzz run "$t" "corpus-generated/$t" "${seeds[@]}" -- \
        -max_total_time="$secs" "${extra[@]}" >"target/run-logs/$t.log" 2>&1
    rc=$?
    done_line=$(grep -a -E '^#[0-9]+[[:space:]]+DONE' "target/run-logs/$t.log" | tail -1)
    runs=$(grep -a -oE '^Done [0-9]+ runs in [0-9]+ second' "target/run-logs/$t.log" | tail -1)
    crash=$(grep -a -E 'panicked at|==ERROR|deadly signal|Test unit written' "target/run-logs/$t.log" | head -3)
    echo "$t: exit=$rc | ${runs:-no Done line} | ${done_line:-}"
    [ -n "$crash" ] && echo "  $crash"
done
