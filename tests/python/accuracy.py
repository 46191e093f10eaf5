#!/usr/bin/env python3
"""Top-1 / top-5 accuracy of `elite classify` on a folder of ImageNet images.

Every image is named <synset>_<anything>.<ext> (for example
n02510455_ILSVRC2012_val_00001234.JPEG); its class index is the position of the
synset in the 1000-synset list (timm's imagenet_synsets.txt, extracted by
scripts/setup_models.sh into .cache/timm/, which is also the line order of
models/imagenet_labels.txt). Runs

  elite classify --json --top-k 5 -m MODEL IMAGE...   (batches of --batch paths)

and prints a Markdown row  | model | top-1 | top-5 | images | seconds |.
With --min-top1 X (a fraction, e.g. 0.66) it exits non-zero when top-1 < X.
Only the standard library is needed (any python3).
"""

import argparse
import json
import os
import subprocess
import sys
import time

IMAGE_EXTS = (".jpeg", ".jpg", ".png")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-m", "--model", required=True, help="models/efficientnet-liteN.tflite")
    ap.add_argument("--images", default="../shared/data/imagenet-sample")
    ap.add_argument("--elite", default="build/elite")
    ap.add_argument("--synsets", default=".cache/timm/imagenet_synsets.txt")
    ap.add_argument("--labels", default="models/imagenet_labels.txt",
                    help="only checked for 1000 lines, same order as --synsets")
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--min-top1", type=float, default=None)
    ap.add_argument("--header", action="store_true", help="print the Markdown table header")
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[],
                    help="more arguments for elite classify (e.g. --threads 1)")
    args = ap.parse_args()

    synsets = open(args.synsets).read().split()
    if len(synsets) != 1000:
        sys.exit(f"{args.synsets}: {len(synsets)} synsets, expected 1000")
    if os.path.exists(args.labels):
        n = sum(1 for _ in open(args.labels, encoding="utf-8"))
        if n != 1000:
            sys.exit(f"{args.labels}: {n} lines, expected 1000")
    index = {s: i for i, s in enumerate(synsets)}

    files = sorted(os.path.join(args.images, f) for f in os.listdir(args.images)
                   if f.lower().endswith(IMAGE_EXTS))
    truth = {}
    for f in files:
        s = os.path.basename(f).split("_")[0]
        if s not in index:
            sys.exit(f"{f}: synset {s!r} is not one of the 1000 classes")
        truth[os.path.basename(f)] = index[s]
    if not files:
        sys.exit(f"no images in {args.images}")

    t0 = time.time()
    top1 = top5 = seen = 0
    for i in range(0, len(files), args.batch):
        cmd = [args.elite, "classify", "--json", "--top-k", "5", "-m", args.model] \
            + args.extra + files[i:i + args.batch]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr)
            sys.exit(f"elite classify exited with {r.returncode}")
        for e in json.loads(r.stdout):
            t = truth[os.path.basename(e["image"])]
            idx = [int(x["index"]) for x in e["top"][:5]]
            seen += 1
            top1 += idx[:1] == [t]
            top5 += t in idx
    dt = time.time() - t0
    if seen != len(files):
        sys.exit(f"elite classify returned {seen} results for {len(files)} images")

    name = os.path.splitext(os.path.basename(args.model))[0]
    if args.header:
        print("| model | top-1 | top-5 | images | seconds |")
        print("|---|---|---|---|---|")
    print(f"| {name} | {100 * top1 / seen:.1f}% | {100 * top5 / seen:.1f}% | {seen} | {dt:.1f} |")
    if args.min_top1 is not None and top1 / seen < args.min_top1:
        print(f"FAIL: {name} top-1 {top1 / seen:.3f} < {args.min_top1}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
