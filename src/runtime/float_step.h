// The prepared form of one op of a float graph, shared by the FP32 (executor.cpp) and
// FP16 (f16_steps.cpp) run loops.
#pragma once

#include <limits>

#include "core/aligned_buffer.h"
#include "kernels/f32_kernels.h"
#include "runtime/executor.h"

namespace elite {

// One op, ready to run: geometry resolved, weights packed by the chosen kernel (in half
// precision: halves, two per float of `packed`).
struct Executor::Step {
  enum class Kind { kGemm, kConv, kDwconv, kAdd, kMean, kSoftmax, kPad, kCopy };
  Kind kind;
  int in0 = -1, in1 = -1, out = -1;
  ConvGeometry geom;
  AlignedBuffer packed;
  int m = 0, n = 0, k = 0;  // gemm
  float out_min = -std::numeric_limits<float>::max();
  float out_max = std::numeric_limits<float>::max();
  float beta = 1.0f;
  int pads[4] = {0, 0, 0, 0};
};

}  // namespace elite
