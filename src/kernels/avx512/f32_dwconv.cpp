// AVX-512F FP32 depthwise convolution (depth multiplier 1) directly on NHWC, 16 channels
// per vector; specialized loops for kernel width 3 and 5, a generic one for other widths.
// in [in_h][in_w][c], out [out_h][out_w][c].
// packed: ceil(c/16) groups; group g = bias[16] then w[kernel_h][kernel_w][16], channels
// past c zero.
// Same scheme as the AVX2 version: per output row the ky range inside the image is found
// once; interior columns run without bounds checks, 4 pixels at a time sharing each weight
// load (and each input load for 3x3/5x5 with stride 1/2); border columns run one pixel at a time
// with their own kx range. Skipping an out-of-image tap equals adding 0. Determinism: an element's
// sequence depends only on its (oy, ox). The last group (c % 16 channels) uses masked (zeroing)
// loads and masked stores: no over-reads. GCC 12's _mm512_min_ps/_mm512_max_ps pass an
// _mm512_undefined_ps() that trips -Wuninitialized inside avx512fintrin.h (a header false
// positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/f32_microkernels.h"

namespace elite {
namespace {

constexpr int kC = 16;

inline __mmask16 lane_mask(int count) {
  return count >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << count) - 1u);
}

struct RowCtx {
  const float* in;
  const float* packed;
  float* out;  // start of this output row
  int c, in_w, kw, taps;
  int ky_lo, ky_hi;
  int iy0;
  int sw, pad_left;
  __m512 vmin, vmax;
};

// One kernel row of KW taps for NP pixels SW columns apart: the (NP - 1) * SW + KW input
// vectors it covers are loaded once (x(i): input column i from the first pixel's first tap)
// and shared by the pixels.
template <int NP, int KW, int SW, class Load>
inline void row_taps(Load x_at, const float* wrow, __m512* acc) {
  constexpr int kNx = (NP - 1) * SW + KW;
  __m512 x[kNx];
#pragma GCC unroll 32
  for (int i = 0; i < kNx; ++i) x[i] = x_at(i);
#pragma GCC unroll 8
  for (int kx = 0; kx < KW; ++kx) {
    const __m512 w = _mm512_loadu_ps(wrow + kC * kx);
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) acc[p] = _mm512_fmadd_ps(x[p * SW + kx], w, acc[p]);
  }
}

// NP output pixels starting at ox, channel group starting at ch (mask: its valid lanes),
// kx in [kx_lo, kx_hi). KW > 0 fixes the kernel width (interior); KW == 0 is generic.
template <int NP, int KW, int SW>
inline void dw_pixels(const RowCtx& r, int ox, int kx_lo, int kx_hi, int ch, __mmask16 mask) {
  const int kw = KW > 0 ? KW : r.kw;
  const float* wg = r.packed + size_t(ch / kC) * kC * (1 + r.taps);
  __m512 acc[NP];
  const __m512 bias = _mm512_loadu_ps(wg);
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p) acc[p] = bias;
  const ptrdiff_t px_stride = ptrdiff_t(r.sw) * r.c;
  for (int ky = r.ky_lo; ky < r.ky_hi; ++ky) {
    // Index of tap (ky, 0); negative on the left border, where only kx >= kx_lo are read.
    const ptrdiff_t row = (ptrdiff_t(r.iy0 + ky) * r.in_w + (ox * r.sw - r.pad_left)) * r.c + ch;
    const float* wrow = wg + kC * (1 + ky * kw);
    if constexpr (KW > 0 && SW > 0) {  // interior with known stride
      row_taps<NP, KW, SW>(
          [&](int i) { return _mm512_maskz_loadu_ps(mask, r.in + (row + ptrdiff_t(i) * r.c)); },
          wrow, acc);
    } else {
      const int lo = KW > 0 ? 0 : kx_lo, hi = KW > 0 ? KW : kx_hi;
#pragma GCC unroll 8
      for (int kx = lo; kx < hi; ++kx) {
        const __m512 w = _mm512_loadu_ps(wrow + kC * kx);
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) {
          const __m512 x =
              _mm512_maskz_loadu_ps(mask, r.in + (row + p * px_stride + ptrdiff_t(kx) * r.c));
          acc[p] = _mm512_fmadd_ps(x, w, acc[p]);
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p)
    _mm512_mask_storeu_ps(r.out + size_t(ox + p) * r.c + ch, mask,
                          _mm512_min_ps(_mm512_max_ps(acc[p], r.vmin), r.vmax));
}

template <int NP, int KW, int SW>
inline void dw_block(const RowCtx& r, int ox, int kx_lo, int kx_hi) {
  const int c_full = r.c - r.c % kC;
  for (int ch = 0; ch < c_full; ch += kC) dw_pixels<NP, KW, SW>(r, ox, kx_lo, kx_hi, ch, 0xFFFF);
  if (c_full < r.c) dw_pixels<NP, KW, SW>(r, ox, kx_lo, kx_hi, c_full, lane_mask(r.c - c_full));
}

// KW, SW > 0: kernel width and stride known at compile time; 0: read from g.
template <int KW, int SW>
void dw_rows(const ConvGeometry& g, const float* in, const float* packed, float* out, int oy_begin,
             int oy_end) {
  RowCtx r;
  r.in = in, r.packed = packed, r.c = g.in_c, r.in_w = g.in_w, r.kw = g.kernel_w;
  r.taps = g.kernel_h * g.kernel_w, r.sw = g.stride_w, r.pad_left = g.pad_left;
  r.vmin = _mm512_set1_ps(g.out_min), r.vmax = _mm512_set1_ps(g.out_max);
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

// ---------------------------------------------------------------------------------------
// Ring variant, for 5x5 stride 1: channel group outermost, then output rows, then pixels.
// One group's slice of the kernel_h input rows (16 floats per pixel) is copied into a ring of
// zero-padded rows, which stay in L1 for the whole row of outputs, so every pixel runs the
// bounds-free loop, 8 at a time. On 14x14 and 7x7 maps the loop above sends 4 of every 14 or 7
// pixels through its generic border path; layer_shapes_bench measured the 5x5 stride-1
// layers of lite0 33-40% faster this way, and the other shapes slower (the copy costs more
// than it saves where 3x3 or stride 2 reads fewer taps per copied row, and large maps lose
// the pixel-order locality). Out-of-image taps read 0: fma(0, w, acc) = acc for finite w, the
// same as skipping them.

// One output row of one channel group.
struct RingRowCtx {
  const float* const* rows;  // [kernel_h] padded input rows, 16 floats per column
  const float* wg;           // the group's packed bias + weights
  float* out;                // output pixel 0 of this row, at the group's first channel
  int c;
  __mmask16 mask;
  __m512 vmin, vmax;
};

// NP output pixels from ox; kernel width KW and stride SW fixed at compile time.
template <int NP, int KW, int SW>
inline void ring_pixels(const RingRowCtx& r, int kh, int ox) {
  __m512 acc[NP];
  const __m512 bias = _mm512_loadu_ps(r.wg);
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p) acc[p] = bias;
  for (int ky = 0; ky < kh; ++ky) {
    const float* src = r.rows[ky] + size_t(ox) * SW * kC;
    row_taps<NP, KW, SW>([&](int i) { return _mm512_load_ps(src + i * kC); },
                         r.wg + kC * (1 + ky * KW), acc);
  }
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p)
    _mm512_mask_storeu_ps(r.out + size_t(ox + p) * r.c, r.mask,
                          _mm512_min_ps(_mm512_max_ps(acc[p], r.vmin), r.vmax));
}

// Padded row of input row iy (zeros outside the image) for channels [ch, ch + 16): column j
// holds input column j - pad_left.
void ring_fill_row(const ConvGeometry& g, const float* in, int iy, int ch, __mmask16 mask,
                   int cols, float* dst) {
  const __m512 zero = _mm512_setzero_ps();
  int j = 0;
  if (iy >= 0 && iy < g.in_h) {
    const int j0 = g.pad_left < cols ? g.pad_left : cols;
    const int j1 = g.pad_left + g.in_w < cols ? g.pad_left + g.in_w : cols;
    for (; j < j0; ++j) _mm512_store_ps(dst + size_t(j) * kC, zero);
    const float* src = in + (size_t(iy) * g.in_w - g.pad_left) * g.in_c + ch;
    for (; j < j1; ++j)
      _mm512_store_ps(dst + size_t(j) * kC, _mm512_maskz_loadu_ps(mask, src + size_t(j) * g.in_c));
  }
  for (; j < cols; ++j) _mm512_store_ps(dst + size_t(j) * kC, zero);
}

template <int KW, int SW>
void dw_rows_ring(const ConvGeometry& g, const float* in, const float* packed, float* out,
                  int oy_begin, int oy_end) {
  static_assert(KW > 0 && SW > 0, "the ring loop has no runtime kernel width or stride");
  const int kh = g.kernel_h, taps = g.kernel_h * g.kernel_w;
  // Padded columns one output row reads.
  const int cols = (g.out_w - 1) * g.stride_w + g.kernel_w;
  const size_t row_floats = size_t(cols) * kC;
  static thread_local std::vector<float> ring_buf;
  if (ring_buf.size() < row_floats * kh + kC) ring_buf.resize(row_floats * kh + kC);
  float* ring = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(ring_buf.data()) + 63) &
                                         ~uintptr_t(63));
  const size_t nslots = size_t(kh);
  std::vector<int> held(nslots);
  std::vector<const float*> rows(nslots);
  RingRowCtx r;
  r.rows = rows.data(), r.c = g.in_c;
  r.vmin = _mm512_set1_ps(g.out_min), r.vmax = _mm512_set1_ps(g.out_max);
  for (int ch = 0; ch < g.in_c; ch += kC) {
    r.mask = lane_mask(g.in_c - ch);
    r.wg = packed + size_t(ch / kC) * kC * (1 + taps);
    for (int& h : held) h = INT32_MIN;  // no slot holds a row of this group yet
    for (int oy = oy_begin; oy < oy_end; ++oy) {
      const int iy0 = oy * g.stride_h - g.pad_top;
      for (int ky = 0; ky < kh; ++ky) {
        const int iy = iy0 + ky, slot = ((iy % kh) + kh) % kh;
        float* dst = ring + size_t(slot) * row_floats;
        if (held[size_t(slot)] != iy) {
          ring_fill_row(g, in, iy, ch, r.mask, cols, dst);
          held[size_t(slot)] = iy;
        }
        rows[size_t(ky)] = dst;
      }
      r.out = out + size_t(oy) * g.out_w * g.in_c + ch;
      int ox = 0;
      for (; ox + 8 <= g.out_w; ox += 8) ring_pixels<8, KW, SW>(r, kh, ox);
      for (; ox + 4 <= g.out_w; ox += 4) ring_pixels<4, KW, SW>(r, kh, ox);
      for (; ox < g.out_w; ++ox) ring_pixels<1, KW, SW>(r, kh, ox);
    }
  }
}

}  // namespace

size_t f32_dwconv_packed_floats__avx512(int c, int kernel_h, int kernel_w) {
  return (size_t(c) + kC - 1) / kC * kC * (1 + size_t(kernel_h) * kernel_w);
}

void f32_dwconv_pack__avx512(int c, int kernel_h, int kernel_w, const float* w_hwc,
                             const float* bias, float* packed) {
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

void f32_dwconv__avx512(const ConvGeometry& g, const float* in, const float* packed, float* out,
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
      dw_rows_ring<5, 1>(g, in, packed, out, oy_begin, oy_end);
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
