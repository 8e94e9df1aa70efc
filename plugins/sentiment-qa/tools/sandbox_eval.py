#!/usr/bin/env python3
"""Measures the packed plugin in the real sandbox: feeds a sentiment or QA JSONL file (formats
in shared/quality.md) through `kefu plugin run` and computes the figures `kefu eval` reports.

    python3 tools/sandbox_eval.py sentiment FILE.jsonl PACKAGE.kpkg [KEFU]
    python3 tools/sandbox_eval.py qa FILE.jsonl PACKAGE.kpkg [KEFU]

KEFU defaults to ../../target/debug/kefu. Standard library only.
"""
import json
import os
import subprocess
import sys
import tempfile

FLAGS = ["response_timeout", "missed_escalation", "missing_closing", "forbidden_phrase"]


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def per_label(pairs, labels):
    out, f1s = {}, []
    for lab in labels:
        tp = sum(1 for g, p in pairs if g == lab and p == lab)
        fp = sum(1 for g, p in pairs if g != lab and p == lab)
        fn = sum(1 for g, p in pairs if g == lab and p != lab)
        p, r, f = prf(tp, fp, fn)
        out[lab] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": tp + fn}
        f1s.append(f)
    acc = sum(1 for g, p in pairs if g == p) / len(pairs)
    return round(acc, 4), round(sum(f1s) / len(f1s), 4), out


def run(kefu, package, samples):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for s in samples:
            f.write(json.dumps(s, ensure_ascii=False) + "\n")
        path = f.name
    # Run from a scratch directory: the CLI keeps its compile cache under ./data.
    with tempfile.TemporaryDirectory() as cwd:
        proc = subprocess.run([os.path.abspath(kefu), "plugin", "run", os.path.abspath(package),
                               "--input", path], capture_output=True, text=True, cwd=cwd)
    os.unlink(path)
    outs = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
    if len(outs) != len(samples):
        sys.exit(f"expected {len(samples)} results, got {len(outs)}: {proc.stderr[-2000:]}")
    return outs


def main():
    kind, path, package = sys.argv[1:4]
    here = os.path.dirname(os.path.abspath(__file__))
    kefu = sys.argv[4] if len(sys.argv) > 4 else os.path.join(here, "..", "..", "..", "target", "debug", "kefu")
    rows = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    worst_us, total_us, failures = 0, 0, 0
    if kind == "sentiment":
        outs = run(kefu, package, [{"text": r["text"]} for r in rows])
        pairs, esc = [], [0, 0, 0, 0]
        for r, o in zip(rows, outs):
            h = o["hooks"]["analyze"]
            failures += h["outcome"] != "ok"
            worst_us, total_us = max(worst_us, h["duration_us"]), total_us + h["duration_us"]
            a = h["output"] or {}
            pairs.append((r["sentiment"], a.get("sentiment", "<none>")))
            pred = bool(a.get("escalate"))
            esc[{(True, True): 0, (False, True): 1, (True, False): 2, (False, False): 3}[(r["escalate"], pred)]] += 1
        acc, mf1, labels = per_label(pairs, ["negative", "neutral", "positive"])
        p, r_, f = prf(esc[0], esc[1], esc[2])
        report = {"n": len(rows), "accuracy": acc, "macro_f1": mf1, "per_label": labels,
                  "escalate": {"precision": round(p, 4), "recall": round(r_, 4), "f1": round(f, 4),
                               "tp": esc[0], "fp": esc[1], "fn": esc[2], "tn": esc[3]}}
    else:
        samples = [{"session": {"turns": r["turns"]}} for r in rows]
        outs = run(kefu, package, samples)
        counts = {k: [0, 0, 0, 0] for k in FLAGS}
        csat = []
        for r, o in zip(rows, outs):
            h = o["hooks"]["inspect"]
            failures += h["outcome"] != "ok"
            worst_us, total_us = max(worst_us, h["duration_us"]), total_us + h["duration_us"]
            out = h["output"] or {"findings": [], "annotations": {}}
            kinds = {f["kind"] for f in out["findings"]}
            for k in FLAGS:
                g, p = r["expected"][k], k in kinds
                counts[k][{(True, True): 0, (False, True): 1, (True, False): 2, (False, False): 3}[(g, p)]] += 1
            ann = out["annotations"]
            risk = ann.get("csat_risk") if isinstance(ann, dict) else next(
                (a["value"] for a in ann if a["key"] == "csat_risk"), "<none>")
            csat.append((r["expected"]["csat_risk"], risk))
        report = {"n": len(rows)}
        for k, (tp, fp, fn, tn) in counts.items():
            p, r_, _ = prf(tp, fp, fn)
            report[k] = {"precision": round(p, 4), "recall": round(r_, 4),
                         "accuracy": round((tp + tn) / len(rows), 4), "tp": tp, "fp": fp, "fn": fn, "tn": tn}
        acc, mf1, labels = per_label(csat, ["low", "medium", "high"])
        report["csat_risk"] = {"accuracy": acc, "macro_f1": mf1, "per_label": labels}
    report["calls"] = {"failures": failures, "mean_us": round(total_us / len(rows)), "max_us": worst_us}
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
