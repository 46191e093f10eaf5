"""Bit-exactness of elite's reference INT8 kernels against LiteRT's reference kernels.

For each op of EfficientNet-lite (CONV_2D 3x3 s2 SAME + RELU6, 1x1 CONV_2D, DEPTHWISE_CONV_2D
3x3/5x5 s1/s2, ADD, MEAN, FULLY_CONNECTED, SOFTMAX, QUANTIZE/DEQUANTIZE at the edges) this
builds a tiny Keras model, converts it with full-integer post-training quantization (as
the official INT8 export does), runs it in ai_edge_litert's Interpreter with the
BUILTIN_REF op resolver on random inputs, takes the op's input, weights, bias and
quantization parameters out of the interpreter, hands them to qs8_op_runner (our reference
kernel, JSON in / JSON out) and requires the outputs to be identical.

Usage: .venv/bin/python tests/python/test_qs8_ops.py --runner build-qs8/tests/qs8_op_runner
       [--quick] [--op NAME ...]
Prints one line per op kind and "N passed, M failed"; exits non-zero on any failure.
"""

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from ai_edge_litert import schema_py_generated as schema  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

CHANNELS = [1, 7, 16, 17, 33]
ACTIVATIONS = {0: "NONE", 1: "RELU", 3: "RELU6"}  # tflite ActivationFunctionType
PADDINGS = {0: "SAME", 1: "VALID"}
DTYPES = {np.int8: "int8", np.uint8: "uint8", np.float32: "float32", np.int32: "int32"}
BUILTIN_NAMES = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}


# ---------------------------------------------------------------------------------------
# Conversion and interpretation


def convert(model, input_shapes, rng, in_type=tf.int8, out_type=tf.int8, input_scales=None):
    """Full-integer PTQ with a random representative dataset."""
    input_scales = input_scales or [1.0] * len(input_shapes)

    def representative():
        for _ in range(16):
            yield [(rng.standard_normal(s) * k).astype(np.float32)
                   for s, k in zip(input_shapes, input_scales)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = in_type
    conv.inference_output_type = out_type
    with contextlib.redirect_stdout(io.StringIO()):  # the Keras export prints its signature
        return conv.convert()


def randomize_biases(model, rng, scale=0.3):
    for layer in model.layers:
        ws = layer.get_weights()
        if len(ws) == 2:  # kernel, bias
            ws[1] = (rng.standard_normal(ws[1].shape) * scale).astype(np.float32)
            layer.set_weights(ws)


class Run:
    """One interpreted model: tensors by index, ops with their builtin options."""

    def __init__(self, buf, rng, float_input_scale=1.0):
        self.it = Interpreter(model_content=buf,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                              experimental_preserve_all_tensors=True)
        self.it.allocate_tensors()
        self.invoke(rng, float_input_scale)
        model = schema.Model.GetRootAs(buf, 0)
        sg = model.Subgraphs(0)
        self.ops = []
        for i in range(sg.OperatorsLength()):
            op = sg.Operators(i)
            code = model.OperatorCodes(op.OpcodeIndex())
            builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            self.ops.append((BUILTIN_NAMES.get(builtin, str(builtin)), op,
                             list(op.InputsAsNumpy()), list(op.OutputsAsNumpy())))

    def invoke(self, rng, float_input_scale=1.0):
        """Runs the model on fresh random inputs (int8/uint8 uniform over the full range)."""
        for d in self.it.get_input_details():
            dt = d["dtype"]
            if dt == np.float32:
                x = (rng.standard_normal(d["shape"]) * float_input_scale).astype(np.float32)
            else:
                info = np.iinfo(dt)
                x = rng.integers(info.min, info.max + 1, size=d["shape"]).astype(dt)
            self.it.set_tensor(d["index"], x)
        self.it.invoke()
        self.details = {d["index"]: d for d in self.it.get_tensor_details()}

    def tensor(self, idx):
        return self.it.get_tensor(int(idx))

    def quant(self, idx):
        q = self.details[int(idx)]["quantization_parameters"]
        return [float(s) for s in q["scales"]], [int(z) for z in q["zero_points"]]

    def dtype(self, idx):
        return DTYPES[self.details[int(idx)]["dtype"]]

    def find(self, name):
        return [o for o in self.ops if o[0] == name]


def options(op, cls):
    t = op.BuiltinOptions()
    o = cls()
    o.Init(t.Bytes, t.Pos)
    return o


def describe(run, entry):
    """The JSON description of one op for qs8_op_runner, and the interpreter's output."""
    name, op, ins, outs = entry
    x, y = ins[0], outs[0]
    d = {"input": run.tensor(x).reshape(-1).tolist(), "input_shape": list(run.tensor(x).shape),
         "input_dtype": run.dtype(x), "output_shape": list(run.tensor(y).shape),
         "output_dtype": run.dtype(y)}
    if d["input_dtype"] == "float32":
        d["input"] = [float(v) for v in run.tensor(x).reshape(-1)]
    else:
        s, z = run.quant(x)
        d["input_scale"], d["input_zero_point"] = s[0], z[0]
    if d["output_dtype"] != "float32":
        s, z = run.quant(y)
        d["output_scale"], d["output_zero_point"] = s[0], z[0]
    if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        w = run.tensor(ins[1])
        d["weights"] = w.reshape(-1).tolist()
        d["weight_shape"] = list(w.shape)
        d["weight_scales"], d["weight_zero_points"] = run.quant(ins[1])
        if len(ins) > 2 and ins[2] >= 0:
            d["bias"] = run.tensor(ins[2]).reshape(-1).tolist()
    if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        o = options(op, schema.Conv2DOptions if name == "CONV_2D"
                    else schema.DepthwiseConv2DOptions)
        assert o.DilationHFactor() == 1 and o.DilationWFactor() == 1
        if name == "DEPTHWISE_CONV_2D":
            assert o.DepthMultiplier() == 1
        d["op"] = "conv2d" if name == "CONV_2D" else "depthwise_conv2d"
        d["stride"] = [o.StrideH(), o.StrideW()]
        d["padding"] = PADDINGS[o.Padding()]
        d["activation"] = ACTIVATIONS[o.FusedActivationFunction()]
    elif name == "FULLY_CONNECTED":
        d["op"] = "fully_connected"
        d["activation"] = ACTIVATIONS[options(op, schema.FullyConnectedOptions)
                                      .FusedActivationFunction()]
    elif name == "ADD":
        d["op"] = "add"
        d["input2"] = run.tensor(ins[1]).reshape(-1).tolist()
        s, z = run.quant(ins[1])
        d["input2_scale"], d["input2_zero_point"] = s[0], z[0]
        d["activation"] = ACTIVATIONS[options(op, schema.AddOptions).FusedActivationFunction()]
        assert run.tensor(ins[1]).shape == run.tensor(x).shape
    elif name == "MEAN":
        d["op"] = "mean"
        axes = sorted(int(a) for a in run.tensor(ins[1]).reshape(-1))
        assert axes == [1, 2], axes
    elif name == "SOFTMAX":
        d["op"] = "softmax"
        d["beta"] = float(options(op, schema.SoftmaxOptions).Beta())
    elif name == "QUANTIZE":
        d["op"] = "quantize"
    elif name == "DEQUANTIZE":
        d["op"] = "dequantize"
    else:
        raise ValueError(name)
    return d, run.tensor(y)


def run_runner(runner, desc):
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.json"), os.path.join(tmp, "out.json")
        with open(src, "w") as f:
            json.dump(desc, f)
        p = subprocess.run([runner, src, dst], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"qs8_op_runner failed: {p.stderr.strip()}")
        with open(dst) as f:
            return json.load(f)["output"]


# ---------------------------------------------------------------------------------------
# Cases: (kind, label, build(rng) -> (model, input shapes, options for convert/run), ops)


def keras_input(shape):
    return tf.keras.Input(shape[1:], batch_size=1)


def conv_case(h, w, cin, cout, k, stride, act):
    def build():
        i = keras_input((1, h, w, cin))
        o = tf.keras.layers.Conv2D(cout, k, strides=stride, padding="same",
                                   activation=act)(i)
        return tf.keras.Model(i, o), [(1, h, w, cin)], {}
    return build


def dw_case(h, w, c, k, stride, act):
    def build():
        i = keras_input((1, h, w, c))
        o = tf.keras.layers.DepthwiseConv2D(k, strides=stride, padding="same",
                                            activation=act)(i)
        return tf.keras.Model(i, o), [(1, h, w, c)], {}
    return build


def add_case(h, w, c, act):
    def build():
        a, b = keras_input((1, h, w, c)), keras_input((1, h, w, c))
        o = tf.keras.layers.Add()([a, b])
        if act:
            o = tf.keras.layers.ReLU()(o)
        return tf.keras.Model([a, b], o), [(1, h, w, c)] * 2, {"input_scales": [1.0, 3.0]}
    return build


def mean_case(h, w, c, keepdims):
    def build():
        i = keras_input((1, h, w, c))
        o = tf.keras.layers.GlobalAveragePooling2D(keepdims=keepdims)(i)
        return tf.keras.Model(i, o), [(1, h, w, c)], {}
    return build


def dense_case(k, n, act):
    def build():
        i = keras_input((1, k))
        o = tf.keras.layers.Dense(n, activation=act)(i)
        return tf.keras.Model(i, o), [(1, k)], {}
    return build


def softmax_case(k, n):
    def build():
        i = keras_input((1, k))
        o = tf.keras.layers.Dense(n)(i)
        o = tf.keras.layers.Softmax()(o)
        return tf.keras.Model(i, o), [(1, k)], {"input_scales": [4.0]}
    return build


def edge_case(h, w, c, io_type):
    """Conv with uint8 or float edges: QUANTIZE / DEQUANTIZE ops around it."""
    def build():
        i = keras_input((1, h, w, c))
        o = tf.keras.layers.Conv2D(5, 3, strides=2, padding="same", activation=tf.nn.relu6)(i)
        return tf.keras.Model(i, o), [(1, h, w, c)], {"in_type": io_type, "out_type": io_type}
    return build


def cases(quick):
    chans = [7, 17] if quick else CHANNELS
    out = []
    for c in chans:
        out.append(("conv3x3_s2_relu6", f"9x7x3->{c}",
                    conv_case(9, 7, 3, c, 3, 2, tf.nn.relu6), ["CONV_2D"]))
        out.append(("conv3x3_s2_relu6", f"8x11x{c}->16",
                    conv_case(8, 11, c, 16, 3, 2, tf.nn.relu6), ["CONV_2D"]))
        out.append(("conv1x1", f"7x5x{c}->{c + 3}",
                    conv_case(7, 5, c, c + 3, 1, 1, None), ["CONV_2D"]))
        for k in (3, 5):
            for s in (1, 2):
                out.append((f"dwconv{k}x{k}_s{s}", f"9x11x{c}",
                            dw_case(9, 11, c, k, s, tf.nn.relu6), ["DEPTHWISE_CONV_2D"]))
        out.append(("add", f"5x7x{c}", add_case(5, 7, c, False), ["ADD"]))
        out.append(("mean", f"7x9x{c}", mean_case(7, 9, c, False), ["MEAN"]))
        out.append(("mean", f"5x5x{c} keepdims", mean_case(5, 5, c, True), ["MEAN"]))
        out.append(("fully_connected", f"{c + 10}->{c}", dense_case(c + 10, c, None),
                    ["FULLY_CONNECTED"]))
        out.append(("softmax", f"{c}", softmax_case(13, c), ["SOFTMAX"]))
    out.append(("add", "4x4x16 relu", add_case(4, 4, 16, True), ["ADD"]))
    out.append(("conv1x1", "14x14x40->240", conv_case(14, 14, 40, 240, 1, 1, None), ["CONV_2D"]))
    out.append(("mean", "7x7x1280", mean_case(7, 7, 1280, False), ["MEAN"]))
    out.append(("fully_connected", "1280->1000", dense_case(1280, 1000, None),
                ["FULLY_CONNECTED"]))
    out.append(("softmax", "1000", softmax_case(64, 1000), ["SOFTMAX"]))
    out.append(("quantize_uint8_edges", "9x9x3", edge_case(9, 9, 3, tf.uint8), ["QUANTIZE"]))
    out.append(("quantize_dequantize_float_edges", "9x9x3", edge_case(9, 9, 3, tf.float32),
                ["QUANTIZE", "DEQUANTIZE"]))
    return out


def check_ops(run, runner, tag0, op_names, summary, failures):
    """Compares every op named in op_names of one interpreted model with the runner."""
    for name in op_names:
        entries = run.find(name)
        if not entries:
            failures.append(f"{tag0}: no {name} op in "
                            f"{[o[0] for o in run.ops]}")
            summary.setdefault(tag0.split()[0], [0, 0])[1] += 1
            continue
        for entry in entries:
            desc, want = describe(run, entry)
            tag = (f"{tag0} {name} "
                   f"{desc['input_dtype']}->{desc['output_dtype']}")
            try:
                got = np.array(run_runner(runner, desc)).reshape(want.shape)
            except Exception as e:  # noqa: BLE001
                failures.append(f"{tag}: {e}")
                summary.setdefault(tag0.split()[0], [0, 0])[1] += 1
                continue
            if want.dtype == np.float32:
                ok = np.array_equal(got.astype(np.float32).view(np.int32),
                                    want.view(np.int32))
            else:
                ok = np.array_equal(got.astype(np.int64), want.astype(np.int64))
            summary.setdefault(tag0.split()[0], [0, 0])[0 if ok else 1] += 1
            if not ok:
                diff = got.astype(np.float64) - want.astype(np.float64)
                params = {k: v for k, v in desc.items()
                          if k not in ("input", "input2", "weights", "bias")}
                failures.append(f"{tag}: {int(np.count_nonzero(diff))}/{diff.size} differ,"
                                f" max |diff| {np.abs(diff).max()} params {params}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runner", default="build-qs8/tests/qs8_op_runner")
    ap.add_argument("--seeds", type=int, default=2, help="random models per case")
    ap.add_argument("--invokes", type=int, default=4,
                    help="random inputs per model (each compared); more finds rarer ties")
    ap.add_argument("--quick", action="store_true", help="channels 7 and 17 only")
    ap.add_argument("--op", action="append", help="only case kinds containing this string")
    args = ap.parse_args()
    if not os.path.exists(args.runner):
        print(f"runner not found: {args.runner}", file=sys.stderr)
        return 2

    summary = {}
    failures = []
    for kind, label, build, op_names in cases(args.quick):
        if args.op and not any(s in kind for s in args.op):
            continue
        for seed in range(args.seeds):
            rng = np.random.default_rng(1000 * seed + 17)
            tf.keras.utils.set_random_seed(1000 * seed + 17)
            model, shapes, opts = build()
            randomize_biases(model, rng)
            buf = convert(model, shapes, rng, in_type=opts.get("in_type", tf.int8),
                          out_type=opts.get("out_type", tf.int8),
                          input_scales=opts.get("input_scales"))
            fscale = (opts.get("input_scales") or [1.0])[0]
            run = Run(buf, rng, float_input_scale=fscale)
            for inv in range(args.invokes):
                if inv:
                    run.invoke(rng, fscale)
                check_ops(run, args.runner, f"{kind} {label} seed {seed}", op_names, summary,
                          failures)
    for f in failures:
        print("FAIL", f)
    passed = sum(v[0] for v in summary.values())
    failed = sum(v[1] for v in summary.values())
    for kind, (p, f) in summary.items():
        print(f"{kind:34s} {p:3d} exact, {f:3d} mismatched")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
