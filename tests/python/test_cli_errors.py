#!/usr/bin/env python3
"""Bad input to the elite CLI: each case must give one clear error line that names the
file (or option) and the problem, and a non-zero exit -- never a crash, a sanitizer report
or a hang. Run it against the normal build and the ASan/UBSan build.

  python3 tests/python/test_cli_errors.py --elite build/elite --model models/efficientnet-lite0.tflite
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile


def run(elite, args, timeout=120):
    p = subprocess.run([elite] + args, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elite", required=True)
    ap.add_argument("--model", required=True, help="a valid float .tflite")
    ap.add_argument("--image", required=True, help="a valid JPEG")
    ap.add_argument("--weights", help="a valid .pth (for corrupt-checkpoint cases)")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="elite-errors-")
    jpeg = open(a.image, "rb").read()
    model = open(a.model, "rb").read()

    def write(name, data):
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    rng = random.Random(0)
    corrupt_jpeg = bytearray(jpeg)
    for _ in range(200):
        corrupt_jpeg[rng.randrange(200, len(corrupt_jpeg))] = rng.randrange(256)
    corrupt_model = bytearray(model)
    for _ in range(50):
        corrupt_model[rng.randrange(len(corrupt_model))] = rng.randrange(256)
    png_sig = b"\x89PNG\r\n\x1a\n"

    m = ["-m", a.model]
    cases = [
        # (description, args, text the error must contain)
        ("missing image", ["classify"] + m + [os.path.join(tmp, "nope.jpg")], "nope.jpg"),
        ("truncated JPEG", ["classify"] + m + [write("trunc.jpg", jpeg[: len(jpeg) // 3])], "trunc.jpg"),
        ("JPEG header only", ["classify"] + m + [write("head.jpg", jpeg[:64])], "head.jpg"),
        ("empty file", ["classify"] + m + [write("empty.jpg", b"")], "empty.jpg"),
        ("text file named .jpg", ["classify"] + m + [write("text.jpg", b"hello, not an image\n" * 10)], "text.jpg"),
        ("truncated PNG", ["classify"] + m + [write("trunc.png", png_sig + b"\x00\x00\x00\x0dIHDR\x00\x00")], "trunc.png"),
        ("missing model", ["classify", "-m", os.path.join(tmp, "none.tflite"), a.image], "none.tflite"),
        ("truncated model", ["classify", "-m", write("trunc.tflite", model[: len(model) // 2]), a.image], "trunc.tflite"),
        ("model header only", ["classify", "-m", write("head.tflite", model[:16]), a.image], "head.tflite"),
        ("text file as model", ["classify", "-m", write("text.tflite", b"not a model\n"), a.image], "text.tflite"),
        ("top-k 0", ["classify"] + m + ["--top-k", "0", a.image], "--top-k"),
        ("threads 0", ["classify"] + m + ["--threads", "0", a.image], "--threads"),
        ("bench threads 0", ["bench"] + m + ["--threads", "0"], "--threads"),
        ("wrong model name", ["info", "efficientnet-lite9"], "efficientnet-lite9"),
        ("convert: wrong model name", ["convert", a.model, "--model", "lite7", "-o", os.path.join(tmp, "o.tflite")], "lite7"),
        ("convert: missing weights", ["convert", os.path.join(tmp, "w.pth"), "-o", os.path.join(tmp, "o.tflite")], "w.pth"),
        ("convert: text as weights", ["convert", write("t.pth", b"garbage" * 100), "-o", os.path.join(tmp, "o.tflite")], "t.pth"),
    ]
    if a.weights:
        w = open(a.weights, "rb").read()
        cases += [
            ("convert: truncated checkpoint", ["convert", write("trunc.pth", w[: len(w) // 2]), "-o", os.path.join(tmp, "o.tflite")], "trunc.pth"),
            ("convert: checkpoint header only", ["convert", write("head.pth", w[:300]), "-o", os.path.join(tmp, "o.tflite")], "head.pth"),
        ]
    # Corrupted bytes may still decode (JPEG is forgiving): only "no crash" is required.
    no_crash = [
        ("corrupt JPEG", ["classify"] + m + [write("corrupt.jpg", bytes(corrupt_jpeg))]),
        ("corrupt model", ["classify", "-m", write("corrupt.tflite", bytes(corrupt_model)), a.image]),
    ]

    failed = 0
    for desc, args, needle in cases:
        rc, out, err = run(a.elite, args)
        lines = [l for l in err.splitlines() if l.strip()]
        ok = (rc > 0 and len(lines) == 1 and needle in lines[0] and "error" in lines[0]
              and "Sanitizer" not in err and "runtime error" not in err)
        print(("ok    " if ok else "FAIL  ") + f"{desc}: rc={rc} {lines[:3]}")
        failed += not ok
    for desc, args in no_crash:
        rc, out, err = run(a.elite, args)
        ok = rc >= 0 and "Sanitizer" not in err and "runtime error" not in err
        print(("ok    " if ok else "FAIL  ") + f"{desc}: rc={rc} {err.strip()[:200]!r}")
        failed += not ok
    total = len(cases) + len(no_crash)
    print(f"cli errors: {total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
