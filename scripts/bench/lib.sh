# Shared by the wrk benchmarks (bench-ingest.sh, bench-e2e.sh); expects CONNS and SECS.

# run NAME URL SCRIPT → prints "NAME rps p50 p99 [errors]" (wrk on core 1)
run() {
  local out; out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -s "$3" "$2")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  local errors; errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)
  echo "$1 $rps $p50 $p99 ${errors:+[$errors]}"
}

# summarize RESULTS UNIT NAME... → a Markdown table of medians, the first name the baseline
summarize() {
  python3 - "$@" <<'PY'
import sys, statistics, re
results, unit, names = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = {}
for line in open(results):
    name, rps, p50, p99 = line.split()[:4]
    def ms(v):
        m = re.match(r"([\d.]+)(us|ms|s)", v); x = float(m.group(1))
        return x / 1000 if m.group(2) == "us" else x * 1000 if m.group(2) == "s" else x
    rows.setdefault(name, []).append((float(rps), ms(p50), ms(p99)))
base = statistics.median(r[0] for r in rows[names[0]])
print(f"| variant | median {unit} | ratio to {names[0]} | median p50 | median p99 |")
print("|---|---|---|---|---|")
for name in names:
    rps = statistics.median(r[0] for r in rows[name])
    print(f"| {name} | {rps:,.0f} | {rps/base:.2f} | {statistics.median(r[1] for r in rows[name]):.1f} ms | {statistics.median(r[2] for r in rows[name]):.1f} ms |")
PY
}
