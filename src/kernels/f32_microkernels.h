// Declarations of every FP32 micro-kernel and of the per-ISA tables built from them, for
// dispatch.cpp, the tests and the benchmarks. The runtime should go through f32_kernels.h.
// Signatures are those of the function pointers in f32_kernels.h.
#pragma once

#include <cstddef>

#include "kernels/f32_kernels.h"

namespace elite {

#define ELITE_F32_DECLARE_KERNELS(sfx)                                                            \
  size_t f32_gemm_packed_floats__##sfx(int n, int k);                                             \
  void f32_gemm_pack__##sfx(int n, int k, const float* w_nk, const float* bias, float* packed);   \
  size_t f32_dwconv_packed_floats__##sfx(int c, int kernel_h, int kernel_w);                      \
  void f32_dwconv_pack__##sfx(int c, int kernel_h, int kernel_w, const float* w_hwc,              \
                              const float* bias, float* packed);                                  \
  void f32_dwconv__##sfx(const ConvGeometry& g, const float* in, const float* packed, float* out, \
                         int oy_begin, int oy_end);                                               \
  size_t f32_conv_packed_floats__##sfx(int out_c, int kernel_h, int kernel_w, int in_c);          \
  void f32_conv_pack__##sfx(int out_c, int kernel_h, int kernel_w, int in_c, const float* w_ohwi, \
                            const float* bias, float* packed);                                    \
  void f32_conv__##sfx(const ConvGeometry& g, const float* in, const float* packed, float* out,   \
                       int oy_begin, int oy_end);                                                 \
  void f32_add__##sfx(size_t n, const float* a, const float* b, float* out, float out_min,        \
                      float out_max);                                                             \
  void f32_global_mean__##sfx(int hw, int c, const float* in, float* out);

ELITE_F32_DECLARE_KERNELS(ref)
ELITE_F32_DECLARE_KERNELS(avx2)
ELITE_F32_DECLARE_KERNELS(avx512)
#undef ELITE_F32_DECLARE_KERNELS

// GEMM run functions carry their register tile in the name.
void f32_gemm__ref(int m_begin, int m_end, int n_begin, int n_end, int n, int k, const float* in,
                   const float* packed, float* out, float out_min, float out_max);
void f32_gemm_6x16__avx2(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                         const float* in, const float* packed, float* out, float out_min,
                         float out_max);
void f32_gemm_8x32__avx512(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                           const float* in, const float* packed, float* out, float out_min,
                           float out_max);

// Softmax has only the reference version (one call per image, 1000 values).
void f32_softmax__ref(int n, const float* in, float* out, float beta);

// The tables, one per compiled ISA (see f32_isa_list.inc).
#define ELITE_F32_ISA(name, supported) extern const F32Kernels f32_kernels__##name;
#include "kernels/f32_isa_list.inc"
#undef ELITE_F32_ISA

}  // namespace elite
