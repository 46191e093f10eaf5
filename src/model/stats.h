// Parameter and multiply-add counts of an inference Graph, per op and in total.
// Multiply-adds count CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED only (one per weight
// per output pixel); the official table also counts some elementwise work, so its figures
// are a few percent higher (see README).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/graph.h"

namespace elite {

struct LayerStats {
  std::string op;    // "CONV_2D"
  std::string name;  // output tensor name
  std::vector<int> input_shape;
  std::vector<int> output_shape;
  int kernel = 0, stride = 0;
  int64_t params = 0;  // weights + bias (BN folded)
  int64_t madds = 0;
};

struct ModelStats {
  std::vector<LayerStats> layers;
  int64_t params = 0;
  int64_t madds = 0;
};

ModelStats compute_stats(const Graph& graph);

}  // namespace elite
