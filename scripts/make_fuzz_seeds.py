#!/usr/bin/python3
"""Writes small seed files for the libFuzzer targets (run with Debian's python3 + torch):
  fuzz-corpus/checkpoint: legacy and zip .pth and a .safetensors of a tiny state dict
  fuzz-corpus/image:      small JPEG (gray, RGB, CMYK) and PNG (8/16 bit, palette, alpha)
  fuzz-corpus/tf_checkpoint: TensorFlow tensor bundles (.index + shard) and release-style
                          .tar.gz / .tar archives, written byte by byte (no TensorFlow here)
The .tflite seeds come from build/tests/write_test_tflite (see scripts/fuzz.sh)."""
import io
import json
import os
import struct
import sys
import tarfile

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

# ---- TensorFlow checkpoints, in fuzz_tf_checkpoint.cpp's input layout ----
# A bundle is an SSTable .index (one data block, restarts every 2 entries, empty metaindex,
# index block, 48-byte footer; blocks end in a type byte and a masked CRC-32C) mapping ""
# to a BundleHeaderProto and each name to a BundleEntryProto, plus one data shard.
os.makedirs(f"{out}/tf_checkpoint", exist_ok=True)
CRC_TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    CRC_TABLE.append(c)


def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = CRC_TABLE[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def mask(c):
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(v):
    b = bytearray()
    while v >= 0x80:
        b.append((v & 0x7F) | 0x80)
        v >>= 7
    return bytes(b + bytes([v]))


def pb_varint(f, v):
    return varint(f << 3) + varint(v)


def pb_bytes(f, b):
    return varint(f << 3 | 2) + varint(len(b)) + b


def block(kv):
    b, restarts, prev = bytearray(), [], b""
    for i, (k, v) in enumerate(kv):
        shared = 0
        if i % 2 == 0:
            restarts.append(len(b))
        else:
            while shared < min(len(k), len(prev)) and k[shared] == prev[shared]:
                shared += 1
        b += varint(shared) + varint(len(k) - shared) + varint(len(v)) + k[shared:] + v
        prev = k
    restarts = restarts or [0]
    return bytes(b) + b"".join(struct.pack("<I", r) for r in restarts) + struct.pack("<I", len(restarts))


def add_block(f, contents):
    handle = varint(len(f)) + varint(len(contents))
    f += contents + b"\0" + struct.pack("<I", mask(crc32c(contents + b"\0")))
    return handle


def bundle(tensors):
    """tensors: [(name, dtype enum, shape, raw bytes)] -> (index bytes, shard bytes)."""
    kv = [(b"", pb_varint(1, 1) + pb_bytes(3, pb_varint(1, 1)))]
    shard = b""
    for name, dtype, shape, raw in sorted(tensors):
        e = pb_varint(1, dtype) + pb_bytes(2, b"".join(pb_bytes(2, pb_varint(1, d)) for d in shape))
        e += pb_varint(4, len(shard)) + pb_varint(5, len(raw)) + varint(6 << 3 | 5)
        e += struct.pack("<I", mask(crc32c(raw)))
        kv.append((name.encode(), e))
        shard += raw
    f = bytearray()
    data_h = add_block(f, block(kv))
    meta_h = add_block(f, block([]))
    index_h = add_block(f, block([(kv[-1][0], data_h)]))
    f += (meta_h + index_h).ljust(40, b"\0") + struct.pack("<Q", 0xDB4775248B80FB57)
    return bytes(f), shard


rng = np.random.default_rng(1)
S = "efficientnet-lite0/"
tensors = [
    (S + "stem/conv2d/kernel", 1, [3, 3, 3, 4], rng.standard_normal((3, 3, 3, 4)).astype("<f4").tobytes()),
    (S + "stem/conv2d/kernel/ExponentialMovingAverage", 1, [3, 3, 3, 4], rng.standard_normal(108).astype("<f4").tobytes()),
    (S + "stem/tpu_batch_normalization/gamma", 19, [4], np.ones(4, "<f2").tobytes()),
    (S + "head/dense/bias", 2, [2], np.array([0.5, -1], "<f8").tobytes()),
    (S + "head/dense/bias/RMSProp", 14, [2], b"\xc0\x3f\x80\x3f"),
    ("global_step", 9, [], struct.pack("<q", 1234)),
]
index, shard = bundle(tensors)
with open(f"{out}/tf_checkpoint/bundle.bin", "wb") as f:
    f.write(b"\0" + struct.pack("<I", len(index)) + index + shard)
index1, shard1 = bundle(tensors[:1])
with open(f"{out}/tf_checkpoint/bundle_one.bin", "wb") as f:
    f.write(b"\0" + struct.pack("<I", len(index1)) + index1 + shard1)


def archive(mode, fmt, folder):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=fmt) as t:
        for name, data in [("checkpoint", b'model_checkpoint_path: "model.ckpt"\n'),
                           ("model.ckpt.index", index), ("model.ckpt.data-00000-of-00001", shard)]:
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


long_folder = "efficientnet-lite0/" + "x" * 110
for name, mode, fmt, folder in [("release.tar.gz", "w:gz", tarfile.GNU_FORMAT, "efficientnet-lite0"),
                                ("gnu_long.tar", "w", tarfile.GNU_FORMAT, long_folder),
                                ("pax_long.tar.gz", "w:gz", tarfile.PAX_FORMAT, long_folder)]:
    with open(f"{out}/tf_checkpoint/{name}.bin", "wb") as f:
        f.write(b"\1" + archive(mode, fmt, folder))
print(f"seeds written to {out}")
