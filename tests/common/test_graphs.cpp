#include "test_graphs.h"

#include <utility>

namespace elite::test {

FloatTensor random_tensor(std::vector<int64_t> shape, std::mt19937& rng) {
  FloatTensor t(std::move(shape));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : t.data) v = dist(rng);
  return t;
}

Op conv_op(OpKind kind, int in, int out, int k, int stride, Padding padding, Activation act,
           int in_c, int out_c, std::mt19937& rng) {
  Op op;
  op.kind = kind;
  op.inputs = {in};
  op.output = out;
  op.kernel_h = op.kernel_w = k;
  op.stride_h = op.stride_w = stride;
  op.padding = padding;
  op.activation = act;
  op.weights = kind == OpKind::kConv2D ? random_tensor({out_c, k, k, in_c}, rng)
                                       : random_tensor({1, k, k, out_c}, rng);
  op.bias = random_tensor({out_c}, rng);
  return op;
}

Op simple_op(OpKind kind, std::vector<int> inputs, int output) {
  Op op;
  op.kind = kind;
  op.inputs = std::move(inputs);
  op.output = output;
  return op;
}

Graph make_block_graph(uint32_t seed) {
  std::mt19937 rng(seed);
  Graph g;
  g.name = "efficientnet-lite0";
  g.labels = {"cat", "dog", "tabby cat", "", "zebra"};
  const int x = g.add_tensor("images", {1, 16, 16, 3});
  const int stem = g.add_tensor("stem", {1, 8, 8, 8});
  const int dw = g.add_tensor("block0/dw", {1, 8, 8, 8});
  const int pw = g.add_tensor("block0/project", {1, 8, 8, 8});
  const int sum = g.add_tensor("block0/add", {1, 8, 8, 8});
  const int pooled = g.add_tensor("head/pool", {1, 8});
  const int logits = g.add_tensor("head/logits", {1, 5});
  const int probs = g.add_tensor("probabilities", {1, 5});
  g.ops.push_back(conv_op(OpKind::kConv2D, x, stem, 3, 2, Padding::kSame, Activation::kRelu6,
                          3, 8, rng));
  g.ops.push_back(conv_op(OpKind::kDepthwiseConv2D, stem, dw, 3, 1, Padding::kSame,
                          Activation::kRelu6, 8, 8, rng));
  g.ops.push_back(conv_op(OpKind::kConv2D, dw, pw, 1, 1, Padding::kSame, Activation::kNone, 8,
                          8, rng));
  g.ops.push_back(simple_op(OpKind::kAdd, {pw, stem}, sum));
  g.ops.push_back(simple_op(OpKind::kMean, {sum}, pooled));
  Op fc = simple_op(OpKind::kFullyConnected, {pooled}, logits);
  fc.weights = random_tensor({5, 8}, rng);
  fc.bias = random_tensor({5}, rng);
  g.ops.push_back(std::move(fc));
  Op softmax = simple_op(OpKind::kSoftmax, {logits}, probs);
  softmax.beta = 1.0f;
  g.ops.push_back(std::move(softmax));
  g.input = x;
  g.output = probs;
  return g;
}

Graph make_pad_graph(uint32_t seed) {
  std::mt19937 rng(seed);
  Graph g;
  const int x = g.add_tensor("input", {1, 9, 7, 4});
  const int padded = g.add_tensor("pad", {1, 11, 10, 4});
  const int dw = g.add_tensor("dw", {1, 5, 4, 4});
  const int pooled = g.add_tensor("pool", {1, 1, 1, 4});
  const int flat = g.add_tensor("flat", {1, 4});
  const int out = g.add_tensor("out", {1, 3});
  Op pad = simple_op(OpKind::kPad, {x}, padded);
  pad.pads[0] = 0, pad.pads[1] = 2, pad.pads[2] = 1, pad.pads[3] = 2;
  g.ops.push_back(std::move(pad));
  g.ops.push_back(conv_op(OpKind::kDepthwiseConv2D, padded, dw, 3, 2, Padding::kValid,
                          Activation::kRelu, 4, 4, rng));
  g.ops.push_back(simple_op(OpKind::kMean, {dw}, pooled));
  g.ops.push_back(simple_op(OpKind::kReshape, {pooled}, flat));
  Op fc = simple_op(OpKind::kFullyConnected, {flat}, out);
  fc.activation = Activation::kRelu;
  fc.weights = random_tensor({3, 4}, rng);
  fc.bias = random_tensor({3}, rng);
  g.ops.push_back(std::move(fc));
  g.input = x;
  g.output = out;
  return g;
}

}  // namespace elite::test
