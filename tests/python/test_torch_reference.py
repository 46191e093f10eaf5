#!/usr/bin/python3
"""End-to-end parity: elite's logits vs an independent PyTorch reference.

For lite0, lite1 and lite2 and --count sample images (sorted file list, evenly
spaced, deterministic):
  1. `elite_preprocess --size N --out DIR IMAGE...` writes DIR/<basename>.npy,
     float32 [1, N, N, 3] NHWC with the official eval preprocessing;
  2. the same .npy files go to (a) tests/python/torch_reference.py (float64 by
     default) and (b) `elite classify -m models/efficientnet-liteN.tflite --json
     --logits FILE.npy ...`, whose JSON is
     [{"image": PATH, "top": [{"index", "label", "score"}, ...], "logits": [1000]}];
  3. asserts max |logit diff| <= --atol (1e-3) and the same top-1 on every image.

--self-check validates the torch reference alone (no elite binaries): a numpy
copy of the official preprocessing (PIL decode, center crop with 32 px padding,
TF legacy bicubic a = -0.75 with half_pixel_centers False, (x - 127) / 128) and
top-1/top-5 over every image of --images for lite0..lite2, plus, for
comparison, variants with other resizing.

Run with Debian's /usr/bin/python3 (python3-torch, python3-numpy, python3-pil).
"""

import argparse
import functools
import os
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_reference as tr  # noqa: E402
from elite_common import add_common_args, classify, preprocess, select, tools_ready  # noqa: E402

MODELS = ["efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2"]


# ---------------------------------------------------------------------------
# numpy preprocessing (self-check only; the real test uses elite_preprocess).

_TABLE = 1024


@functools.lru_cache(maxsize=None)
def _cubic_table(a=-0.75):
    """TF resize_bicubic_op.cc InitCoeffsTable: float32 [(1024 + 1) * 2]."""
    t = np.zeros((_TABLE + 1) * 2, np.float32)
    for i in range(_TABLE + 1):
        x = np.float32(i / _TABLE)
        t[2 * i] = ((a + 2) * x - (a + 3)) * x * x + 1
        x = x + 1
        t[2 * i + 1] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return t


@functools.lru_cache(maxsize=64)
def _tf_legacy_bicubic_taps(in_size, out_size):
    """tf.compat.v1.image.resize_bicubic (align_corners False, half_pixel_centers
    False) along one axis: in = out * (in/out) in float32, taps floor(in)-1 ..
    floor(in)+2 clamped to the edge, weights from the 1024-entry table.
    Returns int64 indices [out, 4] and float32 weights [out, 4]."""
    t = _cubic_table()
    scale = np.float32(in_size) / np.float32(out_size)
    idx = np.zeros((out_size, 4), np.int64)
    wts = np.zeros((out_size, 4), np.float32)
    for o in range(out_size):
        x = np.float32(o) * scale
        loc = int(np.floor(x))
        off = int(np.rint(np.float32(x - loc) * _TABLE))
        wts[o] = [t[off * 2 + 1], t[off * 2], t[(_TABLE - off) * 2], t[(_TABLE - off) * 2 + 1]]
        idx[o] = [min(max(loc - 1 + j, 0), in_size - 1) for j in range(4)]
    return idx, wts


def _decode_crop(path, size):
    """PIL decode to RGB uint8 [H, W, 3], then the official center crop:
    crop = int(size / (size + 32) * min(H, W)), offsets ((H - crop) + 1) // 2."""
    from PIL import Image
    with Image.open(path) as im:
        img = np.asarray(im.convert("RGB"))
    h, w = img.shape[:2]
    crop = int(size / (size + 32) * min(h, w))
    y0, x0 = (h - crop + 1) // 2, (w - crop + 1) // 2
    return img[y0:y0 + crop, x0:x0 + crop]


def preprocess_official(path, size):
    """float32 [1, size, size, 3]: crop, TF legacy bicubic, (x - 127) / 128."""
    img = _decode_crop(path, size).astype(np.float32)
    (iy, wy), (ix, wx) = (_tf_legacy_bicubic_taps(img.shape[0], size),
                          _tf_legacy_bicubic_taps(img.shape[1], size))
    # Vertical pass, then horizontal; each output is w0*v0 + w1*v1 + w2*v2 + w3*v3 in float32.
    rows = sum(wy[:, j, None, None] * img[iy[:, j]] for j in range(4))        # [size, W, 3]
    out = sum(wx[None, :, j, None] * rows[:, ix[:, j]] for j in range(4))     # [size, size, 3]
    return ((out - 127.0) / 128.0).astype(np.float32)[None]


def preprocess_pil_bilinear(path, size):
    """Same crop, PIL bilinear (antialiased) resize, (x - 127) / 128."""
    from PIL import Image
    img = Image.fromarray(_decode_crop(path, size)).resize((size, size), Image.BILINEAR)
    return ((np.asarray(img, np.float32) - 127.0) / 128.0)[None]


def preprocess_squash(path, size):
    """Whole image stretched to size x size with PIL bilinear (MediaPipe-like)."""
    from PIL import Image
    with Image.open(path) as im:
        img = im.convert("RGB").resize((size, size), Image.BILINEAR)
    return ((np.asarray(img, np.float32) - 127.0) / 128.0)[None]


VARIANTS = {
    "official": preprocess_official,
    "pil-bilinear": preprocess_pil_bilinear,
    "squash": preprocess_squash,
}


def load_synsets(path):
    s = open(path).read().split()
    assert len(s) == 1000, f"{path}: {len(s)} synsets"
    return s


def self_check(args):
    files = select(args.images, args.self_check_count)
    synsets = load_synsets(args.synsets)
    index = {s: i for i, s in enumerate(synsets)}
    truth = np.array([index[os.path.basename(p).split("_")[0]] for p in files])
    variants = args.variants.split(",")
    print(f"self-check: torch reference on {len(files)} images from {args.images}")
    print("| model | preprocessing | top-1 | top-5 | images |")
    print("|---|---|---|---|---|")
    results = {}
    for name in args.models.split(","):
        model = tr.build(name, os.path.join(args.pth_dir, name + ".pth"))
        size = tr.input_size(name)
        for v in variants:
            t0 = time.time()
            out = []
            for i in range(0, len(files), 25):
                x = np.concatenate([VARIANTS[v](p, size) for p in files[i:i + 25]])
                out.append(tr.logits(model, x))
            out = np.concatenate(out)
            top5 = np.argsort(-out, axis=1)[:, :5]
            t1 = float(np.mean(top5[:, 0] == truth))
            t5 = float(np.mean((top5 == truth[:, None]).any(axis=1)))
            results[(name, v)] = t1
            print(f"| {name} | {v} | {100 * t1:.1f}% | {100 * t5:.1f}% | {len(files)} |"
                  f"  <!-- {time.time() - t0:.1f} s -->", flush=True)
    bad = [k for k, t1 in results.items() if k[1] == "official" and t1 < args.min_top1]
    if bad:
        print(f"FAIL: official-preprocessing top-1 below {args.min_top1}: {bad}")
        return 1
    return 0


# ---------------------------------------------------------------------------
# The parity test against elite.

def parity(args):
    if not tools_ready((args.elite, args.preprocess_tool), "build first, or use --self-check"):
        return 1
    files = select(args.images, args.count)
    dtype = torch.float32 if args.float32 else torch.float64
    failures = 0
    with tempfile.TemporaryDirectory(prefix="elite_torch_ref_") as tmp:
        for name in args.models.split(","):
            size = tr.input_size(name)
            npys = preprocess(args.preprocess_tool, files, size, os.path.join(tmp, str(size)))
            model = tr.build(name, os.path.join(args.pth_dir, name + ".pth"), dtype)
            x = np.concatenate([np.load(p) for p in npys])
            assert x.shape == (len(files), size, size, 3) and x.dtype == np.float32, \
                (x.shape, x.dtype)
            ref = tr.logits(model, x.astype(np.float64) if args.float64_input else x)
            tfl = os.path.join(args.models_dir, name + ".tflite")
            by_image = classify(args.elite, tfl, npys, ["--logits"])
            worst, worst_img, top1_bad = 0.0, "", []
            for i, p in enumerate(npys):
                e = by_image.get(os.path.basename(p))
                if e is None:
                    print(f"  {name}: no result for {p}")
                    failures += 1
                    continue
                got = np.asarray(e["logits"], np.float64)
                assert got.shape == (1000,), got.shape
                d = float(np.max(np.abs(got - ref[i])))
                if d > worst:
                    worst, worst_img = d, os.path.basename(p)
                if int(np.argmax(got)) != int(np.argmax(ref[i])) or \
                        int(e["top"][0]["index"]) != int(np.argmax(ref[i])):
                    top1_bad.append(os.path.basename(p))
            ok = worst <= args.atol and not top1_bad
            failures += 0 if ok else 1
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(npys)} images, max |logit diff| "
                  f"{worst:.3g} ({worst_img}), top-1 mismatches {len(top1_bad)}"
                  + (f" {top1_bad[:5]}" if top1_bad else ""), flush=True)
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(ap)
    ap.add_argument("--model-names", dest="models", default=",".join(MODELS))
    ap.add_argument("--pth-dir", default=".cache/pth")
    ap.add_argument("--count", type=int, default=25)
    ap.add_argument("--atol", type=float, default=1e-3)
    ap.add_argument("--float32", action="store_true",
                    help="run the reference in float32 (default float64)")
    ap.add_argument("--float64-input", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--self-check", action="store_true",
                    help="validate the torch reference alone: top-1 with numpy preprocessing")
    ap.add_argument("--self-check-count", type=int, default=0, help="0: all images")
    ap.add_argument("--variants", default="official,pil-bilinear")
    ap.add_argument("--synsets", default=".cache/timm/imagenet_synsets.txt")
    ap.add_argument("--min-top1", type=float, default=0.66)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    return self_check(args) if args.self_check else parity(args)


if __name__ == "__main__":
    sys.exit(main())
