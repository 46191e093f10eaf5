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

// ---------------------------------------------------------------------------------------
// Fast path of the same requantization, for the channels of real layers: multiplier >= 0,
// shift in [-kFastMaxRight, 0] and accumulators bounded by |acc| <= max_abs_acc with
// max_abs_acc + 2^(e-1) + 128 * 2^e + 2 < 2^31 (e = -shift). fast_requant_ok() checks this
// per group of channels; callers use the general epilogue above otherwise.
// With H = SaturatingRoundingDoublingHighMul(x, M) = floor((x M + 2^30) / 2^31) (above) and,
// for e >= 1, RoundingDivideByPowerOfTwo(H, e) = floor((H + 2^(e-1) - [H < 0]) / 2^e):
//   out = floor((floor(U / 2^31) - d) / 2^e),  U = x M + 2^30 + [e >= 1] 2^(30+e) + zp 2^(31+e)
// (nested floors by powers of two compose; the added terms are multiples of 2^31 for e >= 1),
// d = [x < 0] [e >= 1]. [x < 0] may replace [H < 0] because M >= 0: x < 0 with H >= 0 means
// x M + 2^30 in [0, 2^30], H = 0, and floor((2^(e-1) - 1) / 2^e) = 0 as RDBP(0, e). The
// output zero point rides in U, so the result is requant(x) + zp, exact and within int32 by
// the bound (no saturation: M is never INT32_MIN). Per 8 lanes: 2 vpmuldq, 2 64-bit adds, 2
// shifts and a blend to gather floor(U / 2^31), then the d correction and one vpsravd.
constexpr int kFastMaxRight = 22;

struct FastRequantVec {
  __m256i m_even, m_odd;      // multipliers of channels 0,2,4,6 / 1,3,5,7 in the low dwords
  __m256i rnd_even, rnd_odd;  // U - x M per channel, int64
  __m256i right, neg;         // e, and -1 where e >= 1
};

inline bool fast_requant_ok(const QS8Requant& rq, int c, int count, int64_t max_abs_acc) {
  for (int i = 0; i < count; ++i) {
    const int32_t m = rq.multiplier[c + i], s = rq.shift[c + i];
    if (m < 0 || s > 0 || s < -kFastMaxRight) return false;
    const int e = -s;
    if (max_abs_acc + (int64_t(1) << e) / 2 + (int64_t(128) << e) + 2 >= (int64_t(1) << 31))
      return false;
  }
  return true;
}

// Channels [c, c + count) of rq (count in [1, 8]; fast_requant_ok() true for them); lanes past
// count give 0 + zp.
inline FastRequantVec fast_requant_vec(const QS8Requant& rq, int c, int count) {
  alignas(32) int64_t rnd[8];
  alignas(32) int32_t mult[8], right[8], neg[8];
  for (int i = 0; i < 8; ++i) {
    const int e = i < count ? -rq.shift[c + i] : 0;
    mult[i] = i < count ? rq.multiplier[c + i] : 0;
    right[i] = e;
    neg[i] = e >= 1 ? -1 : 0;
    rnd[i] = (int64_t(1) << 30) + (e >= 1 ? int64_t(1) << (30 + e) : 0) +
             int64_t(rq.output_zero_point) * (int64_t(1) << (31 + e));
  }
  FastRequantVec f;
  const __m256i m = _mm256_load_si256(reinterpret_cast<const __m256i*>(mult));
  f.m_even = m;
  f.m_odd = _mm256_srli_epi64(m, 32);
  f.rnd_even = _mm256_setr_epi64x(rnd[0], rnd[2], rnd[4], rnd[6]);
  f.rnd_odd = _mm256_setr_epi64x(rnd[1], rnd[3], rnd[5], rnd[7]);
  f.right = _mm256_load_si256(reinterpret_cast<const __m256i*>(right));
  f.neg = _mm256_load_si256(reinterpret_cast<const __m256i*>(neg));
  return f;
}

// requant(acc) + output_zero_point on 8 lanes, not clamped (see above).
inline __m256i fast_requant(__m256i x, const FastRequantVec& f) {
  const __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(x, f.m_even), f.rnd_even);
  const __m256i po =
      _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), f.m_odd), f.rnd_odd);
  __m256i h = _mm256_blend_epi32(_mm256_srli_epi64(pe, 31), _mm256_slli_epi64(po, 1), 0xAA);
  h = _mm256_add_epi32(h, _mm256_and_si256(_mm256_srai_epi32(x, 31), f.neg));
  return _mm256_srav_epi32(h, f.right);
}

// 16 int32 lanes (channels 0-7 in a, 8-15 in b) -> 16 int8 in order, saturated to int8 and
// clamped to [lo, hi] (saturation then clamp equals the clamp, as -128 <= lo <= hi <= 127).
inline __m128i pack16_clamp(__m256i a, __m256i b, __m128i lo, __m128i hi) {
  const __m256i w = _mm256_packs_epi32(a, b);  // a0-3 b0-3 | a4-7 b4-7
  const __m128i bytes =
      _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
  // a0-3 b0-3 a4-7 b4-7 -> a0-7 b0-7
  const __m128i ordered = _mm_shuffle_epi32(bytes, 0xD8);
  return _mm_min_epi8(_mm_max_epi8(ordered, lo), hi);
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
