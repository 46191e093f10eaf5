#!/usr/bin/env python3
"""Checks elite's official eval preprocessing against TensorFlow, image by image.

For every JPEG in --images and every size in --sizes, TensorFlow computes the official
EfficientNet eval preprocessing (tensorflow/tpu models/official/efficientnet/
preprocessing.py `_decode_and_center_crop` with CROP_PADDING = 32):
    tf.io.read_file -> tf.image.extract_jpeg_shape -> crop window (float32 arithmetic,
    as the official graph) -> tf.image.decode_and_crop_jpeg(channels=3)
    -> tf.compat.v1.image.resize_bicubic(align_corners=False, half_pixel_centers=False)
    -> (x - 127) / 128
and `--tool` (build/tests/elite_preprocess) writes the same as DIR/<stem>.npy, float32
[1, N, N, 3]. Reports the max abs difference per size and fails (exit 1) if any image
exceeds --tol (default 1e-3).

Usage:
  python tests/python/check_preprocess_tf.py --tool build/tests/elite_preprocess \
      --images /work/shared/data/imagenet-sample
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

CROP_PADDING = 32
MEAN_RGB = 127.0
STDDEV_RGB = 128.0


def tf_preprocess(image_bytes, image_size):
    shape = tf.image.extract_jpeg_shape(image_bytes)
    image_height, image_width = shape[0], shape[1]
    padded_center_crop_size = tf.cast(
        (image_size / (image_size + CROP_PADDING))
        * tf.cast(tf.minimum(image_height, image_width), tf.float32),
        tf.int32)
    offset_height = ((image_height - padded_center_crop_size) + 1) // 2
    offset_width = ((image_width - padded_center_crop_size) + 1) // 2
    crop_window = tf.stack([offset_height, offset_width,
                            padded_center_crop_size, padded_center_crop_size])
    image = tf.image.decode_and_crop_jpeg(image_bytes, crop_window, channels=3)
    image = tf.compat.v1.image.resize_bicubic([image], [image_size, image_size])[0]
    image = (image - tf.constant(MEAN_RGB)) / tf.constant(STDDEV_RGB)
    return image.numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tool", required=True, help="path to build/tests/elite_preprocess")
    ap.add_argument("--images", required=True, help="directory of JPEG images")
    ap.add_argument("--sizes", default="224,240,260,280,300")
    ap.add_argument("--tol", type=float, default=1e-3)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N images")
    ap.add_argument("--full-decode", action="store_true",
                    help="run the tool with --full-decode (decode whole image, then crop)")
    args = ap.parse_args()

    names = sorted(f for f in os.listdir(args.images)
                   if f.lower().endswith((".jpg", ".jpeg")))
    if args.limit:
        names = names[:args.limit]
    if not names:
        print(f"no JPEG images in {args.images}", file=sys.stderr)
        return 1
    paths = [os.path.join(args.images, n) for n in names]
    sizes = [int(s) for s in args.sizes.split(",") if s]

    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            out_dir = os.path.join(tmp, str(size))
            cmd = [args.tool, "--size", str(size), "--out", out_dir]
            if args.full_decode:
                cmd.append("--full-decode")
            res = subprocess.run(cmd + paths, capture_output=True, text=True)
            if res.returncode != 0:
                print(f"size {size}: tool failed ({res.returncode}): {res.stderr.strip()}",
                      file=sys.stderr)
                return 1
            worst, worst_name, n_bad, n_nonzero = 0.0, "", 0, 0
            for name, path in zip(names, paths):
                ours = np.load(os.path.join(out_dir, os.path.splitext(name)[0] + ".npy"))
                ref = tf_preprocess(tf.io.read_file(path), size)
                if ours.shape != (1, size, size, 3) or ours.dtype != np.float32:
                    print(f"{name}: bad output {ours.shape} {ours.dtype}", file=sys.stderr)
                    return 1
                diff = float(np.max(np.abs(ours[0] - ref)))
                n_nonzero += diff > 0
                if diff > args.tol:
                    n_bad += 1
                    print(f"  size {size} {name}: max abs diff {diff:.6g}")
                if diff > worst:
                    worst, worst_name = diff, name
            print(f"size {size}: {len(names)} images, max abs diff {worst:.3g}"
                  f" ({worst_name or '-'}), {n_nonzero} not bit-exact,"
                  f" {n_bad} over {args.tol:g}")
            failed |= n_bad > 0
    print("FAIL" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
