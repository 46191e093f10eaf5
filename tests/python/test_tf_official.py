#!/usr/bin/env python3
"""End to end with TensorFlow: official-style checkpoints and TFLiteConverter files.

  .venv/bin/python tests/python/test_tf_official.py --elite build/elite \
      --preprocess-tool build/tests/elite_preprocess --pth-dir .cache/pth \
      --images ../shared/data/imagenet-sample --workdir /tmp/tfo --count 8

Inputs: --count sample images (sorted, evenly spaced) through `elite_preprocess --size N`
(the official eval preprocessing, float32 [1,N,N,3] .npy); every model below sees the
same tensors.

1. Checkpoints (--ckpt-models, default lite0..lite4). The EMA weights are the pretrained
   .pth values (lite0..lite2, mapped to the official names and layouts) or random ones
   (lite3, lite4). tf_checkpoint_fixture writes a training-style bundle: raw variables
   perturbed, `<var>/ExponentialMovingAverage` = the weights, RMSProp slots, an int64
   global_step and a `checkpoint` file; lite0's folder also holds an older checkpoint
   (different values) that the `checkpoint` file does not name. TF restores it the way
   the official export_model.py does (EMA variables_to_restore), which must give back
   the weights exactly. Then, for each model:
     elite convert DIR / PREFIX (/ PREFIX.index for lite0, release .tar.gz for
     --tar-models) -> .tflite ->
     `elite classify --json --logits`, compared with
       (a) `elite convert X.pth` on the same images (lite0..lite2), and
       (b) the Keras model (tf_reference_model, float64) with the restored weights,
   all within --atol (1e-4) on the logits, with the same top-1. For --no-ema-models the
   raw variables (`elite convert --no-ema`) are compared with Keras on the raw values.
2. TFLiteConverter files (float for --float-models, full-integer INT8 for --int8-models),
   made as export_model.py does: batch-1 float32 input, softmax(logits) output; INT8 with
   optimizations=[DEFAULT], a representative dataset of --rep-count sample images through
   the official preprocessing, supported_ops=[TFLITE_BUILTINS_INT8], uint8 input and
   output. The files run as they are:
     float: elite classify vs LiteRT (default resolver) probabilities within --prob-atol
            (1e-5) and the same top-1; the logits (LiteRT's softmax input) are reported,
            and elite's are held to --atol against Keras float64;
     INT8:  the float tensor quantized with the file's input scale and zero point (as
            TFLite's QUANTIZE does) into LiteRT's reference kernels (BUILTIN_REF); its
            uint8 outputs must equal elite's exactly (elite prints q / 256) on each of
            --int8-count images.
Prints ok/FAIL lines and a summary; the exit status is 1 if anything failed.
"""

import argparse
import os
import shutil
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import tf_checkpoint_fixture as fx  # noqa: E402
import tf_reference_model as ref  # noqa: E402
from elite_common import (add_common_args, classify, preprocess, run, scores, select,  # noqa: E402
                          to_uint8, tools_ready)

ALL = [f"efficientnet-lite{i}" for i in range(5)]


def short(name):
    return name.replace("efficientnet-", "")


class Report:
    def __init__(self):
        self.failures = []
        self.lines = []

    def check(self, ok, what, detail=""):
        line = f"{'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if detail else "")
        print(line, flush=True)
        self.lines.append(line)
        if not ok:
            self.failures.append(what)
        return ok


class Inputs:
    """The preprocessed sample tensors per input size."""

    def __init__(self, args, files):
        self.args, self.files, self.cache = args, files, {}

    def npys(self, size, files=None):
        return preprocess(self.args.preprocess_tool, files or self.files, size,
                          os.path.join(self.args.workdir, f"npy{size}"))

    def array(self, size, files=None):
        if files is not None:
            return np.concatenate([np.load(p) for p in self.npys(size, files)])
        if size not in self.cache:
            x = np.concatenate([np.load(p) for p in self.npys(size)])
            assert x.shape == (len(self.files), size, size, 3) and x.dtype == np.float32
            self.cache[size] = x
        return self.cache[size]


def elite_logits(args, model, npys):
    """elite classify --json --logits -> float64 [n, classes] in the order of npys."""
    by = classify(args.elite, model, npys, ["--logits", "--top-k", "1"])
    out = []
    for p in npys:
        e = by[os.path.basename(p)]
        lg = np.asarray(e["logits"], np.float64)
        assert int(e["top"][0]["index"]) == int(np.argmax(lg)), (p, e["top"][0])
        out.append(lg)
    return np.stack(out)


def elite_scores(args, model, npys):
    """elite classify --json --top-k all -> float64 [n, classes] scores."""
    by = classify(args.elite, model, npys, ["--top-k", "100000"])
    return np.stack([scores(by[os.path.basename(p)]) for p in npys])


def compare(rep, what, got, want, atol):
    d = np.abs(got - want)
    worst = float(d.max())
    top1 = int(np.sum(np.argmax(got, 1) != np.argmax(want, 1)))
    return rep.check(worst <= atol and top1 == 0, what,
                     f"{len(got)} images, max |diff| {worst:.3g} (atol {atol:g}), "
                     f"top-1 mismatches {top1}"), worst


# ---------------------------------------------------------------------------
# 1. Checkpoints.

def make_weights(args, name, workdir, inputs):
    """EMA weights {official name: array} and a label saying where they come from."""
    pth = os.path.join(args.pth_dir, name + ".pth")
    if name in ALL[:3] and os.path.exists(pth):
        npz = os.path.join(workdir, name + "_pth.npz")
        fx.pth_to_npz(pth, npz, args.torch_python)
        with np.load(npz) as z:
            return fx.official_from_lukemelas(name, dict(z)), "pretrained (.pth)"
    seed = 1000 + ALL.index(name)
    calib = inputs.array(ref.input_size(name), select(args.images, 5)[1:])
    return fx.random_weights(name, seed, calib), \
        f"random (seed {seed}, BN statistics from {len(calib)} sample images)"


def check_checkpoint(args, rep, inputs, name, keras_cache):
    import tensorflow as tf

    t0 = time.time()
    size = ref.input_size(name)
    work = os.path.join(args.workdir, short(name))
    shutil.rmtree(work, ignore_errors=True)
    ckdir = os.path.join(work, name)
    os.makedirs(ckdir)
    ema, source = make_weights(args, name, work, inputs)
    raw = fx.perturbed(ema, seed=7 + ALL.index(name))
    if name == ALL[0]:
        # An older checkpoint in the same folder: readers must follow the `checkpoint` file.
        old = fx.perturbed(ema, seed=99)
        fx.write_checkpoint(os.path.join(ckdir, "model.ckpt-1000"), name, old, old, 1000)
    step = 123456
    prefix = os.path.join(ckdir, f"model.ckpt-{step}")
    names = fx.write_checkpoint(prefix, name, ema, raw, step, seed=ALL.index(name))
    if name == ALL[0]:
        with open(os.path.join(ckdir, "checkpoint"), "w") as f:
            f.write(f'model_checkpoint_path: "model.ckpt-{step}"\n'
                    f'all_model_checkpoint_paths: "model.ckpt-1000"\n'
                    f'all_model_checkpoint_paths: "model.ckpt-{step}"\n')
    print(f"{name}: {source} weights, {len(names)} tensors in {prefix}", flush=True)

    # The fixture, read back by TF the official way.
    restored, gs = fx.restore_official(ckdir, name, enable_ema=True)
    restored_raw, _ = fx.restore_official(prefix, name, enable_ema=False)
    same = all(np.array_equal(restored[k], ema[k]) for k in ema) and \
        all(np.array_equal(restored_raw[k], raw[k]) for k in raw) and gs == step
    rep.check(same, f"{short(name)} checkpoint restored by TF (EMA, export_model.py style)",
              f"{len(ema)} variables{'' if same else ' DIFFER'}, global_step {gs}")
    listed = dict(tf.train.list_variables(prefix))
    rep.check(len(listed) == len(names), f"{short(name)} checkpoint variable count",
              f"{len(listed)} listed, {len(names)} written")

    npys = inputs.npys(size)
    x = inputs.array(size)
    km = keras_cache.get(name)
    if km is None:
        km = keras_cache[name] = ref.KerasLite(name, dtype="float64")
    km.set_weights(restored)
    keras_ema = km.logits(x.astype(np.float64))
    # The comparison means little if the logits hardly depend on the image (saturated
    # random weights): require them to vary between images and report how much.
    spread = float(np.mean(np.std(keras_ema, axis=0)))
    rep.check(spread > 0.05 or len(x) < 2, f"{short(name)} Keras logits depend on the image",
              f"|logits| up to {np.abs(keras_ema).max():.3g}, mean std over images "
              f"{spread:.3g}, {len(set(np.argmax(keras_ema, 1).tolist()))} distinct top-1 "
              f"in {len(x)} images")

    pth_logits = None
    pth = os.path.join(args.pth_dir, name + ".pth")
    if name in ALL[:3] and os.path.exists(pth):
        out = os.path.join(work, "from_pth.tflite")
        run([args.elite, "convert", pth, "-o", out])
        pth_logits = elite_logits(args, out, npys)
        compare(rep, f"{short(name)} elite(.pth) vs Keras float64", pth_logits, keras_ema,
                args.atol)

    inputs_to_try = [("folder", ckdir, []), ("prefix", prefix, ["--model", name])]
    if name == ALL[0]:
        inputs_to_try.append(("index file", prefix + ".index", []))
    if name in args.tar_models:
        tgz = os.path.join(work, name + ".tar.gz")
        release = os.path.join(work, "release")
        os.makedirs(release)
        for f in os.listdir(ckdir):
            if f.startswith(f"model.ckpt-{step}."):
                shutil.copy(os.path.join(ckdir, f),
                            os.path.join(release, f.replace(f"-{step}", "")))
        with open(os.path.join(release, "checkpoint"), "w") as f:
            f.write('model_checkpoint_path: "model.ckpt"\n'
                    'all_model_checkpoint_paths: "model.ckpt"\n')
        fx.write_meta_graph(os.path.join(release, "model.ckpt.meta"), name)
        fx.pack_release(name, release, tgz)
        inputs_to_try.append(("release .tar.gz", tgz, []))
    for label, path, extra in inputs_to_try:
        out = os.path.join(work, f"from_ckpt_{label.split()[0]}.tflite")
        r = run([args.elite, "convert", path] + extra + ["-o", out], check=False)
        if r.returncode != 0:
            rep.check(False, f"{short(name)} elite convert {label}", r.stderr.strip()[-300:])
            continue
        got = elite_logits(args, out, npys)
        compare(rep, f"{short(name)} elite(checkpoint {label}) vs Keras float64", got,
                keras_ema, args.atol)
        if pth_logits is not None:
            compare(rep, f"{short(name)} elite(checkpoint {label}) vs elite(.pth)", got,
                    pth_logits, args.atol)

    if name in args.no_ema_models:
        out = os.path.join(work, "from_ckpt_raw.tflite")
        r = run([args.elite, "convert", ckdir, "--no-ema", "-o", out], check=False)
        if r.returncode != 0:
            rep.check(False, f"{short(name)} elite convert --no-ema", r.stderr.strip()[-300:])
        else:
            got = elite_logits(args, out, npys)
            km.set_weights(restored_raw)
            keras_raw = km.logits(x.astype(np.float64))
            compare(rep, f"{short(name)} elite(checkpoint --no-ema) vs Keras float64 on the raw "
                    "variables", got, keras_raw, args.atol)
            # Sanity of the fixture: the raw values really change the logits.
            d = float(np.abs(keras_raw - keras_ema).max())
            rep.check(d > 100 * args.atol, f"{short(name)} raw and EMA weights differ",
                      f"max |logit diff| {d:.3g}")
            km.set_weights(restored)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)  # up to 0.5 GB per model
    print(f"[{name} checkpoints: {time.time() - t0:.1f} s]", flush=True)
    return restored


# ---------------------------------------------------------------------------
# 2. TFLiteConverter files.

def converter(km, rep_npys=None):
    """tf.lite.TFLiteConverter on the batch-1 float32 Keras model whose output is
    softmax(logits), as export_model.py builds its graph (from_keras_model freezes the
    variables through a SavedModel); INT8 when rep_npys is given."""
    import tensorflow as tf

    conv = tf.lite.TFLiteConverter.from_keras_model(km.model)
    if rep_npys is not None:
        def representative_dataset_gen():
            for p in rep_npys:
                yield [np.load(p)]

        conv.representative_dataset = representative_dataset_gen
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.inference_input_type = tf.uint8
        conv.inference_output_type = tf.uint8
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return conv.convert()


def litert(path, resolver_name, preserve=False):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_path=path, num_threads=1,
                     experimental_op_resolver_type=getattr(OpResolverType, resolver_name),
                     experimental_preserve_all_tensors=preserve)
    it.allocate_tensors()
    return it


def check_converter_float(args, rep, inputs, name, weights, keras_cache):
    t0 = time.time()
    size = ref.input_size(name)
    km = ref.KerasLite(name, dtype="float32", batch_size=1)
    km.set_weights(weights)
    path = os.path.join(args.workdir, f"{name}-converter-fp32.tflite")
    with open(path, "wb") as f:
        f.write(converter(km))
    npys = inputs.npys(size)
    x = inputs.array(size)
    try:
        by = classify(args.elite, path, npys, ["--logits", "--top-k", "100000"])
    except RuntimeError as e:
        rep.check(False, f"{short(name)} converter float file in elite", str(e)[-300:])
        return
    ours_p, ours_l = [], []
    for p in npys:
        e = by[os.path.basename(p)]
        s = scores(e, len(e["top"]))
        ours_p.append(s)
        ours_l.append(np.asarray(e.get("logits") or [np.nan] * len(s), np.float64))
    ours_p, ours_l = np.stack(ours_p), np.stack(ours_l)

    it = litert(path, "AUTO", preserve=True)
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    softmax_in = [op["inputs"][0] for op in it._get_ops_details() if op["op_name"] == "SOFTMAX"]
    theirs_p, theirs_l = [], []
    for i in range(len(x)):
        it.set_tensor(inp["index"], x[i:i + 1])
        it.invoke()
        theirs_p.append(it.get_tensor(out["index"]).reshape(-1).astype(np.float64))
        if len(softmax_in) == 1:
            theirs_l.append(it.get_tensor(softmax_in[0]).reshape(-1).astype(np.float64))
    theirs_p = np.stack(theirs_p)
    compare(rep, f"{short(name)} converter float file: elite vs LiteRT probabilities",
            ours_p, theirs_p, args.prob_atol)
    if theirs_l:
        d = float(np.abs(np.stack(theirs_l) - ours_l).max())
        print(f"     {short(name)} converter float file: elite vs LiteRT logits max |diff| "
              f"{d:.3g} (reported)", flush=True)
    km64 = keras_cache.get(name)
    if km64 is not None:
        compare(rep, f"{short(name)} converter float file in elite vs Keras float64 logits",
                ours_l, km64.logits(x.astype(np.float64)), args.atol)
    print(f"[{name} converter float: {time.time() - t0:.1f} s]", flush=True)


def check_converter_int8(args, rep, inputs, name, weights):
    t0 = time.time()
    size = ref.input_size(name)
    km = ref.KerasLite(name, dtype="float32", batch_size=1)
    km.set_weights(weights)
    rep_npys = inputs.npys(size, select(args.images, args.rep_count))
    path = os.path.join(args.workdir, f"{name}-converter-int8.tflite")
    with open(path, "wb") as f:
        f.write(converter(km, rep_npys))
    print(f"     {short(name)} INT8 conversion with {len(rep_npys)} representative images: "
          f"{time.time() - t0:.1f} s", flush=True)
    it = litert(path, "BUILTIN_REF")
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    ok_io = inp["dtype"] == np.uint8 and out["dtype"] == np.uint8
    in_q, out_q = inp["quantization"], out["quantization"]
    rep.check(ok_io, f"{short(name)} converter INT8 file has uint8 input and output",
              f"input {inp['dtype'].__name__} scale {in_q[0]:.9g} zero point {in_q[1]}; "
              f"output {out['dtype'].__name__} scale {out_q[0]:.9g} zero point {out_q[1]}")
    if not ok_io:
        return
    files = select(args.images, args.int8_count)
    npys = inputs.npys(size, files)
    x = inputs.array(size, files)
    try:
        scores = elite_scores(args, path, npys)
    except RuntimeError as e:
        rep.check(False, f"{short(name)} converter INT8 file in elite", str(e))
        return
    q_ours = scores / out_q[0] + out_q[1]
    exact_scores = bool(np.all(np.abs(q_ours - np.round(q_ours)) < 1e-6))
    rep.check(exact_scores, f"{short(name)} elite INT8 scores are (q - zp) * scale",
              "" if exact_scores else "scores are not multiples of the output scale")
    q_ours = np.round(q_ours).astype(np.int64)
    equal, worst, worst_n = 0, 0, 0
    for i in range(len(x)):
        it.set_tensor(inp["index"], to_uint8(x[i:i + 1], *in_q))
        it.invoke()
        q = it.get_tensor(out["index"]).reshape(-1).astype(np.int64)
        d = np.abs(q - q_ours[i])
        equal += int(not d.any())
        if d.max() > worst:
            worst, worst_n = int(d.max()), int((d > 0).sum())
    rep.check(equal == len(x), f"{short(name)} converter INT8 file: elite vs LiteRT BUILTIN_REF "
              "uint8 outputs", f"equal on {equal}/{len(x)} images"
              + (f", worst {worst} LSB over {worst_n} classes" if worst else ""))
    print(f"[{name} converter INT8: {time.time() - t0:.1f} s]", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(ap)  # --models is unused here; accepted for symmetry
    ap.add_argument("--pth-dir", default=".cache/pth")
    ap.add_argument("--workdir", required=True, help="scratch folder (emptied first)")
    ap.add_argument("--count", type=int, default=8, help="images compared per model (0: all)")
    ap.add_argument("--int8-count", type=int, default=25,
                    help="images compared on the INT8 converter files (0: all)")
    ap.add_argument("--rep-count", type=int, default=100,
                    help="representative images for the INT8 conversion")
    ap.add_argument("--ckpt-models", default=",".join(ALL))
    ap.add_argument("--tar-models", default="efficientnet-lite0,efficientnet-lite3")
    ap.add_argument("--no-ema-models", default="efficientnet-lite0")
    ap.add_argument("--float-models", default="efficientnet-lite0,efficientnet-lite3")
    ap.add_argument("--int8-models", default="efficientnet-lite0")
    ap.add_argument("--atol", type=float, default=1e-4, help="on logits")
    ap.add_argument("--prob-atol", type=float, default=1e-5, help="on probabilities")
    ap.add_argument("--torch-python", default="/usr/bin/python3")
    ap.add_argument("--keep", action="store_true",
                    help="keep the checkpoints and .tflite files under --workdir")
    args = ap.parse_args()
    split = lambda s: [m for m in s.split(",") if m]  # noqa: E731
    for k in ("ckpt_models", "tar_models", "no_ema_models", "float_models", "int8_models"):
        names = split(getattr(args, k))
        bad = [n for n in names if n not in ALL]
        if bad:
            ap.error(f"--{k.replace('_', '-')}: unknown model {bad[0]}")
        setattr(args, k, names)
    if not tools_ready((args.elite, args.preprocess_tool)):
        return 1
    t_start = time.time()
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    files = select(args.images, args.count)
    assert files, f"no images in {args.images}"
    inputs = Inputs(args, files)
    rep = Report()
    keras_cache = {}
    weights = {}

    def guarded(what, fn, *a):
        try:
            return fn(*a)
        except Exception as e:  # one broken step must not hide the others
            import traceback
            traceback.print_exc()
            rep.check(False, what, f"{type(e).__name__}: {str(e)[-300:]}")
            return None

    for name in args.ckpt_models:
        weights[name] = guarded(f"{short(name)} checkpoint checks", check_checkpoint, args, rep,
                                inputs, name, keras_cache)
    for name in args.float_models + args.int8_models:
        if weights.get(name) is None:
            weights[name] = make_weights(args, name, args.workdir, inputs)[0]
    for name in args.float_models:
        guarded(f"{short(name)} converter float checks", check_converter_float, args, rep,
                inputs, name, weights[name], keras_cache)
    for name in args.int8_models:
        guarded(f"{short(name)} converter INT8 checks", check_converter_int8, args, rep, inputs,
                name, weights[name])

    print(f"\n{len(rep.lines) - len(rep.failures)} ok, {len(rep.failures)} failed "
          f"({len(files)} images, {time.time() - t_start:.0f} s)")
    for f in rep.failures:
        print(f"  failed: {f}")
    return 1 if rep.failures else 0


if __name__ == "__main__":
    sys.exit(main())
