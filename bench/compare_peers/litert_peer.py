"""LiteRT (ai-edge-litert) worker: runs a .tflite file (float or INT8) with the default
XNNPACK delegate and `num_threads` threads. Batch > 1 resizes the input tensor.
  .venv/bin/python bench/compare_peers/litert_peer.py --model F.tflite --threads 1 --size 224
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    a = common.worker_args(__doc__).parse_args()
    common.set_thread_env(a.threads)
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    t0 = time.perf_counter()
    interp = Interpreter(model_path=a.model, num_threads=a.threads)
    inp = interp.get_input_details()[0]
    if a.batch != 1:
        interp.resize_tensor_input(inp["index"], [a.batch, a.size, a.size, 3])
    interp.allocate_tensors()
    load_ms = (time.perf_counter() - t0) * 1e3
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    rng = np.random.default_rng(0)
    shape = tuple(inp["shape"])
    if inp["dtype"] == np.float32:
        x = rng.uniform(-1, 1, shape).astype(np.float32)
    else:  # uint8 / int8 input of an INT8 file: random pixel-like values
        info = np.iinfo(inp["dtype"])
        x = rng.integers(info.min, info.max + 1, shape).astype(inp["dtype"])

    def run_once():
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        interp.get_tensor(out["index"])

    if a.eval_dir:
        def predict(img):
            if inp["dtype"] != np.float32:  # as TFLite's QUANTIZE: round half away from 0
                scale, zp = inp["quantization"]
                info = np.iinfo(inp["dtype"])
                q = np.sign(img / scale) * np.floor(np.abs(img / scale) + 0.5) + zp
                img = np.clip(q, info.min, info.max).astype(inp["dtype"])
            interp.set_tensor(inp["index"], img)
            interp.invoke()
            return interp.get_tensor(out["index"]).astype(np.float32)
        common.emit({"runtime": "litert", **common.evaluate(predict, a.eval_dir, a.eval_labels)})
        return

    times = common.time_runs(run_once, a.warmup, a.runs)
    common.emit({"runtime": "litert", "times_ms": times, "load_ms": load_ms,
                 "input_dtype": str(np.dtype(inp["dtype"])), "batch": a.batch})


if __name__ == "__main__":
    common.main_guard(main)
