"""ONNX Runtime worker and INT8 quantizer.

  run:      .venv/bin/python bench/compare_peers/ort_peer.py --model F.onnx --threads 1 --size 224
            (CPU execution provider, intra-op threads = --threads, inter-op 1, sequential
            execution, all graph optimizations). The input layout (NHWC or NCHW) is read from
            the model; batch > 1 needs a symbolic batch dimension, else the row is n/a.
  quantize: ... ort_peer.py quantize --model F.onnx --calib DIR_OF_NPY -o F-int8.onnx
            ONNX Runtime's own static PTQ (onnxruntime.quantization.quantize_static): QDQ
            format, INT8 weights per channel, UINT8 activations, min-max calibration on the
            preprocessed images (NHWC float32 .npy, [1,H,W,3]).
"""

import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def input_layout(shape):
    """'nchw' when dim 1 is 3 (channels first), else 'nhwc'."""
    return "nchw" if len(shape) == 4 and shape[1] == 3 else "nhwc"


def run():
    a = common.worker_args(__doc__).parse_args(sys.argv[1:])
    common.set_thread_env(a.threads)
    import numpy as np
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    t0 = time.perf_counter()
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    load_ms = (time.perf_counter() - t0) * 1e3
    inp = sess.get_inputs()[0]
    layout = input_layout(inp.shape)
    if isinstance(inp.shape[0], int) and inp.shape[0] != a.batch:
        raise RuntimeError(f"the ONNX file has a fixed batch of {inp.shape[0]}")
    shape = ((a.batch, 3, a.size, a.size) if layout == "nchw" else (a.batch, a.size, a.size, 3))
    x = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
    feeds = {inp.name: x}
    if a.eval_dir:
        def predict(img):
            return sess.run(None, {inp.name: img.transpose(0, 3, 1, 2).copy()
                                   if layout == "nchw" else img})[0]
        common.emit({"runtime": "onnxruntime",
                     **common.evaluate(predict, a.eval_dir, a.eval_labels)})
        return
    times = common.time_runs(lambda: sess.run(None, feeds), a.warmup, a.runs)
    common.emit({"runtime": "onnxruntime", "times_ms": times, "load_ms": load_ms,
                 "layout": layout, "batch": a.batch, "version": ort.__version__})


def quantize():
    import argparse

    import numpy as np
    import onnxruntime as ort
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--calib", required=True, help="folder of preprocessed NHWC .npy files")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args(sys.argv[2:])
    inp = ort.InferenceSession(a.model, providers=["CPUExecutionProvider"]).get_inputs()[0]
    nchw = input_layout(inp.shape) == "nchw"
    files = sorted(glob.glob(os.path.join(a.calib, "*.npy")))
    if not files:
        raise RuntimeError(f"{a.calib}: no .npy files")

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(files)

        def get_next(self):
            f = next(self.it, None)
            if f is None:
                return None
            x = np.load(f).astype(np.float32)
            return {inp.name: x.transpose(0, 3, 1, 2).copy() if nchw else x}

    quantize_static(a.model, a.output, Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8)
    common.emit({"output": a.output, "calib_images": len(files)})


if __name__ == "__main__":
    common.main_guard(quantize if sys.argv[1:2] == ["quantize"] else run)
