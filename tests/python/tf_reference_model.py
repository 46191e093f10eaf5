"""EfficientNet-lite0..lite4 as a small Keras 3 model, named and laid out like the official
TF checkpoints, for tests/python/test_tf_official.py.

Written from the facts in ../shared/docs/FACTS.md (tensorflow/tpu
models/official/efficientnet/lite/efficientnet_lite_builder.py and efficientnet_model.py):
  - block strings r1_k3_s11_e1_i32_o16 ... r1_k3_s11_e6_i192_o320, no squeeze-excite,
    ReLU6, BatchNormalization epsilon 1e-3 (inference mode), TF "SAME" padding (Keras'
    padding="same" on the TensorFlow backend is tf.nn.conv2d's SAME: at stride 2 the
    extra row/column of padding goes at the bottom/right);
  - widths round_filters (divisor 8, +8 when rounding lost more than 10%), stem 32 and
    head 1280 not scaled; repeats ceil(depth * r) except the first and last stage;
  - residual add when the block has stride 1 and in == out; head conv 1x1 1280, BN,
    ReLU6, global average pool, dense (with bias), softmax.

Weights come from a dict {official variable name (without the "efficientnet-liteN/"
scope): numpy array} in the official layouts: conv kernels HWIO [k,k,in,out],
depthwise kernels [k,k,C,1], dense kernel [in,out], BN gamma/beta/moving_mean/
moving_variance [C]. official_variables() lists exactly those names and shapes:
  stem/conv2d/kernel, stem/tpu_batch_normalization/{gamma,beta,moving_mean,moving_variance}
  blocks_0 (no expansion): depthwise_conv2d/depthwise_kernel, tpu_batch_normalization,
      conv2d/kernel (project), tpu_batch_normalization_1
  blocks_K, K >= 1: conv2d/kernel (expand), tpu_batch_normalization,
      depthwise_conv2d/depthwise_kernel, tpu_batch_normalization_1,
      conv2d_1/kernel (project), tpu_batch_normalization_2
  head/conv2d/kernel, head/tpu_batch_normalization, head/dense/{kernel,bias}
"""

import math

import numpy as np

# (width multiplier, depth multiplier, input size), efficientnet_lite_builder.py
PARAMS = {
    "efficientnet-lite0": (1.0, 1.0, 224),
    "efficientnet-lite1": (1.0, 1.1, 240),
    "efficientnet-lite2": (1.1, 1.2, 260),
    "efficientnet-lite3": (1.2, 1.4, 280),
    "efficientnet-lite4": (1.4, 1.8, 300),
}
# (repeats, kernel, stride, expand ratio, in, out) of the official block strings.
BLOCKS = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]
STEM, HEAD = 32, 1280
BN_EPS = 1e-3
BN_PARTS = ("gamma", "beta", "moving_mean", "moving_variance")


def input_size(name):
    return PARAMS[name][2]


def round_filters(filters, width, divisor=8):
    f = filters * width
    new = max(divisor, int(f + divisor / 2) // divisor * divisor)
    if new < 0.9 * f:
        new += divisor
    return int(new)


def block_list(name):
    """[(kernel, stride, expand, in, out)] in execution order (blocks_0, blocks_1, ...)."""
    width, depth, _ = PARAMS[name]
    out = []
    last = len(BLOCKS) - 1
    for s, (r, k, st, e, i, o) in enumerate(BLOCKS):
        # fix_head_stem: the stem's input filters stay 32; the first and last stages keep
        # their repeats.
        cin = STEM if s == 0 else round_filters(i, width)
        cout = round_filters(o, width)
        reps = r if s in (0, last) else int(math.ceil(depth * r))
        for j in range(reps):
            out.append((k, st if j == 0 else 1, e, cin if j == 0 else cout, cout))
    return out


def official_variables(name, num_classes=1000):
    """[(name without the model scope, shape)] of the trainable weights and BN statistics."""
    v = [("stem/conv2d/kernel", (3, 3, 3, STEM))]
    v += [(f"stem/tpu_batch_normalization/{p}", (STEM,)) for p in BN_PARTS]
    for b, (k, _, e, cin, cout) in enumerate(block_list(name)):
        pre = f"blocks_{b}/"
        mid = cin * e
        if e != 1:
            v.append((pre + "conv2d/kernel", (1, 1, cin, mid)))
            v += [(pre + f"tpu_batch_normalization/{p}", (mid,)) for p in BN_PARTS]
            dw_bn, proj, proj_bn = "tpu_batch_normalization_1", "conv2d_1", \
                "tpu_batch_normalization_2"
        else:
            dw_bn, proj, proj_bn = "tpu_batch_normalization", "conv2d", \
                "tpu_batch_normalization_1"
        v.append((pre + "depthwise_conv2d/depthwise_kernel", (k, k, mid, 1)))
        v += [(pre + f"{dw_bn}/{p}", (mid,)) for p in BN_PARTS]
        v.append((pre + f"{proj}/kernel", (1, 1, mid, cout)))
        v += [(pre + f"{proj_bn}/{p}", (cout,)) for p in BN_PARTS]
    v.append(("head/conv2d/kernel", (1, 1, block_list(name)[-1][4], HEAD)))
    v += [(f"head/tpu_batch_normalization/{p}", (HEAD,)) for p in BN_PARTS]
    v += [("head/dense/kernel", (HEAD, num_classes)), ("head/dense/bias", (num_classes,))]
    return v


def is_trainable(var):
    return not var.endswith(("/moving_mean", "/moving_variance"))


class KerasLite:
    """The Keras model of one variant. .logits_model maps [B,N,N,3] to logits [B,classes];
    .model to softmax probabilities. set_weights(dict) assigns official-named arrays."""

    def __init__(self, name, dtype="float32", num_classes=1000, batch_size=None):
        import keras
        from keras import layers

        self.name = name
        self.dtype = dtype
        self._vars = {}  # official name -> Keras variable
        size = input_size(name)
        inp = keras.Input((size, size, 3), batch_size=batch_size, dtype=dtype, name="images")

        def conv(x, prefix, filters, k, stride=1):
            layer = layers.Conv2D(filters, k, strides=stride, padding="same", use_bias=False,
                                  dtype=dtype, name=prefix.replace("/", "__"))
            y = layer(x)
            self._vars[prefix + "/kernel"] = layer.kernel
            return y

        def dwconv(x, prefix, k, stride):
            layer = layers.DepthwiseConv2D(k, strides=stride, padding="same", use_bias=False,
                                           dtype=dtype, name=prefix.replace("/", "__"))
            y = layer(x)
            self._vars[prefix + "/depthwise_kernel"] = layer.kernel
            return y

        def bn(x, prefix, relu6):
            layer = layers.BatchNormalization(epsilon=BN_EPS, momentum=0.99, dtype=dtype,
                                              name=prefix.replace("/", "__"))
            y = layer(x, training=False)
            for p in BN_PARTS:
                self._vars[f"{prefix}/{p}"] = getattr(layer, p)
            return layers.ReLU(max_value=6.0, dtype=dtype)(y) if relu6 else y

        x = conv(inp, "stem/conv2d", STEM, 3, 2)
        x = bn(x, "stem/tpu_batch_normalization", True)
        for b, (k, stride, e, cin, cout) in enumerate(block_list(name)):
            pre = f"blocks_{b}/"
            y = x
            if e != 1:
                y = conv(y, pre + "conv2d", cin * e, 1)
                y = bn(y, pre + "tpu_batch_normalization", True)
                names = ("tpu_batch_normalization_1", "conv2d_1", "tpu_batch_normalization_2")
            else:
                names = ("tpu_batch_normalization", "conv2d", "tpu_batch_normalization_1")
            y = dwconv(y, pre + "depthwise_conv2d", k, stride)
            y = bn(y, pre + names[0], True)
            y = conv(y, pre + names[1], cout, 1)
            y = bn(y, pre + names[2], False)
            if stride == 1 and cin == cout:
                y = layers.Add(dtype=dtype)([y, x])
            x = y
        x = conv(x, "head/conv2d", HEAD, 1)
        x = bn(x, "head/tpu_batch_normalization", True)
        x = layers.GlobalAveragePooling2D(dtype=dtype)(x)
        dense = layers.Dense(num_classes, dtype=dtype, name="head__dense")
        logits = dense(x)
        self._vars["head/dense/kernel"] = dense.kernel
        self._vars["head/dense/bias"] = dense.bias
        probs = layers.Softmax(dtype=dtype)(logits)
        self.logits_model = keras.Model(inp, logits)
        self.model = keras.Model(inp, probs)
        expected = dict(official_variables(name, num_classes))
        got = {n: tuple(v.shape) for n, v in self._vars.items()}
        assert got == expected, sorted(set(got.items()) ^ set(expected.items()))[:6]

    def set_weights(self, weights):
        """weights: {official name: array}; every variable must be present, shapes exact."""
        missing = sorted(set(self._vars) - set(weights))
        assert not missing, f"missing weights: {missing[:5]}"
        for n, v in self._vars.items():
            a = np.asarray(weights[n])
            assert tuple(a.shape) == tuple(v.shape), (n, a.shape, v.shape)
            v.assign(a.astype(self.dtype))

    def logits(self, x, batch=8):
        """x: float [B,N,N,3] -> float64 logits [B,classes] (inference mode)."""
        out = []
        for i in range(0, len(x), batch):
            out.append(np.asarray(self.logits_model(x[i:i + batch].astype(self.dtype),
                                                    training=False), np.float64))
        return np.concatenate(out)
