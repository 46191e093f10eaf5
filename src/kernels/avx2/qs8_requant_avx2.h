// AVX2 requantization epilogue shared by the INT8 kernels in this directory: 8 int32
// accumulators of 8 output channels -> TFLite's MultiplyByQuantizedMultiplier (double
// rounding, src/quant/requantize.h), + output zero point, clamp. Include only from files
// compiled with -mavx2.
//
// Exactness, lane by lane, against multiply_by_quantized_multiplier():
//   shifted = x << max(shift, 0)       vpsllvd: wraps exactly like the uint32 shift of the ref.
//   SaturatingRoundingDoublingHighMul(a, b): the ref computes trunc((ab + nudge) / 2^31) with
//     nudge = 2^30 for ab >= 0 and 1 - 2^30 for ab < 0. ab + nudge has the sign of ab, and
//     for a negative value trunc(v / 2^31) = floor((v + 2^31 - 1) / 2^31) = floor((ab + 2^30)
//     / 2^31); for ab >= 0 it is the same expression. So high = floor((ab + 2^30) / 2^31):
//     one 64-bit add and a shift by 31 (vpmuldq on even/odd lanes; the low 32 bits of a logical
//     and an arithmetic shift agree, and the result fits in 32 bits). Its only value outside
//     int32 is 2^31 for a == b == INT32_MIN, which wraps to INT32_MIN and is flipped to
//     INT32_MAX (no other input gives INT32_MIN: the minimum is -2^31 + 1), as the ref saturates.
//   RoundingDivideByPowerOfTwo(y, e), e = max(-shift, 0) in [0, 31]:
//     (y >> e) + ((y & mask) > (mask >> 1) + (y < 0)), mask = 2^e - 1, as the ref.
// Shift must lie in [-31, 31] (the ref's shifts are undefined beyond). The final clamp
// assumes -128 <= out_min <= out_max <= 127, as quantized_activation_range() gives.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/qs8_kernels.h"

namespace elite {
namespace qs8_avx2 {

// Per-channel constants of 8 consecutive output channels.
struct RequantVec {
  __m256i mult_even, mult_odd;  // multiplier, and multiplier >> 32 per 64-bit lane
  __m256i left, right;          // max(shift, 0), max(-shift, 0)
  __m256i mask, half;           // 2^right - 1, mask >> 1
};

inline RequantVec requant_vec(__m256i mult, __m256i shift) {
  RequantVec r;
  const __m256i zero = _mm256_setzero_si256();
  r.mult_even = mult;
  r.mult_odd = _mm256_srli_epi64(mult, 32);
  r.left = _mm256_max_epi32(shift, zero);
  r.right = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);
  r.mask = _mm256_sub_epi32(_mm256_sllv_epi32(_mm256_set1_epi32(1), r.right), _mm256_set1_epi32(1));
  r.half = _mm256_srli_epi32(r.mask, 1);
  return r;
}

// Channels [c, c + count) of rq (count in [1, 8]); lanes past count get multiplier 0, shift 0.
// Reads no multiplier or shift past count.
inline RequantVec requant_vec(const QS8Requant& rq, int c, int count) {
  if (count >= 8)
    return requant_vec(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rq.multiplier + c)),
                       _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rq.shift + c)));
  alignas(32) static const int32_t kLanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                 0,  0,  0,  0,  0,  0,  0,  0};
  const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kLanes + 8 - count));
  return requant_vec(_mm256_maskload_epi32(rq.multiplier + c, m),
                     _mm256_maskload_epi32(rq.shift + c, m));
}

// multiply_by_quantized_multiplier(acc, multiplier, shift) on 8 lanes.
inline __m256i multiply_by_quantized_multiplier(__m256i acc, const RequantVec& r) {
  const __m256i x = _mm256_sllv_epi32(acc, r.left);
  const __m256i round = _mm256_set1_epi64x(int64_t(1) << 30);
  const __m256i p_even = _mm256_add_epi64(_mm256_mul_epi32(x, r.mult_even), round);
  const __m256i p_odd =
      _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), r.mult_odd), round);
  // Bits [31, 63) of each product: even lanes in the low dword, odd lanes in the high dword.
  __m256i high = _mm256_blend_epi32(_mm256_srli_epi64(p_even, 31), _mm256_slli_epi64(p_odd, 1),
                                    0xAA);
  high = _mm256_xor_si256(high, _mm256_cmpeq_epi32(high, _mm256_set1_epi32(INT32_MIN)));
  // Rounding divide by 2^right, ties away from zero.
  const __m256i rem = _mm256_and_si256(high, r.mask);
  const __m256i threshold =
      _mm256_sub_epi32(r.half, _mm256_cmpgt_epi32(_mm256_setzero_si256(), high));
  return _mm256_sub_epi32(_mm256_srav_epi32(high, r.right), _mm256_cmpgt_epi32(rem, threshold));
}

// Output zero point and clamp, as int32 lanes.
struct OutputVec {
  __m256i zero_point, lo, hi;
};

inline OutputVec output_vec(const QS8Requant& rq) {
  return {_mm256_set1_epi32(rq.output_zero_point), _mm256_set1_epi32(rq.out_min),
          _mm256_set1_epi32(rq.out_max)};
}

inline __m256i finish(__m256i acc, const RequantVec& r, const OutputVec& o) {
  const __m256i v = _mm256_add_epi32(multiply_by_quantized_multiplier(acc, r), o.zero_point);
  return _mm256_min_epi32(_mm256_max_epi32(v, o.lo), o.hi);
}

// 16 int32 lanes (channels 0-7 in a, 8-15 in b), each in [-128, 127] -> 16 int8 in order.
inline __m128i pack16(__m256i a, __m256i b) {
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);  // a0-7 | b0-7
  const __m256i bytes = _mm256_packs_epi16(w, w);  // a0-7 a0-7 | b0-7 b0-7
  return _mm256_castsi256_si128(_mm256_permute4x64_epi64(bytes, 0x08));  // a0-7 b0-7
}

// 8 int32 lanes in [-128, 127] -> 8 int8 in the low half.
inline __m128i pack8(__m256i a) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
  return _mm_packs_epi16(w, w);
}

}  // namespace qs8_avx2
}  // namespace elite
