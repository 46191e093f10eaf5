#include "model/stats.h"

namespace elite {

ModelStats compute_stats(const Graph& g) {
  ModelStats s;
  for (const Op& op : g.ops) {
    LayerStats l;
    l.op = op_kind_name(op.kind);
    l.name = g.tensors[op.output].name;
    if (!op.inputs.empty()) l.input_shape = g.tensors[op.inputs[0]].shape;
    l.output_shape = g.tensors[op.output].shape;
    l.params = op.weights.numel() * (op.weights.shape.empty() ? 0 : 1) +
               op.bias.numel() * (op.bias.shape.empty() ? 0 : 1);
    const auto& out = l.output_shape;
    switch (op.kind) {
      case OpKind::kConv2D:
        l.kernel = op.kernel_h;
        l.stride = op.stride_h;
        // out pixels * out channels * (kh * kw * in_c)
        l.madds = int64_t{out[1]} * out[2] * op.weights.numel();
        break;
      case OpKind::kDepthwiseConv2D:
        l.kernel = op.kernel_h;
        l.stride = op.stride_h;
        l.madds = int64_t{out[1]} * out[2] * op.weights.numel();
        break;
      case OpKind::kFullyConnected:
        l.madds = op.weights.numel();
        break;
      default:
        break;
    }
    s.params += l.params;
    s.madds += l.madds;
    s.layers.push_back(std::move(l));
  }
  return s;
}

}  // namespace elite
