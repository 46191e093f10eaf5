// The prepared form of one op of a float graph, shared by the FP32 (executor.cpp) and
// FP16 (f16_steps.cpp) run loops.
#pragma once

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/aligned_buffer.h"
#include "core/threadpool.h"
#include "kernels/f32_kernels.h"
#include "runtime/executor.h"
#include "runtime/work_split.h"

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

// How both precisions divide a step among the pool's threads; `run` computes one part.

// GEMM: pixels, or output channels where the weights dominate (work_split.h).
// run(m_begin, m_end, n_begin, n_end).
template <class Run>
void run_gemm_parts(ThreadPool& pool, const Executor::Step& s, int n_tile, const Run& run) {
  const int threads = pool.threads();
  if (gemm_splits_rows(s.m, s.n, n_tile, threads, /*wide_to_columns=*/true)) {
    const int parts = std::min(threads, s.m);
    pool.run(parts, [&](int i) {
      auto [b, e] = split(s.m, parts, i);
      run(b, e, 0, s.n);
    });
  } else {
    pool.run(threads, [&](int i) {
      auto [b, e] = split(s.n, threads, i, n_tile);
      if (b < e) run(0, s.m, b, e);
    });
  }
}

// Convolutions: output rows. run(oy_begin, oy_end).
template <class Run>
void run_row_parts(ThreadPool& pool, int rows, const Run& run) {
  const int parts = std::min(pool.threads(), rows);
  pool.run(parts, [&](int i) {
    auto [b, e] = split(rows, parts, i);
    run(b, e);
  });
}

// Element-wise: [begin, end) in multiples of `grain`. run(begin, end), never empty.
template <class Run>
void run_element_parts(ThreadPool& pool, int n, int grain, const Run& run) {
  const int threads = pool.threads();
  pool.run(threads, [&](int i) {
    auto [b, e] = split(n, threads, i, grain);
    if (b < e) run(b, e);
  });
}

// PAD of a [1, H, W, C] tensor with zeros, for floats or halves.
template <class T>
void pad_step(const Graph& g, const Executor::Step& s, const T* in, T* out) {
  const TensorDesc& id = g.tensors[s.in0];
  const TensorDesc& od = g.tensors[s.out];
  const int ih = id.shape[1], iw = id.shape[2], c = id.shape[3];
  const int ow = od.shape[2];
  std::fill(out, out + od.numel(), T{0});
  for (int y = 0; y < ih; ++y)
    std::memcpy(out + (size_t{1} * (y + s.pads[0]) * ow + s.pads[2]) * c,
                in + size_t{1} * y * iw * c, sizeof(T) * iw * c);
}

}  // namespace elite
