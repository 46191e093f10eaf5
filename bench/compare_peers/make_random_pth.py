"""Writes a randomly initialised efficientnet-liteN state dict (.pth, lukemelas key names)
for the variants that have no pretrained weights here (lite3, lite4), so that every runtime
in bench/compare.py times the very same weights: `elite convert` turns the .pth into the
.tflite that elite, LiteRT and OpenVINO run, and the PyTorch peer loads the .pth itself.

Convs and the classifier keep PyTorch's default init; BatchNorm gets random gamma/beta and
then its running statistics from one pass over a few real images in training mode, so that
every layer's output is normalised. Without that the activations of a deep random network
drift towards 0 (denormals slow some runtimes down) or overflow, and INT8 calibration would
see meaningless ranges.

  /usr/bin/python3 bench/compare_peers/make_random_pth.py efficientnet-lite3 OUT.pth \
      [--images DIR] [--num-images 16] [--seed 0]
Runs on Debian's python3-torch.
"""

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "python"))
import torch_reference as tr  # noqa: E402


def load_images(folder, size, n):
    """Up to n images of folder, squashed to size x size, (x - 127) / 128, NCHW float32.
    Only BN statistics come from them, so the official crop is not needed."""
    from PIL import Image
    names = sorted(f for f in os.listdir(folder) if f.lower().endswith((".jpg", ".jpeg", ".png")))
    out = []
    for name in names[:n]:
        img = Image.open(os.path.join(folder, name)).convert("RGB").resize((size, size),
                                                                           Image.BICUBIC)
        out.append((np.asarray(img, dtype=np.float32) - 127.0) / 128.0)
    if not out:
        raise SystemExit(f"{folder}: no images")
    return torch.from_numpy(np.stack(out).transpose(0, 3, 1, 2).copy())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=sorted(tr.CONFIGS))
    ap.add_argument("out")
    ap.add_argument("--images", default=None, help="images for the BN statistics "
                    "(default: random normal inputs)")
    ap.add_argument("--num-images", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    model = tr.EfficientNetLite(a.model)
    size = tr.input_size(a.model)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            torch.nn.init.uniform_(m.weight, 0.5, 1.5)
            torch.nn.init.uniform_(m.bias, -0.2, 0.2)
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration pass
    x = (load_images(a.images, size, a.num_images) if a.images else
         torch.randn(a.num_images, 3, size, size))
    model.train()
    with torch.no_grad():
        model(x)
    model.eval()
    kmap = tr._key_map(model)
    state = {kmap[k]: v.clone() for k, v in model.state_dict().items()}
    torch.save(state, a.out)
    with torch.no_grad():
        p = torch.softmax(model(x[:2]), 1)
    print(f"{a.out}: {a.model}, {len(state)} tensors, max prob on 2 images "
          f"{p.max(1).values.tolist()}")


if __name__ == "__main__":
    main()
