// FP16 micro-kernels (`--precision fp16`): one table of function pointers per instruction set,
// shaped like the FP32 tables of f32_kernels.h but on half_t activations and weights.
//
// Arithmetic: every multiply-add is one fused half-precision FMA, rounded to half
// (VFMADD*PH), in a fixed order: acc = bias; then acc = fma(x, w, acc) over the taps
// (GEMM: k in order; depthwise: ky, kx; convolution: ky, kx, input channel); then clamp.
// The reference table ("ref") emulates exactly that on any CPU (core/half.h), so fast and
// reference kernels are equal bit for bit, whatever the thread split.
// Where half precision would lose accuracy the kernels widen: the global mean sums in FP32,
// and the runtime runs the softmax in FP32 on the converted logits.
//
// Instruction sets: "ref" (plain C++, slow: a software FMA per multiply-add) and
// "avx512fp16" (AVX512-FP16: Sapphire Rapids and later Intel Xeons).
#pragma once

#include <cstddef>
#include <vector>

#include "core/half.h"
#include "kernels/f32_kernels.h"  // ConvGeometry

namespace elite {

// The fused activation as a clamp in half: out = min(max(acc, lo), hi).
struct F16Clamp {
  half_t lo, hi;
};

// out[m][n] = clamp(bias[n] + sum_k in[m][k] * w[n][k]), as F32GemmKernel.
struct F16GemmKernel {
  size_t (*packed_halves)(int n, int k);
  void (*pack)(int n, int k, const float* w_nk, const float* bias, half_t* packed);
  void (*run)(int m_begin, int m_end, int n_begin, int n_end, int n, int k, const half_t* in,
              const half_t* packed, half_t* out, F16Clamp clamp);
  int n_tile;
};

// Depthwise convolution, depth multiplier 1, weights [kernel_h, kernel_w, c] + bias[c].
struct F16DwconvKernel {
  size_t (*packed_halves)(int c, int kernel_h, int kernel_w);
  void (*pack)(int c, int kernel_h, int kernel_w, const float* w_hwc, const float* bias,
               half_t* packed);
  void (*run)(const ConvGeometry& g, const half_t* in, const half_t* packed, half_t* out,
              F16Clamp clamp, int oy_begin, int oy_end);
};

// General convolution (the stem), weights OHWI + bias[out_c].
struct F16ConvKernel {
  size_t (*packed_halves)(int out_c, int kernel_h, int kernel_w, int in_c);
  void (*pack)(int out_c, int kernel_h, int kernel_w, int in_c, const float* w_ohwi,
               const float* bias, half_t* packed);
  void (*run)(const ConvGeometry& g, const half_t* in, const half_t* packed, half_t* out,
              F16Clamp clamp, int oy_begin, int oy_end);
};

struct F16Kernels {
  const char* isa;  // "ref", "avx512fp16"
  F16GemmKernel gemm;
  F16DwconvKernel dwconv;
  F16ConvKernel conv;
  // out[i] = clamp(a[i] + b[i]) for i in [0, n), one half rounding per element
  void (*add)(size_t n, const half_t* a, const half_t* b, half_t* out, F16Clamp clamp);
  // out[c] = half(sum over the hw rows of in[hw][c], in FP32 in row order, / hw)
  void (*global_mean)(int hw, int c, const half_t* in, half_t* out);
  // Conversions at the graph's edges (input pixels in, logits out).
  void (*from_float)(size_t n, const float* in, half_t* out);
  void (*to_float)(size_t n, const half_t* in, float* out);
};

// The table of one instruction set, or nullptr if it is not compiled in or the CPU lacks it.
const F16Kernels* f16_kernels_for(const char* isa);
// Every table usable on this CPU, reference first.
std::vector<const F16Kernels*> f16_available_kernels();
// The best table for this CPU (ELITE_ISA may lower it); the reference on CPUs without
// AVX512-FP16.
const F16Kernels& f16_kernels();

}  // namespace elite
