// Test-only: writes a small random float Graph as .tflite for tests/python/test_tflite_interop.py.
//   write_test_tflite OUT.tflite [--seed N] [--variant block|pad]
// block: [1,16,16,3] conv 3x3 s2 SAME relu6 -> depthwise 3x3 relu6 -> conv 1x1 -> add (skip)
//        -> mean -> fully connected -> softmax -> [1,5]
// pad:   [1,9,7,4] pad -> depthwise 3x3 s2 VALID relu -> average pool [1,1,1,4] -> reshape
//        -> fully connected relu -> [1,3]
// Weights are uniform in [-1, 1) from std::mt19937(seed), so a seed gives the same file.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "io/tflite/tflite_writer.h"

using namespace elite;

namespace {

FloatTensor random_tensor(std::vector<int64_t> shape, std::mt19937& rng) {
  FloatTensor t(std::move(shape));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : t.data) v = dist(rng);
  return t;
}

Op conv(OpKind kind, int in, int out, int k, int stride, Padding padding, Activation act,
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

Op simple(OpKind kind, std::vector<int> inputs, int out) {
  Op op;
  op.kind = kind;
  op.inputs = std::move(inputs);
  op.output = out;
  return op;
}

Graph block_graph(std::mt19937& rng) {
  Graph g;
  g.name = "test-block";
  g.labels = {"a", "b", "c", "d", "e"};
  const int x = g.add_tensor("images", {1, 16, 16, 3});
  const int stem = g.add_tensor("stem", {1, 8, 8, 8});
  const int dw = g.add_tensor("block0/dw", {1, 8, 8, 8});
  const int pw = g.add_tensor("block0/project", {1, 8, 8, 8});
  const int sum = g.add_tensor("block0/add", {1, 8, 8, 8});
  const int pooled = g.add_tensor("head/pool", {1, 8});
  const int logits = g.add_tensor("head/logits", {1, 5});
  const int probs = g.add_tensor("probabilities", {1, 5});
  g.ops.push_back(conv(OpKind::kConv2D, x, stem, 3, 2, Padding::kSame, Activation::kRelu6, 3, 8, rng));
  g.ops.push_back(conv(OpKind::kDepthwiseConv2D, stem, dw, 3, 1, Padding::kSame, Activation::kRelu6, 8, 8, rng));
  g.ops.push_back(conv(OpKind::kConv2D, dw, pw, 1, 1, Padding::kSame, Activation::kNone, 8, 8, rng));
  g.ops.push_back(simple(OpKind::kAdd, {pw, stem}, sum));
  g.ops.push_back(simple(OpKind::kMean, {sum}, pooled));
  Op fc = simple(OpKind::kFullyConnected, {pooled}, logits);
  fc.weights = random_tensor({5, 8}, rng);
  fc.bias = random_tensor({5}, rng);
  g.ops.push_back(fc);
  g.ops.push_back(simple(OpKind::kSoftmax, {logits}, probs));
  g.input = x;
  g.output = probs;
  return g;
}

Graph pad_graph(std::mt19937& rng) {
  Graph g;
  g.name = "test-pad";
  const int x = g.add_tensor("input", {1, 9, 7, 4});
  const int padded = g.add_tensor("pad", {1, 11, 10, 4});
  const int dw = g.add_tensor("dw", {1, 5, 4, 4});
  const int pooled = g.add_tensor("pool", {1, 1, 1, 4});
  const int flat = g.add_tensor("flat", {1, 4});
  const int out = g.add_tensor("out", {1, 3});
  Op pad = simple(OpKind::kPad, {x}, padded);
  pad.pads[0] = 0, pad.pads[1] = 2, pad.pads[2] = 1, pad.pads[3] = 2;
  g.ops.push_back(pad);
  g.ops.push_back(conv(OpKind::kDepthwiseConv2D, padded, dw, 3, 2, Padding::kValid, Activation::kRelu, 4, 4, rng));
  g.ops.push_back(simple(OpKind::kMean, {dw}, pooled));
  g.ops.push_back(simple(OpKind::kReshape, {pooled}, flat));
  Op fc = simple(OpKind::kFullyConnected, {flat}, out);
  fc.activation = Activation::kRelu;
  fc.weights = random_tensor({3, 4}, rng);
  fc.bias = random_tensor({3}, rng);
  g.ops.push_back(fc);
  g.input = x;
  g.output = out;
  return g;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, variant = "block";
  unsigned seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) seed = std::strtoul(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--variant") && i + 1 < argc) variant = argv[++i];
    else path = argv[i];
  }
  if (path.empty() || (variant != "block" && variant != "pad")) {
    std::fprintf(stderr, "usage: write_test_tflite OUT.tflite [--seed N] [--variant block|pad]\n");
    return 2;
  }
  std::mt19937 rng(seed);
  Graph g = variant == "block" ? block_graph(rng) : pad_graph(rng);
  Status s = write_tflite_file(g, path);
  if (!s.ok()) {
    std::fprintf(stderr, "write_test_tflite: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
