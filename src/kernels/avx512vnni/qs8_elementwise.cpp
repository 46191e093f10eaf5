// AVX-512 INT8 ADD, bit-exact with qs8_add__ref (src/kernels/qs8_ref/qs8_elementwise.cpp):
// qs8_add__avx512vnni. 64 elements per step: bytes widen to 4 x 16 int32 lanes, each input is
// offset and shifted left (|x'| < 2^28, as the ref), then three fixed-point multiplies per lane
// (qs8_requant_avx512.h). Each multiply takes the fast form when its operand bound allows it
// (lane_kind() with the bound 255 * 2^left_shift for the inputs and the sum of the two scaled
// bounds for the output, all uniform over the lanes), else the general form. The tail of
// n % 64 runs masked loads and stores: no over-reads or writes past n.
//
// float -> int8 / uint8 quantization (the graph input): qs8_quantize_f32_{s8,u8}__avx512vnni,
// bit-exact with the ref (float division, round half away from zero, TFLite's truncating
// conversion with its INT32_MIN for NaN and out-of-range values, wrapping zero point add,
// clamp): the AVX2 twins' arithmetic on 16 lanes, the half-way bump done with opmasks.
#include <immintrin.h>

#include <cstdint>

#include "kernels/avx512vnni/qs8_requant_avx512.h"
#include "kernels/qs8_microkernels.h"
#include "quant/requantize.h"

namespace elite {
namespace {

// One uniform multiplier: fast constants when valid for |x| <= bound, and the general ones.
struct Scale {
  bool fast;
  qs8_avx512::FastRequantVec fv;  // zero point 0
  qs8_avx512::RequantVec rv;
};

Scale make_scale(int32_t multiplier, int shift, int64_t bound) {
  int32_t m[16], s[16];
  int64_t b[16];
  for (int i = 0; i < 16; ++i) m[i] = multiplier, s[i] = shift, b[i] = bound;
  QS8Requant rq;
  rq.multiplier = m;
  rq.shift = s;
  rq.output_zero_point = 0;
  Scale sc;
  // kZero lanes would also be right, but uniform ones never occur with real scales: keep kFast.
  sc.fast = qs8_avx512::lane_kind(multiplier, shift, bound) == qs8_avx512::LaneKind::kFast;
  if (sc.fast) sc.fv = qs8_avx512::fast_requant_vec(rq, 0, 16, b);
  sc.rv = qs8_avx512::requant_vec(_mm512_set1_epi32(multiplier), _mm512_set1_epi32(shift));
  return sc;
}

template <bool kFast>
inline __m512i scale(__m512i x, const Scale& s) {
  return kFast ? qs8_avx512::fast_requant(x, s.fv)
               : qs8_avx512::multiply_by_quantized_multiplier(x, s.rv);
}

// Bound of |multiply_by_quantized_multiplier(x)| for |x| <= bound (multiplier < 2^31, shift
// <= 0): |x| * m / 2^31 / 2^e, plus one for each rounding.
int64_t scaled_bound(int64_t bound, int32_t multiplier, int shift) {
  const int e = shift < 0 ? -shift : 0;
  return ((bound * int64_t(multiplier)) >> (31 + e)) + 2;
}

template <bool kFast>
void add_loop(size_t n, const int8_t* a, const int8_t* b, int8_t* out, const QS8AddParams& p,
              const Scale& sa, const Scale& sb, const Scale& so) {
  const __m512i za = _mm512_set1_epi32(p.a_zero_point), zb = _mm512_set1_epi32(p.b_zero_point);
  const __m512i zo = _mm512_set1_epi32(p.output_zero_point);
  const __m128i shl = _mm_cvtsi32_si128(p.left_shift);
  const __m512i lo = _mm512_set1_epi8(int8_t(p.out_min)), hi = _mm512_set1_epi8(int8_t(p.out_max));
  // Lanes of vpackssdw / vpacksswb interleave per 128-bit lane; this restores element order.
  const __m512i order = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
  for (size_t i = 0; i < n; i += 64) {
    const size_t left = n - i;
    const __mmask64 m = left >= 64 ? ~__mmask64(0) : (__mmask64(1) << left) - 1;
    const __m512i va = _mm512_maskz_loadu_epi8(m, a + i), vb = _mm512_maskz_loadu_epi8(m, b + i);
    __m512i v[4];
    for (int j = 0; j < 4; ++j) {
      const __m128i qa = j == 0   ? _mm512_extracti32x4_epi32(va, 0)
                         : j == 1 ? _mm512_extracti32x4_epi32(va, 1)
                         : j == 2 ? _mm512_extracti32x4_epi32(va, 2)
                                  : _mm512_extracti32x4_epi32(va, 3);
      const __m128i qb = j == 0   ? _mm512_extracti32x4_epi32(vb, 0)
                         : j == 1 ? _mm512_extracti32x4_epi32(vb, 1)
                         : j == 2 ? _mm512_extracti32x4_epi32(vb, 2)
                                  : _mm512_extracti32x4_epi32(vb, 3);
      const __m512i x = _mm512_sll_epi32(_mm512_sub_epi32(_mm512_cvtepi8_epi32(qa), za), shl);
      const __m512i y = _mm512_sll_epi32(_mm512_sub_epi32(_mm512_cvtepi8_epi32(qb), zb), shl);
      const __m512i s = _mm512_add_epi32(scale<kFast>(x, sa), scale<kFast>(y, sb));
      v[j] = _mm512_add_epi32(scale<kFast>(s, so), zo);
    }
    const __m512i w01 = _mm512_packs_epi32(v[0], v[1]), w23 = _mm512_packs_epi32(v[2], v[3]);
    __m512i r = _mm512_packs_epi16(w01, w23);
    r = _mm512_permutexvar_epi32(order, r);
    r = _mm512_min_epi8(_mm512_max_epi8(r, lo), hi);
    _mm512_mask_storeu_epi8(out + i, m, r);
  }
}

template <bool kPow2, bool kUnsigned>
void quantize_loop(size_t n, const float* in, void* out, float scale, int32_t zp) {
  const __m512 s = _mm512_set1_ps(kPow2 ? 1.0f / scale : scale);
  const __m512 half = _mm512_set1_ps(0.5f), minus_half = _mm512_set1_ps(-0.5f);
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512i z = _mm512_set1_epi32(zp);
  const __m512i lo = _mm512_set1_epi32(kUnsigned ? 0 : -128);
  const __m512i hi = _mm512_set1_epi32(kUnsigned ? 255 : 127);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m512 x = _mm512_maskz_loadu_ps(m, in + i);
    const __m512 q = kPow2 ? _mm512_mul_ps(x, s) : _mm512_div_ps(x, s);
    __m512 t = _mm512_roundscale_ps(q, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    // q - t is exact (see the AVX2 twin); |q - t| >= 0.5 moves t one away from zero.
    const __m512 d = _mm512_sub_ps(q, t);
    t = _mm512_mask_add_ps(t, _mm512_cmp_ps_mask(d, half, _CMP_GE_OQ), t, one);
    t = _mm512_mask_sub_ps(t, _mm512_cmp_ps_mask(d, minus_half, _CMP_LE_OQ), t, one);
    // cvtt gives INT32_MIN for NaN and values outside int32, as the ref; the add wraps.
    const __m512i v = _mm512_add_epi32(_mm512_cvttps_epi32(t), z);
    const __m512i c = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
    if constexpr (kUnsigned)
      _mm_mask_storeu_epi8(static_cast<uint8_t*>(out) + i, m, _mm512_cvtusepi32_epi8(c));
    else
      _mm_mask_storeu_epi8(static_cast<int8_t*>(out) + i, m, _mm512_cvtsepi32_epi8(c));
  }
}

template <bool kUnsigned>
void quantize(size_t n, const float* in, void* out, float scale, int32_t zp) {
  if (power_of_two_scale(scale))
    quantize_loop<true, kUnsigned>(n, in, out, scale, zp);
  else
    quantize_loop<false, kUnsigned>(n, in, out, scale, zp);
}

}  // namespace

void qs8_quantize_f32_s8__avx512vnni(size_t n, const float* in, int8_t* out, float scale,
                                     int32_t zp) {
  quantize<false>(n, in, out, scale, zp);
}

void qs8_quantize_f32_u8__avx512vnni(size_t n, const float* in, uint8_t* out, float scale,
                                     int32_t zp) {
  quantize<true>(n, in, out, scale, zp);
}

void qs8_add__avx512vnni(size_t n, const int8_t* a, const int8_t* b, int8_t* out,
                         const QS8AddParams& p) {
  if (n == 0) return;
  const int64_t in_bound = int64_t(255) << p.left_shift;
  const Scale sa = make_scale(p.a_multiplier, p.a_shift, in_bound);
  const Scale sb = make_scale(p.b_multiplier, p.b_shift, in_bound);
  const int64_t sum_bound = scaled_bound(in_bound, p.a_multiplier, p.a_shift) +
                            scaled_bound(in_bound, p.b_multiplier, p.b_shift);
  const Scale so = make_scale(p.output_multiplier, p.output_shift, sum_bound);
  if (sa.fast && sb.fast && so.fast)
    add_loop<true>(n, a, b, out, p, sa, sb, so);
  else
    add_loop<false>(n, a, b, out, p, sa, sb, so);
}

}  // namespace elite
