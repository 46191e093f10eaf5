// AVX2 INT8 kernels for the small operators, each bit-exact with its ref twin in
// src/kernels/qs8_ref/ (qs8_elementwise.cpp, qs8_gemm.cpp):
//   qs8_add__avx2              ADD: three fixed-point multiplies per element, 8 lanes at a time
//                              with the general epilogue of qs8_requant_avx2.h (left shift 0).
//   qs8_global_mean__avx2      MEAN over H and W: int32 sums of 8 channels at a time over the
//                              rows (the ref walks each channel down the rows, a cache line
//                              per value), then the ref's scalar requantization per channel
//                              (QS8MeanRequant).
//   qs8_fc__avx2               FULLY_CONNECTED: int32 dot products with vpmaddwd (exact), then
//                              the ref's scalar double requantization per output.
//   qs8_quantize_f32_{s8,u8}__avx2   float division (vdivps = divss, IEEE; a multiply by the
//                              exact reciprocal for power-of-two scales), round half away
//                              from zero, the truncating conversion of the compiled ref
//                              (cvttps2dq: out-of-range and NaN give INT32_MIN, as cvttss2si),
//                              + zero point, clamp.
//   qs8_requantize_{s8_u8,u8_s8}__avx2  MultiplyByQuantizedMultiplier on 8 lanes; with equal
//                              scales (multiplier 2^30, shift 1: the multiply is the identity,
//                              exactly) a zero-point shift with saturation, 16 lanes at a time.
// Flat arrays; tails of n % 8 (or % 16) go through the ref kernels, so no over-reads.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/avx2/qs8_requant_avx2.h"
#include "kernels/qs8_microkernels.h"
#include "quant/requantize.h"

namespace elite {

namespace {

qs8_avx2::RequantVec uniform(int32_t multiplier, int shift) {
  return qs8_avx2::requant_vec(_mm256_set1_epi32(multiplier), _mm256_set1_epi32(shift));
}

// 8 int8 (or uint8) -> 8 int32 lanes.
inline __m256i load8_s8(const int8_t* p) {
  return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
inline __m256i load8_u8(const uint8_t* p) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

// 8 int32 lanes already in [lo, hi] of the 8-bit type -> 8 bytes.
inline void store8(void* p, __m256i v) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packs_epi16(w, w));
}
inline void store8_u8(void* p, __m256i v) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packus_epi16(w, w));
}

// int32_t(std::round(x / scale)) as the compiled ref computes it: float division, roundf
// (half away from zero), then the truncating conversion.
// kPow2: scale is a power of two and `scale` holds its reciprocal, also a power of two, so
// x * (1 / scale) is the correctly rounded x / scale, bit for bit (both round the same
// real number), without the slow division (e.g. the 1/128 input scale of elite's files).
template <bool kPow2>
inline __m256i quantize8(const float* in, __m256 scale) {
  const __m256 x = _mm256_loadu_ps(in);
  const __m256 q = kPow2 ? _mm256_mul_ps(x, scale) : _mm256_div_ps(x, scale);
  const __m256 t = _mm256_round_ps(q, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  // q - t is exact (|q - t| < 1 and both share q's binade or t == 0); |q - t| >= 0.5 rounds
  // away from zero by one.
  const __m256 sign = _mm256_and_ps(q, _mm256_set1_ps(-0.0f));
  const __m256 frac = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_sub_ps(q, t));
  const __m256 bump = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ),
                                    _mm256_or_ps(_mm256_set1_ps(1.0f), sign));
  return _mm256_cvttps_epi32(_mm256_add_ps(t, bump));
}

// True when MultiplyByQuantizedMultiplier(x, multiplier, shift) == x for every |x| <= 255:
// SaturatingRoundingDoublingHighMul(2x, 2^30) = floor((2x * 2^30 + 2^30) / 2^31) = x.
inline bool identity_scale(const QS8RequantizeParams& p) {
  return p.multiplier == (int32_t(1) << 30) && p.shift == 1;
}

}  // namespace

void qs8_add__avx2(size_t n, const int8_t* a, const int8_t* b, int8_t* out,
                   const QS8AddParams& p) {
  const qs8_avx2::RequantVec ra = uniform(p.a_multiplier, p.a_shift);
  const qs8_avx2::RequantVec rb = uniform(p.b_multiplier, p.b_shift);
  const qs8_avx2::RequantVec ro = uniform(p.output_multiplier, p.output_shift);
  const __m256i za = _mm256_set1_epi32(p.a_zero_point), zb = _mm256_set1_epi32(p.b_zero_point);
  const __m256i zo = _mm256_set1_epi32(p.output_zero_point);
  const __m256i lo = _mm256_set1_epi32(p.out_min), hi = _mm256_set1_epi32(p.out_max);
  const __m128i shl = _mm_cvtsi32_si128(p.left_shift);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    // (x - zp) << left_shift: |x - zp| <= 255, left_shift 20: no overflow (as the ref).
    const __m256i xa = _mm256_sll_epi32(_mm256_sub_epi32(load8_s8(a + i), za), shl);
    const __m256i xb = _mm256_sll_epi32(_mm256_sub_epi32(load8_s8(b + i), zb), shl);
    const __m256i s = _mm256_add_epi32(qs8_avx2::multiply_by_quantized_multiplier(xa, ra),
                                       qs8_avx2::multiply_by_quantized_multiplier(xb, rb));
    __m256i v = _mm256_add_epi32(qs8_avx2::multiply_by_quantized_multiplier(s, ro), zo);
    v = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
    store8(out + i, v);
  }
  if (i < n) qs8_add__ref(n - i, a + i, b + i, out + i, p);
}

void qs8_global_mean__avx2(int hw, int c, int c_begin, int c_end, const int8_t* in, int8_t* out,
                           const QS8MeanParams& p) {
  const QS8MeanRequant finish(hw, p);  // the ref's requantization
  int ch = c_begin;
  for (; ch + 8 <= c_end; ch += 8) {
    // Integer sums, so the order of the additions does not matter (wrapping as the ref).
    __m256i acc = _mm256_setzero_si256();
    for (int i = 0; i < hw; ++i) acc = _mm256_add_epi32(acc, load8_s8(in + size_t(i) * c + ch));
    alignas(32) int32_t sums[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(sums), acc);
    for (int j = 0; j < 8; ++j) out[ch + j] = finish(sums[j]);
  }
  for (; ch < c_end; ++ch) {
    int32_t sum = 0;
    for (int i = 0; i < hw; ++i) sum += in[size_t(i) * c + ch];
    out[ch] = finish(sum);
  }
}

void qs8_fc__avx2(int m_begin, int m_end, int n, int k, const int8_t* in, const int8_t* w_nk,
                  const int32_t* bias, int8_t* out, const QS8FcParams& p) {
  constexpr int kMaxK = 8192;
  if (k > kMaxK) {
    qs8_fc__ref(m_begin, m_end, n, k, in, w_nk, bias, out, p);
    return;
  }
  alignas(32) int16_t x16[kMaxK + 16];
  const __m256i wzp = _mm256_set1_epi16(int16_t(p.weight_zero_point));
  const __m256i xzp = _mm256_set1_epi16(int16_t(p.input_zero_point));
  const int k16 = k / 16 * 16;
  for (int i = m_begin; i < m_end; ++i) {
    const int8_t* x = in + size_t(i) * k;
    // x - input_zero_point in [-255, 255] and w - weight_zero_point in [-255, 255]: each
    // vpmaddwd pair sum is at most 2 * 255 * 255 < 2^31, exact.
    for (int kk = 0; kk < k16; kk += 16)
      _mm256_store_si256(reinterpret_cast<__m256i*>(x16 + kk),
                         _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128(
                                              reinterpret_cast<const __m128i*>(x + kk))),
                                          xzp));
    for (int j = 0; j < n; ++j) {
      const int8_t* wj = w_nk + size_t(j) * k;
      __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
      int kk = 0;
      for (; kk + 32 <= k16; kk += 32) {
        const __m256i w0 = _mm256_sub_epi16(
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wj + kk))), wzp);
        const __m256i w1 = _mm256_sub_epi16(
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wj + kk + 16))),
            wzp);
        acc0 = _mm256_add_epi32(
            acc0, _mm256_madd_epi16(w0, _mm256_load_si256(reinterpret_cast<const __m256i*>(x16 + kk))));
        acc1 = _mm256_add_epi32(
            acc1,
            _mm256_madd_epi16(w1, _mm256_load_si256(reinterpret_cast<const __m256i*>(x16 + kk + 16))));
      }
      for (; kk < k16; kk += 16) {
        const __m256i w0 = _mm256_sub_epi16(
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wj + kk))), wzp);
        acc0 = _mm256_add_epi32(
            acc0, _mm256_madd_epi16(w0, _mm256_load_si256(reinterpret_cast<const __m256i*>(x16 + kk))));
      }
      __m256i acc = _mm256_add_epi32(acc0, acc1);
      __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
      s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
      s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
      int32_t sum = _mm_cvtsi128_si32(s);
      for (; kk < k; ++kk)
        sum += (int32_t(wj[kk]) - p.weight_zero_point) * (int32_t(x[kk]) - p.input_zero_point);
      if (bias) sum = wrapping_add(sum, bias[j]);
      out[size_t(i) * n + j] = fc_output(sum, p.scale[j], p.output_zero_point, p.out_min, p.out_max);
    }
  }
}

void qs8_quantize_f32_s8__avx2(size_t n, const float* in, int8_t* out, float scale, int32_t zp) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256i z = _mm256_set1_epi32(zp);
  const __m256i lo = _mm256_set1_epi32(-128), hi = _mm256_set1_epi32(127);
  size_t i = 0;
  if (power_of_two_scale(scale)) {
    const __m256 inv = _mm256_set1_ps(1.0f / scale);
    for (; i + 8 <= n; i += 8) {
      const __m256i v = _mm256_add_epi32(quantize8<true>(in + i, inv), z);
      store8(out + i, _mm256_min_epi32(_mm256_max_epi32(v, lo), hi));
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m256i v = _mm256_add_epi32(quantize8<false>(in + i, s), z);
    store8(out + i, _mm256_min_epi32(_mm256_max_epi32(v, lo), hi));
  }
  if (i < n) qs8_quantize_f32_s8__ref(n - i, in + i, out + i, scale, zp);
}

void qs8_quantize_f32_u8__avx2(size_t n, const float* in, uint8_t* out, float scale, int32_t zp) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256i z = _mm256_set1_epi32(zp);
  const __m256i lo = _mm256_setzero_si256(), hi = _mm256_set1_epi32(255);
  size_t i = 0;
  if (power_of_two_scale(scale)) {
    const __m256 inv = _mm256_set1_ps(1.0f / scale);
    for (; i + 8 <= n; i += 8) {
      const __m256i v = _mm256_add_epi32(quantize8<true>(in + i, inv), z);
      store8_u8(out + i, _mm256_min_epi32(_mm256_max_epi32(v, lo), hi));
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m256i v = _mm256_add_epi32(quantize8<false>(in + i, s), z);
    store8_u8(out + i, _mm256_min_epi32(_mm256_max_epi32(v, lo), hi));
  }
  if (i < n) qs8_quantize_f32_u8__ref(n - i, in + i, out + i, scale, zp);
}

void qs8_requantize_s8_u8__avx2(size_t n, const int8_t* in, uint8_t* out,
                                const QS8RequantizeParams& p) {
  const qs8_avx2::RequantVec r = uniform(p.multiplier, p.shift);
  const __m256i zi = _mm256_set1_epi32(p.input_zero_point);
  const __m256i zo = _mm256_set1_epi32(p.output_zero_point);
  const __m256i lo = _mm256_setzero_si256(), hi = _mm256_set1_epi32(255);
  size_t i = 0;
  if (identity_scale(p)) {
    // x - zi + zo in int16, then vpackuswb's saturation to [0, 255] is the clamp.
    const __m256i d = _mm256_set1_epi16(int16_t(p.output_zero_point - p.input_zero_point));
    for (; i + 16 <= n; i += 16) {
      const __m256i v = _mm256_add_epi16(
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))), d);
      const __m128i b = _mm_packus_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), b);
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m256i x = _mm256_sub_epi32(load8_s8(in + i), zi);
    const __m256i v = _mm256_add_epi32(qs8_avx2::multiply_by_quantized_multiplier(x, r), zo);
    store8_u8(out + i, _mm256_min_epi32(_mm256_max_epi32(v, lo), hi));
  }
  if (i < n) qs8_requantize_s8_u8__ref(n - i, in + i, out + i, p);
}

void qs8_requantize_u8_s8__avx2(size_t n, const uint8_t* in, int8_t* out,
                                const QS8RequantizeParams& p) {
  const qs8_avx2::RequantVec r = uniform(p.multiplier, p.shift);
  const __m256i zi = _mm256_set1_epi32(p.input_zero_point);
  const __m256i zo = _mm256_set1_epi32(p.output_zero_point);
  const __m256i lo = _mm256_set1_epi32(-128), hi = _mm256_set1_epi32(127);
  size_t i = 0;
  if (identity_scale(p)) {
    // x - zi + zo in int16, then vpacksswb's saturation to [-128, 127] is the clamp.
    const __m256i d = _mm256_set1_epi16(int16_t(p.output_zero_point - p.input_zero_point));
    for (; i + 16 <= n; i += 16) {
      const __m256i v = _mm256_add_epi16(
          _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))), d);
      const __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), b);
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m256i x = _mm256_sub_epi32(load8_u8(in + i), zi);
    const __m256i v = _mm256_add_epi32(qs8_avx2::multiply_by_quantized_multiplier(x, r), zo);
    store8(out + i, _mm256_min_epi32(_mm256_max_epi32(v, lo), hi));
  }
  if (i < n) qs8_requantize_u8_s8__ref(n - i, in + i, out + i, p);
}

}  // namespace elite
