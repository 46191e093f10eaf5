// Loads, stores and the clamp of 32 half_t lanes for the AVX512-FP16 kernels (the intrinsics
// take _Float16; the kernels keep half_t bits, so every access goes through epi16 casts).
#pragma once

#include <immintrin.h>

#include "core/half.h"

namespace elite::f16_avx512 {

constexpr int kLanes = 32;

inline __mmask32 lane_mask(int count) {
  return count >= 32 ? __mmask32(0xFFFFFFFFu) : __mmask32((1u << count) - 1u);
}
inline __m512h load(const half_t* p) { return _mm512_castsi512_ph(_mm512_loadu_si512(p)); }
inline __m512h load(__mmask32 m, const half_t* p) {
  return _mm512_castsi512_ph(_mm512_maskz_loadu_epi16(m, p));
}
inline void store(half_t* p, __mmask32 m, __m512h v) {
  _mm512_mask_storeu_epi16(p, m, _mm512_castph_si512(v));
}
inline __m512h broadcast(half_t h) { return _mm512_castsi512_ph(_mm512_set1_epi16(short(h))); }
// min(max(v, lo), hi): the operand order the reference's clamp16 mirrors.
inline __m512h clamp(__m512h v, __m512h lo, __m512h hi) {
  return _mm512_min_ph(_mm512_max_ph(v, lo), hi);
}

}  // namespace elite::f16_avx512
