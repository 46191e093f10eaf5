#!/usr/bin/python3
"""Checks read_weights_file (via build/tests/dump_weights) against torch.

Builds small state dicts covering float32/float16/bfloat16/float64, 0-d and empty tensors,
strided and offset views, shared storages, nn.Parameter values, integer/bool buffers (which
must be skipped) and wrappers ({"state_dict": ...}, {"model": ...}, {"model_state_dict": ...});
saves each as a zip .pth (STORED, and re-packed with DEFLATE), a legacy .pth and a
hand-written .safetensors; then compares every value exactly. With --real FILE it also
compares real checkpoints (sum and sum of squares accumulated sequentially in float64, as
dump_weights does, plus the first 8 values). Also checks a few files that must be refused.

Run with Debian's python (it has torch):
  /usr/bin/python3 tests/python/test_checkpoints.py --tool build/tests/dump_weights \
      --workdir /tmp/ckpt-test [--real FILE ...]
"""
import argparse
import collections
import json
import os
import struct
import subprocess
import sys
import zipfile

import numpy as np
import torch

FLOAT_TYPES = (torch.float32, torch.float16, torch.bfloat16, torch.float64)


def make_state_dict():
    g = torch.Generator().manual_seed(1234)
    sd = collections.OrderedDict()
    sd["conv.weight"] = torch.randn(8, 3, 3, 3, generator=g)
    sd["conv.bias"] = torch.randn(8, generator=g).half()
    sd["bn.weight"] = torch.randn(16, generator=g).to(torch.bfloat16)
    sd["bn.running_var"] = torch.rand(16, generator=g, dtype=torch.float64) * 1e3
    sd["bn.num_batches_tracked"] = torch.tensor(12345, dtype=torch.int64)
    sd["mask"] = torch.tensor([True, False, True])
    sd["ids"] = torch.arange(10, dtype=torch.int32)
    sd["scalar"] = torch.tensor(3.25)
    sd["empty"] = torch.zeros(0, 5)
    base = torch.randn(6, 7, generator=g)
    sd["transposed"] = base.t()                 # strides (1, 7)
    sd["offset_rows"] = base[2:5]               # storage offset 14
    sd["every_other"] = base[:, ::2]            # strides (7, 2)
    sd["offset_col"] = base[1:, 3]              # offset 10, stride 7
    sd["tied.a"] = sd["conv.weight"]            # same storage under two names
    sd["param"] = torch.nn.Parameter(torch.randn(4, 5, generator=g))
    sd["half_view"] = torch.randn(10, 10, generator=g).half()[3:, 1:4]
    sd["special"] = torch.tensor([float("inf"), float("-inf"), float("nan"), -0.0, 1e-40, 65504.0])
    sd["special_f16"] = torch.tensor([6e-8, 6e-5, 65504.0, float("inf"), -2.0]).half()
    sd["big_f64"] = torch.tensor([1e300, -1e300, 1e-300], dtype=torch.float64)
    return sd


def expected_tensors(sd):
    """name -> float32 numpy array, for the float entries only."""
    out = {}
    for k, v in sd.items():
        if isinstance(v, torch.Tensor) and v.dtype in FLOAT_TYPES:
            with np.errstate(over="ignore"):
                out[k] = v.detach().to(torch.float32).contiguous().numpy()
    return out


def save_safetensors(path, sd):
    """The safetensors format written by hand: u64 header length, JSON, raw data."""
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
             torch.float64: "F64", torch.int64: "I64", torch.int32: "I32", torch.bool: "BOOL"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for k, v in sd.items():
        v = v.detach().contiguous()
        raw = v.view(torch.int16).numpy().tobytes() if v.dtype == torch.bfloat16 else v.numpy().tobytes()
        header[k] = {"dtype": names[v.dtype], "shape": list(v.shape),
                     "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def repack_deflate(src, dst):
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            zo.writestr(info.filename, zi.read(info.filename))


def run_tool(tool, path, all_values):
    cmd = [tool] + (["--all"] if all_values else []) + [path]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def seq_sums(a):
    d = a.astype(np.float64).ravel()
    if d.size == 0:
        return 0.0, 0.0
    return float(np.cumsum(d)[-1]), float(np.cumsum(d * d)[-1])


def same_floats(a, b):
    a = np.asarray(a, dtype=np.float32).ravel()
    b = np.asarray(b, dtype=np.float32).ravel()
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def same_num(x, y):
    return (x == y) or (x != x and y != y)


def compare(tool, path, expected, all_values, failures):
    rc, out, err = run_tool(tool, path, all_values)
    if rc != 0:
        failures.append(f"{path}: dump_weights failed: {err.strip()}")
        return 0
    got = {}
    for line in out.splitlines():
        j = json.loads(line)
        got[j["name"]] = j
    bad = []
    if set(got) != set(expected):
        bad.append(f"names differ: missing {sorted(set(expected) - set(got))}, "
                   f"extra {sorted(set(got) - set(expected))}")
    for name, ref in expected.items():
        j = got.get(name)
        if j is None:
            continue
        if list(j["shape"]) != list(ref.shape):
            bad.append(f"{name}: shape {j['shape']} != {list(ref.shape)}")
            continue
        first = [float(v) for v in j["first"]]  # "inf"/"-inf"/"nan" strings too
        if not same_floats(first, ref.ravel()[:8]):
            bad.append(f"{name}: first values {first} != {ref.ravel()[:8].tolist()}")
        if all_values:
            vals = [float(v) for v in j["values"]]
            if not same_floats(vals, ref):
                bad.append(f"{name}: values differ")
        else:
            s, ss = seq_sums(ref)
            js, jss = float(j["sum"]), float(j["sumsq"])
            if not (same_num(js, s) and same_num(jss, ss)):
                bad.append(f"{name}: sum/sumsq {js}/{jss} != {s}/{ss}")
    for b in bad:
        failures.append(f"{path}: {b}")
    print(f"  {'ok  ' if not bad else 'FAIL'} {os.path.basename(path)}: {len(got)} tensors"
          f"{' (all values)' if all_values else ' (sums + first 8)'}")
    return len(got)


def expect_error(tool, path, needle, failures):
    rc, out, err = run_tool(tool, path, False)
    ok = rc != 0 and needle in err
    print(f"  {'ok  ' if ok else 'FAIL'} {os.path.basename(path)} refused: {err.strip()[:150]}")
    if not ok:
        failures.append(f"{path}: expected an error containing {needle!r}, got rc={rc} {err.strip()}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tool", required=True, help="path to build/tests/dump_weights")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--real", nargs="*", default=[], help="real .pth/.safetensors files to compare")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    failures = []

    sd = make_state_dict()
    expected = expected_tensors(sd)
    print(f"synthetic state dict: {len(sd)} entries, {len(expected)} float tensors")
    wrappers = {
        "plain": lambda s: s,
        "state_dict": lambda s: {"state_dict": s, "epoch": 7, "arch": "lite0", "best_acc": 0.75},
        "model": lambda s: {"model": s, "optimizer": {"lr": 0.1, "state": {}}},
        "model_state_dict": lambda s: {"model_state_dict": s, "step": torch.tensor(5)},
        "nested": lambda s: {"model": {"state_dict": s}},
    }
    for wname, wrap in wrappers.items():
        obj = wrap(sd)
        z = os.path.join(args.workdir, f"{wname}_zip.pth")
        torch.save(obj, z)
        compare(args.tool, z, expected, True, failures)
        legacy = os.path.join(args.workdir, f"{wname}_legacy.pth")
        torch.save(obj, legacy, _use_new_zipfile_serialization=False)
        compare(args.tool, legacy, expected, True, failures)
    deflated = os.path.join(args.workdir, "plain_deflate.pth")
    repack_deflate(os.path.join(args.workdir, "plain_zip.pth"), deflated)
    compare(args.tool, deflated, expected, True, failures)
    st = os.path.join(args.workdir, "plain.safetensors")
    save_safetensors(st, {k: v for k, v in sd.items() if k != "tied.a"} | {"tied.a": sd["tied.a"]})
    compare(args.tool, st, expected, True, failures)

    # A tiny Linear's state dict, and one of a module saved whole (must be refused).
    lin = torch.nn.Linear(3, 2)
    p = os.path.join(args.workdir, "linear.pth")
    torch.save(lin.state_dict(), p)
    compare(args.tool, p, expected_tensors(lin.state_dict()), True, failures)
    p = os.path.join(args.workdir, "whole_module.pth")
    torch.save(lin, p)
    expect_error(args.tool, p, "torch.nn.modules.linear.Linear", failures)
    p = os.path.join(args.workdir, "not_a_checkpoint.pth")
    with open(p, "wb") as f:
        f.write(b"hello, world\n")
    expect_error(args.tool, p, "not_a_checkpoint.pth", failures)
    p = os.path.join(args.workdir, "truncated.pth")
    with open(os.path.join(args.workdir, "plain_legacy.pth"), "rb") as f:
        data = f.read()
    with open(p, "wb") as f:
        f.write(data[: len(data) // 2])
    expect_error(args.tool, p, "truncated.pth", failures)

    for real in args.real:
        obj = torch.load(real, map_location="cpu")
        if isinstance(obj, dict):
            for key in ("state_dict", "model_state_dict", "model"):
                if key in obj and isinstance(obj[key], dict) and not any(
                        isinstance(v, torch.Tensor) for v in obj.values()):
                    obj = obj[key]
        print(f"real file {real}: {len(obj)} entries")
        compare(args.tool, real, expected_tensors(obj), False, failures)

    if failures:
        print(f"\n{len(failures)} failure(s):")
        for f in failures:
            print("  " + f)
        return 1
    print("\nall checkpoint checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
