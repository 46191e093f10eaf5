#!/usr/bin/env python3
"""ONNX export: the files `elite export` writes run in onnxruntime and OpenVINO and give
the probabilities and logits of `elite classify`; bad input gives clear errors.

For each model (lite0..lite2) and --count images of --images (sorted, evenly spaced; 0 = all):
  1. `elite_preprocess --size N --out DIR IMAGE...` -> DIR/<basename>.npy, float32 [1,N,N,3];
  2. `elite classify -m MODEL --json --logits --top-k 1000 FILE.npy ...` -> probabilities
     and logits;
  3. `elite export -m MODEL -o M.onnx --layout nhwc|nchw` (timed, size printed); the file is
     checked with onnx.checker (full check, shape inference included) and its metadata
     (producer "elite", the label names, which must equal classify's labels);
  4. onnxruntime (CPU) runs it one image at a time and in batches of up to 8 (the batch
     dimension is symbolic); OpenVINO (CPU, f32 inference precision) the same. A copy of the
     model with the Softmax input added as a second output gives the logits;
  5. fails when max |p - p_elite| or max |logit - logit_elite| > --atol (1e-4), a top-1
     differs, or an input/output name or shape is not the .tflite's.
lite0 is also exported at --max-opset and at a fixed batch (--batch 8) and run in onnxruntime.
The small random graphs of tests/tools/write_test_tflite (variant block; variant pad: PAD,
VALID depthwise with ReLU, average pool to [1,1,1,C], RESHAPE, FC with ReLU, no softmax) are
exported too and must give LiteRT's outputs on random inputs (batch 1 and 3), both layouts.
Then the bad-input cases: missing model, a text file as model, INT8 model, bad --layout,
bad --opset, missing output folder, a directory as output, output == input; each must fail
with one "elite: error:" line naming the problem, exit status 1, and leave no file (an
existing output stays as it was, no temporaries).

Run with the venv: .venv/bin/python tests/python/test_onnx_export.py
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort
import openvino as ov

try:
    import onnx
    import onnx.checker
except ImportError:  # the checks that need it are skipped (and say so)
    onnx = None

from elite_common import (INPUT_SIZES, add_common_args, classify, preprocess, run, scores, select,
                          tools_ready)

BATCH = 8


def elite_outputs(elite, model, npys):
    """{basename: (probabilities [C], logits [C], labels [C])} from classify --json --logits."""
    res = {}
    for b, e in classify(elite, model, npys, ["--logits", "--top-k", "1000"]).items():
        n = len(e["logits"])
        labels = [None] * n
        for t in e["top"]:
            labels[int(t["index"])] = t.get("label")
        assert len(e["top"]) == n, f"{e['image']}: {len(e['top'])} scores, expected {n}"
        res[b] = (scores(e, n), np.array(e["logits"], dtype=np.float64), labels)
    return res


def with_logits_output(path, out_path):
    """A copy of the model whose graph also outputs the Softmax input ("logits")."""
    m = onnx.load(path)
    sm = [n for n in m.graph.node if n.op_type == "Softmax"]
    assert len(sm) == 1, "expected one Softmax node"
    m.graph.output.append(onnx.helper.make_tensor_value_info(sm[0].input[0],
                                                             onnx.TensorProto.FLOAT, None))
    onnx.save(m, out_path)
    return sm[0].input[0]


class Runner:
    """Runs one exported file in onnxruntime or OpenVINO; run(x [B,...]) -> list of arrays."""

    def __init__(self, engine, path):
        self.engine = engine
        if engine == "onnxruntime":
            so = ort.SessionOptions()
            so.intra_op_num_threads = 2
            self.sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            self.inputs = [(i.name, list(i.shape)) for i in self.sess.get_inputs()]
            self.outputs = [(o.name, list(o.shape)) for o in self.sess.get_outputs()]
        else:
            core = ov.Core()
            model = core.read_model(path)
            self.inputs = [(i.get_any_name(), str(i.get_partial_shape())) for i in model.inputs]
            self.outputs = [(o.get_any_name(), str(o.get_partial_shape())) for o in model.outputs]
            self.compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32",
                                                              "INFERENCE_NUM_THREADS": 2})

    def run(self, x):
        if self.engine == "onnxruntime":
            return self.sess.run(None, {self.inputs[0][0]: x})
        req = self.compiled.create_infer_request()
        req.infer({0: x})
        return [req.get_output_tensor(i).data.copy() for i in range(len(self.outputs))]


def compare(name, runner, npys, ours, layout, want_logits, atol):
    """Runs every image alone, then in batches of BATCH; returns the failure count."""
    worst_p = worst_l = 0.0
    top1_bad = []
    xs = [np.load(p).astype(np.float32) for p in npys]
    if layout == "nchw":
        xs = [x.transpose(0, 3, 1, 2).copy() for x in xs]
    results = {}
    for p, x in zip(npys, xs):
        results[os.path.basename(p)] = [o[0] for o in runner.run(x)]
    batched_worst = 0.0
    for i in range(0, len(xs), BATCH):
        outs = runner.run(np.concatenate(xs[i:i + BATCH]))
        for j, p in enumerate(npys[i:i + BATCH]):
            single = results[os.path.basename(p)]
            for a, b in zip(outs, single):
                batched_worst = max(batched_worst, float(np.max(np.abs(a[j] - b))))
    for b, outs in results.items():
        prob, logit, _ = ours[b]
        worst_p = max(worst_p, float(np.max(np.abs(outs[0].astype(np.float64) - prob))))
        if want_logits:
            worst_l = max(worst_l, float(np.max(np.abs(outs[1].astype(np.float64) - logit))))
        if int(np.argmax(outs[0])) != int(np.argmax(prob)):
            top1_bad.append(b)
    ok = worst_p <= atol and worst_l <= atol and batched_worst <= atol and not top1_bad
    print(f"{'ok  ' if ok else 'FAIL'} {name} {runner.engine}: {len(xs)} images, max |prob diff| "
          f"{worst_p:.3g}" + (f", max |logit diff| {worst_l:.3g}" if want_logits else "")
          + f", batch {BATCH} vs batch 1 {batched_worst:.3g}, top-1 mismatches {len(top1_bad)}"
          + (f" {top1_bad[:5]}" if top1_bad else ""), flush=True)
    return 0 if ok else 1


def check_file(name, path, tflite_in, size, layout, labels, batch_dim="N"):
    """onnx.checker, metadata and the input/output names and shapes; returns failures."""
    failures = 0
    want_in = [batch_dim, size, size, 3] if layout == "nhwc" else [batch_dim, 3, size, size]
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    ins, outs = sess.get_inputs(), sess.get_outputs()
    got = ([(i.name, list(i.shape)) for i in ins], [(o.name, list(o.shape)) for o in outs])
    want = ([(tflite_in, want_in)], [("probabilities", [batch_dim, 1000])])
    meta = sess.get_modelmeta()
    msgs = []
    if got != want:
        msgs.append(f"inputs/outputs {got}, expected {want}")
    if meta.producer_name != "elite":
        msgs.append(f"producer_name {meta.producer_name!r}")
    file_labels = meta.custom_metadata_map.get("labels", "").split("\n")
    if file_labels != labels:
        msgs.append(f"labels metadata ({len(file_labels)} lines) differ from classify's labels")
    if onnx is not None:
        try:
            onnx.checker.check_model(path, full_check=True)
        except Exception as e:  # noqa: BLE001 - report whatever the checker raises
            msgs.append(f"onnx.checker: {e}")
    failures += bool(msgs)
    print(f"{'ok  ' if not msgs else 'FAIL'} {name} {layout}: onnxruntime loads it, input "
          f"{got[0]}, output {got[1]}, producer elite, {len(file_labels)} labels"
          + (", onnx.checker (full) passes" if onnx is not None else ", onnx not installed: "
             "checker skipped") + ("; " + "; ".join(msgs) if msgs else ""), flush=True)
    return failures


def small_graphs(args, tmp):
    """write_test_tflite's graphs: exported ONNX (both layouts) vs LiteRT on the .tflite."""
    from ai_edge_litert.interpreter import Interpreter
    tool = os.path.join(os.path.dirname(args.preprocess_tool), "write_test_tflite")
    if not os.access(tool, os.X_OK):
        print(f"FAIL {tool} not found (build the test tools)")
        return 1
    failures = 0
    rng = np.random.default_rng(3)
    for variant in ("block", "pad"):
        tfl = os.path.join(tmp, f"small-{variant}.tflite")
        run([tool, tfl, "--seed", "5", "--variant", variant])
        it = Interpreter(model_path=tfl)
        it.allocate_tensors()
        ind, outd = it.get_input_details()[0], it.get_output_details()[0]
        xs = rng.uniform(-1, 1, (3,) + tuple(ind["shape"][1:])).astype(np.float32)
        ref = []
        for x in xs:
            it.set_tensor(ind["index"], x[None])
            it.invoke()
            ref.append(it.get_tensor(outd["index"])[0].astype(np.float64))
        for layout in ("nhwc", "nchw"):
            path = os.path.join(tmp, f"small-{variant}-{layout}.onnx")
            run([args.elite, "export", "-m", tfl, "-o", path, "--layout", layout])
            sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            feed = xs if layout == "nhwc" else xs.transpose(0, 3, 1, 2).copy()
            names = ([i.name for i in sess.get_inputs()], [o.name for o in sess.get_outputs()])
            worst = 0.0
            for j in range(len(xs)):
                y = sess.run(None, {names[0][0]: feed[j:j + 1]})[0][0]
                worst = max(worst, float(np.max(np.abs(y - ref[j]))))
            yb = sess.run(None, {names[0][0]: feed})[0]
            worst = max(worst, float(np.max(np.abs(yb - np.stack(ref)))))
            ok = (worst <= args.atol and names == ([ind["name"]], [outd["name"]]))
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} write_test_tflite {variant} {layout}: "
                  f"onnxruntime vs LiteRT, batch 1 and 3, max |diff| {worst:.3g}, "
                  f"io names {names}", flush=True)
    return failures


def tflite_input_name(model):
    from ai_edge_litert.interpreter import Interpreter
    return Interpreter(model_path=model).get_input_details()[0]["name"]


def bad_input_cases(args, tmp, int8_model):
    failures = 0
    model = os.path.join(args.models_dir, "efficientnet-lite0.tflite")
    text = os.path.join(tmp, "notes.tflite")
    with open(text, "w") as f:
        f.write("this is not a model\n")
    outdir = os.path.join(tmp, "bad")
    os.makedirs(outdir)
    out = os.path.join(outdir, "out.onnx")
    existing = os.path.join(outdir, "existing.onnx")
    with open(existing, "wb") as f:
        f.write(b"keep me")
    adir = os.path.join(outdir, "adir")
    os.makedirs(adir)

    def case(title, argv, needle, target):
        nonlocal failures
        before = open(existing, "rb").read()
        r = run([args.elite, "export"] + argv, check=False)
        err = r.stderr.strip()
        lines = err.splitlines()
        ok = (r.returncode == 1 and len(lines) == 1 and lines[0].startswith("elite: error:")
              and needle in err)
        if target == out:
            ok = ok and not os.path.exists(out)
        ok = ok and open(existing, "rb").read() == before
        leftovers = [n for n in os.listdir(outdir) if ".tmp." in n]
        ok = ok and not leftovers and os.path.isdir(adir)
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} bad input, {title}: exit {r.returncode}: {err}"
              + (f" (leftovers {leftovers})" if leftovers else ""), flush=True)

    missing = os.path.join(tmp, "nope.tflite")
    case("missing model", ["-m", missing, "-o", out], missing, out)
    case("text file as model", ["-m", text, "-o", out], text, out)
    if int8_model:
        case("INT8 model", ["-m", int8_model, "-o", existing], "give the float .tflite", existing)
    case("bad --layout", ["-m", model, "-o", out, "--layout", "nhcw"], "--layout", out)
    case("--opset 12", ["-m", model, "-o", out, "--opset", "12"], "--opset", out)
    case("--opset 99", ["-m", model, "-o", out, "--opset", "99"], "--opset", out)
    case("--batch -1", ["-m", model, "-o", out, "--batch", "-1"], "--batch", out)
    missing_dir = os.path.join(outdir, "no", "such", "dir", "m.onnx")
    case("output folder missing", ["-m", model, "-o", missing_dir], "cannot write", out)
    case("output is a directory", ["-m", model, "-o", adir], "cannot write", out)
    case("output is the input", ["-m", text, "-o", text], "refusing to overwrite", out)
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(ap)
    ap.add_argument("--model-names", default="efficientnet-lite0,efficientnet-lite1,efficientnet-lite2")
    ap.add_argument("--count", type=int, default=16, help="images per model (0: all)")
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--max-opset", type=int, default=25)
    ap.add_argument("--keep", help="folder to keep the exported .onnx files in")
    args = ap.parse_args()

    if not tools_ready((args.elite, args.preprocess_tool)):
        return 1
    print(f"onnxruntime {ort.__version__}, openvino {ov.__version__}, "
          f"onnx {onnx.__version__ if onnx else '(not installed)'}")
    files = select(args.images, args.count)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="elite_onnx_") as tmp:
        outdir = args.keep or tmp
        os.makedirs(outdir, exist_ok=True)
        for name in args.model_names.split(","):
            size = INPUT_SIZES[name]
            model = os.path.join(args.models_dir, name + ".tflite")
            if not os.path.exists(model):
                print(f"FAIL {name}: {model} missing (scripts/setup_models.sh)")
                failures += 1
                continue
            npys = preprocess(args.preprocess_tool, files, size, os.path.join(tmp, str(size)))
            ours = elite_outputs(args.elite, model, npys)
            if len(ours) != len(npys):
                print(f"FAIL {name}: classify gave {len(ours)} results for {len(npys)} images")
                failures += 1
                continue
            labels = next(iter(ours.values()))[2]
            tin = tflite_input_name(model)
            for layout in ("nhwc", "nchw"):
                path = os.path.join(outdir, f"{name}-{layout}.onnx")
                t0 = time.time()
                r = run([args.elite, "export", "-m", model, "-o", path, "--layout", layout])
                secs = time.time() - t0
                print(f"     {name} {layout}: {os.path.getsize(path) / 1e6:.1f} MB, export "
                      f"{secs:.2f} s (wall, process included): {r.stderr.strip()}", flush=True)
                failures += check_file(name, path, tin, size, layout, labels)
                run_path, want_logits = path, onnx is not None
                if want_logits:
                    run_path = os.path.join(tmp, f"{name}-{layout}-logits.onnx")
                    with_logits_output(path, run_path)
                for engine in ("onnxruntime", "openvino"):
                    failures += compare(f"{name} {layout}", Runner(engine, run_path), npys, ours,
                                        layout, want_logits, args.atol)
            if name == "efficientnet-lite0":
                for extra, batch_dim in ((["--opset", str(args.max_opset)], "N"),
                                         (["--batch", str(BATCH)], BATCH)):
                    path = os.path.join(tmp, f"{name}-extra.onnx")
                    run([args.elite, "export", "-m", model, "-o", path] + extra)
                    failures += check_file(f"{name} {' '.join(extra)}", path, tin, size, "nhwc",
                                           labels, batch_dim)
                    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
                    sub = npys[:BATCH] if batch_dim == "N" else (npys * BATCH)[:BATCH]
                    x = np.concatenate([np.load(p).astype(np.float32) for p in sub])
                    y = sess.run(None, {tin: x})[0]
                    d = max(float(np.max(np.abs(y[j] - ours[os.path.basename(p)][0])))
                            for j, p in enumerate(sub))
                    ok = d <= args.atol
                    failures += not ok
                    print(f"{'ok  ' if ok else 'FAIL'} {name} {' '.join(extra)}: onnxruntime "
                          f"batch {len(sub)}, max |prob diff| {d:.3g}", flush=True)

        failures += small_graphs(args, tmp)
        int8 = os.path.join(tmp, "lite0-int8.tflite")
        calib = os.path.join(tmp, "calib")
        os.makedirs(calib)
        os.symlink(os.path.abspath(files[0]), os.path.join(calib, os.path.basename(files[0])))
        r = run([args.elite, "quantize", "-m", os.path.join(args.models_dir, "efficientnet-lite0.tflite"),
                 "--calib", calib, "-o", int8], check=False)
        if r.returncode != 0:
            print(f"FAIL could not make an INT8 model for the bad-input case: {r.stderr.strip()}")
            failures += 1
            int8 = None
        failures += bad_input_cases(args, tmp, int8)
    print("PASS" if failures == 0 else f"FAIL ({failures})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
