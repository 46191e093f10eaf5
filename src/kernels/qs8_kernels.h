// INT8 micro-kernels (TFLite full-integer quantization): one table of function pointers per
// instruction set, like F32Kernels in f32_kernels.h.
//
// Quantization (TFLite spec): real = scale * (q - zero_point).
//   activations int8, asymmetric per tensor (zero point in [-128, 127]);
//   weights int8, symmetric per output channel (zero point 0; FULLY_CONNECTED may be per
//   tensor with a weight zero point);
//   bias int32 with scale input_scale * weight_scale[c] and zero point 0.
// A kernel accumulates acc = bias[c] + sum w * (x - input_zero_point) in int32, then
// requantizes: out = clamp(requant(acc) + output_zero_point, out_min, out_max), where
// requant is TFLite's fixed-point MultiplyByQuantizedMultiplier with a per-channel Q31
// multiplier and shift (src/quant/requantize.h). out_min/out_max carry the fused activation
// as quantized values (quantized_activation_range()).
//
// Layouts are those of f32_kernels.h: activations NHWC, batch 1; conv weights OHWI,
// depthwise [kernel_h][kernel_w][c], gemm/FC [n][k]. Weights are repacked once by the
// kernel's own `pack` (int32 bias and int8 weights in one buffer); the runtime only hands a
// kernel what its own `pack` produced.
//
// The "ref" table computes every value exactly as TFLite's reference kernels
// (BUILTIN_REF op resolver) do; fast kernels must match it bit for bit. Accumulators are
// int32: |w * (x - zp)| <= 127 * 255, so a reduction of up to 2^16 terms cannot overflow
// (the deepest EfficientNet-lite reduction is 1280).
//
// Determinism: as for FP32, a kernel computes each output element with the same operations
// whatever row range it is called with, so results never depend on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/f32_kernels.h"  // ConvGeometry (its float clamps are unused here)

namespace elite {

// Per-output-channel requantization of conv, 1x1 gemm and depthwise accumulators.
struct QS8Requant {
  int32_t input_zero_point = 0;          // subtracted from every input value
  int32_t output_zero_point = 0;         // added after requantization
  const int32_t* multiplier = nullptr;   // [out_c] Q31 multipliers
  const int32_t* shift = nullptr;        // [out_c] exponents (> 0 left, < 0 right)
  int32_t out_min = -128, out_max = 127;  // fused activation, quantized
};

// out[m][n] = requant(bias[n] + sum_k w[n][k] * (in[m][k] - input_zero_point)): 1x1 stride-1
// convolutions (m = pixels). Rows of `in` have stride k, rows of `out` stride n.
struct QS8GemmKernel {
  size_t (*packed_bytes)(int n, int k);
  // rq: the requantization that run() will get (a kernel may prepare its constants here).
  void (*pack)(int n, int k, const int8_t* w_nk, const int32_t* bias, const QS8Requant& rq,
               void* packed);
  // Rows [m_begin, m_end), columns [n_begin, n_end) (n_begin a multiple of n_tile; n_end a
  // multiple of n_tile or n).
  void (*run)(int m_begin, int m_end, int n_begin, int n_end, int n, int k, const int8_t* in,
              const void* packed, int8_t* out, const QS8Requant& rq);
  int n_tile;
};

// Depthwise convolution, depth multiplier 1, weights [kernel_h][kernel_w][c] + bias[c].
// Taps outside the input are skipped (TFLite pads with the input zero point, which
// contributes 0 after the offset).
struct QS8DwconvKernel {
  size_t (*packed_bytes)(int c, int kernel_h, int kernel_w);
  // rq: the requantization that run() will get (a kernel may prepare its constants here).
  void (*pack)(int c, int kernel_h, int kernel_w, const int8_t* w_hwc, const int32_t* bias,
               const QS8Requant& rq, void* packed);
  void (*run)(const ConvGeometry& g, const int8_t* in, const void* packed, int8_t* out,
              const QS8Requant& rq, int oy_begin, int oy_end);
};

// General convolution, weights [out_c][kernel_h][kernel_w][in_c] + bias[out_c].
struct QS8ConvKernel {
  size_t (*packed_bytes)(int out_c, int kernel_h, int kernel_w, int in_c);
  void (*pack)(int out_c, int kernel_h, int kernel_w, int in_c, const int8_t* w_ohwi,
               const int32_t* bias, void* packed);
  void (*run)(const ConvGeometry& g, const int8_t* in, const void* packed, int8_t* out,
              const QS8Requant& rq, int oy_begin, int oy_end);
};

// FULLY_CONNECTED. TFLite's reference kernel (LiteRT, TF >= 2.20) requantizes in double:
//   out = clamp(round(double(acc) * scale[n]) + output_zero_point, out_min, out_max)
// with acc = bias[n] + sum_k (w[n][k] - weight_zero_point) * (in[m][k] - input_zero_point)
// and round() half away from zero. scale[] comes from qs8_fc_scales(). Per-tensor weights
// pass the same scale for every n (and may have a weight zero point); per-channel weights
// have weight_zero_point 0.
struct QS8FcParams {
  int32_t input_zero_point = 0;
  int32_t weight_zero_point = 0;
  int32_t output_zero_point = 0;
  const double* scale = nullptr;  // [n]
  int32_t out_min = -128, out_max = 127;
};

// ADD, TFLite's 8-bit general path: both inputs are offset, shifted left by left_shift (20)
// and rescaled to a common scale (2 * max input scale) with multipliers < 1; the int32 sum
// is rescaled to the output. All three use MultiplyByQuantizedMultiplierSmallerThanOneExp.
struct QS8AddParams {
  int32_t a_zero_point = 0, b_zero_point = 0, output_zero_point = 0;
  int left_shift = 20;
  int32_t a_multiplier = 0, b_multiplier = 0, output_multiplier = 0;
  int a_shift = 0, b_shift = 0, output_shift = 0;  // all <= 0
  int32_t out_min = -128, out_max = 127;
};

// MEAN over H and W. multiplier/shift quantize input_scale / output_scale; the kernel
// folds in 1/count exactly as TFLite's QuantizedMeanOrSum does.
struct QS8MeanParams {
  int32_t input_zero_point = 0, output_zero_point = 0;
  int32_t multiplier = 0;
  int shift = 0;
};

// SOFTMAX int8 -> int8 with output scale 1/256 and zero point -128 (the TFLite contract),
// computed with gemmlowp fixed-point exp as TFLite's reference kernel.
struct QS8SoftmaxParams {
  int32_t input_multiplier = 0;  // beta * input_scale * 2^26 as Q31 + left shift
  int input_left_shift = 0;
  int diff_min = 0;  // inputs with x - max < diff_min give exactly 0 (-128)
};

// QUANTIZE between int8 and uint8 (graph edges): out = clamp(M * (in - in_zp) + out_zp).
struct QS8RequantizeParams {
  int32_t input_zero_point = 0, output_zero_point = 0;
  int32_t multiplier = 0;
  int shift = 0;
};

struct QS8Kernels {
  const char* isa;  // "ref", later "avx2", "avx512vnni"
  QS8GemmKernel gemm;
  QS8DwconvKernel dwconv;
  QS8ConvKernel conv;
  // Rows [m_begin, m_end) of out[m][n], all n columns; w_nk and bias unpacked (FC weights are
  // used once per image).
  void (*fc)(int m_begin, int m_end, int n, int k, const int8_t* in, const int8_t* w_nk,
             const int32_t* bias, int8_t* out, const QS8FcParams& p);
  // out[i] = a[i] (+) b[i] for i in [0, n)
  void (*add)(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const QS8AddParams& p);
  // out[c] = mean over the hw rows of in[hw][c], for c in [c_begin, c_end); row stride c
  void (*global_mean)(int hw, int c, int c_begin, int c_end, const int8_t* in, int8_t* out,
                      const QS8MeanParams& p);
  // softmax over n values (one row)
  void (*softmax)(int n, const int8_t* in, int8_t* out, const QS8SoftmaxParams& p);
  // float -> int8 / uint8: clamp(round(x / scale) + zero_point) with float division and
  // round half away from zero (TFLite AffineQuantize).
  void (*quantize_f32_s8)(size_t n, const float* in, int8_t* out, float scale,
                          int32_t zero_point);
  void (*quantize_f32_u8)(size_t n, const float* in, uint8_t* out, float scale,
                          int32_t zero_point);
  // int8 <-> uint8 requantization (TFLite Requantize).
  void (*requantize_s8_u8)(size_t n, const int8_t* in, uint8_t* out,
                           const QS8RequantizeParams& p);
  void (*requantize_u8_s8)(size_t n, const uint8_t* in, int8_t* out,
                           const QS8RequantizeParams& p);
  // int8 / uint8 -> float: float(double(scale) * (q - zero_point)) (TFLite Dequantize).
  void (*dequantize_s8_f32)(size_t n, const int8_t* in, float* out, float scale,
                            int32_t zero_point);
  void (*dequantize_u8_f32)(size_t n, const uint8_t* in, float* out, float scale,
                            int32_t zero_point);
};

// The reference table: plain C++, always available, bit-exact with TFLite's reference
// kernels. Fast tables (and their dispatch) come later.
extern const QS8Kernels qs8_kernels__ref;

// Dispatch (src/kernels/qs8_dispatch.cpp, ISAs listed in qs8_isa_list.inc), as for FP32:
// the table of one ISA, or nullptr if it is not compiled in or the CPU lacks it ("ref"
// always exists).
const QS8Kernels* qs8_kernels_for(const char* isa);
// Every table usable on this CPU, reference first (for tests and benchmarks).
std::vector<const QS8Kernels*> qs8_available_kernels();
// The table to use: the best the CPU supports, lowered by ELITE_ISA=ref|avx2 if set. Decided
// once.
const QS8Kernels& qs8_kernels();

}  // namespace elite
