#!/usr/bin/env python3
"""INT8 interop: the files `elite quantize` writes run in Google's LiteRT (ai-edge-litert)
and its reference kernels give exactly our outputs.

For each model (--model-names, default lite0):
  1. `elite quantize -m models/NAME.tflite --calib CALIB -o TMP/NAME_int8.tflite` (uint8 in
     and out). Only the 250 sample images exist here, so by default they are both the
     calibration set and the evaluation set (--calib to use another folder);
  2. `elite_preprocess --size N` -> float32 [1,N,N,3] .npy holding (x - 127) / 128; the
     uint8 model input is that tensor quantized with the input's scale 1/128 and zero point
     127, as TFLite's QUANTIZE does: clamp(round_half_away(x / scale) + 127, 0, 255);
  3. `elite classify --json --top-k 1000 FILE.npy` gives our dequantized scores q / 256,
     from which the uint8 outputs q are recovered exactly;
  4. LiteRT with OpResolverType.BUILTIN_REF on the uint8 input: its uint8 output must equal
     ours on every image (--ref-count images; 0 = all);
  5. LiteRT's default resolver (XNNPACK): top-1 must agree on >= 99% of the images.
Run with the venv: .venv/bin/python tests/python/test_int8_litert.py
"""

import argparse
import os
import sys
import tempfile

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from elite_common import (INPUT_SIZES, add_common_args, classify, list_images, preprocess, run,
                          to_uint8)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(ap)
    ap.add_argument("--model-names", default="efficientnet-lite0")
    ap.add_argument("--calib", default=None, help="calibration folder (default: --images)")
    ap.add_argument("--ref-count", type=int, default=0,
                    help="images compared with BUILTIN_REF (0: all)")
    ap.add_argument("--min-agree", type=float, default=0.99)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--keep", default=None, help="folder to keep the INT8 files in")
    args = ap.parse_args()
    images = list_images(args.images)
    assert images, f"no images in {args.images}"
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.model_names.split(","):
            size = INPUT_SIZES[name]
            out_dir = args.keep or tmp
            q_path = os.path.join(out_dir, f"{name}-int8.tflite")
            run([args.elite, "quantize", "-m", os.path.join(args.models_dir, f"{name}.tflite"),
                 "--calib", args.calib or args.images, "-o", q_path])
            npys = sorted(set(preprocess(args.preprocess_tool, images, size,
                                         os.path.join(tmp, f"npy{size}"))))
            assert len(npys) == len(images), (len(npys), len(images))
            ours = {}
            for b, e in classify(args.elite, q_path, npys, ["--top-k", "1000"],
                                 args.batch).items():
                q = np.zeros(1000, dtype=np.int64)
                for t in e["top"]:
                    v = float(t["score"]) * 256.0
                    assert v == round(v), (e["image"], t)
                    q[int(t["index"])] = int(round(v))
                ours[b] = q
            interps = {}
            for label, resolver in (("ref", OpResolverType.BUILTIN_REF),
                                    ("default", OpResolverType.AUTO)):
                it = Interpreter(model_path=q_path, experimental_op_resolver_type=resolver,
                                 num_threads=1)
                it.allocate_tensors()
                interps[label] = it
            inp = interps["ref"].get_input_details()[0]
            out = interps["ref"].get_output_details()[0]
            assert inp["dtype"] == np.uint8 and out["dtype"] == np.uint8, (inp, out)
            scale, zp = inp["quantization"]
            assert abs(scale - 1 / 128) < 1e-9 and zp == 127, inp["quantization"]
            ref_n = len(npys) if args.ref_count <= 0 else min(args.ref_count, len(npys))
            ref_idx = set(np.linspace(0, len(npys) - 1, ref_n).round().astype(int).tolist())
            exact, mismatched, agree, n, flips = 0, [], 0, 0, []
            for i, p in enumerate(npys):
                x = to_uint8(np.load(p), scale, zp)
                q = ours[os.path.basename(p)]
                for label, it in interps.items():
                    if label == "ref" and i not in ref_idx:
                        continue
                    it.set_tensor(inp["index"], x)
                    it.invoke()
                    y = it.get_tensor(out["index"]).reshape(-1).astype(np.int64)
                    if label == "ref":
                        if np.array_equal(y, q):
                            exact += 1
                        else:
                            d = np.abs(y - q)
                            mismatched.append((os.path.basename(p), int(d.max()),
                                               int((d > 0).sum())))
                    else:
                        n += 1
                        same = int(np.argmax(y) == np.argmax(q))
                        agree += same
                        if not same:
                            a, b = int(np.argmax(q)), int(np.argmax(y))
                            flips.append((os.path.basename(p), a, int(q[a]), int(q[b]), b,
                                          int(y[b]), int(y[a])))
            print(f"{name}: BUILTIN_REF uint8 outputs equal on {exact}/{len(ref_idx)} images; "
                  f"XNNPACK top-1 agrees on {agree}/{n} ({100.0 * agree / n:.1f}%)")
            for f in flips:
                print(f"  top-1 differs on {f[0]}: ours class {f[1]} ({f[2]}/256, theirs"
                      f" {f[6]}) vs XNNPACK class {f[4]} ({f[5]}/256, ours {f[3]})")
            for m in mismatched[:10]:
                print(f"  mismatch {m[0]}: max |diff| {m[1]} LSB over {m[2]} classes")
            if mismatched or agree < args.min_agree * n:
                ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
