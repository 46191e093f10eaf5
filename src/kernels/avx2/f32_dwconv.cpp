// AVX2+FMA FP32 depthwise convolution (depth multiplier 1) directly on NHWC, 8 channels
// per vector; specialized loops for kernel width 3 and 5, a generic one for other widths.
// in [in_h][in_w][c], out [out_h][out_w][c].
// packed: ceil(c/8) groups; group g = bias[8] then w[kernel_h][kernel_w][8], channels past
// c zero.
// Per output row, the rows of taps inside the image are found once (ky range). Columns whose
// taps all fall inside the image ("interior") run without any bounds checks, 4 pixels at a
// time sharing each weight load and, for 3x3/5x5 with stride 1/2, each input load; the few border
// columns run one pixel at a time with their own kx range. Skipping an out-of-image tap equals
// adding 0 (fma(0, w, acc) == acc). Determinism: an element's sequence (bias, then fma over its ky,
// kx range in order) depends only on its (oy, ox), never on the row range or the pixel blocking.
// The last group (c % 8 channels) uses masked loads and stores: no over-reads.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/f32_microkernels.h"

namespace elite {
namespace {

constexpr int kC = 8;

alignas(32) const int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
inline __m256i lane_mask(int count) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 8 - count));
}

// One channel vector of input: full load, or masked for the last partial group.
template <bool kTail>
inline __m256 load_in(const float* p, __m256i mask) {
  if constexpr (kTail)
    return _mm256_maskload_ps(p, mask);
  else
    return _mm256_loadu_ps(p);
}
template <bool kTail>
inline void store_out(float* p, __m256 v, __m256i mask) {
  if constexpr (kTail)
    _mm256_maskstore_ps(p, mask, v);
  else
    _mm256_storeu_ps(p, v);
}

struct RowCtx {
  const float* in;      // input image
  const float* packed;  // packed weights
  float* out;           // start of this output row
  int c, in_w, kw, taps;
  int ky_lo, ky_hi;  // taps rows inside the image
  int iy0;           // input row of ky = 0
  int sw, pad_left;
  __m256 vmin, vmax;
};

// NP output pixels starting at ox, channel group starting at ch, kx in [kx_lo, kx_hi).
// KW > 0 fixes the kernel width (all of it in range: interior); KW == 0 is generic.
template <int NP, int KW, int SW, bool kTail>
inline void dw_pixels(const RowCtx& r, int ox, int kx_lo, int kx_hi, int ch, __m256i mask) {
  const int kw = KW > 0 ? KW : r.kw;
  const float* wg = r.packed + size_t(ch / kC) * kC * (1 + r.taps);
  __m256 acc[NP];
  const __m256 bias = _mm256_loadu_ps(wg);
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p) acc[p] = bias;
  const size_t px_stride = size_t(r.sw) * r.c;
  for (int ky = r.ky_lo; ky < r.ky_hi; ++ky) {
    // Index, not pointer, of tap (ky, 0): it is negative on the left border, where only
    // kx >= kx_lo (inside the image) are read.
    const ptrdiff_t row = (ptrdiff_t(r.iy0 + ky) * r.in_w + (ox * r.sw - r.pad_left)) * r.c + ch;
    const float* wrow = wg + kC * (1 + ky * kw);
    if constexpr (KW > 0 && SW > 0) {
      // Interior with known stride: load the NX input vectors this row of taps covers once,
      // then reuse them across the NP pixels (3x3 s1: 6 loads instead of 12).
      constexpr int kNx = (NP - 1) * SW + KW;
      __m256 x[kNx];
#pragma GCC unroll 16
      for (int i = 0; i < kNx; ++i) x[i] = load_in<kTail>(r.in + (row + ptrdiff_t(i) * r.c), mask);
#pragma GCC unroll 8
      for (int kx = 0; kx < KW; ++kx) {
        const __m256 w = _mm256_loadu_ps(wrow + kC * kx);
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) acc[p] = _mm256_fmadd_ps(x[p * SW + kx], w, acc[p]);
      }
    } else if constexpr (KW > 0) {
#pragma GCC unroll 8
      for (int kx = 0; kx < KW; ++kx) {
        const __m256 w = _mm256_loadu_ps(wrow + kC * kx);
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p)
          acc[p] = _mm256_fmadd_ps(
              load_in<kTail>(r.in + (row + ptrdiff_t(p * px_stride) + ptrdiff_t(kx) * r.c), mask),
              w, acc[p]);
      }
    } else {
      for (int kx = kx_lo; kx < kx_hi; ++kx) {
        const __m256 w = _mm256_loadu_ps(wrow + kC * kx);
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p)
          acc[p] = _mm256_fmadd_ps(
              load_in<kTail>(r.in + (row + ptrdiff_t(p * px_stride) + ptrdiff_t(kx) * r.c), mask),
              w, acc[p]);
      }
    }
  }
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p)
    store_out<kTail>(r.out + size_t(ox + p) * r.c + ch,
                     _mm256_min_ps(_mm256_max_ps(acc[p], r.vmin), r.vmax), mask);
}

// All channel groups of NP pixels at ox.
template <int NP, int KW, int SW>
inline void dw_block(const RowCtx& r, int ox, int kx_lo, int kx_hi) {
  const int c_full = r.c - r.c % kC;
  const __m256i none = _mm256_setzero_si256();
  for (int ch = 0; ch < c_full; ch += kC)
    dw_pixels<NP, KW, SW, false>(r, ox, kx_lo, kx_hi, ch, none);
  if (c_full < r.c)
    dw_pixels<NP, KW, SW, true>(r, ox, kx_lo, kx_hi, c_full, lane_mask(r.c - c_full));
}

// KW, SW > 0: kernel width and stride known at compile time; 0: read from g.
template <int KW, int SW>
void dw_rows(const ConvGeometry& g, const float* in, const float* packed, float* out, int oy_begin,
             int oy_end) {
  RowCtx r;
  r.in = in, r.packed = packed, r.c = g.in_c, r.in_w = g.in_w, r.kw = g.kernel_w;
  r.taps = g.kernel_h * g.kernel_w, r.sw = g.stride_w, r.pad_left = g.pad_left;
  r.vmin = _mm256_set1_ps(g.out_min), r.vmax = _mm256_set1_ps(g.out_max);
  // Interior columns: ox*sw - pad_left >= 0 and ox*sw - pad_left + kw <= in_w.
  int ox_lo = (g.pad_left + g.stride_w - 1) / g.stride_w;
  int ox_hi = g.in_w - g.kernel_w + g.pad_left >= 0
                  ? (g.in_w - g.kernel_w + g.pad_left) / g.stride_w + 1
                  : 0;
  if (ox_lo > g.out_w) ox_lo = g.out_w;
  if (ox_hi > g.out_w) ox_hi = g.out_w;
  if (ox_hi < ox_lo) ox_hi = ox_lo;
  auto border = [&](int ox) {
    const int ix0 = ox * g.stride_w - g.pad_left;
    const int kx_lo = ix0 < 0 ? -ix0 : 0;
    int kx_hi = g.in_w - ix0;
    if (kx_hi > g.kernel_w) kx_hi = g.kernel_w;
    if (kx_hi < kx_lo) kx_hi = kx_lo;
    dw_block<1, 0, 0>(r, ox, kx_lo, kx_hi);
  };
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    r.iy0 = oy * g.stride_h - g.pad_top;
    r.ky_lo = r.iy0 < 0 ? -r.iy0 : 0;
    r.ky_hi = g.in_h - r.iy0 < g.kernel_h ? g.in_h - r.iy0 : g.kernel_h;
    if (r.ky_hi < r.ky_lo) r.ky_hi = r.ky_lo;
    r.out = out + size_t(oy) * g.out_w * g.in_c;
    for (int ox = 0; ox < ox_lo; ++ox) border(ox);
    int ox = ox_lo;
    for (; ox + 4 <= ox_hi; ox += 4) dw_block<4, KW, SW>(r, ox, 0, g.kernel_w);
    for (; ox < ox_hi; ++ox) dw_block<1, KW, SW>(r, ox, 0, g.kernel_w);
    for (ox = ox_hi; ox < g.out_w; ++ox) border(ox);
  }
}

}  // namespace

size_t f32_dwconv_packed_floats__avx2(int c, int kernel_h, int kernel_w) {
  return (size_t(c) + kC - 1) / kC * kC * (1 + size_t(kernel_h) * kernel_w);
}

void f32_dwconv_pack__avx2(int c, int kernel_h, int kernel_w, const float* w_hwc, const float* bias,
                           float* packed) {
  const int taps = kernel_h * kernel_w;
  for (int g0 = 0; g0 < c; g0 += kC) {
    float* dst = packed + size_t(g0 / kC) * kC * (1 + taps);
    for (int j = 0; j < kC; ++j) {
      const int ch = g0 + j;
      dst[j] = ch < c && bias ? bias[ch] : 0.0f;
      for (int t = 0; t < taps; ++t)
        dst[kC * (1 + t) + j] = ch < c ? w_hwc[size_t(t) * c + ch] : 0.0f;
    }
  }
}

void f32_dwconv__avx2(const ConvGeometry& g, const float* in, const float* packed, float* out,
                      int oy_begin, int oy_end) {
  const int ks = g.stride_w == 1 || g.stride_w == 2 ? g.kernel_w * 10 + g.stride_w : 0;
  switch (ks) {
    case 31:
      dw_rows<3, 1>(g, in, packed, out, oy_begin, oy_end);
      break;
    case 32:
      dw_rows<3, 2>(g, in, packed, out, oy_begin, oy_end);
      break;
    case 51:
      dw_rows<5, 1>(g, in, packed, out, oy_begin, oy_end);
      break;
    case 52:
      dw_rows<5, 2>(g, in, packed, out, oy_begin, oy_end);
      break;
    default:
      dw_rows<0, 0>(g, in, packed, out, oy_begin, oy_end);
      break;
  }
}

}  // namespace elite
