// AVX512-FP16 depthwise convolution (depth multiplier 1) directly on NHWC, 32 channels per
// vector: the scheme of the AVX-512 FP32 kernel (avx512/f32_dwconv.cpp) in half precision.
// packed: ceil(c/32) groups; group g = bias[32] then w[kernel_h][kernel_w][32], channels past
// c zero. Per output row the ky range inside the image is found once; interior columns run
// without bounds checks, 4 pixels at a time sharing each weight load; border columns run one
// pixel at a time with their own kx range. Out-of-image taps are skipped, as in the
// reference, and every element is acc = bias, then one FMA per tap in (ky, kx) order, then
// the clamp: equal to f16_dwconv__ref bit for bit. The last group uses masked loads and
// stores: no over-reads.
#include <cstddef>
#include <cstdint>

#include "kernels/avx512fp16/f16_simd.h"
#include "kernels/f16_microkernels.h"

namespace elite {
namespace {

using namespace f16_avx512;
constexpr int kC = kLanes;

struct RowCtx {
  const half_t* in;
  const half_t* packed;
  half_t* out;  // start of this output row
  int c, in_w, kw, taps;
  int ky_lo, ky_hi;
  int iy0;
  int sw, pad_left;
  __m512h vmin, vmax;
};

// One kernel row of KW taps for NP pixels SW columns apart: the (NP - 1) * SW + KW input
// vectors it covers are loaded once (x(i): input column i from the first pixel's first tap)
// and shared by the pixels.
template <int NP, int KW, int SW, class Load>
inline void row_taps(Load x_at, const half_t* wrow, __m512h* acc) {
  constexpr int kNx = (NP - 1) * SW + KW;
  __m512h x[kNx];
#pragma GCC unroll 32
  for (int i = 0; i < kNx; ++i) x[i] = x_at(i);
#pragma GCC unroll 8
  for (int kx = 0; kx < KW; ++kx) {
    const __m512h w = load(wrow + kC * kx);
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) acc[p] = _mm512_fmadd_ph(x[p * SW + kx], w, acc[p]);
  }
}

// NP output pixels starting at ox, channel group starting at ch (mask: its valid lanes),
// kx in [kx_lo, kx_hi). KW > 0 fixes the kernel width (interior); KW == 0 is generic.
template <int NP, int KW, int SW>
inline void dw_pixels(const RowCtx& r, int ox, int kx_lo, int kx_hi, int ch, __mmask32 mask) {
  const int kw = KW > 0 ? KW : r.kw;
  const half_t* wg = r.packed + size_t(ch / kC) * kC * (1 + r.taps);
  __m512h acc[NP];
  const __m512h bias = load(wg);
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p) acc[p] = bias;
  const ptrdiff_t px_stride = ptrdiff_t(r.sw) * r.c;
  for (int ky = r.ky_lo; ky < r.ky_hi; ++ky) {
    // Index of tap (ky, 0); negative on the left border, where only kx >= kx_lo are read.
    const ptrdiff_t row = (ptrdiff_t(r.iy0 + ky) * r.in_w + (ox * r.sw - r.pad_left)) * r.c + ch;
    const half_t* wrow = wg + kC * (1 + ky * kw);
    if constexpr (KW > 0 && SW > 0) {  // interior with known stride
      row_taps<NP, KW, SW>(
          [&](int i) { return load(mask, r.in + (row + ptrdiff_t(i) * r.c)); },
          wrow, acc);
    } else {
      const int lo = KW > 0 ? 0 : kx_lo, hi = KW > 0 ? KW : kx_hi;
#pragma GCC unroll 8
      for (int kx = lo; kx < hi; ++kx) {
        const __m512h w = load(wrow + kC * kx);
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) {
          const __m512h x =
              load(mask, r.in + (row + p * px_stride + ptrdiff_t(kx) * r.c));
          acc[p] = _mm512_fmadd_ph(x, w, acc[p]);
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p)
    store(r.out + size_t(ox + p) * r.c + ch, mask, clamp(acc[p], r.vmin, r.vmax));
}

template <int NP, int KW, int SW>
inline void dw_block(const RowCtx& r, int ox, int kx_lo, int kx_hi) {
  const int c_full = r.c - r.c % kC;
  for (int ch = 0; ch < c_full; ch += kC) dw_pixels<NP, KW, SW>(r, ox, kx_lo, kx_hi, ch, 0xFFFFFFFFu);
  if (c_full < r.c) dw_pixels<NP, KW, SW>(r, ox, kx_lo, kx_hi, c_full, lane_mask(r.c - c_full));
}

// KW, SW > 0: kernel width and stride known at compile time; 0: read from g.
template <int KW, int SW>
void dw_rows(const ConvGeometry& g, const half_t* in, const half_t* packed, half_t* out, F16Clamp clamp16,
             int oy_begin, int oy_end) {
  RowCtx r;
  r.in = in, r.packed = packed, r.c = g.in_c, r.in_w = g.in_w, r.kw = g.kernel_w;
  r.taps = g.kernel_h * g.kernel_w, r.sw = g.stride_w, r.pad_left = g.pad_left;
  r.vmin = broadcast(clamp16.lo), r.vmax = broadcast(clamp16.hi);
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

size_t f16_dwconv_packed_halves__avx512fp16(int c, int kernel_h, int kernel_w) {
  return (size_t(c) + kC - 1) / kC * kC * (1 + size_t(kernel_h) * kernel_w);
}

void f16_dwconv_pack__avx512fp16(int c, int kernel_h, int kernel_w, const float* w_hwc,
                                 const float* bias, half_t* packed) {
  const int taps = kernel_h * kernel_w;
  for (int g0 = 0; g0 < c; g0 += kC) {
    half_t* dst = packed + size_t(g0 / kC) * kC * (1 + taps);
    for (int j = 0; j < kC; ++j) {
      const int ch = g0 + j;
      dst[j] = half_from_float(ch < c && bias ? bias[ch] : 0.0f);
      for (int t = 0; t < taps; ++t)
        dst[kC * (1 + t) + j] = half_from_float(ch < c ? w_hwc[size_t(t) * c + ch] : 0.0f);
    }
  }
}

void f16_dwconv__avx512fp16(const ConvGeometry& g, const half_t* in, const half_t* packed,
                            half_t* out, F16Clamp clamp, int oy_begin, int oy_end) {
  const int ks = g.stride_w == 1 || g.stride_w == 2 ? g.kernel_w * 10 + g.stride_w : 0;
  switch (ks) {
    case 31:
      dw_rows<3, 1>(g, in, packed, out, clamp, oy_begin, oy_end);
      break;
    case 32:
      dw_rows<3, 2>(g, in, packed, out, clamp, oy_begin, oy_end);
      break;
    case 51:
      dw_rows<5, 1>(g, in, packed, out, clamp, oy_begin, oy_end);
      break;
    case 52:
      dw_rows<5, 2>(g, in, packed, out, clamp, oy_begin, oy_end);
      break;
    default:
      dw_rows<0, 0>(g, in, packed, out, clamp, oy_begin, oy_end);
      break;
  }
}

}  // namespace elite
