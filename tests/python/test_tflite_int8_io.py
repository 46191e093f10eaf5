#!/usr/bin/env python3
"""INT8 .tflite files from TensorFlow's converter through elite's reader and writer.

  .venv/bin/python tests/python/test_tflite_int8_io.py --bin-dir build/tests

A small Keras model shaped like an EfficientNet-lite block (stem conv 3x3 s2 relu6,
depthwise 3x3 relu6, 1x1 expand relu6, 1x1 project, residual add, global average pool,
dense, softmax) is converted the way the official export does it (optimizations=[DEFAULT],
a representative dataset, supported_ops=[TFLITE_BUILTINS_INT8], uint8 input and output),
and in variants. Checks, each printed as PASS/FAIL (exit code 1 if any fails):
  uint8 I/O   tests/tools/tflite_graph_info accepts the file; every activation's type, scale
              and zero point, every weight tensor's scales, zero points, quantized dimension
              and int8 values, and every int32 bias equal what LiteRT reports
              (get_tensor_details / get_tensor); the edges are uint8 1/128 @ 127 in and
              1/256 @ 0 out
  rewrite     the Graph written back by elite (tflite_graph_info --write) loads in LiteRT with
              the reference kernels (BUILTIN_REF) and gives bit-identical outputs to the
              converter's file on random inputs; the same quantization parameters again
  int8 I/O    the same with inference_input_type = inference_output_type = int8
  float I/O   INT8 inside, float edges (QUANTIZE float->int8, DEQUANTIZE int8->float)
  float       a float model with ZeroPadding2D + VALID stem (PAD) and global pooling (MEAN)
  hybrid      a dynamic-range model (float activations, int8 weights) is refused clearly
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

import numpy as np

H = W = 16


def block_model(padded_stem=False):
    import tensorflow as tf

    k = tf.keras
    tf.random.set_seed(0)
    if padded_stem:
        inp = k.Input((H + 1, W + 1, 3), batch_size=1)
        x = k.layers.ZeroPadding2D(((0, 1), (0, 1)))(inp)
        x = k.layers.Conv2D(8, 3, strides=2, padding="valid", activation=tf.nn.relu6)(x)
    else:
        inp = k.Input((H, W, 3), batch_size=1)
        x = k.layers.Conv2D(8, 3, strides=2, padding="same", activation=tf.nn.relu6)(inp)
    y = k.layers.DepthwiseConv2D(3, padding="same", activation=tf.nn.relu6,
                                 bias_initializer="random_uniform")(x)
    y = k.layers.Conv2D(16, 1, activation=tf.nn.relu6, bias_initializer="random_uniform")(y)
    y = k.layers.Conv2D(8, 1, bias_initializer="random_uniform")(y)
    z = k.layers.Add()([y, x])
    z = k.layers.GlobalAveragePooling2D()(z)
    z = k.layers.Dense(5, bias_initializer="random_uniform")(z)
    out = k.layers.Softmax()(z)
    return k.Model(inp, out)


def representative_dataset():
    # Like the eval preprocessing's output: bytes mapped by (x - 127) / 128.
    rng = np.random.default_rng(0)
    for _ in range(32):
        img = rng.integers(0, 256, (1, H, W, 3)).astype(np.float32)
        yield [(img - 127.0) / 128.0]


def convert(model, path, mode):
    """mode: 'float', 'dynamic', or the I/O type of a full-integer model: uint8/int8/float32."""
    import tensorflow as tf

    c = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode != "float":
        c.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode in ("uint8", "int8", "float32"):
        c.representative_dataset = representative_dataset
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        c.inference_input_type = getattr(tf, mode)
        c.inference_output_type = getattr(tf, mode)
    with open(path, "wb") as f:
        f.write(c.convert())


def interpreter(path):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_path=path,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    return it


def litert_run(it, x):
    inp = it.get_input_details()[0]
    it.set_tensor(inp["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]).copy()


def random_input(it, seed):
    d = it.get_input_details()[0]
    rng = np.random.default_rng(seed)
    shape = tuple(d["shape"])
    if d["dtype"] == np.uint8:
        return rng.integers(0, 256, shape).astype(np.uint8)
    if d["dtype"] == np.int8:
        return rng.integers(-128, 128, shape).astype(np.int8)
    return rng.uniform(-1, 1, shape).astype(np.float32)


class Env:
    def __init__(self, bin_dir, tmp):
        self.bin_dir = bin_dir
        self.tmp = tmp
        self.notes = []

    def tool(self, *args, check=True):
        exe = os.path.join(self.bin_dir, "tflite_graph_info")
        r = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
        if check and r.returncode != 0:
            raise AssertionError(f"tflite_graph_info {' '.join(map(str, args))} failed "
                                 f"({r.returncode}): {r.stderr.strip()}")
        return r

    def graph_info(self, path, *extra):
        return json.loads(self.tool(path, "--values", *extra).stdout)

    def model(self, name, mode, padded_stem=False):
        path = os.path.join(self.tmp, name + ".tflite")
        if not os.path.exists(path):
            convert(block_model(padded_stem), path, mode)
        return path


DTYPES = {np.float32: "FLOAT32", np.int8: "INT8", np.uint8: "UINT8", np.int32: "INT32"}


def f32_list(values):
    return [float(np.float32(v)) for v in values]


def check_against_litert(env, path, info):
    """Every tensor and constant elite reports equals LiteRT's view of the file."""
    it = interpreter(path)
    details = {d["index"]: d for d in it.get_tensor_details()}
    by_name = {d["name"]: d for d in details.values()}
    ops = it._get_ops_details()
    assert len(ops) == len(info["ops"]), (len(ops), len(info["ops"]))
    for t in info["tensors"]:
        d = by_name[t["name"]]
        assert t["dtype"] == DTYPES[d["dtype"]], (t, d["dtype"])
        assert t["shape"] == list(d["shape"]), (t, d["shape"])
        q = d["quantization_parameters"]
        if t["dtype"] == "FLOAT32":
            assert "quant" not in t, t
            continue
        assert t["quant"]["scale"] == f32_list(q["scales"]), (t["name"], t["quant"], q)
        assert t["quant"]["zero_point"] == [int(z) for z in q["zero_points"]], (t["name"], q)
    checked_weights = 0
    for mine, theirs in zip(info["ops"], ops):
        assert mine["kind"] == theirs["op_name"] or (
            mine["kind"], theirs["op_name"]) == ("MEAN", "AVERAGE_POOL_2D"), (mine, theirs)
        if "weight_quant" not in mine:
            continue
        w = details[theirs["inputs"][1]]
        q = w["quantization_parameters"]
        assert w["dtype"] == np.int8, w
        assert mine["weight_quant"]["scale"] == f32_list(q["scales"]), (mine["kind"], q)
        assert mine["weight_quant"]["zero_point"] == [int(z) for z in q["zero_points"]]
        if len(q["scales"]) > 1:
            assert mine["weight_quant"]["axis"] == q["quantized_dimension"], (mine, q)
        values = it.get_tensor(theirs["inputs"][1])
        assert mine["weights_shape"] == list(values.shape), (mine["weights_shape"], values.shape)
        assert np.array_equal(np.array(mine["qweights"], np.int8), values.reshape(-1)), \
            f"{mine['kind']}: int8 weights differ"
        if len(theirs["inputs"]) > 2 and theirs["inputs"][2] >= 0:
            b = it.get_tensor(theirs["inputs"][2])
            assert b.dtype == np.int32, b.dtype
            assert np.array_equal(np.array(mine["qbias"], np.int32), b), \
                f"{mine['kind']}: int32 bias differs"
        checked_weights += 1
    return checked_weights


def check_roundtrip(env, path, info, seeds=(1, 2, 3, 4, 5)):
    """elite's rewrite of `path` runs in LiteRT (BUILTIN_REF) with bit-identical outputs."""
    rewritten = path.replace(".tflite", "_elite.tflite")
    env.tool(path, "--write", rewritten)
    a, b = interpreter(path), interpreter(rewritten)
    for seed in seeds:
        x = random_input(a, seed)
        ya, yb = litert_run(a, x), litert_run(b, x)
        assert ya.dtype == yb.dtype and ya.shape == yb.shape, (ya.dtype, yb.dtype)
        assert np.array_equal(ya, yb), f"seed {seed}: outputs differ\n{ya}\n{yb}"
    # Reading the rewrite gives the same Graph, and LiteRT sees the same parameters in it.
    info2 = env.graph_info(rewritten)
    assert info2["tensors"] == info["tensors"], "tensors differ after the rewrite"
    strip = lambda ops: [{k: v for k, v in o.items()} for o in ops]
    assert strip(info2["ops"]) == strip(info["ops"]), "ops differ after the rewrite"
    check_against_litert(env, rewritten, info2)
    return rewritten


def edge(info, which):
    return info["tensors"][info[which]]


def check_uint8_io(env):
    path = env.model("block_uint8", "uint8")
    info = env.graph_info(path)
    kinds = [o["kind"] for o in info["ops"]]
    want = ["QUANTIZE", "CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D", "CONV_2D", "ADD", "MEAN",
            "FULLY_CONNECTED", "SOFTMAX", "QUANTIZE"]
    assert kinds == want, kinds
    n = check_against_litert(env, path, info)
    assert n == 5, f"{n} weighted ops checked"
    i, o = edge(info, "input"), edge(info, "output")
    assert i["dtype"] == "UINT8" and i["quant"]["scale"] == [1 / 128] and \
        i["quant"]["zero_point"] == [127], i
    assert o["dtype"] == "UINT8" and o["quant"]["scale"] == [1 / 256] and \
        o["quant"]["zero_point"] == [0], o
    softmax = info["tensors"][info["ops"][8]["output"]]
    assert softmax["dtype"] == "INT8" and softmax["quant"]["scale"] == [1 / 256] and \
        softmax["quant"]["zero_point"] == [-128], softmax
    axes = {o["kind"]: o["weight_quant"]["axis"] for o in info["ops"] if "weight_quant" in o}
    per_channel = [len(o["weight_quant"]["scale"]) > 1 for o in info["ops"] if "weight_quant" in o]
    env.notes.append(f"uint8 I/O: input {i['quant']}, output {o['quant']}, softmax "
                     f"{softmax['quant']}; weight axes {axes}, per-channel {per_channel}")
    assert axes["DEPTHWISE_CONV_2D"] == 3 and axes["CONV_2D"] == 0, axes


def check_uint8_rewrite(env):
    path = env.model("block_uint8", "uint8")
    check_roundtrip(env, path, env.graph_info(path))


def check_int8_io(env):
    path = env.model("block_int8", "int8")
    info = env.graph_info(path)
    kinds = [o["kind"] for o in info["ops"]]
    assert kinds == ["CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D", "CONV_2D", "ADD", "MEAN",
                     "FULLY_CONNECTED", "SOFTMAX"], kinds
    check_against_litert(env, path, info)
    i, o = edge(info, "input"), edge(info, "output")
    assert i["dtype"] == "INT8" and o["dtype"] == "INT8", (i, o)
    env.notes.append(f"int8 I/O: input {i['quant']}, output {o['quant']}")
    check_roundtrip(env, path, info)


def check_float_io(env):
    path = env.model("block_f32io", "float32")
    info = env.graph_info(path)
    kinds = [o["kind"] for o in info["ops"]]
    assert kinds[0] == "QUANTIZE" and kinds[-1] == "DEQUANTIZE", kinds
    assert edge(info, "input")["dtype"] == "FLOAT32" == edge(info, "output")["dtype"], info
    check_against_litert(env, path, info)
    check_roundtrip(env, path, info)


def check_float_pad_mean(env):
    path = env.model("block_float_pad", "float", padded_stem=True)
    info = env.graph_info(path)
    kinds = [o["kind"] for o in info["ops"]]
    assert kinds[0] == "PAD" and "MEAN" in kinds, kinds
    assert all(t["dtype"] == "FLOAT32" and "quant" not in t for t in info["tensors"]), info
    assert all("weight_quant" not in o for o in info["ops"]), info
    check_roundtrip(env, path, info, seeds=(1, 2))


def wide_model():
    # Dynamic-range quantization leaves small weights float (under 1024 values): make the
    # 1x1 conv and the dense layer big enough to be quantized.
    import tensorflow as tf

    k = tf.keras
    tf.random.set_seed(0)
    inp = k.Input((H, W, 3), batch_size=1)
    x = k.layers.Conv2D(64, 3, strides=2, padding="same", activation=tf.nn.relu6)(inp)
    x = k.layers.Conv2D(64, 1, activation=tf.nn.relu6)(x)
    x = k.layers.GlobalAveragePooling2D()(x)
    out = k.layers.Softmax()(k.layers.Dense(32)(x))
    return k.Model(inp, out)


def check_hybrid_refused(env):
    path = os.path.join(env.tmp, "wide_dynamic.tflite")
    convert(wide_model(), path, "dynamic")
    it = interpreter(path)
    int8_consts = [d["name"] for d in it.get_tensor_details() if d["dtype"] == np.int8]
    assert int8_consts, "the converter left every weight float; no hybrid model to test"
    r = env.tool(path, check=False)
    assert r.returncode == 1, (r.returncode, r.stdout[:200])
    assert "dynamic-range" in r.stderr and path in r.stderr, r.stderr
    env.notes.append("hybrid: " + r.stderr.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", default="build/tests", help="directory with tflite_graph_info")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="print what LiteRT reported")
    args = ap.parse_args()
    if not os.access(os.path.join(args.bin_dir, "tflite_graph_info"), os.X_OK):
        print(f"error: tflite_graph_info not found in {args.bin_dir}; build the test tools first",
              file=sys.stderr)
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    tmp = tempfile.mkdtemp(prefix="elite_tflite_int8_")
    env = Env(args.bin_dir, tmp)
    checks = [
        ("uint8 I/O (official export form): reader matches LiteRT", check_uint8_io),
        ("uint8 I/O: elite's rewrite runs bit-identically in LiteRT (BUILTIN_REF)",
         check_uint8_rewrite),
        ("int8 I/O: reader matches LiteRT, rewrite bit-identical", check_int8_io),
        ("float I/O, INT8 inside (QUANTIZE/DEQUANTIZE): reader and rewrite", check_float_io),
        ("float model with PAD + MEAN: reader and rewrite", check_float_pad_mean),
        ("dynamic-range (hybrid) model refused with a clear message", check_hybrid_refused),
    ]
    failed = 0
    for name, fn in checks:
        try:
            fn(env)
            print(f"PASS  {name}")
        except Exception as e:  # report every check, then fail at the end
            failed += 1
            print(f"FAIL  {name}: {e}")
            if not isinstance(e, AssertionError):
                traceback.print_exc()
    if args.verbose:
        for note in env.notes:
            print("  " + note)
    if args.keep:
        print(f"files kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
