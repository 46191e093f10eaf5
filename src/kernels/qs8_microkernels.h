// Declarations of the INT8 micro-kernels of every ISA and of their tables, for
// qs8_dispatch.cpp, the tests and the benchmarks. The runtime goes through qs8_kernels.h
// (qs8_kernels()). Signatures are those of the function pointers in qs8_kernels.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/qs8_kernels.h"

namespace elite {

// Reference kernels (src/kernels/qs8_ref/).
size_t qs8_gemm_packed_bytes__ref(int n, int k);
void qs8_gemm_pack__ref(int n, int k, const int8_t* w_nk, const int32_t* bias,
                        const QS8Requant& rq, void* packed);
void qs8_gemm__ref(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                   const int8_t* in, const void* packed, int8_t* out, const QS8Requant& rq);
size_t qs8_dwconv_packed_bytes__ref(int c, int kernel_h, int kernel_w);
void qs8_dwconv_pack__ref(int c, int kernel_h, int kernel_w, const int8_t* w_hwc,
                          const int32_t* bias, const QS8Requant& rq, void* packed);
void qs8_dwconv__ref(const ConvGeometry& g, const int8_t* in, const void* packed, int8_t* out,
                     const QS8Requant& rq, int oy_begin, int oy_end);
size_t qs8_conv_packed_bytes__ref(int out_c, int kernel_h, int kernel_w, int in_c);
void qs8_conv_pack__ref(int out_c, int kernel_h, int kernel_w, int in_c, const int8_t* w_ohwi,
                        const int32_t* bias, void* packed);
void qs8_conv__ref(const ConvGeometry& g, const int8_t* in, const void* packed, int8_t* out,
                   const QS8Requant& rq, int oy_begin, int oy_end);
void qs8_fc__ref(int m_begin, int m_end, int n, int k, const int8_t* in, const int8_t* w_nk,
                 const int32_t* bias, int8_t* out, const QS8FcParams& p);
void qs8_add__ref(size_t n, const int8_t* a, const int8_t* b, int8_t* out,
                  const QS8AddParams& p);
void qs8_global_mean__ref(int hw, int c, int c_begin, int c_end, const int8_t* in, int8_t* out,
                          const QS8MeanParams& p);
void qs8_softmax__ref(int n, const int8_t* in, int8_t* out, const QS8SoftmaxParams& p);
void qs8_quantize_f32_s8__ref(size_t n, const float* in, int8_t* out, float scale, int32_t zp);
void qs8_quantize_f32_u8__ref(size_t n, const float* in, uint8_t* out, float scale, int32_t zp);
void qs8_requantize_s8_u8__ref(size_t n, const int8_t* in, uint8_t* out,
                               const QS8RequantizeParams& p);
void qs8_requantize_u8_s8__ref(size_t n, const uint8_t* in, int8_t* out,
                               const QS8RequantizeParams& p);
void qs8_dequantize_s8_f32__ref(size_t n, const int8_t* in, float* out, float scale, int32_t zp);
void qs8_dequantize_u8_f32__ref(size_t n, const uint8_t* in, float* out, float scale, int32_t zp);

// AVX2 kernels (src/kernels/avx2/qs8_*.cpp).
size_t qs8_gemm_packed_bytes__avx2(int n, int k);
void qs8_gemm_pack__avx2(int n, int k, const int8_t* w_nk, const int32_t* bias,
                        const QS8Requant& rq, void* packed);
void qs8_gemm_6x16__avx2(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                         const int8_t* in, const void* packed, int8_t* out, const QS8Requant& rq);
size_t qs8_dwconv_packed_bytes__avx2(int c, int kernel_h, int kernel_w);
void qs8_dwconv_pack__avx2(int c, int kernel_h, int kernel_w, const int8_t* w_hwc,
                           const int32_t* bias, const QS8Requant& rq, void* packed);
void qs8_dwconv_16c__avx2(const ConvGeometry& g, const int8_t* in, const void* packed,
                          int8_t* out, const QS8Requant& rq, int oy_begin, int oy_end);
size_t qs8_conv_packed_bytes__avx2(int out_c, int kernel_h, int kernel_w, int in_c);
void qs8_conv_pack__avx2(int out_c, int kernel_h, int kernel_w, int in_c, const int8_t* w_ohwi,
                         const int32_t* bias, void* packed);
void qs8_conv_32oc__avx2(const ConvGeometry& g, const int8_t* in, const void* packed,
                         int8_t* out, const QS8Requant& rq, int oy_begin, int oy_end);
void qs8_fc__avx2(int m_begin, int m_end, int n, int k, const int8_t* in, const int8_t* w_nk,
                  const int32_t* bias, int8_t* out, const QS8FcParams& p);
void qs8_global_mean__avx2(int hw, int c, int c_begin, int c_end, const int8_t* in, int8_t* out,
                           const QS8MeanParams& p);
void qs8_add__avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* out,
                   const QS8AddParams& p);
void qs8_quantize_f32_s8__avx2(size_t n, const float* in, int8_t* out, float scale, int32_t zp);
void qs8_quantize_f32_u8__avx2(size_t n, const float* in, uint8_t* out, float scale, int32_t zp);
void qs8_requantize_s8_u8__avx2(size_t n, const int8_t* in, uint8_t* out,
                                const QS8RequantizeParams& p);
void qs8_requantize_u8_s8__avx2(size_t n, const uint8_t* in, int8_t* out,
                                const QS8RequantizeParams& p);

// AVX512-VNNI kernels (src/kernels/avx512vnni/qs8_*.cpp).
// INT8 softmax by a table of the row's distinct differences (plain C++,
// src/kernels/qs8_softmax_lut.cpp), bit-exact with the ref.
void qs8_softmax__lut(int n, const int8_t* in, int8_t* out, const QS8SoftmaxParams& p);
// VNNI GEMM packing (plain C++, src/kernels/qs8_vnni_gemm_pack.cpp), shared by both VNNI GEMMs.
size_t qs8_gemm_packed_bytes__vnni(int n, int k);
void qs8_gemm_pack__vnni(int n, int k, const int8_t* w_nk, const int32_t* bias,
                         const QS8Requant& rq, void* packed);
void qs8_gemm_6x16c4__avxvnni(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                              const int8_t* in, const void* packed, int8_t* out,
                              const QS8Requant& rq);
void qs8_gemm_8x32c4__avx512vnni(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                                 const int8_t* in, const void* packed, int8_t* out,
                                 const QS8Requant& rq);
void qs8_fc__avx512vnni(int m_begin, int m_end, int n, int k, const int8_t* in,
                        const int8_t* w_nk, const int32_t* bias, int8_t* out,
                        const QS8FcParams& p);
void qs8_add__avx512vnni(size_t n, const int8_t* a, const int8_t* b, int8_t* out,
                         const QS8AddParams& p);
// The same ADD on 256-entry tables of the scaled inputs, looked up with vpermi2b: needs
// AVX512-VBMI (cpu_features().avx512vbmi), which qs8_add__avx512vnni checks before taking it.
void qs8_add_lut__avx512vbmi(size_t n, const int8_t* a, const int8_t* b, int8_t* out,
                             const QS8AddParams& p);
size_t qs8_conv_packed_bytes__avx512vnni(int out_c, int kernel_h, int kernel_w, int in_c);
void qs8_conv_pack__avx512vnni(int out_c, int kernel_h, int kernel_w, int in_c,
                               const int8_t* w_ohwi, const int32_t* bias, void* packed);
void qs8_conv_8x32c4__avx512vnni(const ConvGeometry& g, const int8_t* in, const void* packed,
                                 int8_t* out, const QS8Requant& rq, int oy_begin, int oy_end);
void qs8_quantize_f32_s8__avx512vnni(size_t n, const float* in, int8_t* out, float scale,
                                     int32_t zp);
void qs8_quantize_f32_u8__avx512vnni(size_t n, const float* in, uint8_t* out, float scale,
                                     int32_t zp);
// The VNNI panels, then per-panel requantization constants made from rq at pack time.
size_t qs8_gemm_packed_bytes__avx512vnni(int n, int k);
void qs8_gemm_pack__avx512vnni(int n, int k, const int8_t* w_nk, const int32_t* bias,
                               const QS8Requant& rq, void* packed);
size_t qs8_dwconv_packed_bytes__avx512vnni(int c, int kernel_h, int kernel_w);
void qs8_dwconv_pack__avx512vnni(int c, int kernel_h, int kernel_w, const int8_t* w_hwc,
                                 const int32_t* bias, const QS8Requant& rq, void* packed);
void qs8_dwconv_rows__avx512vnni(const ConvGeometry& g, const int8_t* in, const void* packed,
                                 int8_t* out, const QS8Requant& rq, int oy_begin, int oy_end);

// AMX-INT8 kernels (src/kernels/amx/qs8_*.cpp): per-panel constants, then the weights in
// tile rows (see qs8_gemm.cpp there).
size_t qs8_gemm_packed_bytes__amx(int n, int k);
void qs8_gemm_pack__amx(int n, int k, const int8_t* w_nk, const int32_t* bias,
                        const QS8Requant& rq, void* packed);
void qs8_gemm_32x32__amx(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                         const int8_t* in, const void* packed, int8_t* out,
                         const QS8Requant& rq);

// The tables, one per compiled ISA (see qs8_isa_list.inc).
#define ELITE_QS8_ISA(name, supported) extern const QS8Kernels qs8_kernels__##name;
#include "kernels/qs8_isa_list.inc"
#undef ELITE_QS8_ISA

}  // namespace elite
