// AVX512-FP16 element-wise kernels: ADD (one VADDPH rounding, then the clamp), the global mean
// (FP32 sums in row order, as the reference), and the conversions at the graph's edges
// (VCVTPS2PHX / VCVTPH2PSX: round to nearest even, as half_from_float).
#include <cstddef>

#include "kernels/avx512fp16/f16_simd.h"
#include "kernels/f16_microkernels.h"

namespace elite {

using namespace f16_avx512;

void f16_add__avx512fp16(size_t n, const half_t* a, const half_t* b, half_t* out,
                         F16Clamp clamp16) {
  const __m512h lo = broadcast(clamp16.lo), hi = broadcast(clamp16.hi);
  for (size_t i = 0; i < n; i += kLanes) {
    const __mmask32 m = lane_mask(n - i < size_t(kLanes) ? int(n - i) : kLanes);
    store(out + i, m, clamp(_mm512_add_ph(load(m, a + i), load(m, b + i)), lo, hi));
  }
}

void f16_global_mean__avx512fp16(int hw, int c, const half_t* in, half_t* out) {
  for (int ch = 0; ch < c; ch += 16) {
    const __mmask16 m = __mmask16(c - ch >= 16 ? 0xFFFFu : (1u << (c - ch)) - 1u);
    __m512 sum = _mm512_setzero_ps();
    for (int p = 0; p < hw; ++p)
      sum = _mm512_add_ps(sum, _mm512_cvtxph_ps(_mm256_castsi256_ph(
                                   _mm256_maskz_loadu_epi16(m, in + size_t(p) * c + ch))));
    // sum / hw, not sum * (1 / hw): the reference divides.
    const __m512 mean = _mm512_div_ps(sum, _mm512_set1_ps(float(hw)));
    _mm256_mask_storeu_epi16(out + ch, m, _mm256_castph_si256(_mm512_cvtxps_ph(mean)));
  }
}

void f16_from_float__avx512fp16(size_t n, const float* in, half_t* out) {
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = __mmask16(n - i >= 16 ? 0xFFFFu : (1u << (n - i)) - 1u);
    _mm256_mask_storeu_epi16(out + i, m,
                             _mm256_castph_si256(_mm512_cvtxps_ph(_mm512_maskz_loadu_ps(m, in + i))));
  }
}

void f16_to_float__avx512fp16(size_t n, const half_t* in, float* out) {
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = __mmask16(n - i >= 16 ? 0xFFFFu : (1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(out + i, m,
                          _mm512_cvtxph_ps(_mm256_castsi256_ph(_mm256_maskz_loadu_epi16(m, in + i))));
  }
}

const F16Kernels f16_kernels__avx512fp16 = {
    "avx512fp16",
    {f16_gemm_packed_halves__avx512fp16, f16_gemm_pack__avx512fp16, f16_gemm_8x64__avx512fp16, 64},
    {f16_dwconv_packed_halves__avx512fp16, f16_dwconv_pack__avx512fp16, f16_dwconv__avx512fp16},
    {f16_conv_packed_halves__avx512fp16, f16_conv_pack__avx512fp16, f16_conv__avx512fp16},
    f16_add__avx512fp16,
    f16_global_mean__avx512fp16,
    f16_from_float__avx512fp16,
    f16_to_float__avx512fp16,
};

}  // namespace elite
