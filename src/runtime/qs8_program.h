// The INT8 side of the Executor (private to src/runtime/): prepared steps of a quantized
// graph and the byte offsets of its arena. Built by Executor::prepare_qs8 (qs8_steps.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/aligned_buffer.h"
#include "kernels/qs8_kernels.h"
#include "runtime/executor.h"

namespace elite {

// One op of a quantized graph, ready to run: geometry resolved, weights packed by the
// chosen kernel, requantization parameters computed as TFLite's Prepare() does.
struct Executor::QStep {
  enum class Kind {
    kGemm, kConv, kDwconv, kFc, kAdd, kMean, kSoftmax, kPad, kCopy,
    kQuantizeF32S8, kQuantizeF32U8, kRequantizeS8U8, kRequantizeU8S8,
    kDequantizeS8, kDequantizeU8,
  };
  Kind kind = Kind::kCopy;
  int in0 = -1, in1 = -1, out = -1;
  size_t numel = 0;  // elements of the output
  ConvGeometry geom;
  int m = 0, n = 0, k = 0;
  AlignedBuffer packed;                   // kernel-packed int32 bias + int8 weights
  std::vector<int32_t> multiplier, shift;  // per output channel (conv, dwconv, gemm)
  QS8Requant rq;                           // pointers are filled in at run time
  std::vector<int8_t> fc_weights;          // [n][k]
  std::vector<int32_t> fc_bias;            // [n]
  std::vector<double> fc_scale;            // [n]
  QS8FcParams fc;
  QS8AddParams add;
  QS8MeanParams mean;
  QS8SoftmaxParams softmax;
  QS8RequantizeParams requant;
  float scale = 1.0f;  // QUANTIZE from float / DEQUANTIZE
  int32_t zero_point = 0;
  int pads[4] = {0, 0, 0, 0};
  int8_t pad_value = 0;
};

struct Executor::Qs8Program {
  const QS8Kernels* kernels = nullptr;
  std::shared_ptr<const std::vector<QStep>> steps;  // one per op; immutable, shared by fork()
  std::vector<size_t> offset;  // per tensor, bytes into the arena
  int logits_tensor = -1;      // input of the final SOFTMAX (INT8), or -1
  std::vector<float> logits;   // its dequantized values after each run
  void after_run(const Graph& g, const uint8_t* arena);
};

}  // namespace elite
