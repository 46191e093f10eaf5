#include "runtime/conv_geometry.h"

namespace elite {

std::string resolve_conv_geometry(const Op& op, const TensorDesc& in, const TensorDesc& out,
                                  ConvGeometry& g) {
  if (in.shape.size() != 4 || out.shape.size() != 4 || in.shape[0] != 1 || out.shape[0] != 1)
    return "expects 4-D NHWC tensors with batch 1";
  g.in_h = in.shape[1];
  g.in_w = in.shape[2];
  g.in_c = in.shape[3];
  g.out_h = out.shape[1];
  g.out_w = out.shape[2];
  g.out_c = out.shape[3];
  g.kernel_h = op.kernel_h;
  g.kernel_w = op.kernel_w;
  g.stride_h = op.stride_h;
  g.stride_w = op.stride_w;
  if (g.kernel_h < 1 || g.kernel_w < 1 || g.stride_h < 1 || g.stride_w < 1)
    return "kernel and stride must be positive";
  int eh, ew;
  if (op.padding == Padding::kSame) {
    const SamePadding ph = same_padding(g.in_h, g.kernel_h, g.stride_h);
    const SamePadding pw = same_padding(g.in_w, g.kernel_w, g.stride_w);
    eh = ph.out;
    ew = pw.out;
    g.pad_top = ph.before;
    g.pad_left = pw.before;
  } else {
    if (g.in_h < g.kernel_h || g.in_w < g.kernel_w) return "VALID convolution larger than its input";
    eh = (g.in_h - g.kernel_h) / g.stride_h + 1;
    ew = (g.in_w - g.kernel_w) / g.stride_w + 1;
  }
  if (eh != g.out_h || ew != g.out_w) return "output size does not match padding";
  if (op.kind == OpKind::kDepthwiseConv2D && g.in_c != g.out_c) return "depth multiplier must be 1";
  return "";
}

}  // namespace elite
