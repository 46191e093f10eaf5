#!/usr/bin/env python3
"""`elite quantize` bad input: clear one-line errors, exit status 1, and nothing written to
-o; unreadable images are skipped with a warning and counted.
Run: python3 tests/python/test_quantize_cli.py --elite build/elite --model M --image I"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elite", default="build/elite")
    ap.add_argument("--model", default="models/efficientnet-lite0.tflite")
    ap.add_argument("--image", default="../shared/data/panda.jpg")
    a = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.tflite")
        empty = os.path.join(tmp, "empty"); os.makedirs(empty)
        broken = os.path.join(tmp, "broken"); os.makedirs(broken)
        open(os.path.join(broken, "a.jpg"), "w").write("not a jpeg")
        mixed = os.path.join(tmp, "mixed"); os.makedirs(mixed)
        open(os.path.join(mixed, "a.jpg"), "w").write("not a jpeg")
        shutil.copy(a.image, os.path.join(mixed, "b.jpg"))

        def q(extra, model=None):
            cmd = [a.elite, "quantize", "-m", model or a.model, "-o", out] + extra
            return subprocess.run(cmd, capture_output=True, text=True)

        def expect_error(name, r, needle):
            nonlocal failures
            ok = (r.returncode == 1 and r.stderr.startswith("elite: error:") and
                  needle in r.stderr and not os.path.exists(out))
            print(("ok   " if ok else "FAIL ") + name + ": " + r.stderr.strip().splitlines()[-1]
                  if r.stderr.strip() else name + ": (no stderr)")
            failures += not ok

        expect_error("missing folder", q(["--calib", os.path.join(tmp, "nope")]), "does not exist")
        expect_error("empty folder", q(["--calib", empty]), "no calibration images")
        expect_error("only unreadable images", q(["--calib", broken]), "could be read")
        expect_error("bad --io", q(["--calib", mixed, "--io", "int4"]), "--io")
        expect_error("bad --method", q(["--calib", mixed, "--method", "kl"]), "method")
        r = q(["--calib", mixed, "-t", "1"])
        ok = r.returncode == 0 and "skipped" in r.stderr and os.path.exists(out)
        print(("ok   " if ok else "FAIL ") + "unreadable image skipped: " + r.stderr.strip().replace("\n", " | "))
        failures += not ok
        # --report: one row per op (61 for lite0) with a finite SQNR and a cosine in (0.9, 1].
        r = q(["--calib", os.path.dirname(a.image), "--num-images", "1", "--report",
               "--report-images", "1"])
        rows = [l.split() for l in r.stderr.splitlines() + r.stdout.splitlines()
                if l.strip()[:1].isdigit() and len(l.split()) == 5]
        try:
            ok = r.returncode == 0 and len(rows) == 61 and all(
                -10 < float(x[3]) < 80 and 0.9 < float(x[4]) <= 1.0 for x in rows)
        except ValueError:
            ok = False
        print(("ok   " if ok else "FAIL ") + f"--report: {len(rows)} op rows, last {rows[-1] if rows else None}")
        failures += not ok
        int8 = os.path.join(tmp, "int8.tflite")
        os.rename(out, int8)
        expect_error("already INT8", q(["--calib", mixed], model=int8), "already quantized")
        # info describes the INT8 file as INT8 with uint8 I/O and the official input scale.
        import json
        r = subprocess.run([a.elite, "info", int8, "--json"], capture_output=True, text=True)
        info = json.loads(r.stdout) if r.returncode == 0 else {}
        ok = (info.get("precision"), info.get("input_dtype"), info.get("output_dtype")) == \
            ("int8", "uint8", "uint8")
        r = subprocess.run([a.elite, "info", int8], capture_output=True, text=True)
        ok = ok and "uint8, real = 0.0078125 * (q - 127)" in r.stdout
        print(("ok   " if ok else "FAIL ") + "info on the INT8 file: " + json.dumps(info)[:120])
        failures += not ok
    print("PASS" if failures == 0 else f"FAIL ({failures})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
