"""Helpers shared by the Python checks that run elite: choosing sample images, running a
command, preprocessing images with elite_preprocess and reading `elite classify --json`.

Standard library and numpy only, so that both the venv and /usr/bin/python3 (the torch
checks) can import it. The scripts run from tests/python, so `import elite_common` finds it.
"""

import glob
import json
import os
import subprocess
import sys

import numpy as np

IMAGE_EXTS = (".jpeg", ".jpg", ".png")
# Input size (height = width) of each EfficientNet-lite variant.
INPUT_SIZES = {"efficientnet-lite0": 224, "efficientnet-lite1": 240, "efficientnet-lite2": 260,
               "efficientnet-lite3": 280, "efficientnet-lite4": 300}


def add_common_args(ap):
    """The options of the checks that run elite on preprocessed sample images: --elite,
    --preprocess-tool, --models-dir (alias --models) and --images, with the defaults of a
    run from the repository root."""
    ap.add_argument("--elite", default="build/elite")
    ap.add_argument("--preprocess-tool", default="build/tests/elite_preprocess")
    ap.add_argument("--models-dir", "--models", dest="models_dir", default="models")
    ap.add_argument("--images", default="../shared/data/imagenet-sample")


def tools_ready(tools, hint="build first"):
    """True when every path in `tools` is executable; else prints a FAIL line naming the
    first that is not, and returns False."""
    for tool in tools:
        if not os.access(tool, os.X_OK):
            print(f"FAIL: {tool} not found or not executable ({hint})")
            return False
    return True


def list_images(folder):
    """The JPEG and PNG files of `folder` (any case), sorted."""
    return sorted(p for p in glob.glob(os.path.join(folder, "*"))
                  if p.lower().endswith(IMAGE_EXTS))


def select(folder, count):
    """`count` evenly spaced images of `folder` in sorted order (all when count <= 0 or
    more than there are)."""
    files = list_images(folder)
    if 0 < count < len(files):
        files = [files[i * len(files) // count] for i in range(count)]
    return files


def run(cmd, check=True):
    """Prints the command (its first 8 words), runs it and returns the CompletedProcess
    (stdout and stderr as text). With check, a non-zero exit status echoes the command's
    stderr and raises RuntimeError naming the program, the status and the end of stderr."""
    print("+ " + " ".join(cmd[:8]) + (f" ... ({len(cmd) - 8} more)" if len(cmd) > 8 else ""),
          flush=True)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise RuntimeError(f"{os.path.basename(cmd[0])} {cmd[1] if len(cmd) > 1 else ''} "
                           f"exited with {r.returncode}: {r.stderr.strip()[-500:]}")
    return r


def npy_path(folder, image):
    """Where elite_preprocess --out FOLDER writes the tensor of `image`."""
    return os.path.join(folder, os.path.splitext(os.path.basename(image))[0] + ".npy")


def preprocess(tool, files, size, folder):
    """`elite_preprocess --size SIZE --out FOLDER` (the official eval preprocessing): the
    float32 [1, SIZE, SIZE, 3] .npy of each image, made for those not in FOLDER yet; returns
    their paths in the order of `files`."""
    os.makedirs(folder, exist_ok=True)
    paths = [npy_path(folder, f) for f in files]
    todo = [f for f, p in zip(files, paths) if not os.path.exists(p)]
    if todo:
        run([tool, "--size", str(size), "--out", folder] + todo)
    return paths


def classify(elite, model, inputs, options=(), chunk=50):
    """`elite classify -m MODEL --json OPTIONS` on `inputs`, `chunk` files per process:
    {basename of the image: its JSON entry {"image", "top": [...], "logits"?}}."""
    res = {}
    for i in range(0, len(inputs), chunk):
        out = run([elite, "classify", "-m", model, "--json"] + list(options)
                  + inputs[i:i + chunk]).stdout
        for e in json.loads(out):
            res[os.path.basename(e["image"])] = e
    return res


def scores(entry, n=None):
    """The scores of one classify entry as float64 [n] by class index (zeros for the
    classes not in its "top"; n defaults to the number of logits, else of scores)."""
    if n is None:
        n = len(entry["logits"]) if "logits" in entry else len(entry["top"])
    s = np.zeros(n)
    for t in entry["top"]:
        s[int(t["index"])] = float(t["score"])
    return s


def to_uint8(x, scale, zero_point):
    """TFLite QUANTIZE (AffineQuantize) to uint8: round half away from zero of x / scale,
    + zero point, clamped to [0, 255]."""
    y = x.astype(np.float32) / np.float32(scale)
    r = np.sign(y) * np.floor(np.abs(y) + np.float32(0.5))
    return np.clip(r + zero_point, 0, 255).astype(np.uint8)
