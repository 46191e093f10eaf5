"""OpenVINO worker and INT8 quantizer.

  run:      .venv/bin/python bench/compare_peers/openvino_peer.py --model F --threads 1 --size 224
            F is a .tflite (read directly by OpenVINO's TFLite frontend), .onnx or .xml (IR).
            CPU plugin, INFERENCE_NUM_THREADS = --threads, one stream, LATENCY hint,
            INFERENCE_PRECISION_HINT = --precision (default f32: no bf16 down-conversion; f16
            for the FP16 rows; bf16 by hand). Batch > 1 reshapes the input.
  quantize: ... openvino_peer.py quantize --model F.tflite --calib DIR_OF_NPY -o F-int8.xml
            OpenVINO's own PTQ: nncf.quantize (default preset: symmetric INT8 weights and
            activations where the CPU plugin wants them) on the preprocessed images (NHWC
            float32 .npy, [1,H,W,3]); saved as IR.
"""

import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def run():
    ap = common.worker_args(__doc__)
    ap.add_argument("--precision", default="f32", choices=("f32", "f16", "bf16"),
                    help="OpenVINO's INFERENCE_PRECISION_HINT")
    a = ap.parse_args(sys.argv[1:])
    common.set_thread_env(a.threads)
    import numpy as np
    import openvino as ov

    core = ov.Core()
    t0 = time.perf_counter()
    model = core.read_model(a.model)
    pshape = model.inputs[0].get_partial_shape()
    nchw = pshape.rank.get_length() == 4 and pshape[1].is_static and pshape[1].get_length() == 3
    shape = [a.batch, 3, a.size, a.size] if nchw else [a.batch, a.size, a.size, 3]
    model.reshape({model.inputs[0]: shape})
    compiled = core.compile_model(model, "CPU", {
        "INFERENCE_NUM_THREADS": a.threads, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_PRECISION_HINT": a.precision})
    req = compiled.create_infer_request()
    load_ms = (time.perf_counter() - t0) * 1e3
    x = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
    if a.eval_dir:
        def predict(img):
            img = img.transpose(0, 3, 1, 2).copy() if nchw else img
            return req.infer({0: img})[compiled.outputs[0]]
        common.emit({"runtime": "openvino", **common.evaluate(predict, a.eval_dir, a.eval_labels)})
        return
    times = common.time_runs(lambda: req.infer({0: x}), a.warmup, a.runs)
    common.emit({"runtime": "openvino", "times_ms": times, "load_ms": load_ms,
                 "batch": a.batch, "version": ov.__version__,
                 "precision": str(compiled.get_property("INFERENCE_PRECISION_HINT"))})


def quantize():
    import argparse

    import nncf
    import numpy as np
    import openvino as ov

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--calib", required=True, help="folder of preprocessed NHWC .npy files")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args(sys.argv[2:])
    files = sorted(glob.glob(os.path.join(a.calib, "*.npy")))
    if not files:
        raise RuntimeError(f"{a.calib}: no .npy files")
    model = ov.Core().read_model(a.model)
    pshape = model.inputs[0].get_partial_shape()
    nchw = pshape[1].is_static and pshape[1].get_length() == 3

    def load(f):
        x = np.load(f).astype(np.float32)
        return x.transpose(0, 3, 1, 2).copy() if nchw else x

    q = nncf.quantize(model, nncf.Dataset(files, load), subset_size=len(files))
    ov.save_model(q, a.output)
    common.emit({"output": a.output, "calib_images": len(files), "nncf": nncf.__version__})


if __name__ == "__main__":
    common.main_guard(quantize if sys.argv[1:2] == ["quantize"] else run)
