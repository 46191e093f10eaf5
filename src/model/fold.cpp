#include "model/fold.h"

#include <cmath>

namespace elite {
namespace {

// Appends conv/dwconv + folded BN (+ ReLU6) reading tensor `in`; returns the output tensor.
int add_conv_bn(Graph& g, const ConvBnLayer& l, int in) {
  const TensorDesc& src = g.tensors[in];
  const int h = src.shape[1], w = src.shape[2];
  const int oh = same_padding(h, l.kernel, l.stride).out;
  const int ow = same_padding(w, l.kernel, l.stride).out;
  Op op;
  op.kind = l.depthwise ? OpKind::kDepthwiseConv2D : OpKind::kConv2D;
  op.inputs = {in};
  op.kernel_h = op.kernel_w = l.kernel;
  op.stride_h = op.stride_w = l.stride;
  op.padding = Padding::kSame;
  op.activation = l.relu6 ? Activation::kRelu6 : Activation::kNone;
  op.weights = l.weight;
  op.bias = FloatTensor({l.out_c});
  // y = gamma * (conv(x) - mean) / sqrt(var + eps) + beta, computed in double.
  std::vector<double> scale(l.out_c);
  for (int c = 0; c < l.out_c; ++c) {
    scale[c] = l.bn.gamma[c] / std::sqrt(static_cast<double>(l.bn.moving_variance[c]) + l.bn.epsilon);
    op.bias.data[c] = static_cast<float>(l.bn.beta[c] - l.bn.moving_mean[c] * scale[c]);
  }
  float* wdata = op.weights.data.data();
  const int64_t n = op.weights.numel();
  if (l.depthwise) {  // [1,k,k,C]: channel is the fastest dimension
    for (int64_t i = 0; i < n; ++i) wdata[i] = static_cast<float>(wdata[i] * scale[i % l.out_c]);
  } else {  // [O,k,k,I]: channel is the slowest dimension
    const int64_t per_out = n / l.out_c;
    for (int64_t i = 0; i < n; ++i) wdata[i] = static_cast<float>(wdata[i] * scale[i / per_out]);
  }
  op.output = g.add_tensor(l.name, {1, oh, ow, l.out_c});
  g.ops.push_back(std::move(op));
  return g.ops.back().output;
}

}  // namespace

Graph fold_to_graph(const EfficientNetLite& m) {
  Graph g;
  g.name = m.config.name;
  const int r = m.config.resolution;
  g.input = g.add_tensor("input", {1, r, r, 3});
  int x = add_conv_bn(g, m.stem, g.input);
  for (size_t i = 0; i < m.blocks.size(); ++i) {
    const MBConvBlock& b = m.blocks[i];
    const int block_in = x;
    if (b.expand) x = add_conv_bn(g, *b.expand, x);
    x = add_conv_bn(g, b.depthwise, x);
    x = add_conv_bn(g, b.project, x);
    if (b.residual) {
      Op add;
      add.kind = OpKind::kAdd;
      add.inputs = {x, block_in};
      add.output = g.add_tensor("blocks_" + std::to_string(i) + "/add", g.tensors[x].shape);
      g.ops.push_back(std::move(add));
      x = g.ops.back().output;
    }
  }
  x = add_conv_bn(g, m.head, x);

  Op mean;
  mean.kind = OpKind::kMean;
  mean.inputs = {x};
  mean.output = g.add_tensor("avg_pool", {1, m.head.out_c});
  g.ops.push_back(std::move(mean));

  Op fc;
  fc.kind = OpKind::kFullyConnected;
  fc.inputs = {g.ops.back().output};
  fc.weights = m.classifier.weight;
  fc.bias = FloatTensor({m.classifier.out});
  fc.bias.data = m.classifier.bias;
  fc.output = g.add_tensor("logits", {1, m.classifier.out});
  g.ops.push_back(std::move(fc));

  Op softmax;
  softmax.kind = OpKind::kSoftmax;
  softmax.inputs = {g.ops.back().output};
  softmax.output = g.add_tensor("probabilities", {1, m.classifier.out});
  g.ops.push_back(std::move(softmax));
  g.output = g.ops.back().output;
  return g;
}

}  // namespace elite
