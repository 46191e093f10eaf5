#!/usr/bin/env python3
"""`elite bench` options beyond plain latency.
--batch N: the JSON fields bench/compare.py reads (median_ms per batch call,
batch, images_per_s = 1000 * batch / median_ms) next to the existing ones, the text output,
batch 1 output without the new fields, an INT8 model (made with `elite quantize`), and a
clear error with a non-zero exit status for a batch outside 1..1024.
(That run_batch gives bit for bit the results of run() is checked in tests/unit/batch_test.cpp.)
--profile: one row per op with its kind, output shape and multiply-adds (the stem's counted
exactly), per-op medians that sum to the reported total, the text tables, INT8 models, and
--profile with --batch refused.
Run: python3 tests/python/test_bench_cli.py --elite build/elite --model M --image I"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

EXISTING = ("model", "isa", "threads", "runs", "median_ms", "p10_ms", "p90_ms", "load_ms",
            "first_ms", "peak_rss_mb")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elite", default="build/elite")
    ap.add_argument("--model", default="models/efficientnet-lite0.tflite")
    ap.add_argument("--image", default="../shared/data/panda.jpg")
    a = ap.parse_args()
    failures = 0

    def report(ok, name, detail=""):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + name + (": " + detail if detail else ""))
        failures += not ok

    def bench(extra, model=None):
        cmd = [a.elite, "bench", "-m", model or a.model] + extra
        return subprocess.run(cmd, capture_output=True, text=True)

    def check_json(name, r, batch, threads):
        try:
            j = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            report(False, name, f"rc {r.returncode}, no JSON: {r.stderr.strip()[-200:]}")
            return
        ok = (r.returncode == 0 and all(k in j for k in EXISTING) and j["threads"] == threads
              and 0 < j["p10_ms"] <= j["median_ms"] <= j["p90_ms"] and j["peak_rss_mb"] > 0)
        if batch == 1:
            ok = ok and "batch" not in j and "images_per_s" not in j
        else:
            ok = ok and j.get("batch") == batch and math.isclose(
                j.get("images_per_s", 0), 1000.0 * batch / j["median_ms"], rel_tol=1e-9)
        report(ok, name, json.dumps({k: j.get(k) for k in ("batch", "median_ms", "images_per_s",
                                                           "threads", "peak_rss_mb")}))

    def check_profile(name, model, first_kind):
        r = bench(["--profile", "--warmup", "0", "--runs", "2", "--json"], model=model)
        try:
            p = json.loads(r.stdout.strip().splitlines()[-1])["profile"]
        except (ValueError, IndexError, KeyError):
            report(False, name, f"rc {r.returncode}: {r.stderr.strip()[-200:]}")
            return
        ops = p["ops"]
        stem = [o for o in ops if o["kind"] == "CONV_2D"][0]
        madds = sum(o["madds"] for o in ops)
        ok = (r.returncode == 0 and len(ops) >= 60 and ops[0]["kind"] == first_kind and
              [o["op"] for o in ops] == list(range(len(ops))) and
              all(o["median_ms"] >= 0 for o in ops) and
              math.isclose(sum(o["median_ms"] for o in ops), p["total_ms"], rel_tol=1e-6) and
              stem["shape"] == [1, 112, 112, 32] and stem["madds"] == 112 * 112 * 32 * 27 and
              3.5e8 < madds < 4.2e8)
        report(ok, name, f"{len(ops)} ops, {madds / 1e6:.1f}M multiply-adds, "
                         f"{p['total_ms']:.2f} ms")

    r = subprocess.run([a.elite, "bench", "--help"], capture_output=True, text=True)
    report(r.returncode == 0 and "--batch" in r.stdout, "bench --help lists --batch")

    check_json("--batch 8 --json, 2 threads",
               bench(["-t", "2", "--batch", "8", "--warmup", "0", "--runs", "2", "--json"]), 8, 2)
    check_json("--batch 3 --json, 1 thread",
               bench(["-t", "1", "--batch", "3", "--warmup", "0", "--runs", "1", "--json"]), 3, 1)
    check_json("batch 1 --json unchanged (no batch fields)",
               bench(["-t", "2", "--warmup", "0", "--runs", "2", "--json"]), 1, 2)

    r = bench(["-t", "2", "--batch", "3", "--warmup", "0", "--runs", "1"])
    ok = (r.returncode == 0 and "batch      3 images per run" in r.stdout and
          "ms per batch" in r.stdout and "images/s" in r.stdout)
    report(ok, "--batch 3 text output", r.stdout.strip().replace("\n", " | ")[-200:])
    r = bench(["-t", "1", "--warmup", "0", "--runs", "1"])
    ok = r.returncode == 0 and "images/s" not in r.stdout and "batch" not in r.stdout
    report(ok, "batch 1 text output unchanged")

    for bad in ("0", "5000", "-1"):
        r = bench(["--batch", bad, "--runs", "1"])
        err = r.stderr.strip()
        ok = (r.returncode != 0 and err.startswith("elite: error:") and "--batch" in err and
              "1024" in err and r.stdout.strip() == "")
        report(ok, f"--batch {bad} is an error", f"rc {r.returncode}, {err.splitlines()[-1] if err else '(no stderr)'}")

    with tempfile.TemporaryDirectory() as tmp:
        int8 = os.path.join(tmp, "int8.tflite")
        r = subprocess.run([a.elite, "quantize", "-m", a.model, "--calib", os.path.dirname(a.image),
                            "--num-images", "1", "-t", "2", "-o", int8],
                           capture_output=True, text=True)
        if r.returncode != 0 or not os.path.exists(int8):
            report(False, "INT8 model made by elite quantize", r.stderr.strip()[-200:])
        else:
            check_json("INT8 --batch 3 --json, 2 threads",
                       bench(["-t", "2", "--batch", "3", "--warmup", "0", "--runs", "1", "--json"],
                             model=int8), 3, 2)

        check_profile("--profile --json, INT8", int8, "QUANTIZE")
    check_profile("--profile --json, FP32", a.model, "CONV_2D")

    r = bench(["--profile", "--warmup", "0", "--runs", "2"])
    ok = (r.returncode == 0 and "per op" in r.stdout and "by kind" in r.stdout and
          "DEPTHWISE_CONV_2D" in r.stdout and "GMAC/s" in r.stdout)
    report(ok, "--profile text tables", r.stdout.strip().splitlines()[-1] if r.stdout else "")
    r = bench(["--profile", "--batch", "2", "--runs", "1"])
    report(r.returncode != 0 and "--profile" in r.stderr and r.stdout.strip() == "",
           "--profile with --batch is an error", r.stderr.strip())

    print("PASS" if failures == 0 else f"FAIL ({failures})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
