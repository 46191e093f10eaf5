"""PyTorch (Debian's python3-torch 1.13, CPU) worker and model preparation; run with
/usr/bin/python3.

  prepare: /usr/bin/python3 bench/compare_peers/torch_peer.py prepare --name efficientnet-lite0
               --pth W.pth --calib DIR_OF_NPY --out-fp32 F.pt --out-int8 Q.pt
           Builds tests/python/torch_reference.py's model from the .pth (the weights the
           .tflite files were converted from), traces and freezes it as TorchScript (F.pt).
           INT8: FX graph-mode post-training quantization (prepare_fx, calibration on the
           preprocessed images, convert_fx) with the default qconfig mapping of the "onednn"
           backend (x86; this torch build has no fbgemm), traced and frozen (Q.pt). FX cannot
           trace the reference's shape-dependent SAME padding, so the pads are fixed first
           for the model's input size (static_padding).
  run:     /usr/bin/python3 bench/compare_peers/torch_peer.py --model F.pt --threads 1 --size 224
           torch.set_num_threads(--threads), one inter-op thread, inference mode; NCHW input.
           A float model goes through torch.jit.optimize_for_inference after loading (its
           output cannot be saved and reloaded in 1.13): without it Debian's torch sends 1x1
           convolutions at 1 thread to slow_conv2d over the generic reference BLAS (about 100x
           slower); with it every conv is a prepacked oneDNN conv. Counted in load_ms.
"""

import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def run():
    a = common.worker_args(__doc__).parse_args(sys.argv[1:])
    common.set_thread_env(a.threads)
    import torch

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    if "onednn" in torch.backends.quantized.supported_engines:
        torch.backends.quantized.engine = "onednn"
    t0 = time.perf_counter()
    model = torch.jit.load(a.model)
    model.eval()
    quantized = "quantized::" in str(model.graph)
    if not quantized:
        model = torch.jit.optimize_for_inference(model)
    load_ms = (time.perf_counter() - t0) * 1e3
    torch.manual_seed(0)
    x = torch.rand(a.batch, 3, a.size, a.size) * 2 - 1

    def run_once():
        with torch.inference_mode():
            model(x).numpy()

    if a.eval_dir:
        def predict(img):
            with torch.inference_mode():
                return model(torch.from_numpy(img.transpose(0, 3, 1, 2).copy())).numpy()
        common.emit({"runtime": "pytorch", **common.evaluate(predict, a.eval_dir, a.eval_labels)})
        return

    times = common.time_runs(run_once, a.warmup, a.runs)
    common.emit({"runtime": "pytorch", "times_ms": times, "load_ms": load_ms,
                 "batch": a.batch, "version": torch.__version__,
                 "quantized_engine": torch.backends.quantized.engine if quantized else None})


def static_padding(model, size):
    """Replaces each padded ConvBN's shape-dependent same_pad by a ZeroPad2d with the pads
    it computes for a size x size input (recorded in one forward pass)."""
    import types

    import torch
    import torch.nn.functional as F

    pads, hooks = {}, []
    for m in model.modules():
        if type(m).__name__ == "ConvBN" and m.k > 1:
            def hook(mod, inputs):
                x = inputs[0]
                p = []
                for n in (x.shape[3], x.shape[2]):
                    out = -(-n // mod.s)
                    total = max((out - 1) * mod.s + mod.k - n, 0)
                    p += [total // 2, total - total // 2]
                pads[mod] = p
            hooks.append(m.register_forward_pre_hook(hook))
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in hooks:
        h.remove()

    def forward(self, x):
        x = self.bn(self.conv(self.pad(x)))
        return F.relu6(x) if self.act else x

    for m, p in pads.items():
        m.pad = torch.nn.ZeroPad2d(p)
        m.forward = types.MethodType(forward, m)
    return model


def prepare():
    import argparse

    import numpy as np
    import torch

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                    "tests", "python"))
    import torch_reference as tr

    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--pth", required=True)
    ap.add_argument("--calib", required=True)
    ap.add_argument("--out-fp32", required=True)
    ap.add_argument("--out-int8", default=None)
    a = ap.parse_args(sys.argv[2:])
    model = tr.build(a.name, a.pth)
    size = tr.input_size(a.name)
    example = torch.zeros(1, 3, size, size)
    with torch.no_grad():
        ts = torch.jit.freeze(torch.jit.trace(model, example).eval())
    ts.save(a.out_fp32)
    result = {"fp32": a.out_fp32}
    if a.out_int8:
        from torch.ao.quantization import get_default_qconfig_mapping
        from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
        engine = "onednn" if "onednn" in torch.backends.quantized.supported_engines else "qnnpack"
        torch.backends.quantized.engine = engine
        files = sorted(glob.glob(os.path.join(a.calib, "*.npy")))
        if not files:
            raise RuntimeError(f"{a.calib}: no .npy files")
        model = static_padding(tr.build(a.name, a.pth), size)
        prepared = prepare_fx(model, get_default_qconfig_mapping(engine), (example,))
        with torch.no_grad():
            for f in files:
                prepared(torch.from_numpy(np.load(f).transpose(0, 3, 1, 2).copy()))
        q = convert_fx(prepared)
        with torch.no_grad():
            qs = torch.jit.freeze(torch.jit.trace(q, example).eval())
        qs.save(a.out_int8)
        result.update(int8=a.out_int8, engine=engine, calib_images=len(files))
    common.emit(result)


if __name__ == "__main__":
    common.main_guard(prepare if sys.argv[1:2] == ["prepare"] else run)
