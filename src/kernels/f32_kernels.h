// FP32 micro-kernels: one table of function pointers per instruction set.
//
// Every kernel is a pure function of pointers, counts and params: no allocation, no
// threads, no CPU checks. Activations are NHWC (batch 1). Weights are repacked once at
// load time by the kernel's own `pack` (each ISA may choose its own layout) and the
// runtime only ever hands a kernel what its own `pack` produced.
//
// Determinism: the runtime splits work into row ranges across threads. A kernel must
// compute each output element with the same instruction sequence whatever range it is
// called with, so results never depend on the thread count.
//
// Instruction sets: "ref" (plain C++, the reference twin of everything), "avx2" (AVX2 +
// FMA), "avx512" (AVX-512F). The best one the CPU supports is chosen once; the
// environment variable ELITE_ISA=ref|avx2|avx512 forces a lower one.
#pragma once

#include <cstddef>
#include <vector>

namespace elite {

// Geometry of a 2-D convolution over one NHWC image.
struct ConvGeometry {
  int in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;  // depthwise: out_c == in_c
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;  // implicit zeros before the input; after it follows from out_h/out_w
  float out_min = -3.4028235e38f;  // fused activation: clamp(x, out_min, out_max)
  float out_max = 3.4028235e38f;
};

// out[m][n] = clamp(bias[n] + sum_k in[m][k] * w[n][k]): 1x1 stride-1 convolutions (m =
// pixels) and fully connected layers (m = 1). `in` rows have stride k, `out` rows stride n.
struct F32GemmKernel {
  size_t (*packed_floats)(int n, int k);
  void (*pack)(int n, int k, const float* w_nk, const float* bias, float* packed);
  // Computes rows [m_begin, m_end) and columns [n_begin, n_end) of out. n_begin is a
  // multiple of n_tile; n_end is a multiple of n_tile or equal to n.
  void (*run)(int m_begin, int m_end, int n_begin, int n_end, int n, int k, const float* in,
              const float* packed, float* out, float out_min, float out_max);
  int n_tile;
};

// Depthwise convolution, depth multiplier 1, weights [kernel_h, kernel_w, c] (+ bias[c]).
struct F32DwconvKernel {
  size_t (*packed_floats)(int c, int kernel_h, int kernel_w);
  void (*pack)(int c, int kernel_h, int kernel_w, const float* w_hwc, const float* bias,
               float* packed);
  // Computes output rows [oy_begin, oy_end).
  void (*run)(const ConvGeometry& g, const float* in, const float* packed, float* out,
              int oy_begin, int oy_end);
};

// General convolution, weights [out_c, kernel_h, kernel_w, in_c] (OHWI) + bias[out_c].
// Used for the stem (3x3 stride 2, 3 input channels) and any conv that is not 1x1 stride 1.
struct F32ConvKernel {
  size_t (*packed_floats)(int out_c, int kernel_h, int kernel_w, int in_c);
  void (*pack)(int out_c, int kernel_h, int kernel_w, int in_c, const float* w_ohwi,
               const float* bias, float* packed);
  void (*run)(const ConvGeometry& g, const float* in, const float* packed, float* out,
              int oy_begin, int oy_end);
};

struct F32Kernels {
  const char* isa;  // "ref", "avx2", "avx512"
  F32GemmKernel gemm;
  F32DwconvKernel dwconv;
  F32ConvKernel conv;
  // out[i] = clamp(a[i] + b[i], out_min, out_max) for i in [0, n)
  void (*add)(size_t n, const float* a, const float* b, float* out, float out_min, float out_max);
  // out[c] = mean over the hw rows of in[hw][c]
  void (*global_mean)(int hw, int c, const float* in, float* out);
  // out = softmax(beta * in) over n values (max-subtracted)
  void (*softmax)(int n, const float* in, float* out, float beta);
};

// The kernel table of one instruction set, or nullptr if it is not compiled in or the CPU
// lacks it. "ref" always exists.
const F32Kernels* f32_kernels_for(const char* isa);
// Every table usable on this CPU, reference first (for tests and benchmarks).
std::vector<const F32Kernels*> f32_available_kernels();
// The table to use: the best the CPU supports, lowered by ELITE_ISA if set. Decided once.
const F32Kernels& f32_kernels();

}  // namespace elite
