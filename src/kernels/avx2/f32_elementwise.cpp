// AVX2 FP32 add (clamped) and global mean. Flat arrays; global_mean reads in [hw][c].
// Both give results bit-identical to the ref twins: add rounds once per element, and
// global_mean sums each channel over rows in the same order, then scales by 1/hw.
// Tails use masked loads/stores: no over-reads.
#include <immintrin.h>

#include <cstdint>

#include "kernels/f32_microkernels.h"

namespace elite {
namespace {

alignas(32) const int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
inline __m256i lane_mask(int count) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 8 - count));
}

}  // namespace

void f32_add__avx2(size_t n, const float* a, const float* b, float* out, float out_min,
                   float out_max) {
  const __m256 vmin = _mm256_set1_ps(out_min), vmax = _mm256_set1_ps(out_max);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int u = 0; u < 32; u += 8) {
      const __m256 s = _mm256_add_ps(_mm256_loadu_ps(a + i + u), _mm256_loadu_ps(b + i + u));
      _mm256_storeu_ps(out + i + u, _mm256_min_ps(_mm256_max_ps(s, vmin), vmax));
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 s = _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    _mm256_storeu_ps(out + i, _mm256_min_ps(_mm256_max_ps(s, vmin), vmax));
  }
  if (i < n) {
    const __m256i m = lane_mask(int(n - i));
    const __m256 s = _mm256_add_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m));
    _mm256_maskstore_ps(out + i, m, _mm256_min_ps(_mm256_max_ps(s, vmin), vmax));
  }
}

void f32_global_mean__avx2(int hw, int c, const float* in, float* out) {
  const __m256 scale = _mm256_set1_ps(1.0f / float(hw));
  int ch = 0;
  // 32 channels at a time: 4 independent add chains hide the add latency.
  for (; ch + 32 <= c; ch += 32) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    const float* p = in + ch;
    for (int r = 0; r < hw; ++r, p += c) {
      s0 = _mm256_add_ps(s0, _mm256_loadu_ps(p));
      s1 = _mm256_add_ps(s1, _mm256_loadu_ps(p + 8));
      s2 = _mm256_add_ps(s2, _mm256_loadu_ps(p + 16));
      s3 = _mm256_add_ps(s3, _mm256_loadu_ps(p + 24));
    }
    _mm256_storeu_ps(out + ch, _mm256_mul_ps(s0, scale));
    _mm256_storeu_ps(out + ch + 8, _mm256_mul_ps(s1, scale));
    _mm256_storeu_ps(out + ch + 16, _mm256_mul_ps(s2, scale));
    _mm256_storeu_ps(out + ch + 24, _mm256_mul_ps(s3, scale));
  }
  for (; ch < c; ch += 8) {
    const __m256i m = lane_mask(c - ch < 8 ? c - ch : 8);
    __m256 s = _mm256_setzero_ps();
    const float* p = in + ch;
    for (int r = 0; r < hw; ++r, p += c) s = _mm256_add_ps(s, _mm256_maskload_ps(p, m));
    _mm256_maskstore_ps(out + ch, m, _mm256_mul_ps(s, scale));
  }
}

}  // namespace elite
