#!/usr/bin/env python3
"""Interop: the .tflite files written by `elite convert` run in Google's LiteRT
(ai-edge-litert, PyPI) and give the same probabilities as `elite classify`.

For each model (lite0..lite2) and --count images of --images (sorted, evenly
spaced; 0 = all):
  1. `elite_preprocess --size N --out DIR IMAGE...` -> DIR/<basename>.npy,
     float32 [1, N, N, 3] NHWC;
  2. LiteRT's Interpreter (default resolver: builtin kernels + XNNPACK) runs
     models/efficientnet-liteN.tflite on each .npy; if the graph output is not
     already a probability vector it is soft-maxed here;
  3. `elite classify -m MODEL --json --top-k 1000 FILE.npy ...` gives the
     probabilities [{"image", "top": [{"index", "label", "score"}, ...]}];
  4. fails when max |p_litert - p_elite| > --atol (1e-5) or a top-1 differs.
It also compares LiteRT's default kernels with its reference kernels
(OpResolverType.BUILTIN_REF) on --ref-count images.

Run with the venv: .venv/bin/python tests/python/test_litert_interop.py
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from elite_common import (INPUT_SIZES, add_common_args, classify, preprocess, scores, select,
                          tools_ready)


class LiteRT:
    """One interpreter; run(x [1, N, N, 3] float32) -> probabilities [1000] float64."""

    def __init__(self, path, resolver=OpResolverType.AUTO, threads=None):
        self.interp = Interpreter(model_path=path, num_threads=threads,
                                  experimental_op_resolver_type=resolver)
        self.interp.allocate_tensors()
        ins, outs = self.interp.get_input_details(), self.interp.get_output_details()
        assert len(ins) == 1 and len(outs) == 1, (ins, outs)
        self.inp, self.out = ins[0], outs[0]
        assert self.inp["dtype"] == np.float32, self.inp
        self.softmaxed = None

    def run(self, x):
        self.interp.set_tensor(self.inp["index"], x.astype(np.float32))
        self.interp.invoke()
        y = self.interp.get_tensor(self.out["index"]).reshape(-1).astype(np.float64)
        assert y.shape == (1000,), y.shape
        is_prob = y.min() >= 0 and abs(y.sum() - 1) < 1e-3
        if self.softmaxed is None:
            self.softmaxed = is_prob
        if not is_prob:
            y = np.exp(y - y.max())
            y /= y.sum()
        return y


def elite_probs(args, model, npys):
    """{basename: probabilities [1000]} from elite classify --json --top-k 1000."""
    res = {}
    for b, e in classify(args.elite, model, npys, ["--top-k", "1000"], args.batch).items():
        assert len(e["top"]) == 1000, f"{e['image']}: {len(e['top'])} scores, expected 1000"
        res[b] = scores(e, 1000)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(ap)
    ap.add_argument("--model-names", default="efficientnet-lite0,efficientnet-lite1,efficientnet-lite2")
    ap.add_argument("--count", type=int, default=0, help="images per model (0: all)")
    ap.add_argument("--ref-count", type=int, default=3,
                    help="images for LiteRT default vs BUILTIN_REF kernels (0: skip)")
    ap.add_argument("--atol", type=float, default=1e-5)
    ap.add_argument("--batch", type=int, default=50)
    args = ap.parse_args()

    if not tools_ready((args.elite, args.preprocess_tool)):
        return 1
    files = select(args.images, args.count)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="elite_litert_") as tmp:
        for name in args.model_names.split(","):
            size = INPUT_SIZES[name]
            model = os.path.join(args.models_dir, name + ".tflite")
            if not os.path.exists(model):
                print(f"FAIL {name}: {model} missing (scripts/setup_models.sh)")
                failures += 1
                continue
            npys = preprocess(args.preprocess_tool, files, size, os.path.join(tmp, str(size)))
            t0 = time.time()
            lite = LiteRT(model)
            ours = elite_probs(args, model, npys)
            worst, worst_img, top1_bad, missing = 0.0, "", [], 0
            for p in npys:
                b = os.path.basename(p)
                if b not in ours:
                    missing += 1
                    continue
                x = np.load(p)
                assert x.shape == (1, size, size, 3), x.shape
                ref = lite.run(x)
                d = float(np.max(np.abs(ref - ours[b])))
                if d > worst:
                    worst, worst_img = d, b
                if int(np.argmax(ref)) != int(np.argmax(ours[b])):
                    top1_bad.append(b)
            ok = worst <= args.atol and not top1_bad and not missing
            failures += 0 if ok else 1
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(npys)} images, LiteRT output "
                  f"{'probabilities' if lite.softmaxed else 'logits (soft-maxed here)'}, "
                  f"max |prob diff| {worst:.3g} ({worst_img}), top-1 mismatches {len(top1_bad)}"
                  + (f" {top1_bad[:5]}" if top1_bad else "")
                  + (f", {missing} images without a result" if missing else "")
                  + f" [{time.time() - t0:.1f} s]", flush=True)

            if args.ref_count > 0:
                refk = LiteRT(model, OpResolverType.BUILTIN_REF)
                w2 = 0.0
                for p in npys[:args.ref_count]:
                    x = np.load(p)
                    w2 = max(w2, float(np.max(np.abs(refk.run(x) - lite.run(x)))))
                ok2 = w2 <= args.atol
                failures += 0 if ok2 else 1
                print(f"{'ok  ' if ok2 else 'FAIL'} {name}: LiteRT default vs BUILTIN_REF kernels "
                      f"on {min(args.ref_count, len(npys))} images, max |prob diff| {w2:.3g}",
                      flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
