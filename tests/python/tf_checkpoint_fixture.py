"""Official-style TF checkpoints of EfficientNet-lite for tests/python/test_tf_official.py.

A training checkpoint of the official code (tensorflow/tpu models/official/efficientnet,
see ../shared/docs/FACTS.md "Official checkpoint") is a TF tensor bundle
(PREFIX.index + PREFIX.data-00000-of-00001) holding, for every variable V under
"efficientnet-liteN/" (names and layouts in tf_reference_model.official_variables):
  V                              the raw training value (float32)
  V/ExponentialMovingAverage     its EMA shadow; eval and export restore these (BN moving
                                 statistics included)
  V/RMSProp, V/RMSProp_1         the optimizer slots (trainable variables only)
  global_step                    int64 scalar
write_checkpoint() writes such a bundle with tf.raw_ops.SaveV2 (the op tf.train.Saver
uses, so the on-disk names are exactly the variable names) and a `checkpoint` state file;
the EMA shadows hold the given weights and the raw variables a perturbation of them.
restore_official() reads it back the way the official export_model.py restore_model()
does (tf.compat.v1 Saver over ExponentialMovingAverage.variables_to_restore), which checks
the names, shapes and dtypes independently of elite.
"""

import os
import subprocess
import tarfile

import numpy as np

import tf_reference_model as ref

# Reads a lukemelas-style .pth with Debian's torch and saves its float tensors as .npz.
_PTH_TO_NPZ = r"""
import sys, numpy as np, torch
sd = torch.load(sys.argv[1], map_location="cpu")
np.savez(sys.argv[2], **{k: v.numpy() for k, v in sd.items() if v.is_floating_point()})
"""
_BN_FROM_TORCH = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
                  "moving_variance": "running_var"}


def pth_to_npz(pth, npz, torch_python="/usr/bin/python3"):
    subprocess.run([torch_python, "-c", _PTH_TO_NPZ, pth, npz], check=True)


def official_from_lukemelas(name, sd):
    """{lukemelas key: array (PyTorch layouts)} -> {official name: array (TF layouts)}.
    The key mapping is the inverse of the one elite's src/model/pytorch_weights.cpp reads."""
    out = {}

    def conv(dst, key):       # OIHW -> HWIO
        out[dst] = np.transpose(sd[key], (2, 3, 1, 0))

    def dw(dst, key):         # [C,1,k,k] -> [k,k,C,1]
        out[dst] = np.transpose(sd[key], (2, 3, 0, 1))

    def bn(dst, key):
        for p, t in _BN_FROM_TORCH.items():
            out[f"{dst}/{p}"] = sd[f"{key}.{t}"]

    conv("stem/conv2d/kernel", "_conv_stem.weight")
    bn("stem/tpu_batch_normalization", "_bn0")
    for b, (_, _, e, _, _) in enumerate(ref.block_list(name)):
        t, o = f"_blocks.{b}.", f"blocks_{b}/"
        if e != 1:
            conv(o + "conv2d/kernel", t + "_expand_conv.weight")
            bn(o + "tpu_batch_normalization", t + "_bn0")
            names = ("tpu_batch_normalization_1", "conv2d_1", "tpu_batch_normalization_2")
        else:
            names = ("tpu_batch_normalization", "conv2d", "tpu_batch_normalization_1")
        dw(o + "depthwise_conv2d/depthwise_kernel", t + "_depthwise_conv.weight")
        bn(o + names[0], t + "_bn1")
        conv(o + names[1] + "/kernel", t + "_project_conv.weight")
        bn(o + names[2], t + "_bn2")
    conv("head/conv2d/kernel", "_conv_head.weight")
    bn("head/tpu_batch_normalization", "_bn1")
    out["head/dense/kernel"] = np.transpose(sd["_fc.weight"])
    out["head/dense/bias"] = sd["_fc.bias"]
    used = {k for k in sd if not k.endswith("num_batches_tracked")}
    assert len(out) == len(used), (len(out), len(used))
    return {k: np.ascontiguousarray(v, np.float32) for k, v in out.items()}


def random_weights(name, seed, calib=None):
    """Plausible random weights: He-scaled kernels, BN gamma near 1, small beta, positive
    variances; with calib (images [B,N,N,3]) the BN statistics are those of the data."""
    rng = np.random.default_rng(seed)
    w = {}
    for var, shape in ref.official_variables(name):
        if var.endswith("kernel"):
            fan_in = int(np.prod(shape[:-1])) if "depthwise" not in var else shape[0] * shape[1]
            w[var] = rng.normal(0, np.sqrt(2.0 / fan_in), shape)
        elif var.endswith("gamma"):
            w[var] = rng.uniform(0.5, 1.5, shape)
        elif var.endswith(("beta", "bias")):
            w[var] = rng.normal(0, 0.1, shape)
        elif var.endswith("moving_mean"):
            w[var] = rng.normal(0, 0.5, shape)
        elif var.endswith("moving_variance"):
            w[var] = rng.uniform(0.5, 4.0, shape)
        else:
            raise AssertionError(var)
    w = {k: v.astype(np.float32) for k, v in w.items()}
    if calib is not None:
        calibrate_bn(name, w, calib, rng)
    return w


def calibrate_bn(name, w, x, rng):
    """Sets every BN's moving statistics to those of its input on the images x
    [B,N,N,3] (plus a little noise), in one forward pass in execution order, so that each
    layer sees normalized activations and the logits depend on the image; random
    statistics alone saturate the deep models (lite3/lite4 gave nearly one answer for
    every image). A plain tf.nn forward pass, independent of the Keras model."""
    import tensorflow as tf

    def bn(h, prefix, relu6):
        mean = tf.reduce_mean(h, axis=[0, 1, 2]).numpy()
        var = tf.math.reduce_variance(h, axis=[0, 1, 2]).numpy()
        w[prefix + "/moving_mean"] = (mean + rng.normal(0, 0.05, mean.shape) *
                                      np.sqrt(var)).astype(np.float32)
        w[prefix + "/moving_variance"] = (var * rng.uniform(0.8, 1.25, var.shape) + 1e-3) \
            .astype(np.float32)
        h = tf.nn.batch_normalization(h, w[prefix + "/moving_mean"],
                                      w[prefix + "/moving_variance"], w[prefix + "/beta"],
                                      w[prefix + "/gamma"], ref.BN_EPS)
        return tf.nn.relu6(h) if relu6 else h

    def conv(h, prefix, stride=1):
        return tf.nn.conv2d(h, w[prefix + "/kernel"], stride, "SAME")

    h = tf.constant(x, tf.float32)
    h = bn(conv(h, "stem/conv2d", 2), "stem/tpu_batch_normalization", True)
    for b, (_, stride, e, cin, cout) in enumerate(ref.block_list(name)):
        p = f"blocks_{b}/"
        y = h
        if e != 1:
            y = bn(conv(y, p + "conv2d"), p + "tpu_batch_normalization", True)
            names = ("tpu_batch_normalization_1", "conv2d_1", "tpu_batch_normalization_2")
        else:
            names = ("tpu_batch_normalization", "conv2d", "tpu_batch_normalization_1")
        y = tf.nn.depthwise_conv2d(y, w[p + "depthwise_conv2d/depthwise_kernel"],
                                   [1, stride, stride, 1], "SAME")
        y = bn(y, p + names[0], True)
        y = bn(conv(y, p + names[1]), p + names[2], False)
        h = y + h if stride == 1 and cin == cout else y
    bn(conv(h, "head/conv2d"), "head/tpu_batch_normalization", True)


def perturbed(weights, seed):
    """The raw (non-EMA) values: each tensor scaled by about +-20% per element, variances
    kept positive. Different enough that reading the wrong set changes every logit."""
    rng = np.random.default_rng(seed)
    return {k: (v * rng.uniform(0.8, 1.25, v.shape) +
                (0 if k.endswith("moving_variance") else rng.normal(0, 0.01, v.shape)))
            .astype(np.float32) for k, v in weights.items()}


def write_checkpoint(prefix, name, ema, raw, global_step, seed=0):
    """Writes PREFIX.index / PREFIX.data-00000-of-00001 (see the module docstring) and the
    `checkpoint` state file beside it pointing at PREFIX (relative)."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    scope = name + "/"
    tensors = {"global_step": np.array(global_step, np.int64)}
    for var, _ in ref.official_variables(name):
        tensors[scope + var] = raw[var]
        tensors[scope + var + "/ExponentialMovingAverage"] = ema[var]
        if ref.is_trainable(var):
            # RMSPropOptimizer's two slots (mean square, momentum); values only plausible.
            tensors[scope + var + "/RMSProp"] = rng.uniform(0.0, 1e-3, raw[var].shape) \
                .astype(np.float32)
            tensors[scope + var + "/RMSProp_1"] = rng.normal(0.0, 1e-4, raw[var].shape) \
                .astype(np.float32)
    names = sorted(tensors)
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=[tf.constant(tensors[n]) for n in names])
    folder, base = os.path.split(prefix)
    tf.compat.v1.train.update_checkpoint_state(folder, base, all_model_checkpoint_paths=[base])
    return names


def write_meta_graph(path, name):
    """A MetaGraphDef for the release folder (model.ckpt.meta), as Saver.save writes one:
    the variables of the checkpoint (zero initializers, no values)."""
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        for var, shape in ref.official_variables(name):
            tf.compat.v1.get_variable(f"{name}/{var}", shape, tf.float32,
                                      tf.compat.v1.zeros_initializer(),
                                      trainable=ref.is_trainable(var))
        tf.compat.v1.train.get_or_create_global_step()
        tf.compat.v1.train.export_meta_graph(filename=path, graph=g)


def pack_release(folder_name, ckpt_dir, out_tgz):
    """efficientnet-liteN.tar.gz holding efficientnet-liteN/{checkpoint, model.ckpt.*}, like
    the official release archives."""
    with tarfile.open(out_tgz, "w:gz") as t:
        t.add(ckpt_dir, arcname=folder_name)


def restore_official(ckpt, name, enable_ema=True):
    """{official name: array} restored like export_model.py restore_model(): a tf.compat.v1
    graph with the model's variables (moving statistics non-trainable), a global step, then
    Saver(ExponentialMovingAverage(0).variables_to_restore(trainables + moving stats)).
    ckpt: a prefix or a folder (tf.train.latest_checkpoint reads its `checkpoint` file)."""
    import tensorflow as tf

    v1 = tf.compat.v1
    path = tf.train.latest_checkpoint(ckpt) if os.path.isdir(ckpt) else ckpt
    assert path, f"{ckpt}: no checkpoint"
    g = tf.Graph()
    with g.as_default():
        tvars = {}
        for var, shape in ref.official_variables(name):
            tvars[var] = v1.get_variable(f"{name}/{var}", shape, tf.float32,
                                         v1.zeros_initializer(), trainable=ref.is_trainable(var))
        step = v1.train.get_or_create_global_step()
        var_dict = None
        if enable_ema:
            ema_vars = v1.trainable_variables() + [
                v for v in v1.global_variables()
                if "moving_mean" in v.name or "moving_variance" in v.name]
            var_dict = v1.train.ExponentialMovingAverage(decay=0.0).variables_to_restore(
                list(set(ema_vars)))
        saver = v1.train.Saver(var_dict)
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            saver.restore(sess, path)
            values, gs = sess.run([tvars, step])
    return {k: np.asarray(v) for k, v in values.items()}, int(gs)
