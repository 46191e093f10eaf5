// Declarations of every FP16 micro-kernel and of the per-ISA tables, for f16_dispatch.cpp,
// the tests and the benchmarks. The runtime goes through f16_kernels.h.
#pragma once

#include <cstddef>

#include "kernels/f16_kernels.h"

namespace elite {

#define ELITE_F16_DECLARE_KERNELS(sfx)                                                             \
  size_t f16_gemm_packed_halves__##sfx(int n, int k);                                              \
  void f16_gemm_pack__##sfx(int n, int k, const float* w_nk, const float* bias, half_t* packed);   \
  size_t f16_dwconv_packed_halves__##sfx(int c, int kernel_h, int kernel_w);                       \
  void f16_dwconv_pack__##sfx(int c, int kernel_h, int kernel_w, const float* w_hwc,               \
                              const float* bias, half_t* packed);                                  \
  void f16_dwconv__##sfx(const ConvGeometry& g, const half_t* in, const half_t* packed,            \
                         half_t* out, F16Clamp clamp, int oy_begin, int oy_end);                   \
  size_t f16_conv_packed_halves__##sfx(int out_c, int kernel_h, int kernel_w, int in_c);           \
  void f16_conv_pack__##sfx(int out_c, int kernel_h, int kernel_w, int in_c, const float* w_ohwi,  \
                            const float* bias, half_t* packed);                                    \
  void f16_conv__##sfx(const ConvGeometry& g, const half_t* in, const half_t* packed, half_t* out, \
                       F16Clamp clamp, int oy_begin, int oy_end);                                  \
  void f16_add__##sfx(size_t n, const half_t* a, const half_t* b, half_t* out, F16Clamp clamp);    \
  void f16_global_mean__##sfx(int hw, int c, const half_t* in, half_t* out);                       \
  void f16_from_float__##sfx(size_t n, const float* in, half_t* out);                              \
  void f16_to_float__##sfx(size_t n, const half_t* in, float* out);

ELITE_F16_DECLARE_KERNELS(ref)
ELITE_F16_DECLARE_KERNELS(avx512fp16)
#undef ELITE_F16_DECLARE_KERNELS

void f16_gemm__ref(int m_begin, int m_end, int n_begin, int n_end, int n, int k, const half_t* in,
                   const half_t* packed, half_t* out, F16Clamp clamp);
void f16_gemm_8x64__avx512fp16(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                               const half_t* in, const half_t* packed, half_t* out, F16Clamp clamp);

#define ELITE_F16_ISA(name, supported) extern const F16Kernels f16_kernels__##name;
#include "kernels/f16_isa_list.inc"
#undef ELITE_F16_ISA

}  // namespace elite
