// AVX-512F FP32 general convolution (groups = 1), built for the stem: 3x3 stride 2,
// in_c = 3, out_c = 32. in [in_h][in_w][in_c], out [out_h][out_w][out_c].
// packed: ceil(out_c/16) groups of 16 output channels; group g = bias[16] then
// w[kernel_h][kernel_w][in_c][16], channels past out_c zero.
// Interior pixels (every kx tap inside the row) go 8 at a time with 2 groups (32 channels):
// 16 accumulators, so each weight vector loaded serves 8 pixels (the stem is otherwise
// load-bound: one weight load per FMA). Border pixels go one at a time, up to 4 groups (64
// channels) in registers, each input broadcast once into all of them. Out-of-image taps are
// skipped via ky/kx ranges. Both paths add the taps in the same order (ky, kx, ic), so an
// element's sequence depends only on (oy, ox, oc), never on the row range.
// Last partial group: masked store; no over-reads.
// GCC 12's _mm512_min_ps/_mm512_max_ps pass an _mm512_undefined_ps() that trips
// -Wuninitialized inside avx512fintrin.h (a header false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/f32_microkernels.h"

namespace elite {
namespace {

constexpr int kC = 16;

inline __mmask16 lane_mask(int count) {
  return count >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << count) - 1u);
}

template <int NV>
inline void conv_groups(const ConvGeometry& g, const float* in, const float* packed,
                        size_t group_floats, int g0, int iy0, int ix0, int ky_lo, int ky_hi,
                        int kx_lo, int kx_hi, float* o, __m512 vmin, __m512 vmax) {
  const float* wg = packed + size_t(g0) * group_floats;
  __m512 acc[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) acc[v] = _mm512_loadu_ps(wg + v * group_floats);
  const int ic_n = g.in_c;
  for (int ky = ky_lo; ky < ky_hi; ++ky) {
    for (int kx = kx_lo; kx < kx_hi; ++kx) {
      const float* px = in + (size_t(iy0 + ky) * g.in_w + size_t(ix0 + kx)) * ic_n;
      const float* w = wg + kC * (1 + (size_t(ky) * g.kernel_w + kx) * ic_n);
      for (int ic = 0; ic < ic_n; ++ic, w += kC) {
        const __m512 x = _mm512_set1_ps(px[ic]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
          acc[v] = _mm512_fmadd_ps(x, _mm512_loadu_ps(w + v * group_floats), acc[v]);
      }
    }
  }
  const int oc0 = g0 * kC;
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v)
    _mm512_mask_storeu_ps(o + oc0 + v * kC, lane_mask(g.out_c - (oc0 + v * kC)),
                          _mm512_min_ps(_mm512_max_ps(acc[v], vmin), vmax));
}

// NP interior pixels of one output row starting at ix0 (input column of the first pixel's
// tap kx = 0), NV groups from g0. All kx taps are inside the image for these pixels.
template <int NP, int NV>
inline void conv_pixels(const ConvGeometry& g, const float* in, const float* packed,
                        size_t group_floats, int g0, int iy0, int ix0, int ky_lo, int ky_hi,
                        float* o, __m512 vmin, __m512 vmax) {
  const float* wg = packed + size_t(g0) * group_floats;
  __m512 acc[NP][NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const __m512 b = _mm512_loadu_ps(wg + v * group_floats);
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) acc[p][v] = b;
  }
  const int ic_n = g.in_c;
  const size_t px_step = size_t(g.stride_w) * ic_n;
  for (int ky = ky_lo; ky < ky_hi; ++ky) {
    for (int kx = 0; kx < g.kernel_w; ++kx) {
      const float* px = in + (size_t(iy0 + ky) * g.in_w + size_t(ix0 + kx)) * ic_n;
      const float* w = wg + kC * (1 + (size_t(ky) * g.kernel_w + kx) * ic_n);
      for (int ic = 0; ic < ic_n; ++ic, w += kC) {
        __m512 wv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) wv[v] = _mm512_loadu_ps(w + v * group_floats);
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) {
          const __m512 x = _mm512_set1_ps(px[p * px_step + ic]);
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[p][v] = _mm512_fmadd_ps(x, wv[v], acc[p][v]);
        }
      }
    }
  }
  const int oc0 = g0 * kC;
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      _mm512_mask_storeu_ps(o + size_t(p) * g.out_c + oc0 + v * kC,
                            lane_mask(g.out_c - (oc0 + v * kC)),
                            _mm512_min_ps(_mm512_max_ps(acc[p][v], vmin), vmax));
}

}  // namespace

size_t f32_conv_packed_floats__avx512(int out_c, int kernel_h, int kernel_w, int in_c) {
  return (size_t(out_c) + kC - 1) / kC * kC * (1 + size_t(kernel_h) * kernel_w * in_c);
}

void f32_conv_pack__avx512(int out_c, int kernel_h, int kernel_w, int in_c, const float* w_ohwi,
                           const float* bias, float* packed) {
  const size_t taps = size_t(kernel_h) * kernel_w * in_c;
  for (int g0 = 0; g0 < out_c; g0 += kC) {
    float* dst = packed + size_t(g0 / kC) * kC * (1 + taps);
    for (int j = 0; j < kC; ++j) {
      const int oc = g0 + j;
      dst[j] = oc < out_c && bias ? bias[oc] : 0.0f;
      for (size_t t = 0; t < taps; ++t)
        dst[kC * (1 + t) + j] = oc < out_c ? w_ohwi[size_t(oc) * taps + t] : 0.0f;
    }
  }
}

void f32_conv__avx512(const ConvGeometry& g, const float* in, const float* packed, float* out,
                      int oy_begin, int oy_end) {
  const __m512 vmin = _mm512_set1_ps(g.out_min), vmax = _mm512_set1_ps(g.out_max);
  const size_t group_floats = kC * (1 + size_t(g.kernel_h) * g.kernel_w * g.in_c);
  const int groups = (g.out_c + kC - 1) / kC;
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    const int iy0 = oy * g.stride_h - g.pad_top;
    const int ky_lo = iy0 < 0 ? -iy0 : 0;
    int ky_hi = g.in_h - iy0 < g.kernel_h ? g.in_h - iy0 : g.kernel_h;
    if (ky_hi < ky_lo) ky_hi = ky_lo;
    // Interior pixels: ox in [ox_lo, ox_hi) have every kx tap inside the row.
    const int ox_lo = (g.pad_left + g.stride_w - 1) / g.stride_w;
    int ox_hi = (g.in_w - g.kernel_w + g.pad_left) / g.stride_w + 1;
    if (g.in_w < g.kernel_w) ox_hi = 0;
    if (ox_hi > g.out_w) ox_hi = g.out_w;
    for (int ox = 0; ox < g.out_w; ++ox) {
      const int ix0 = ox * g.stride_w - g.pad_left;
      if (ox >= ox_lo && ox + 8 <= ox_hi) {
        constexpr int kNp = 8;
        float* o = out + (size_t(oy) * g.out_w + ox) * g.out_c;
        int g0 = 0;
        for (; g0 + 2 <= groups; g0 += 2)
          conv_pixels<kNp, 2>(g, in, packed, group_floats, g0, iy0, ix0, ky_lo, ky_hi, o, vmin,
                              vmax);
        if (g0 < groups)
          conv_pixels<kNp, 1>(g, in, packed, group_floats, g0, iy0, ix0, ky_lo, ky_hi, o, vmin,
                              vmax);
        ox += kNp - 1;
        continue;
      }
      const int kx_lo = ix0 < 0 ? -ix0 : 0;
      int kx_hi = g.in_w - ix0 < g.kernel_w ? g.in_w - ix0 : g.kernel_w;
      if (kx_hi < kx_lo) kx_hi = kx_lo;
      float* o = out + (size_t(oy) * g.out_w + ox) * g.out_c;
      int g0 = 0;
      for (; g0 + 4 <= groups; g0 += 4)
        conv_groups<4>(g, in, packed, group_floats, g0, iy0, ix0, ky_lo, ky_hi, kx_lo, kx_hi, o,
                       vmin, vmax);
      switch (groups - g0) {
        case 3:
          conv_groups<3>(g, in, packed, group_floats, g0, iy0, ix0, ky_lo, ky_hi, kx_lo, kx_hi, o,
                         vmin, vmax);
          break;
        case 2:
          conv_groups<2>(g, in, packed, group_floats, g0, iy0, ix0, ky_lo, ky_hi, kx_lo, kx_hi, o,
                         vmin, vmax);
          break;
        case 1:
          conv_groups<1>(g, in, packed, group_floats, g0, iy0, ix0, ky_lo, ky_hi, kx_lo, kx_hi, o,
                         vmin, vmax);
          break;
        default:
          break;
      }
    }
  }
}

}  // namespace elite
