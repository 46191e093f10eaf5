// Small random float Graphs shared by the .tflite and ONNX tests (tests/unit/tflite_test.cpp,
// tests/unit/onnx_writer_test.cpp) and tests/tools/write_test_tflite.cpp. Weights are uniform
// in [-1, 1) from std::mt19937, drawn in op order (weights, then bias), so a seed always gives
// the same graph.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "model/graph.h"

namespace elite::test {

// A tensor of `shape` filled with uniform [-1, 1) values from `rng`.
FloatTensor random_tensor(std::vector<int64_t> shape, std::mt19937& rng);

// A CONV_2D (weights [out_c,k,k,in_c]) or DEPTHWISE_CONV_2D (weights [1,k,k,out_c]) op with a
// bias, square kernel and stride, random weights.
Op conv_op(OpKind kind, int in, int out, int k, int stride, Padding padding, Activation act,
           int in_c, int out_c, std::mt19937& rng);

// An op without weights or options.
Op simple_op(OpKind kind, std::vector<int> inputs, int output);

// stem conv 3x3 s2 SAME relu6 -> depthwise 3x3 relu6 -> 1x1 conv -> add (skip) -> mean
// -> fully connected -> softmax: [1,16,16,3] -> [1,5]. Named "efficientnet-lite0", labels
// {"cat", "dog", "tabby cat", "", "zebra"}.
Graph make_block_graph(uint32_t seed);

// pad -> depthwise 3x3 s2 VALID relu -> global average pool kept 4-D [1,1,1,4] -> reshape
// -> fully connected relu: [1,9,7,4] -> [1,3]. No name, no labels.
Graph make_pad_graph(uint32_t seed);

}  // namespace elite::test
