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

#include "core/cpu_features.h"
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

// ADD on tables (qs8_add_lut__avx512vbmi). Each input's scaled value s(q) =
// scale((q - zp) << left_shift) takes one of 256 values, so the kernel computes the 256 once per
// call with the vector arithmetic above and looks them up: the int32 table is kept as 4 byte
// planes, each 4 zmm (entries 0-63, 64-127, 128-191, 192-255); per plane, two vpermi2b pick
// entry q & 127 of each half and a blend on q's sign bit picks the half. vpunpck{l,h}bw then
// vpunpck{l,h}wd join the 4 planes into dwords; zmm j, 128-bit lane L then holds elements
// 16L + 4j .. 16L + 4j + 3, the order vpackssdw / vpacksswb undo, so no permute is needed.
// Same sums, same output multiply as add_loop: bit-exact by construction.
struct Planes {
  __m512i v[16];  // plane k, entries 64h..64h+63 at v[4k + h]
};

template <bool kFast>
Planes scaled_input_planes(int32_t zero_point, int left_shift, const Scale& s) {
  alignas(64) uint8_t bytes[4][256];
  const __m128i iota = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m128i shl = _mm_cvtsi32_si128(left_shift);
  const __m512i z = _mm512_set1_epi32(zero_point);
  for (int i = 0; i < 256; i += 16) {
    // table entry i + lane holds q = int8(i + lane)
    const __m512i q = _mm512_cvtepi8_epi32(_mm_add_epi8(_mm_set1_epi8(int8_t(i)), iota));
    const __m512i t = scale<kFast>(_mm512_sll_epi32(_mm512_sub_epi32(q, z), shl), s);
    _mm_store_si128(reinterpret_cast<__m128i*>(bytes[0] + i), _mm512_cvtepi32_epi8(t));
    _mm_store_si128(reinterpret_cast<__m128i*>(bytes[1] + i),
                    _mm512_cvtepi32_epi8(_mm512_srai_epi32(t, 8)));
    _mm_store_si128(reinterpret_cast<__m128i*>(bytes[2] + i),
                    _mm512_cvtepi32_epi8(_mm512_srai_epi32(t, 16)));
    _mm_store_si128(reinterpret_cast<__m128i*>(bytes[3] + i),
                    _mm512_cvtepi32_epi8(_mm512_srai_epi32(t, 24)));
  }
  Planes pl;
  for (int k = 0; k < 4; ++k)
    for (int h = 0; h < 4; ++h) pl.v[4 * k + h] = _mm512_load_si512(bytes[k] + 64 * h);
  return pl;
}

Planes input_planes(int32_t zero_point, int left_shift, const Scale& s) {
  return s.fast ? scaled_input_planes<true>(zero_point, left_shift, s)
                : scaled_input_planes<false>(zero_point, left_shift, s);
}

// The scaled values of 64 inputs q, as 4 zmm in the lane order described above.
[[gnu::target("avx512vbmi"), gnu::always_inline]] inline void lookup_scaled(const Planes& pl,
                                                                         __m512i q, __m512i* d) {
  const __mmask64 high = _mm512_movepi8_mask(q);
  __m512i b[4];
  for (int k = 0; k < 4; ++k) {
    const __m512i lo = _mm512_permutex2var_epi8(pl.v[4 * k], q, pl.v[4 * k + 1]);
    const __m512i hi = _mm512_permutex2var_epi8(pl.v[4 * k + 2], q, pl.v[4 * k + 3]);
    b[k] = _mm512_mask_blend_epi8(high, lo, hi);
  }
  const __m512i l01 = _mm512_unpacklo_epi8(b[0], b[1]), h01 = _mm512_unpackhi_epi8(b[0], b[1]);
  const __m512i l23 = _mm512_unpacklo_epi8(b[2], b[3]), h23 = _mm512_unpackhi_epi8(b[2], b[3]);
  d[0] = _mm512_unpacklo_epi16(l01, l23);
  d[1] = _mm512_unpackhi_epi16(l01, l23);
  d[2] = _mm512_unpacklo_epi16(h01, h23);
  d[3] = _mm512_unpackhi_epi16(h01, h23);
}

template <bool kFast>
[[gnu::target("avx512vbmi")]] void add_lut_loop(size_t n, const int8_t* a, const int8_t* b,
                                                int8_t* out, const QS8AddParams& p,
                                                const Planes& pa, const Planes& pb,
                                                const Scale& so) {
  const __m512i zo = _mm512_set1_epi32(p.output_zero_point);
  const __m512i lo = _mm512_set1_epi8(int8_t(p.out_min)), hi = _mm512_set1_epi8(int8_t(p.out_max));
  for (size_t i = 0; i < n; i += 64) {
    const size_t left = n - i;
    const __mmask64 m = left >= 64 ? ~__mmask64(0) : (__mmask64(1) << left) - 1;
    __m512i da[4], db[4], v[4];
    lookup_scaled(pa, _mm512_maskz_loadu_epi8(m, a + i), da);
    lookup_scaled(pb, _mm512_maskz_loadu_epi8(m, b + i), db);
    for (int j = 0; j < 4; ++j)
      v[j] = _mm512_add_epi32(scale<kFast>(_mm512_add_epi32(da[j], db[j]), so), zo);
    const __m512i w01 = _mm512_packs_epi32(v[0], v[1]), w23 = _mm512_packs_epi32(v[2], v[3]);
    const __m512i r = _mm512_packs_epi16(w01, w23);
    _mm512_mask_storeu_epi8(out + i, m, _mm512_min_epi8(_mm512_max_epi8(r, lo), hi));
  }
}

// The three multipliers of an ADD and whether the fast form serves each.
struct AddScales {
  Scale sa, sb, so;
};

AddScales add_scales(const QS8AddParams& p) {
  const int64_t in_bound = int64_t(255) << p.left_shift;
  AddScales s;
  s.sa = make_scale(p.a_multiplier, p.a_shift, in_bound);
  s.sb = make_scale(p.b_multiplier, p.b_shift, in_bound);
  const int64_t sum_bound = scaled_bound(in_bound, p.a_multiplier, p.a_shift) +
                            scaled_bound(in_bound, p.b_multiplier, p.b_shift);
  s.so = make_scale(p.output_multiplier, p.output_shift, sum_bound);
  return s;
}

}  // namespace

void qs8_add_lut__avx512vbmi(size_t n, const int8_t* a, const int8_t* b, int8_t* out,
                             const QS8AddParams& p) {
  if (n == 0) return;
  const AddScales s = add_scales(p);
  const Planes pa = input_planes(p.a_zero_point, p.left_shift, s.sa);
  const Planes pb = input_planes(p.b_zero_point, p.left_shift, s.sb);
  if (s.so.fast)
    add_lut_loop<true>(n, a, b, out, p, pa, pb, s.so);
  else
    add_lut_loop<false>(n, a, b, out, p, pa, pb, s.so);
}

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
  // Building the two tables (16 vector steps each) costs a few 64-element steps of the loop,
  // so short runs keep the arithmetic form.
  static const bool vbmi = cpu_features().avx512vbmi;
  if (vbmi && n >= 256) {
    qs8_add_lut__avx512vbmi(n, a, b, out, p);
    return;
  }
  const AddScales s = add_scales(p);
  if (s.sa.fast && s.sb.fast && s.so.fast)
    add_loop<true>(n, a, b, out, p, s.sa, s.sb, s.so);
  else
    add_loop<false>(n, a, b, out, p, s.sa, s.sb, s.so);
}

}  // namespace elite
