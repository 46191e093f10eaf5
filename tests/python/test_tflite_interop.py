#!/usr/bin/env python3
"""Interop of elite's .tflite reader and writer with TensorFlow Lite (LiteRT).

  .venv/bin/python tests/python/test_tflite_interop.py --bin-dir build/tests

Checks, each printed as PASS/FAIL/SKIP (exit code 1 if any fails):
  writer   files from tests/tools/write_test_tflite load and run in ai_edge_litert's
           Interpreter, with and without the default (XNNPACK) delegate, and match elite's
           Executor on the same file
  reader   models that tf.lite.TFLiteConverter makes from small Keras models (conv stem,
           depthwise, 1x1 conv, add, global average pool, dense, softmax; and a
           ZeroPadding2D + VALID variant with a dynamic batch) are accepted by
           tests/tools/tflite_graph_info; the op list is what we expect
  both     such a converter model read by elite and written back out runs in LiteRT with the
           same outputs as the original, and elite's Executor matches LiteRT on it
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import traceback

import numpy as np

RTOL = 1e-4
ATOL = 1e-5


def litert_run(path, x, delegates=True):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    kwargs = {}
    if not delegates:
        kwargs["experimental_op_resolver_type"] = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    it = Interpreter(model_path=path, **kwargs)
    it.allocate_tensors()
    inp = it.get_input_details()
    out = it.get_output_details()
    assert len(inp) == 1 and len(out) == 1, (inp, out)
    assert tuple(inp[0]["shape"]) == x.shape, (inp[0]["shape"], x.shape)
    it.set_tensor(inp[0]["index"], x)
    it.invoke()
    return it.get_tensor(out[0]["index"]).copy()


class Env:
    def __init__(self, bin_dir, tmp):
        self.bin_dir = bin_dir
        self.tmp = tmp

    def tool(self, name, *args, check=True):
        exe = os.path.join(self.bin_dir, name)
        r = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
        if check and r.returncode != 0:
            raise AssertionError(f"{name} {' '.join(map(str, args))} failed ({r.returncode}): "
                                 f"{r.stderr.strip()}")
        return r

    def graph_info(self, path, *extra):
        return json.loads(self.tool("tflite_graph_info", path, *extra).stdout)

    def elite_run(self, path, x):
        """Runs the model with elite's Executor via tflite_graph_info --run."""
        xin = os.path.join(self.tmp, "x.f32")
        yout = os.path.join(self.tmp, "y.f32")
        np.ascontiguousarray(x, np.float32).tofile(xin)
        info = self.graph_info(path, "--run", xin, yout)
        shape = info["tensors"][info["output"]]["shape"]
        return np.fromfile(yout, np.float32).reshape(shape)


def assert_close(got, ref, what):
    got = np.asarray(got, np.float32)
    ref = np.asarray(ref, np.float32)
    assert got.shape == ref.shape, f"{what}: shape {got.shape} vs {ref.shape}"
    err = np.abs(got - ref)
    bound = ATOL + RTOL * np.abs(ref)
    if not np.all(err <= bound):
        i = int(np.argmax(err - bound))
        raise AssertionError(f"{what}: max |diff| {err.max():.3g} at flat index {i}: "
                             f"{got.flat[i]} vs {ref.flat[i]}")


def random_input(shape, seed):
    return np.random.RandomState(seed).uniform(-1.0, 1.0, shape).astype(np.float32)


# ---- writer: our files in LiteRT --------------------------------------------------------

def check_written_file_runs(env, variant, seed):
    path = os.path.join(env.tmp, f"elite_{variant}_{seed}.tflite")
    env.tool("write_test_tflite", path, "--seed", seed, "--variant", variant)
    info = env.graph_info(path)
    in_shape = tuple(info["tensors"][info["input"]]["shape"])
    out_shape = tuple(info["tensors"][info["output"]]["shape"])
    x = random_input(in_shape, seed)
    y = litert_run(path, x, delegates=True)
    y_ref = litert_run(path, x, delegates=False)
    assert y.shape == out_shape, (y.shape, out_shape)
    assert np.all(np.isfinite(y)), y
    assert_close(y, y_ref, "XNNPACK vs builtin kernels")
    if variant == "block":
        assert abs(float(y.sum()) - 1.0) < 1e-5, f"softmax output sums to {y.sum()}"
        assert info["name"] == "test-block" and info["labels"] == ["a", "b", "c", "d", "e"], info
    ours = env.elite_run(path, x)
    assert_close(ours, y_ref, f"elite Executor vs LiteRT on {os.path.basename(path)}")


def check_writer_ops_in_litert(env):
    from ai_edge_litert.interpreter import Interpreter

    path = os.path.join(env.tmp, "ops.tflite")
    env.tool("write_test_tflite", path, "--seed", 5)
    it = Interpreter(model_path=path)
    names = [d["op_name"] for d in it._get_ops_details() if d["op_name"] != "DELEGATE"]
    want = ["CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED",
            "SOFTMAX"]
    assert names == want, names


def check_support_metadata_labels(env):
    """Labels from a TFLite Support-style file: TFLITE_METADATA + an appended zip."""
    import zipfile

    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    path = os.path.join(env.tmp, "support.tflite")
    env.tool("write_test_tflite", path, "--seed", 4)
    with open(path, "rb") as f:
        model = schema.ModelT.InitFromPackedBuf(bytearray(f.read()), 0)
    # Drop our own label entry so the reader has to find the zip.
    model.metadata = [m for m in model.metadata if m.name != b"elite_labels"]
    buf = schema.BufferT()
    buf.data = list(b"opaque TFLite Support metadata flatbuffer")
    model.buffers.append(buf)
    meta = schema.MetadataT()
    meta.name = "TFLITE_METADATA"
    meta.buffer = len(model.buffers) - 1
    model.metadata.append(meta)
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    with open(path, "wb") as f:
        f.write(b.Output())
    labels = ["tench", "goldfish", "great white shark"]
    with zipfile.ZipFile(path, "a") as z:  # appended after the flatbuffer
        z.writestr("labels.txt", "\n".join(labels) + "\n")
    info = env.graph_info(path)
    assert info["labels"] == labels, info["labels"]
    x = random_input(tuple(info["tensors"][info["input"]]["shape"]), 4)
    assert litert_run(path, x, delegates=False).shape == (1, 5)


# ---- reader: converter-made files in elite ------------------------------------------------

def keras_block_model(padded_stem):
    import tensorflow as tf

    k = tf.keras
    tf.random.set_seed(0)
    if padded_stem:
        # TF-style EfficientNet stem: explicit asymmetric padding, then a VALID conv;
        # dynamic batch (shape_signature -1).
        inp = k.Input((17, 17, 3))
        x = k.layers.ZeroPadding2D(((0, 1), (0, 1)))(inp)
        x = k.layers.Conv2D(8, 3, strides=2, padding="valid", activation=tf.nn.relu6)(x)
    else:
        inp = k.Input((16, 16, 3), batch_size=1)
        x = k.layers.Conv2D(8, 3, strides=2, padding="same", activation=tf.nn.relu6)(inp)
    y = k.layers.DepthwiseConv2D(3, padding="same", activation=tf.nn.relu6,
                                 bias_initializer="random_uniform")(x)
    y = k.layers.Conv2D(8, 1, bias_initializer="random_uniform")(y)
    z = k.layers.Add()([y, x])
    z = k.layers.GlobalAveragePooling2D()(z)
    z = k.layers.Dense(5, bias_initializer="random_uniform")(z)
    out = k.layers.Softmax()(z)
    return k.Model(inp, out)


def convert(model, path):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    with open(path, "wb") as f:
        f.write(converter.convert())


def check_converter_file(env, padded_stem):
    name = "keras_pad" if padded_stem else "keras_same"
    path = os.path.join(env.tmp, name + ".tflite")
    convert(keras_block_model(padded_stem), path)
    info = env.graph_info(path)
    kinds = [op["kind"] for op in info["ops"]]
    want = ["CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED",
            "SOFTMAX"]
    if padded_stem:
        want = ["PAD"] + want
    assert kinds == want, f"{name}: ops {kinds}"
    stem = info["ops"][1 if padded_stem else 0]
    assert stem["kernel"] == [3, 3] and stem["stride"] == [2, 2], stem
    assert stem["padding"] == ("VALID" if padded_stem else "SAME"), stem
    assert stem["activation"] == "RELU6", stem
    if padded_stem:
        assert info["ops"][0]["pads"] == [0, 1, 0, 1], info["ops"][0]
    in_shape = info["tensors"][info["input"]]["shape"]
    assert in_shape == ([1, 17, 17, 3] if padded_stem else [1, 16, 16, 3]), in_shape
    assert info["tensors"][info["output"]]["shape"] == [1, 5], info
    return path, info


def check_converter_roundtrip(env, padded_stem):
    """Converter file -> elite reader -> elite writer -> LiteRT: same outputs."""
    path, info = check_converter_file(env, padded_stem)
    rewritten = path.replace(".tflite", "_elite.tflite")
    env.tool("tflite_graph_info", path, "--write", rewritten)
    x = random_input(tuple(info["tensors"][info["input"]]["shape"]), 3)
    y_orig = litert_run(path, x, delegates=False)
    y_ours = litert_run(rewritten, x, delegates=False)
    assert_close(y_ours, y_orig, "LiteRT on elite-rewritten vs converter file")
    assert_close(env.elite_run(path, x), y_orig, "elite Executor vs LiteRT on converter file")
    # Reading our rewrite gives the same graph again.
    info2 = env.graph_info(rewritten)
    assert [o["kind"] for o in info2["ops"]] == [o["kind"] for o in info["ops"]]
    assert [t["shape"] for t in info2["tensors"]] == [t["shape"] for t in info["tensors"]]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", default="build/tests",
                    help="directory with write_test_tflite and tflite_graph_info")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    for tool in ("write_test_tflite", "tflite_graph_info"):
        if not os.access(os.path.join(args.bin_dir, tool), os.X_OK):
            print(f"error: {tool} not found in {args.bin_dir}; build the test tools first",
                  file=sys.stderr)
            return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    tmp = tempfile.mkdtemp(prefix="elite_tflite_interop_")
    env = Env(args.bin_dir, tmp)
    checks = [
        ("writer: block graph runs in LiteRT (seed 1)", lambda: check_written_file_runs(env, "block", 1)),
        ("writer: block graph runs in LiteRT (seed 2)", lambda: check_written_file_runs(env, "block", 2)),
        ("writer: pad/avgpool/reshape graph runs in LiteRT", lambda: check_written_file_runs(env, "pad", 1)),
        ("writer: LiteRT sees the expected operators", lambda: check_writer_ops_in_litert(env)),
        ("reader: labels from TFLite Support metadata (appended zip)",
         lambda: check_support_metadata_labels(env)),
        ("reader+writer: converter model, SAME stem", lambda: check_converter_roundtrip(env, False)),
        ("reader+writer: converter model, PAD + VALID stem, dynamic batch",
         lambda: check_converter_roundtrip(env, True)),
    ]
    failed = 0
    for name, fn in checks:
        try:
            fn()
            print(f"PASS  {name}")
        except Exception as e:  # report every check, then fail at the end
            failed += 1
            print(f"FAIL  {name}: {e}")
            if not isinstance(e, AssertionError):
                traceback.print_exc()
    if not args.keep:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
