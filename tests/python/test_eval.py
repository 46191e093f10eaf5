#!/usr/bin/env python3
"""`elite eval` end to end on the ImageNet sample images.

  python3 tests/python/test_eval.py --elite build/elite -m models/efficientnet-lite0.tflite \
      --images ../shared/data/imagenet-sample

Builds, with symlinks in a temporary folder, the synset sub-folder layout, a plain
ground-truth file (one class index per line) and a CSV ground truth of the same images, and
checks that all layouts give identical top-1/top-5 counts to the file-name-prefix layout;
that the count is independent of --threads / --decode-threads; that top-1 equals the one
from `elite classify --json` over the same files; and the bad-input cases (empty folder, no
labels, wrong number of ground-truth lines, unknown synset, missing synsets file; an
unreadable image is skipped and listed). Only the standard library.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

EXTS = (".jpg", ".jpeg", ".png")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elite", default="build/elite")
    ap.add_argument("-m", "--model", default="models/efficientnet-lite0.tflite")
    ap.add_argument("--images", default="../shared/data/imagenet-sample")
    ap.add_argument("--synsets", default="models/imagenet_synsets.txt")
    ap.add_argument("--count", type=int, default=0, help="only the first N images (0: all)")
    a = ap.parse_args()

    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    def elite(args):
        return subprocess.run([a.elite] + args, capture_output=True, text=True, timeout=1800)

    def evaluate(images, extra=()):
        out = os.path.join(tmp, "result.json")
        r = elite(["eval", "-m", a.model, "--images", images, "--synsets", a.synsets,
                   "--json", out] + list(extra))
        if r.returncode != 0:
            sys.stderr.write(r.stdout + r.stderr)
            return None
        return json.load(open(out))

    def key(res):
        return None if res is None else (res["n"], res["top1_correct"], res["top5_correct"])

    synsets = open(a.synsets).read().split()
    index = {s: i for i, s in enumerate(synsets)}
    files = sorted(f for f in os.listdir(a.images) if f.lower().endswith(EXTS))
    if a.count:
        files = files[: a.count]
    tmp = tempfile.mkdtemp(prefix="elite-eval-")
    src = os.path.abspath(a.images)

    # Layouts of the same images.
    flat = os.path.join(tmp, "flat")        # file-name prefixes
    sub = os.path.join(tmp, "sub")          # synset sub-folders
    plain = os.path.join(tmp, "plain")      # renamed; ground truth one label per line
    os.makedirs(flat), os.makedirs(sub), os.makedirs(plain)
    gt_lines, csv_rows = [], ["file,label"]
    for i, f in enumerate(files):
        s = f.split("_")[0]
        os.symlink(os.path.join(src, f), os.path.join(flat, f))
        os.makedirs(os.path.join(sub, s), exist_ok=True)
        os.symlink(os.path.join(src, f), os.path.join(sub, s, f))
        name = f"img{i:05d}{os.path.splitext(f)[1]}"
        os.symlink(os.path.join(src, f), os.path.join(plain, name))
        gt_lines.append(str(index[s]))
        csv_rows.append(f"{name},{s}")
    gt = os.path.join(tmp, "gt.txt")
    open(gt, "w").write("\n".join(gt_lines) + "\n")
    csv = os.path.join(tmp, "gt.csv")
    open(csv, "w").write("\n".join(csv_rows) + "\n")

    base = evaluate(flat)
    check(base is not None and base["n"] == len(files), f"file-name layout: n = {len(files)}")
    if base is None:
        return 1
    print(f"     top-1 {base['top1']:.4f} top-5 {base['top5']:.4f} n {base['n']}")
    check(key(evaluate(sub)) == key(base), "synset sub-folders give identical results")
    check(key(evaluate(plain, ["--ground-truth", gt])) == key(base),
          "ground-truth file (class indices) gives identical results")
    check(key(evaluate(plain, ["--ground-truth", csv])) == key(base),
          "ground-truth CSV (synsets) gives identical results")
    check(key(evaluate(flat, ["--threads", "2", "--decode-threads", "3"])) == key(base),
          "independent of --threads / --decode-threads")

    # classify --json over the same files: the same top-1.
    paths = [os.path.join(flat, f) for f in files]
    top1 = 0
    r = elite(["classify", "--json", "-k", "1", "-m", a.model, "--batch", "4", flat])
    ok = r.returncode == 0
    if ok:
        entries = json.loads(r.stdout)
        ok = [e["image"] for e in entries] == paths
        for e in entries:
            top1 += e["top"][0]["index"] == index[os.path.basename(e["image"]).split("_")[0]]
    check(ok and top1 == base["top1_correct"],
          f"classify --json top-1 ({top1}) equals eval ({base['top1_correct']})")

    # Bad input: one clear error line, non-zero exit.
    def expect_error(args, needle, what):
        r = elite(["eval", "-m", a.model, "--synsets", a.synsets] + args)
        check(r.returncode != 0 and needle in r.stderr and "elite: error:" in r.stderr,
              f"{what}: {r.stderr.strip()}")

    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    expect_error(["--images", empty], "no images", "empty folder")
    expect_error(["--images", plain], "no labels for", "no recognisable labels")
    short = os.path.join(tmp, "short.txt")
    open(short, "w").write("\n".join(gt_lines[:-1]) + "\n")
    expect_error(["--images", plain, "--ground-truth", short], "lines, but", "wrong number of lines")
    bad = os.path.join(tmp, "bad.txt")
    open(bad, "w").write("\n".join(gt_lines[:-1] + ["n99999999"]) + "\n")
    expect_error(["--images", plain, "--ground-truth", bad], "unknown synset 'n99999999'",
                 "unknown synset in the ground truth")
    unk = os.path.join(tmp, "unknown")
    os.makedirs(unk)
    os.symlink(os.path.join(src, files[0]), os.path.join(unk, "n99999999_x.JPEG"))
    expect_error(["--images", unk], "unknown synset", "unknown synset prefix")
    r = elite(["eval", "-m", a.model, "--images", flat, "--synsets", os.path.join(tmp, "no.txt")])
    check(r.returncode != 0 and "synsets file not found" in r.stderr, "missing synsets file")
    expect_error(["--images", flat, "--preprocess", "nope"], "--preprocess", "unknown --preprocess")

    # Unreadable images: skipped, counted and listed, not fatal.
    broken = os.path.join(tmp, "broken")
    os.makedirs(broken)
    for f in files[:3]:
        os.symlink(os.path.join(src, f), os.path.join(broken, f))
    open(os.path.join(broken, files[0].split("_")[0] + "_zz_broken.JPEG"), "wb").write(b"not a jpeg")
    res = evaluate(broken)
    check(res is not None and res["n"] == 3 and len(res["unreadable"]) == 1
          and "zz_broken" in res["unreadable"][0]["image"], "unreadable image skipped and listed")

    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'FAILED: ' + str(len(failures)) if failures else 'all passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
