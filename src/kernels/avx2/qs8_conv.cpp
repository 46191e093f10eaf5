// AVX2 INT8 general convolution (used for the stem: 3x3 stride 2, in_c 3, out_c 32):
// qs8_conv_32oc__avx2.
//   in [in_h][in_w][in_c] int8, out [out_h][out_w][out_c] int8.
//   packed: bias[ocp] int32 (ocp = out_c rounded up to 8), then ceil(T/2) pairs (T =
//   kernel_h * kernel_w * in_c, in (ky, kx, ic) order) of ocp/8 ymm of int16 pairs
//   (w[oc][t0], w[oc][t1]) for 8 output channels each. Channels past out_c and an odd T's
//   pad tap have weight 0. Bytes: 4 * ocp * (1 + pairs).
// Per output pixel the T input values are gathered once into an int16 patch (x -
// input_zero_point, 0 for taps outside the input: exactly the ref's skipped taps), then each
// block of up to 32 output channels accumulates patch pairs (broadcast) x weight pairs with
// vpmaddwd (exact: |pair sum| <= 2 * 128 * 255), and the requantization epilogue of
// qs8_requant_avx2.h matches the ref bit for bit (its fast form per 8 channels that allow
// it, constants built once per call). Interior pixels whose kernel rows span at most 16
// values gather each row with one 16-byte load that stays inside the input. T > kMaxPatch
// (no EfficientNet-lite layer) takes a scalar path over the same packed layout. No over-reads.
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels/avx2/qs8_requant_avx2.h"
#include "kernels/qs8_microkernels.h"
#include "quant/requantize.h"

namespace elite {
namespace {

constexpr int kMaxPatch = 4096;

inline int round8(int x) { return (x + 7) & ~7; }

// Requantization of the output channels, 8 per vector: the fast form of
// qs8_requant_avx2.h where every channel of a vector allows it, else the general one.
struct VecRequant {
  bool fast;
  qs8_avx2::FastRequantVec fv;
  qs8_avx2::RequantVec rv;
};

VecRequant vec_requant(const QS8Requant& rq, int oc, int count, int64_t bound) {
  VecRequant v;
  v.fast = qs8_avx2::fast_requant_ok(rq, oc, count, bound);
  if (v.fast)
    v.fv = qs8_avx2::fast_requant_vec(rq, oc, count);
  else
    v.rv = qs8_avx2::requant_vec(rq, oc, count);
  return v;
}

template <int NV>
void conv_block(const int16_t* patch, int pairs, const int32_t* bias, const __m256i* w,
                int vstride, int8_t* o, int count, const VecRequant* vr,
                const qs8_avx2::OutputVec& ov) {
  __m256i acc[NV];
  for (int v = 0; v < NV; ++v)
    acc[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias) + v);
  for (int p = 0; p < pairs; ++p, w += vstride) {
    const __m256i x = _mm256_broadcastd_epi32(_mm_loadu_si32(patch + 2 * p));
    for (int v = 0; v < NV; ++v)
      acc[v] = _mm256_add_epi32(acc[v], _mm256_madd_epi16(x, _mm256_loadu_si256(w + v)));
  }
  alignas(32) int8_t tmp[32];
  for (int v = 0; v < NV; ++v) {
    __m256i r = vr[v].fast ? qs8_avx2::fast_requant(acc[v], vr[v].fv)
                           : qs8_avx2::finish(acc[v], vr[v].rv, ov);
    r = _mm256_min_epi32(_mm256_max_epi32(r, ov.lo), ov.hi);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(tmp + 8 * v), qs8_avx2::pack8(r));
  }
  if (count == 8 * NV)
    std::memcpy(o, tmp, size_t(8 * NV));
  else
    std::memcpy(o, tmp, size_t(count));
}

}  // namespace

size_t qs8_conv_packed_bytes__avx2(int out_c, int kernel_h, int kernel_w, int in_c) {
  const int T = kernel_h * kernel_w * in_c;
  return 4 * size_t(round8(out_c)) * size_t(1 + (T + 1) / 2);
}

void qs8_conv_pack__avx2(int out_c, int kernel_h, int kernel_w, int in_c, const int8_t* w_ohwi,
                         const int32_t* bias, void* packed) {
  const int T = kernel_h * kernel_w * in_c, pairs = (T + 1) / 2, ocp = round8(out_c);
  int32_t* b = static_cast<int32_t*>(packed);
  for (int oc = 0; oc < ocp; ++oc) b[oc] = oc < out_c && bias ? bias[oc] : 0;
  int16_t* w = reinterpret_cast<int16_t*>(b + ocp);
  for (int q = 0; q < pairs; ++q)
    for (int oc = 0; oc < ocp; ++oc)
      for (int s = 0; s < 2; ++s) {
        const int t = 2 * q + s;
        w[(size_t(q) * ocp + oc) * 2 + s] =
            t < T && oc < out_c ? int16_t(w_ohwi[size_t(oc) * T + t]) : int16_t(0);
      }
}

void qs8_conv_32oc__avx2(const ConvGeometry& g, const int8_t* in, const void* packed,
                         int8_t* out, const QS8Requant& rq, int oy_begin, int oy_end) {
  const int in_c = g.in_c, out_c = g.out_c, kh = g.kernel_h, kw = g.kernel_w;
  const int T = kh * kw * in_c, pairs = (T + 1) / 2, ocp = round8(out_c);
  const int32_t* bias = static_cast<const int32_t*>(packed);
  const int16_t* w16 = reinterpret_cast<const int16_t*>(bias + ocp);
  const int32_t zp = rq.input_zero_point;
  if (T > kMaxPatch) {
    for (int oy = oy_begin; oy < oy_end; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int oc = 0; oc < out_c; ++oc) {
          int32_t acc = bias[oc];
          for (int ky = 0; ky < kh; ++ky) {
            const int iy = oy * g.stride_h - g.pad_top + ky;
            if (iy < 0 || iy >= g.in_h) continue;
            for (int kx = 0; kx < kw; ++kx) {
              const int ix = ox * g.stride_w - g.pad_left + kx;
              if (ix < 0 || ix >= g.in_w) continue;
              const int8_t* x = in + (size_t(iy) * g.in_w + ix) * in_c;
              for (int ic = 0; ic < in_c; ++ic) {
                const int t = (ky * kw + kx) * in_c + ic;
                acc += int32_t(w16[(size_t(t / 2) * ocp + oc) * 2 + (t & 1)]) *
                       (int32_t(x[ic]) - zp);
              }
            }
          }
          int32_t v = multiply_by_quantized_multiplier(acc, rq.multiplier[oc], rq.shift[oc]);
          v += rq.output_zero_point;
          out[(size_t(oy) * g.out_w + ox) * out_c + oc] =
              int8_t(std::min(std::max(v, rq.out_min), rq.out_max));
        }
    return;
  }
  alignas(32) int16_t patch[kMaxPatch + 16];
  const qs8_avx2::OutputVec ov = qs8_avx2::output_vec(rq);
  const __m256i* w = reinterpret_cast<const __m256i*>(w16);
  const int vstride = ocp / 8;
  // Requantization constants, once per call for up to kMaxVecs * 8 output channels.
  constexpr int kMaxVecs = 16;
  int64_t bound = 0;
  for (int oc = 0; oc < out_c; ++oc) bound = std::max<int64_t>(bound, std::abs(int64_t(bias[oc])));
  bound += int64_t(T) * 128 * 255;
  VecRequant cached[kMaxVecs];
  const bool use_cache = vstride <= kMaxVecs;
  if (use_cache)
    for (int v = 0; v < vstride; ++v)
      cached[v] = vec_requant(rq, 8 * v, std::min(8, out_c - 8 * v), bound);
  const int row_taps = kw * in_c;  // contiguous int8 values of one kernel row
  const size_t in_bytes = size_t(g.in_h) * g.in_w * in_c;
  const __m256i vzp = _mm256_set1_epi16(int16_t(zp));
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      const int iy0 = oy * g.stride_h - g.pad_top, ix0 = ox * g.stride_w - g.pad_left;
      const bool inside = iy0 >= 0 && iy0 + kh <= g.in_h && ix0 >= 0 && ix0 + kw <= g.in_w;
      if (inside && row_taps <= 16 &&
          ((size_t(iy0) + kh - 1) * g.in_w + ix0) * in_c + 16 <= in_bytes) {
        // Whole kernel rows with one 16-byte load each (the extra values land in the next
        // row's slots, rewritten next, or past T; the load stays inside the input).
        for (int ky = 0; ky < kh; ++ky) {
          const int8_t* x = in + ((size_t(iy0) + ky) * g.in_w + ix0) * in_c;
          const __m256i v = _mm256_sub_epi16(
              _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x))), vzp);
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(patch + ky * row_taps), v);
        }
      } else {
        int16_t* pp = patch;
        for (int ky = 0; ky < kh; ++ky) {
          const int iy = iy0 + ky;
          const bool row_ok = iy >= 0 && iy < g.in_h;
          for (int kx = 0; kx < kw; ++kx, pp += in_c) {
            const int ix = ix0 + kx;
            if (!row_ok || ix < 0 || ix >= g.in_w) {
              std::memset(pp, 0, sizeof(int16_t) * size_t(in_c));
              continue;
            }
            const int8_t* x = in + (size_t(iy) * g.in_w + ix) * in_c;
            for (int ic = 0; ic < in_c; ++ic) pp[ic] = int16_t(int32_t(x[ic]) - zp);
          }
        }
      }
      patch[T] = 0;  // pad tap of an odd T
      int8_t* o = out + (size_t(oy) * g.out_w + ox) * out_c;
      for (int oc0 = 0; oc0 < out_c; oc0 += 32) {
        const int count = std::min(32, out_c - oc0);
        const int32_t* b = bias + oc0;
        const __m256i* wb = w + oc0 / 8;
        VecRequant local[4];
        const VecRequant* vr = cached + oc0 / 8;
        if (!use_cache) {
          for (int v = 0; v < (count + 7) / 8; ++v)
            local[v] = vec_requant(rq, oc0 + 8 * v, std::min(8, count - 8 * v), bound);
          vr = local;
        }
        switch ((count + 7) / 8) {
          case 4: conv_block<4>(patch, pairs, b, wb, vstride, o + oc0, count, vr, ov); break;
          case 3: conv_block<3>(patch, pairs, b, wb, vstride, o + oc0, count, vr, ov); break;
          case 2: conv_block<2>(patch, pairs, b, wb, vstride, o + oc0, count, vr, ov); break;
          default: conv_block<1>(patch, pairs, b, wb, vstride, o + oc0, count, vr, ov); break;
        }
      }
    }
  }
}

}  // namespace elite
