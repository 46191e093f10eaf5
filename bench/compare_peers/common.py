"""What every peer worker shares (stdlib only: it runs under .venv and /usr/bin/python3).

A worker is one process for one (runtime, model file, precision, threads, batch): it loads the
model, runs it once plus `warmup` times untimed, then `runs` timed runs, and prints one JSON
line {"runtime", "times_ms", "load_ms", ...} on stdout (or {"error": ...} with exit status 2
when the runtime cannot run this case). Timing covers what `elite bench` times: handing the
input to the runtime, inference, and getting the output back.

With --eval-dir DIR --eval-labels FILE a worker times nothing: it classifies every
preprocessed image DIR/*.npy (float32 NHWC [1,H,W,3], the official preprocessing) and prints
{"top1", "n"}, the labels being a JSON object {file stem: class index}.
"""

import argparse
import json
import os
import sys
import time
import traceback


def worker_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--model", required=True, help="model file the runtime loads")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--size", type=int, required=True, help="input height = width")
    ap.add_argument("--eval-dir", default=None, help="classify these .npy files instead")
    ap.add_argument("--eval-labels", default=None, help="JSON {file stem: class index}")
    return ap


def evaluate(predict, eval_dir, labels_path):
    """predict(x float32 [1,H,W,3]) -> scores [1, classes]. Top-1 over eval_dir/*.npy."""
    import glob

    import numpy as np
    labels = json.load(open(labels_path))
    n = correct = 0
    for f in sorted(glob.glob(os.path.join(eval_dir, "*.npy"))):
        stem = os.path.splitext(os.path.basename(f))[0]
        if stem not in labels:
            continue
        scores = np.asarray(predict(np.load(f).astype(np.float32))).reshape(-1)
        correct += int(np.argmax(scores) == labels[stem])
        n += 1
    if n == 0:
        raise RuntimeError(f"{eval_dir}: no labelled .npy files")
    return {"top1": correct / n, "n": n}


def set_thread_env(threads):
    """Before the runtime is imported: OpenMP / MKL / oneDNN pools follow these."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)


def time_runs(run_once, warmup, runs):
    """run_once() performs one full inference. One untimed first run, `warmup` untimed runs,
    then `runs` timed ones (ms)."""
    run_once()
    for _ in range(warmup):
        run_once()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        run_once()
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def emit(result):
    print(json.dumps(result), flush=True)


def main_guard(fn):
    """Runs fn(); any exception becomes {"error": ...} and exit status 2."""
    try:
        fn()
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 - report every failure as a row's n/a reason
        msg = f"{type(e).__name__}: {e}".strip().splitlines()
        emit({"error": (msg[0] if msg else type(e).__name__)[:300],
              "trace": traceback.format_exc()[-2000:]})
        sys.exit(2)
