// Per-layer quantization error: the FP32 graph and its INT8 form (quantize_graph, same
// tensor indices for the FP32 tensors) run on the same images; every op output of the FP32
// graph is compared with the dequantized INT8 tensor: SQNR = 10 log10(sum f^2 / sum (f-q)^2)
// in dB and cosine similarity, accumulated over all images.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/graph.h"

namespace elite {

struct LayerError {
  int op = 0;  // op index in the FP32 graph
  std::string kind, tensor;
  double sqnr_db = 0.0, cosine = 0.0;
};

Result<std::vector<LayerError>> quantization_report(
    const Graph& fp32, const Graph& int8, const std::vector<std::string>& images,
    const std::function<void(int done, int total)>& progress);

}  // namespace elite
