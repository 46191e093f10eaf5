#!/usr/bin/python3
"""Writes small seed files for the libFuzzer targets (run with Debian's python3 + torch):
  fuzz-corpus/checkpoint: legacy and zip .pth and a .safetensors of a tiny state dict
  fuzz-corpus/image:      small JPEG (gray, RGB, CMYK) and PNG (8/16 bit, palette, alpha)
The .tflite seeds come from build/tests/write_test_tflite (see scripts/fuzz.sh)."""
import io
import json
import os
import struct
import sys

import numpy as np
import torch
from PIL import Image

out = sys.argv[1] if len(sys.argv) > 1 else "fuzz-corpus"
os.makedirs(f"{out}/checkpoint", exist_ok=True)
os.makedirs(f"{out}/image", exist_ok=True)

sd = {"_conv_stem.weight": torch.randn(4, 3, 3, 3), "_bn0.weight": torch.ones(4),
      "_fc.bias": torch.zeros(3, dtype=torch.float16), "n": torch.tensor(3)}
torch.save(sd, f"{out}/checkpoint/zip.pth")
torch.save(sd, f"{out}/checkpoint/legacy.pth", _use_new_zipfile_serialization=False)
header, blobs, off = {}, b"", 0
for k, v in sd.items():
    if v.dtype not in (torch.float32, torch.float16):
        continue
    b = v.numpy().tobytes()
    header[k] = {"dtype": "F32" if v.dtype == torch.float32 else "F16",
                 "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
    blobs += b
    off += len(b)
h = json.dumps(header).encode()
with open(f"{out}/checkpoint/t.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + blobs)

rng = np.random.default_rng(0)
rgb = Image.fromarray(rng.integers(0, 256, (19, 23, 3), dtype=np.uint8))
rgb.save(f"{out}/image/rgb.jpg", quality=80)
rgb.convert("L").save(f"{out}/image/gray.jpg")
rgb.convert("CMYK").save(f"{out}/image/cmyk.jpg")
rgb.save(f"{out}/image/rgb.png")
rgb.convert("RGBA").save(f"{out}/image/rgba.png")
rgb.convert("P").save(f"{out}/image/palette.png")
Image.fromarray(rng.integers(0, 65536, (7, 9), dtype=np.uint16)).save(f"{out}/image/gray16.png")
print(f"seeds written to {out}")
