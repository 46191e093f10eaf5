"""`elite convert` on TensorFlow checkpoints that TensorFlow itself writes (no real weights
needed): a random efficientnet-lite0-shaped checkpoint saved the way the official trainer
saves one (tf.compat.v1 Saver, ExponentialMovingAverage shadows, RMSProp slots,
global_step) must convert from its directory, its prefix and a release-style .tar.gz to the
same logits, and --no-ema must give different ones; broken checkpoints (missing variable,
wrong shape, a corrupted byte in the data, a truncated or missing shard, a .tar.gz without a
checkpoint, a missing file, a --model that disagrees) must fail with a non-zero exit and one
error line naming the file and the problem.

  .venv/bin/python tests/python/test_tf_checkpoint_errors.py --elite build/elite --workdir /tmp/w
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

SCOPE = "efficientnet-lite0"
# lite0 stages (repeats, kernel, stride, expand, in, out): tpu lite/efficientnet_lite_builder.py
STAGES = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
          (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]


def lite0_variables(num_classes=1000):
    """[(name under the scope, shape, kind)] in the official names and TF layouts; kind is
    'trainable' or 'moving' (BN statistics)."""
    out = []

    def bn(name, c):
        out.extend([(f"{name}/gamma", [c], "trainable"), (f"{name}/beta", [c], "trainable"),
                    (f"{name}/moving_mean", [c], "moving"), (f"{name}/moving_variance", [c], "moving")])

    out.append(("stem/conv2d/kernel", [3, 3, 3, 32], "trainable"))
    bn("stem/tpu_batch_normalization", 32)
    k = 0
    for reps, kern, _, expand, cin, cout in STAGES:
        for r in range(reps):
            cin_r = cin if r == 0 else cout
            p = f"blocks_{k}/"
            if expand == 1:
                out.append((p + "depthwise_conv2d/depthwise_kernel", [kern, kern, cin_r, 1], "trainable"))
                bn(p + "tpu_batch_normalization", cin_r)
                out.append((p + "conv2d/kernel", [1, 1, cin_r, cout], "trainable"))
                bn(p + "tpu_batch_normalization_1", cout)
            else:
                mid = cin_r * expand
                out.append((p + "conv2d/kernel", [1, 1, cin_r, mid], "trainable"))
                bn(p + "tpu_batch_normalization", mid)
                out.append((p + "depthwise_conv2d/depthwise_kernel", [kern, kern, mid, 1], "trainable"))
                bn(p + "tpu_batch_normalization_1", mid)
                out.append((p + "conv2d_1/kernel", [1, 1, mid, cout], "trainable"))
                bn(p + "tpu_batch_normalization_2", cout)
            k += 1
    out.append(("head/conv2d/kernel", [1, 1, 320, 1280], "trainable"))
    bn("head/tpu_batch_normalization", 1280)
    out.append(("head/dense/kernel", [1280, num_classes], "trainable"))
    out.append(("head/dense/bias", [num_classes], "trainable"))
    return out


def random_value(name, shape, rng):
    if name.endswith("moving_variance"):
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    if name.endswith("gamma"):
        return rng.uniform(0.9, 1.1, shape).astype(np.float32)
    if name.endswith(("beta", "moving_mean", "bias")):
        return rng.uniform(-0.1, 0.1, shape).astype(np.float32)
    fan_in = int(np.prod(shape[:-1])) if not name.endswith("depthwise_kernel") else shape[0] * shape[1]
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def save_official_style(prefix, seed):
    """The official trainer's way: tf.compat.v1 variables, EMA shadows through
    tf.train.ExponentialMovingAverage, RMSProp slots, global_step, tf.train.Saver."""
    rng = np.random.default_rng(seed)
    g = tf.Graph()
    with g.as_default():
        gstep = tf.compat.v1.train.get_or_create_global_step()
        tvars, ema_vars = [], []
        with tf.compat.v1.variable_scope(SCOPE):
            for name, shape, kind in lite0_variables():
                v = tf.compat.v1.get_variable(name, initializer=random_value(name, shape, rng),
                                              trainable=kind == "trainable")
                ema_vars.append(v)
                if kind == "trainable":
                    tvars.append(v)
        loss = tf.add_n([tf.reduce_sum(tf.square(v)) for v in tvars]) * 1e-6
        train = tf.compat.v1.train.RMSPropOptimizer(1e-3).minimize(loss, global_step=gstep, var_list=tvars)
        ema = tf.compat.v1.train.ExponentialMovingAverage(0.9998, num_updates=gstep)
        ema_op = ema.apply(ema_vars)
        # Shadows that differ clearly from the raw variables.
        assigns = [tf.compat.v1.assign(ema.average(v), random_value(v.op.name, v.shape.as_list(), rng))
                   for v in ema_vars]
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as s:
            s.run(tf.compat.v1.global_variables_initializer())
            s.run(train)
            s.run(ema_op)
            s.run(assigns)
            saver.save(s, prefix)


def save_raw(prefix, tensors):
    """A bundle holding exactly `tensors` (name -> array), through the SaveV2 op."""
    names = sorted(tensors)
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=[tf.constant(tensors[n]) for n in names])


def lite0_tensors(seed, ema=True):
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape, _ in lite0_variables():
        out[f"{SCOPE}/{name}"] = random_value(name, shape, rng)
        if ema:
            out[f"{SCOPE}/{name}/ExponentialMovingAverage"] = random_value(name, shape, rng)
    out["global_step"] = np.array(1234, np.int64)
    return out


def run(elite, args):
    p = subprocess.run([elite] + args, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elite", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    w = os.path.abspath(a.workdir)
    os.makedirs(w, exist_ok=True)
    failures = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    # ---- the good checkpoint, official style ----
    good_dir = os.path.join(w, "efficientnet-lite0")
    shutil.rmtree(good_dir, ignore_errors=True)
    save_official_style(os.path.join(good_dir, "model.ckpt"), seed=1)
    names = {n for n, _ in tf.train.list_variables(good_dir)}
    check(f"{SCOPE}/stem/conv2d/kernel/ExponentialMovingAverage" in names and
          f"{SCOPE}/stem/conv2d/kernel/RMSProp" in names and "global_step" in names,
          "TensorFlow wrote EMA shadows, RMSProp slots and global_step")
    # Release layout: efficientnet-lite0/{checkpoint, model.ckpt.*} in a .tar.gz.
    tgz = os.path.join(w, "efficientnet-lite0.tar.gz")
    with tarfile.open(tgz, "w:gz") as t:
        t.add(good_dir, arcname="efficientnet-lite0")

    image = os.path.join(w, "input.npy")
    np.save(image, np.random.default_rng(5).uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32))

    def convert_and_logits(src, out, extra=()):
        rc, _, err = run(a.elite, ["convert", src, "-o", out] + list(extra))
        if rc != 0:
            return None, err
        rc, out_json, err2 = run(a.elite, ["classify", "-m", out, "--json", "--logits", image])
        if rc != 0:
            return None, err2
        res = json.loads(out_json)
        return np.array(res[0]["logits"], np.float64), err

    ema_dir, msg = convert_and_logits(good_dir, os.path.join(w, "ema_dir.tflite"))
    check(ema_dir is not None and "moving-average" in msg, f"convert directory (EMA): {msg.strip()}")
    ema_prefix, msg = convert_and_logits(os.path.join(good_dir, "model.ckpt"), os.path.join(w, "ema_prefix.tflite"),
                                         ["--model", "efficientnet-lite0"])
    check(ema_prefix is not None, f"convert prefix with --model: {msg.strip()}")
    ema_tgz, msg = convert_and_logits(tgz, os.path.join(w, "ema_tgz.tflite"))
    check(ema_tgz is not None, f"convert .tar.gz: {msg.strip()}")
    raw, msg = convert_and_logits(good_dir, os.path.join(w, "raw.tflite"), ["--no-ema"])
    check(raw is not None and "raw" in msg, f"convert --no-ema: {msg.strip()}")
    if all(x is not None for x in (ema_dir, ema_prefix, ema_tgz, raw)):
        check(ema_dir.shape == (1000,) and np.all(np.isfinite(ema_dir)), "1000 finite logits")
        check(np.array_equal(ema_dir, ema_prefix) and np.array_equal(ema_dir, ema_tgz),
              "directory, prefix and .tar.gz give identical logits")
        diff = float(np.max(np.abs(ema_dir - raw)))
        check(diff > 1e-3, f"--no-ema gives different logits (max |diff| {diff:.4g})")

    # ---- broken checkpoints ----
    base = lite0_tensors(seed=2)

    def variant(name, edit):
        d = os.path.join(w, name)
        shutil.rmtree(d, ignore_errors=True)
        t = dict(base)
        edit(t)
        save_raw(os.path.join(d, "model.ckpt"), t)
        return os.path.join(d, "model.ckpt")

    missing_var = f"{SCOPE}/blocks_5/tpu_batch_normalization_2/moving_mean/ExponentialMovingAverage"
    p_missing = variant("case_drop", lambda t: t.pop(missing_var))
    bad_shape = f"{SCOPE}/blocks_7/depthwise_conv2d/depthwise_kernel/ExponentialMovingAverage"
    p_shape = variant("case_shape", lambda t: t.__setitem__(bad_shape, np.zeros((5, 5, 480, 1), np.float32)))
    p_good = variant("good_raw", lambda t: None)
    data_name = "model.ckpt.data-00000-of-00001"

    def copy_good(name):
        d = os.path.join(w, name)
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(os.path.dirname(p_good), d)
        return d

    # (Folder names avoid the words the messages are checked for.)
    d = copy_good("case_flip")  # every tensor here is read, so any byte is covered by a CRC
    data = open(os.path.join(d, data_name), "rb").read()
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x55
    open(os.path.join(d, data_name), "wb").write(bytes(flipped))
    p_corrupt = os.path.join(d, "model.ckpt")
    d = copy_good("case_cut")
    open(os.path.join(d, data_name), "wb").write(data[: len(data) * 2 // 3])
    p_trunc = os.path.join(d, "model.ckpt")
    d = copy_good("no_shard")
    os.remove(os.path.join(d, data_name))
    p_noshard = os.path.join(d, "model.ckpt")
    d = copy_good("case_index")
    idx = bytearray(open(os.path.join(d, "model.ckpt.index"), "rb").read())
    idx[len(idx) // 3] ^= 0x01
    open(os.path.join(d, "model.ckpt.index"), "wb").write(bytes(idx))
    p_badindex = os.path.join(d, "model.ckpt")
    no_ckpt_tgz = os.path.join(w, "no_checkpoint.tar.gz")
    with tarfile.open(no_ckpt_tgz, "w:gz") as t:
        t.add(os.path.join(w, "ema_dir.tflite") if os.path.exists(os.path.join(w, "ema_dir.tflite")) else image,
              arcname="efficientnet-lite0/model.tflite")
    trunc_tgz = os.path.join(w, "cut.tar.gz")
    blob = open(tgz, "rb").read()
    open(trunc_tgz, "wb").write(blob[: len(blob) // 2])

    rc, _, err = run(a.elite, ["convert", p_good, "-o", os.path.join(w, "good_raw.tflite")])
    check(rc == 0, f"control: the unbroken SaveV2 checkpoint converts ({err.strip()})")

    out = os.path.join(w, "out.tflite")
    cases = [
        # (description, args, texts the error line must contain)
        ("missing variable", [p_missing], [p_missing, "missing variable", missing_var]),
        ("shape mismatch", [p_shape], [p_shape, bad_shape, "[5, 5, 480, 1]", "[3, 3, 480, 1]"]),
        ("corrupted byte in .data", [p_corrupt], [p_corrupt + ".data-00000-of-00001", "CRC-32C mismatch", "corrupted"]),
        ("truncated shard", [p_trunc], [p_trunc + ".data-00000-of-00001", "needs bytes", "truncated file"]),
        ("missing shard", [p_noshard], [p_noshard + ".data-00000-of-00001", "cannot open the data shard"]),
        ("corrupted index", [p_badindex], [p_badindex + ".index", "CRC-32C mismatch"]),
        ("tar.gz without a checkpoint", [no_ckpt_tgz], [no_ckpt_tgz, "no TensorFlow checkpoint"]),
        ("truncated tar.gz", [trunc_tgz], [trunc_tgz, "truncated gzip"]),
        ("missing file", [os.path.join(w, "nowhere", "model.ckpt")], [os.path.join(w, "nowhere", "model.ckpt"), "no such file"]),
        ("missing .tar.gz", [os.path.join(w, "gone.tar.gz")], [os.path.join(w, "gone.tar.gz"), "no such file"]),
        ("--model disagrees", [good_dir, "--model", "efficientnet-lite1"], ["--model efficientnet-lite1", "disagrees", SCOPE]),
        ("empty directory", [os.path.join(w, "emptydir")], [os.path.join(w, "emptydir"), "no TensorFlow checkpoint"]),
    ]
    os.makedirs(os.path.join(w, "emptydir"), exist_ok=True)
    for desc, args, needles in cases:
        rc, _, err = run(a.elite, ["convert"] + args + ["-o", out])
        lines = [line for line in err.strip().splitlines() if line]
        ok = (rc == 1 and len(lines) == 1 and lines[0].startswith("elite: error: ") and
              all(n in lines[0] for n in needles) and "Sanitizer" not in err)
        check(ok, f"{desc}: exit {rc}: {err.strip()[:300]}")

    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
