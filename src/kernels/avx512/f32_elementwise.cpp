// AVX-512F FP32 add (clamped) and global mean. Flat arrays; global_mean reads in [hw][c].
// Bit-identical to the ref twins (one rounding per add; per-channel sums in row order).
// Tails use masked loads/stores: no over-reads.
// GCC 12's _mm512_min_ps/_mm512_max_ps pass an _mm512_undefined_ps() that trips
// -Wuninitialized inside avx512fintrin.h (a header false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>

#include "kernels/f32_microkernels.h"

namespace elite {
namespace {

inline __mmask16 lane_mask(size_t count) {
  return count >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << count) - 1u);
}

}  // namespace

void f32_add__avx512(size_t n, const float* a, const float* b, float* out, float out_min,
                     float out_max) {
  const __m512 vmin = _mm512_set1_ps(out_min), vmax = _mm512_set1_ps(out_max);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 s = _mm512_add_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    _mm512_storeu_ps(out + i, _mm512_min_ps(_mm512_max_ps(s, vmin), vmax));
  }
  if (i < n) {
    const __mmask16 m = lane_mask(n - i);
    const __m512 s =
        _mm512_add_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
    _mm512_mask_storeu_ps(out + i, m, _mm512_min_ps(_mm512_max_ps(s, vmin), vmax));
  }
}

void f32_global_mean__avx512(int hw, int c, const float* in, float* out) {
  const __m512 scale = _mm512_set1_ps(1.0f / float(hw));
  int ch = 0;
  // 64 channels at a time: 4 independent add chains hide the add latency.
  for (; ch + 64 <= c; ch += 64) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    const float* p = in + ch;
    for (int r = 0; r < hw; ++r, p += c) {
      s0 = _mm512_add_ps(s0, _mm512_loadu_ps(p));
      s1 = _mm512_add_ps(s1, _mm512_loadu_ps(p + 16));
      s2 = _mm512_add_ps(s2, _mm512_loadu_ps(p + 32));
      s3 = _mm512_add_ps(s3, _mm512_loadu_ps(p + 48));
    }
    _mm512_storeu_ps(out + ch, _mm512_mul_ps(s0, scale));
    _mm512_storeu_ps(out + ch + 16, _mm512_mul_ps(s1, scale));
    _mm512_storeu_ps(out + ch + 32, _mm512_mul_ps(s2, scale));
    _mm512_storeu_ps(out + ch + 48, _mm512_mul_ps(s3, scale));
  }
  for (; ch < c; ch += 16) {
    const __mmask16 m = lane_mask(size_t(c - ch));
    __m512 s = _mm512_setzero_ps();
    const float* p = in + ch;
    for (int r = 0; r < hw; ++r, p += c) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(m, p));
    _mm512_mask_storeu_ps(out + ch, m, _mm512_mul_ps(s, scale));
  }
}

}  // namespace elite
