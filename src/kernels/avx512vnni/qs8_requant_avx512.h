// AVX-512 requantization epilogue shared by the INT8 kernels in this directory: 16 int32
// accumulators of 16 output channels -> TFLite's MultiplyByQuantizedMultiplier (double
// rounding, src/quant/requantize.h), + output zero point, clamp. The same arithmetic as
// src/kernels/avx2/qs8_requant_avx2.h (whose comment derives why each step equals the
// reference exactly), on 16 lanes, with opmasks where AVX2 needs compare-and-blend. Include
// only from files compiled with AVX-512 F/BW/DQ/VL.
//
// Shift must lie in [-31, 31]. The final clamp assumes -128 <= out_min <= out_max <= 127, as
// quantized_activation_range() gives.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/qs8_kernels.h"

namespace elite {
namespace qs8_avx512 {

// Lanes [0, count) set, count in [0, 16].
inline __mmask16 lane_mask(int count) {
  return count >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (count < 0 ? 0 : count)) - 1u);
}

// Per-channel constants of 16 consecutive output channels (general path).
struct RequantVec {
  __m512i mult_even, mult_odd;  // multiplier, and multiplier >> 32 per 64-bit lane
  __m512i left, right;          // max(shift, 0), max(-shift, 0)
  __m512i mask, half;           // 2^right - 1, mask >> 1
};

inline RequantVec requant_vec(__m512i mult, __m512i shift) {
  RequantVec r;
  const __m512i zero = _mm512_setzero_si512();
  r.mult_even = mult;
  r.mult_odd = _mm512_srli_epi64(mult, 32);
  r.left = _mm512_max_epi32(shift, zero);
  r.right = _mm512_max_epi32(_mm512_sub_epi32(zero, shift), zero);
  r.mask = _mm512_sub_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), r.right),
                            _mm512_set1_epi32(1));
  r.half = _mm512_srli_epi32(r.mask, 1);
  return r;
}

// Channels [c, c + count) of rq (count in [1, 16]); lanes past count get multiplier 0, shift
// 0. Reads no multiplier or shift past count.
inline RequantVec requant_vec(const QS8Requant& rq, int c, int count) {
  const __mmask16 m = lane_mask(count);
  return requant_vec(_mm512_maskz_loadu_epi32(m, rq.multiplier + c),
                     _mm512_maskz_loadu_epi32(m, rq.shift + c));
}

// multiply_by_quantized_multiplier(acc, multiplier, shift) on 16 lanes.
inline __m512i multiply_by_quantized_multiplier(__m512i acc, const RequantVec& r) {
  const __m512i x = _mm512_sllv_epi32(acc, r.left);
  const __m512i round = _mm512_set1_epi64(int64_t(1) << 30);
  const __m512i p_even = _mm512_add_epi64(_mm512_mul_epi32(x, r.mult_even), round);
  const __m512i p_odd =
      _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), r.mult_odd), round);
  // Bits [31, 63) of each product: even lanes in the low dword, odd lanes in the high dword.
  __m512i high = _mm512_mask_blend_epi32(__mmask16(0xAAAA), _mm512_srli_epi64(p_even, 31),
                                         _mm512_slli_epi64(p_odd, 1));
  // 2^31 (a == b == INT32_MIN) wrapped to INT32_MIN: saturate to INT32_MAX as the ref does.
  high = _mm512_mask_mov_epi32(
      high, _mm512_cmpeq_epi32_mask(high, _mm512_set1_epi32(INT32_MIN)),
      _mm512_set1_epi32(INT32_MAX));
  // Rounding divide by 2^right, ties away from zero.
  const __m512i rem = _mm512_and_si512(high, r.mask);
  const __m512i threshold = _mm512_mask_add_epi32(
      r.half, _mm512_cmplt_epi32_mask(high, _mm512_setzero_si512()), r.half,
      _mm512_set1_epi32(1));
  const __m512i q = _mm512_srav_epi32(high, r.right);
  return _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(rem, threshold), q,
                               _mm512_set1_epi32(1));
}

// Output zero point and clamp, as int32 lanes.
struct OutputVec {
  __m512i zero_point, lo, hi;
};

inline OutputVec output_vec(const QS8Requant& rq) {
  return {_mm512_set1_epi32(rq.output_zero_point), _mm512_set1_epi32(rq.out_min),
          _mm512_set1_epi32(rq.out_max)};
}

// requant(acc) + zero point, clamped, as int32 lanes.
inline __m512i finish(__m512i acc, const RequantVec& r, const OutputVec& o) {
  const __m512i v = _mm512_add_epi32(multiply_by_quantized_multiplier(acc, r), o.zero_point);
  return _mm512_min_epi32(_mm512_max_epi32(v, o.lo), o.hi);
}

// ---------------------------------------------------------------------------------------
// Fast path for the channels of real layers, exactly as qs8_avx2's (see the derivation
// there): multiplier >= 0, shift in [-kFastMaxRight, 0] and |acc| <= max_abs_acc with
// max_abs_acc + 2^(e-1) + 128 * 2^e + 2 < 2^31 (e = -shift). Unlike qs8_avx2's, it also
// takes left shifts s in [1, 31] (common in depthwise layers): then acc << s is exact, the
// ref's high multiply cannot saturate, no right shift follows (e = 0), and the same formula
// applies to acc << s. The output zero point rides in the rounding constant, so
// fast_requant() returns requant(acc) + zp, not yet clamped.
//
// The formula's high multiply wants bits [31, 63) of the 64-bit product x m + rnd. This form
// multiplies 2x (x = acc << s) by m and adds 2 rnd instead, so those bits are the product's
// high dword and a dword shuffle brings them together: 3 multiplies and shifts per vector
// (vpsllvd, 2 vpmuldq, vpsravd) instead of 8, which is what bounds this epilogue on the two
// multiply/shift pipes. 2x must be exact too: |acc| 2^(s+1) < 2^31.
constexpr int kFastMaxRight = 22;

struct FastRequantVec {
  __m512i m_even, m_odd;      // multipliers of even / odd channels in the low dwords
  __m512i rnd_even, rnd_odd;  // 2 (2^30 + [e >= 1] 2^(30+e) + zp 2^(31+e)), int64 per channel
  __m512i right;              // e
  __m512i left;               // max(shift, 0) + 1 (the + 1 doubles x, see above)
  __mmask16 neg;              // lanes with e >= 1: negative acc rounds one lower there
};

// How the fast path treats one channel whose accumulators satisfy |acc| <= bound.
//   kFast: the formula above.
//   kZero: multiplier 0, or a "dead" channel (multiplier * 2^shift tiny, typically shift < -22 with a huge
//     bias, beyond the formula's range) whose requantization is 0 for every such acc: with
//     e = -shift >= 1 and bound * m + 2^31 < 2^(30+e), the ref's high multiply
//     r1 = round(acc m / 2^31) has |r1| <= bound m / 2^31 + 1 < 2^(e-1), and the rounding
//     divide by 2^e maps every r1 in (-2^(e-1), 2^(e-1)) to 0. Its lane runs the formula with
//     multiplier 0 and e = 0, which gives exactly the zero point (2x may wrap there; it is
//     multiplied by 0).
//   kGeneral: neither; the caller runs the general form for the whole vector.
enum class LaneKind { kFast, kZero, kGeneral };

inline LaneKind lane_kind(int32_t m, int s, int64_t bound) {
  // Multiplier 0 (a channel whose scale is 0): the ref's high multiply is 0 for every acc,
  // even a wrapped acc << s, so the result is exactly the zero point.
  if (m == 0 && s >= -31 && s <= 31) return LaneKind::kZero;
  if (bound < 0 || bound >= (int64_t(1) << 31) || m < 0 || s < -31 || s > 31)
    return LaneKind::kGeneral;
  if (s > 0)  // left shift: 2 (acc << s) must stay exact, with room for the zero point
    return ((bound + 1) << (s + 1)) <= (int64_t(1) << 31) ? LaneKind::kFast : LaneKind::kGeneral;
  const int e = -s;
  if (e <= kFastMaxRight && bound < (int64_t(1) << 30) &&
      bound + (int64_t(1) << e) / 2 + (int64_t(128) << e) + 2 < (int64_t(1) << 31))
    return LaneKind::kFast;
  // bound < 2^31 and m < 2^31: the product fits int64, and 2^(30+e) <= 2^61.
  if (e >= 1 && bound * m + (int64_t(1) << 31) < (int64_t(1) << (30 + e))) return LaneKind::kZero;
  return LaneKind::kGeneral;
}

// True when every channel [c, c + count) is kFast or kZero; bound[i] bounds channel c + i.
inline bool fast_requant_ok(const QS8Requant& rq, int c, int count, const int64_t* bound) {
  for (int i = 0; i < count; ++i)
    if (lane_kind(rq.multiplier[c + i], rq.shift[c + i], bound[i]) == LaneKind::kGeneral)
      return false;
  return true;
}

// Channels [c, c + count) of rq (count in [1, 16]; fast_requant_ok() true for them with the
// same bounds); lanes past count give 0 + zp.
inline FastRequantVec fast_requant_vec(const QS8Requant& rq, int c, int count,
                                       const int64_t* bound) {
  alignas(64) int64_t rnd_even[8], rnd_odd[8];
  alignas(64) int32_t mult[16], right[16], left[16];
  __mmask16 neg = 0;
  for (int i = 0; i < 16; ++i) {
    const bool live = i < count && lane_kind(rq.multiplier[c + i], rq.shift[c + i],
                                             bound[i]) == LaneKind::kFast;
    const int s = live ? rq.shift[c + i] : 0;
    const int e = s < 0 ? -s : 0;
    left[i] = (s > 0 ? s : 0) + 1;
    mult[i] = live ? rq.multiplier[c + i] : 0;
    right[i] = e;
    if (e >= 1) neg = __mmask16(neg | (1u << i));
    const int64_t rnd = (int64_t(1) << 30) + (e >= 1 ? int64_t(1) << (30 + e) : 0) +
                        int64_t(rq.output_zero_point) * (int64_t(1) << (31 + e));
    (i % 2 == 0 ? rnd_even : rnd_odd)[i / 2] = 2 * rnd;
  }
  FastRequantVec f;
  const __m512i m = _mm512_load_si512(mult);
  f.m_even = m;
  f.m_odd = _mm512_srli_epi64(m, 32);
  f.rnd_even = _mm512_load_si512(rnd_even);
  f.rnd_odd = _mm512_load_si512(rnd_odd);
  f.right = _mm512_load_si512(right);
  f.left = _mm512_load_si512(left);
  f.neg = neg;
  return f;
}

// True when no channel of f shifts left: fast_requant<false> then doubles x with an add
// instead of a variable shift (one op fewer on the multiply/shift pipes).
inline bool no_left_shift(const FastRequantVec& f) {
  return _mm512_cmpneq_epi32_mask(f.left, _mm512_set1_epi32(1)) == 0;
}

// requant(acc) + output_zero_point on 16 lanes, not clamped (see above). kLeft = false only
// where no_left_shift(f).
template <bool kLeft = true>
inline __m512i fast_requant(__m512i acc, const FastRequantVec& f) {
  // 2 (acc << s), exact by the bound
  const __m512i x = kLeft ? _mm512_sllv_epi32(acc, f.left) : _mm512_add_epi32(acc, acc);
  const __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(x, f.m_even), f.rnd_even);
  const __m512i po = _mm512_add_epi64(
      _mm512_mul_epi32(_mm512_shuffle_epi32(x, _MM_PERM_CDAB), f.m_odd), f.rnd_odd);
  // High dwords: odd lanes are po's in place, even lanes pe's moved down.
  __m512i h = _mm512_mask_shuffle_epi32(po, __mmask16(0x5555), pe, _MM_PERM_CDAB);
  const __mmask16 below = _mm512_mask_cmplt_epi32_mask(f.neg, acc, _mm512_setzero_si512());
  h = _mm512_mask_sub_epi32(h, below, h, _mm512_set1_epi32(1));
  return _mm512_srav_epi32(h, f.right);
}

// ---------------------------------------------------------------------------------------
// Wide path: the same arithmetic on 64-bit lanes, for the vectors the fast path refuses
// (channels with shifts below -22, or huge biases: "dead" channels of depthwise layers and
// expansions, which would otherwise send 64 channels at a time to the general form).
// The ref's high multiply is h = floor((x m + 2^30) / 2^31) for either sign of x m (its
// nudge and truncation toward zero give the same), and its rounding divide by 2^e is
// floor((h + 2^(e-1) - [h < 0]) / 2^e) for e >= 1. Nested floors merge:
//   requant = floor((x m + 2^30 + [e >= 1] (2^(30+e) - [x < 0] 2^31)) / 2^(31+e)),
// taking [x < 0] for [h < 0] (they differ only where h = 0, and both then give 0). With
// m in [0, 2^31) and x any int32 the numerator stays within +-2^63, so one 64-bit arithmetic
// shift gives it exactly for every e in [0, 31]. Limits: multiplier >= 0; a left shift s must
// keep x = acc << s exact; for e = 0, |requant| <= bound + 1 must leave room for the zero
// point (for e >= 1, |requant| <= 2^30 + 1 whatever acc).
struct WideRequantVec {
  __m512i m_even, m_odd;      // multipliers of even / odd channels in the low dwords
  __m512i rnd_even, rnd_odd;  // 2^30 + [e >= 1] 2^(30+e), int64 per channel
  __m512i sh_even, sh_odd;    // 31 + e, int64 per channel
  __m512i left, zero_point;   // max(shift, 0); output zero point
  __mmask8 neg_even, neg_odd; // channels with e >= 1
};

inline bool wide_lane_ok(int32_t m, int s, int64_t bound) {
  if (m < 0 || s < -31 || s > 31) return false;
  if (m == 0) return true;  // x m = 0 for every x, even a wrapped acc << s
  const int64_t room = (int64_t(1) << 31) - 258;
  if (s > 0) return bound >= 0 && bound < (int64_t(1) << 31) && ((bound + 1) << s) <= room;
  return s < 0 || (bound >= 0 && bound <= room);
}

inline bool wide_requant_ok(const QS8Requant& rq, int c, int count, const int64_t* bound) {
  for (int i = 0; i < count; ++i)
    if (!wide_lane_ok(rq.multiplier[c + i], rq.shift[c + i], bound[i])) return false;
  return true;
}

// Channels [c, c + count) of rq (count in [1, 16], wide_requant_ok() true for them); lanes
// past count give 0 + zp.
inline WideRequantVec wide_requant_vec(const QS8Requant& rq, int c, int count) {
  alignas(64) int64_t rnd[16], sh[16];
  alignas(64) int32_t mult[16], left[16];
  unsigned neg = 0;
  for (int i = 0; i < 16; ++i) {
    const bool live = i < count;
    const int s = live ? rq.shift[c + i] : 0;
    const int e = s < 0 ? -s : 0;
    mult[i] = live ? rq.multiplier[c + i] : 0;
    left[i] = s > 0 ? s : 0;
    rnd[i] = (int64_t(1) << 30) + (e >= 1 ? int64_t(1) << (30 + e) : 0);
    sh[i] = 31 + e;
    if (e >= 1) neg |= 1u << i;
  }
  WideRequantVec w;
  const __m512i m = _mm512_load_si512(mult);
  const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
  const __m512i odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
  const __m512i rlo = _mm512_load_si512(rnd), rhi = _mm512_load_si512(rnd + 8);
  const __m512i slo = _mm512_load_si512(sh), shi = _mm512_load_si512(sh + 8);
  w.m_even = m;
  w.m_odd = _mm512_srli_epi64(m, 32);
  w.rnd_even = _mm512_permutex2var_epi64(rlo, even, rhi);
  w.rnd_odd = _mm512_permutex2var_epi64(rlo, odd, rhi);
  w.sh_even = _mm512_permutex2var_epi64(slo, even, shi);
  w.sh_odd = _mm512_permutex2var_epi64(slo, odd, shi);
  w.left = _mm512_load_si512(left);
  w.zero_point = _mm512_set1_epi32(rq.output_zero_point);
  unsigned ne = 0, no = 0;
  for (int i = 0; i < 8; ++i) {
    ne |= ((neg >> (2 * i)) & 1u) << i;
    no |= ((neg >> (2 * i + 1)) & 1u) << i;
  }
  w.neg_even = __mmask8(ne);
  w.neg_odd = __mmask8(no);
  return w;
}

// requant(acc) + output_zero_point on 16 lanes, not clamped (see above).
inline __m512i wide_requant(__m512i acc, const WideRequantVec& w) {
  const __m512i x = _mm512_sllv_epi32(acc, w.left);
  const __m512i zero = _mm512_setzero_si512(), two31 = _mm512_set1_epi64(int64_t(1) << 31);
  const __m512i qe = _mm512_mul_epi32(x, w.m_even);
  const __m512i qo = _mm512_mul_epi32(_mm512_shuffle_epi32(x, _MM_PERM_CDAB), w.m_odd);
  __m512i pe = _mm512_add_epi64(qe, w.rnd_even), po = _mm512_add_epi64(qo, w.rnd_odd);
  // [x < 0] from the product's sign: with m = 0 the term is skipped, and the result is 0
  // either way.
  pe = _mm512_mask_sub_epi64(pe, _mm512_mask_cmplt_epi64_mask(w.neg_even, qe, zero), pe, two31);
  po = _mm512_mask_sub_epi64(po, _mm512_mask_cmplt_epi64_mask(w.neg_odd, qo, zero), po, two31);
  const __m512i re = _mm512_srav_epi64(pe, w.sh_even), ro = _mm512_srav_epi64(po, w.sh_odd);
  const __m512i h = _mm512_mask_shuffle_epi32(re, __mmask16(0xAAAA), ro, _MM_PERM_CDAB);
  return _mm512_add_epi32(h, w.zero_point);
}

// The requantization form a kernel picks for a vector of channels (every channel allows it),
// as a template argument: the general form, the fast one, the fast one without left shifts
// (no_left_shift), the wide one. `Consts` holds the constants of each form as rv, fv, wv.
constexpr int kRqGeneral = 0, kRqFast = 1, kRqFastNoLeft = 2, kRqWide = 3;

template <int kRq, typename Consts>
inline __m512i requant_form(__m512i acc, const Consts& c, const OutputVec& ov) {
  if constexpr (kRq == kRqGeneral) return finish(acc, c.rv, ov);
  else if constexpr (kRq == kRqWide) return wide_requant(acc, c.wv);
  else return fast_requant<kRq == kRqFast>(acc, c.fv);
}

// Two rows of 32 channels: a, b = row 0's channels 0-15 and 16-31, c, d = row 1's, as int32
// lanes -> 64 int8 (row 0 in bytes 0-31), saturating, clamped to [lo, hi] (bytes). packs_epi32
// / packs_epi16 saturate exactly as a direct int32 -> int8 saturation does (fewer shuffle-pipe
// ops than 4 vpmovsdb) and leave, in each 128-bit lane L, the dwords a[4L..4L+3], b[..],
// c[..], d[..]; vpermd restores channel order.
inline __m512i pack_two_rows_clamp(__m512i a, __m512i b, __m512i c, __m512i d, __m512i lo,
                                   __m512i hi) {
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const __m512i v = _mm512_permutexvar_epi32(
      order, _mm512_packs_epi16(_mm512_packs_epi32(a, b), _mm512_packs_epi32(c, d)));
  return _mm512_min_epi8(_mm512_max_epi8(v, lo), hi);
}

// 16 int32 lanes -> 16 int8 (saturating), clamped to [lo, hi]. Saturation then clamp equals
// the clamp, as -128 <= lo <= hi <= 127.
inline __m128i pack16_clamp(__m512i v, __m128i lo, __m128i hi) {
  return _mm_min_epi8(_mm_max_epi8(_mm512_cvtsepi32_epi8(v), lo), hi);
}

}  // namespace qs8_avx512
}  // namespace elite
