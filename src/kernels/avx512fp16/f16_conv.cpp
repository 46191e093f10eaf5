// AVX512-FP16 general convolution (groups = 1), built for the stem (3x3 stride 2, in_c = 3,
// out_c = 32): the scheme of the AVX-512 FP32 kernel (avx512/f32_conv.cpp) with 32 output
// channels per vector. packed: ceil(out_c/32) groups; group g = bias[32] then
// w[kernel_h][kernel_w][in_c][32], channels past out_c zero. Interior pixels go 8 at a time,
// border pixels one at a time with their ky/kx ranges (out-of-image taps skipped); both add
// the taps in (ky, kx, ic) order, one FMA each, so results equal f16_conv__ref bit for bit.
// Last partial group: masked store; no over-reads.
#include <cstddef>
#include <cstdint>

#include "kernels/avx512fp16/f16_simd.h"
#include "kernels/f16_microkernels.h"

namespace elite {
namespace {

using namespace f16_avx512;
constexpr int kC = kLanes;

template <int NV>
inline void conv_groups(const ConvGeometry& g, const half_t* in, const half_t* packed,
                        size_t group_halves, int g0, int iy0, int ix0, int ky_lo, int ky_hi,
                        int kx_lo, int kx_hi, half_t* o, __m512h vmin, __m512h vmax) {
  const half_t* wg = packed + size_t(g0) * group_halves;
  __m512h acc[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) acc[v] = load(wg + v * group_halves);
  const int ic_n = g.in_c;
  for (int ky = ky_lo; ky < ky_hi; ++ky) {
    for (int kx = kx_lo; kx < kx_hi; ++kx) {
      const half_t* px = in + (size_t(iy0 + ky) * g.in_w + size_t(ix0 + kx)) * ic_n;
      const half_t* w = wg + kC * (1 + (size_t(ky) * g.kernel_w + kx) * ic_n);
      for (int ic = 0; ic < ic_n; ++ic, w += kC) {
        const __m512h x = broadcast(px[ic]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
          acc[v] = _mm512_fmadd_ph(x, load(w + v * group_halves), acc[v]);
      }
    }
  }
  const int oc0 = g0 * kC;
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v)
    store(o + oc0 + v * kC, lane_mask(g.out_c - (oc0 + v * kC)), clamp(acc[v], vmin, vmax));
}

// NP interior pixels of one output row starting at ix0 (input column of the first pixel's
// tap kx = 0), NV groups from g0. All kx taps are inside the image for these pixels.
template <int NP, int NV>
inline void conv_pixels(const ConvGeometry& g, const half_t* in, const half_t* packed,
                        size_t group_halves, int g0, int iy0, int ix0, int ky_lo, int ky_hi,
                        half_t* o, __m512h vmin, __m512h vmax) {
  const half_t* wg = packed + size_t(g0) * group_halves;
  __m512h acc[NP][NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const __m512h b = load(wg + v * group_halves);
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) acc[p][v] = b;
  }
  const int ic_n = g.in_c;
  const size_t px_step = size_t(g.stride_w) * ic_n;
  for (int ky = ky_lo; ky < ky_hi; ++ky) {
    for (int kx = 0; kx < g.kernel_w; ++kx) {
      const half_t* px = in + (size_t(iy0 + ky) * g.in_w + size_t(ix0 + kx)) * ic_n;
      const half_t* w = wg + kC * (1 + (size_t(ky) * g.kernel_w + kx) * ic_n);
      for (int ic = 0; ic < ic_n; ++ic, w += kC) {
        __m512h wv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) wv[v] = load(w + v * group_halves);
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) {
          const __m512h x = broadcast(px[p * px_step + ic]);
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[p][v] = _mm512_fmadd_ph(x, wv[v], acc[p][v]);
        }
      }
    }
  }
  const int oc0 = g0 * kC;
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      store(o + size_t(p) * g.out_c + oc0 + v * kC,
                            lane_mask(g.out_c - (oc0 + v * kC)), clamp(acc[p][v], vmin, vmax));
}

}  // namespace

size_t f16_conv_packed_halves__avx512fp16(int out_c, int kernel_h, int kernel_w, int in_c) {
  return (size_t(out_c) + kC - 1) / kC * kC * (1 + size_t(kernel_h) * kernel_w * in_c);
}

void f16_conv_pack__avx512fp16(int out_c, int kernel_h, int kernel_w, int in_c,
                               const float* w_ohwi, const float* bias, half_t* packed) {
  const size_t taps = size_t(kernel_h) * kernel_w * in_c;
  for (int g0 = 0; g0 < out_c; g0 += kC) {
    half_t* dst = packed + size_t(g0 / kC) * kC * (1 + taps);
    for (int j = 0; j < kC; ++j) {
      const int oc = g0 + j;
      dst[j] = half_from_float(oc < out_c && bias ? bias[oc] : 0.0f);
      for (size_t t = 0; t < taps; ++t)
        dst[kC * (1 + t) + j] = half_from_float(oc < out_c ? w_ohwi[size_t(oc) * taps + t] : 0.0f);
    }
  }
}

void f16_conv__avx512fp16(const ConvGeometry& g, const half_t* in, const half_t* packed,
                          half_t* out, F16Clamp clamp16, int oy_begin, int oy_end) {
  const __m512h vmin = broadcast(clamp16.lo), vmax = broadcast(clamp16.hi);
  const size_t group_halves = kC * (1 + size_t(g.kernel_h) * g.kernel_w * g.in_c);
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
        half_t* o = out + (size_t(oy) * g.out_w + ox) * g.out_c;
        int g0 = 0;
        for (; g0 + 2 <= groups; g0 += 2)
          conv_pixels<kNp, 2>(g, in, packed, group_halves, g0, iy0, ix0, ky_lo, ky_hi, o, vmin,
                              vmax);
        if (g0 < groups)
          conv_pixels<kNp, 1>(g, in, packed, group_halves, g0, iy0, ix0, ky_lo, ky_hi, o, vmin,
                              vmax);
        ox += kNp - 1;
        continue;
      }
      const int kx_lo = ix0 < 0 ? -ix0 : 0;
      int kx_hi = g.in_w - ix0 < g.kernel_w ? g.in_w - ix0 : g.kernel_w;
      if (kx_hi < kx_lo) kx_hi = kx_lo;
      half_t* o = out + (size_t(oy) * g.out_w + ox) * g.out_c;
      int g0 = 0;
      for (; g0 + 4 <= groups; g0 += 4)
        conv_groups<4>(g, in, packed, group_halves, g0, iy0, ix0, ky_lo, ky_hi, kx_lo, kx_hi, o,
                       vmin, vmax);
      switch (groups - g0) {
        case 3:
          conv_groups<3>(g, in, packed, group_halves, g0, iy0, ix0, ky_lo, ky_hi, kx_lo, kx_hi, o,
                         vmin, vmax);
          break;
        case 2:
          conv_groups<2>(g, in, packed, group_halves, g0, iy0, ix0, ky_lo, ky_hi, kx_lo, kx_hi, o,
                         vmin, vmax);
          break;
        case 1:
          conv_groups<1>(g, in, packed, group_halves, g0, iy0, ix0, ky_lo, ky_hi, kx_lo, kx_hi, o,
                         vmin, vmax);
          break;
        default:
          break;
      }
    }
  }
}

}  // namespace elite
