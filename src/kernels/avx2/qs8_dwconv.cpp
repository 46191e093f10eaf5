// AVX2 INT8 depthwise convolution (depth multiplier 1, any kernel size and stride):
// qs8_dwconv_16c__avx2, direct NHWC over vectors of 16 channels.
//   in [in_h][in_w][c] int8, out [out_h][out_w][c] int8.
//   packed: ceil(c/16) groups of 16 channels; group = bias[16] int32 in the accumulator lane
//   order (channels 0-3, 8-11, 4-7, 12-15), then ceil(T/2) tap pairs (T = kernel_h *
//   kernel_w, taps row-major) of two ymm of int16 pairs (w[t0][ch], w[t1][ch]): the first
//   for channels 0-3 | 8-11, the second for 4-7 | 12-15 (the lane order of vpunpckl/hwd).
//   An odd T's last pair and channels past c have weight 0. Group bytes: 64 + 64 * pairs.
// Arithmetic: x - input_zero_point in [-255, 255] as int16; two taps interleaved and
// multiplied by vpmaddwd give exact int32 pair sums (|sum| <= 2 * 128 * 255). Taps outside
// the input read a 16-byte vector of the zero point (x - zp = 0, so they add exactly 0, as
// the ref's skipped taps). The requantization epilogue is qs8_requant_avx2.h (bit-exact): its
// fast form for groups whose channels pass fast_requant_ok() with the accumulator bound
// max |bias| + T * 128 * 255, the general form otherwise; constants built once per call.
// Loops: output row, then channel group (requant constants held), then output column;
// columns whose taps are all inside the input take an interior path (constant tap offsets,
// zero point folded into the bias), the border columns per-tap addresses.
// No over-reads: a last group of c % 16 channels goes through a 16-byte stack copy.
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels/avx2/qs8_requant_avx2.h"
#include "kernels/qs8_microkernels.h"

namespace elite {
namespace {

constexpr int kC = 16;
constexpr int kMaxTaps = 64;

inline int tap_pairs(int kh, int kw) { return (kh * kw + 1) / 2; }
inline size_t group_bytes(int kh, int kw) { return 64 + 64 * size_t(tap_pairs(kh, kw)); }

// Accumulator lane l of vector v holds channel kLaneChannel[v][l].
constexpr int kLaneChannel[2][8] = {{0, 1, 2, 3, 8, 9, 10, 11}, {4, 5, 6, 7, 12, 13, 14, 15}};

template <bool kFull>
inline __m256i load_x(const int8_t* p, int count, __m256i vzp) {
  __m128i b;
  if constexpr (kFull) {
    b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  } else {
    alignas(16) int8_t tmp[16] = {};
    std::memcpy(tmp, p, size_t(count));
    b = _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
  }
  return _mm256_sub_epi16(_mm256_cvtepi8_epi16(b), vzp);
}

inline void store16(int8_t* o, __m128i bytes, int count, bool full) {
  if (full) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), bytes);
  } else {
    alignas(16) int8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
    std::memcpy(o, tmp, size_t(count));
  }
}

// The requantization of one channel group: the fast form of qs8_requant_avx2.h when every
// channel of the group allows it (fast_requant_ok), else the general one.
struct GroupRequant {
  bool fast;
  union {  // one or the other (about 400 bytes): the cache below holds up to 192 groups
    qs8_avx2::FastRequantVec fv[2];
    qs8_avx2::RequantVec rv[2];
  };
};

// acc0 | acc1 in the packed lane order -> 16 requantized int8 in channel order.
inline __m128i requantize16(__m256i acc0, __m256i acc1, const GroupRequant& gr,
                            const qs8_avx2::OutputVec& ov, __m128i lo8, __m128i hi8) {
  const __m256i lo = _mm256_permute2x128_si256(acc0, acc1, 0x20);  // channels 0-7
  const __m256i hi = _mm256_permute2x128_si256(acc0, acc1, 0x31);  // channels 8-15
  if (gr.fast)
    return qs8_avx2::pack16_clamp(qs8_avx2::fast_requant(lo, gr.fv[0]),
                                  qs8_avx2::fast_requant(hi, gr.fv[1]), lo8, hi8);
  return qs8_avx2::pack16(qs8_avx2::finish(lo, gr.rv[0], ov), qs8_avx2::finish(hi, gr.rv[1], ov));
}

// Border columns [ox_begin, ox_end) of one output row and channel group: per-tap addresses,
// taps outside the input read the zero-point vector (x - zp = 0).
template <bool kFull>
void dw_border(const ConvGeometry& g, const int8_t* in, const uint8_t* grp, int8_t* orow,
               int c0, int count, int oy, int ox_begin, int ox_end, const int8_t* zp16,
               __m256i vzp, const GroupRequant& rv, const qs8_avx2::OutputVec& ov, __m128i lo8,
               __m128i hi8) {
  const int c = g.in_c, kw = g.kernel_w, T = g.kernel_h * kw;
  const int iy0 = oy * g.stride_h - g.pad_top;
  const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(grp));
  const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(grp) + 1);
  const __m256i* w0 = reinterpret_cast<const __m256i*>(grp + 64);
  const int8_t* addr[kMaxTaps + 1];
  for (int ox = ox_begin; ox < ox_end; ++ox) {
    const int ix0 = ox * g.stride_w - g.pad_left;
    __m256i acc0 = b0, acc1 = b1;
    const __m256i* w = w0;
    // Taps in chunks of kMaxTaps (one chunk for kernels up to 8x8); kMaxTaps is even, so
    // pairs never straddle chunks.
    for (int t0 = 0; t0 < T; t0 += kMaxTaps) {
      const int t1 = std::min(T, t0 + kMaxTaps);
      for (int t = t0, ky = t0 / kw, kx = t0 % kw; t < t1; ++t) {
        const int iy = iy0 + ky, ix = ix0 + kx;
        const bool ok = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w;
        addr[t - t0] = ok ? in + (size_t(iy) * g.in_w + ix) * c + c0 : zp16;
        if (++kx == kw) kx = 0, ++ky;
      }
      addr[t1 - t0] = zp16;  // the pad tap of an odd T (weight 0)
      const int chunk_pairs = (t1 - t0 + 1) / 2;
      for (int p = 0; p < chunk_pairs; ++p, w += 2) {
        const __m256i x0 = load_x<kFull>(addr[2 * p], count, vzp);
        const __m256i x1 = load_x<kFull>(addr[2 * p + 1], count, vzp);
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1),
                                                        _mm256_loadu_si256(w)));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1),
                                                        _mm256_loadu_si256(w + 1)));
      }
    }
    store16(orow + size_t(ox) * c + c0, requantize16(acc0, acc1, rv, ov, lo8, hi8), count, kFull);
  }
}

// Interior columns [ox_begin, ox_end) (every tap inside the input) of a full group of 16
// channels: constant tap offsets, raw x widened to int16 without the zero-point subtraction,
// and the bias adjusted once to bias - zp * sum_t w[t] (exact: integer sums whose true value
// fits in int32; any intermediate wrap-around cancels). kT: tap count if known at compile
// time (9, 25), else 0 (T <= kMaxTaps).
template <int kT>
void dw_interior(const int8_t* base, int row_pixels, int c, int kw, int T_any, int stride_w,
                 const uint8_t* grp, int8_t* o, int n_out, int count, int32_t zp,
                 const GroupRequant& rv, const qs8_avx2::OutputVec& ov, __m128i lo8,
                 __m128i hi8) {
  const int T = kT ? kT : T_any, pairs = T / 2;
  const __m256i* w = reinterpret_cast<const __m256i*>(grp + 64);
  __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(grp));
  __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(grp) + 1);
  const __m256i vzp = _mm256_set1_epi16(int16_t(zp));
  for (int p = 0; p < (T + 1) / 2; ++p) {
    b0 = _mm256_sub_epi32(b0, _mm256_madd_epi16(vzp, _mm256_loadu_si256(w + 2 * p)));
    b1 = _mm256_sub_epi32(b1, _mm256_madd_epi16(vzp, _mm256_loadu_si256(w + 2 * p + 1)));
  }
  ptrdiff_t off[kMaxTaps];
  for (int t = 0; t < T; ++t) off[t] = (ptrdiff_t(t / kw) * row_pixels + t % kw) * c;
  const size_t step = size_t(stride_w) * c;
  for (int ox = 0; ox < n_out; ++ox, base += step, o += c) {
    __m256i acc0 = b0, acc1 = b1;
    auto load = [&](int t) {
      return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base + off[t])));
    };
#pragma GCC unroll 16
    for (int p = 0; p < pairs; ++p) {
      const __m256i x0 = load(2 * p), x1 = load(2 * p + 1);
      acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1),
                                                      _mm256_loadu_si256(w + 2 * p)));
      acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1),
                                                      _mm256_loadu_si256(w + 2 * p + 1)));
    }
    if (T & 1) {
      const __m256i x0 = load(T - 1), x1 = _mm256_setzero_si256();
      acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1),
                                                      _mm256_loadu_si256(w + 2 * pairs)));
      acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1),
                                                      _mm256_loadu_si256(w + 2 * pairs + 1)));
    }
    store16(o, requantize16(acc0, acc1, rv, ov, lo8, hi8), count, count == kC);
  }
}

void dw_interior_any(int T, const int8_t* base, int row_pixels, int c, int kw, int stride_w,
                     const uint8_t* grp, int8_t* o, int n_out, int count, int32_t zp,
                     const GroupRequant& rv, const qs8_avx2::OutputVec& ov, __m128i lo8,
                     __m128i hi8) {
  if (T == 9)
    dw_interior<9>(base, row_pixels, c, kw, T, stride_w, grp, o, n_out, count, zp, rv, ov, lo8, hi8);
  else if (T == 25)
    dw_interior<25>(base, row_pixels, c, kw, T, stride_w, grp, o, n_out, count, zp, rv, ov, lo8,
                    hi8);
  else
    dw_interior<0>(base, row_pixels, c, kw, T, stride_w, grp, o, n_out, count, zp, rv, ov, lo8, hi8);
}

// One output row, one channel group (count channels from c0), columns [0, out_w).
template <bool kFull>
void dw_row_group(const ConvGeometry& g, const int8_t* in, const uint8_t* grp, int8_t* orow,
                  int c0, int count, int oy, const int8_t* zp16, __m256i vzp, int32_t zp,
                  const GroupRequant& rv, const qs8_avx2::OutputVec& ov, __m128i lo8,
                  __m128i hi8) {
  const int kh = g.kernel_h, kw = g.kernel_w, T = kh * kw;
  const int iy0 = oy * g.stride_h - g.pad_top;
  // Interior columns [ox_lo, ox_hi): ix0 = ox * stride - pad_left >= 0, ix0 + kw <= in_w.
  int ox_lo = g.out_w, ox_hi = g.out_w;
  if (kFull && T <= kMaxTaps && iy0 >= 0 && iy0 + kh <= g.in_h) {
    ox_lo = std::min(g.out_w, (g.pad_left + g.stride_w - 1) / g.stride_w);
    const int last = g.in_w - kw + g.pad_left;
    ox_hi = last < 0 ? ox_lo : std::max(ox_lo, std::min(g.out_w, last / g.stride_w + 1));
  }
  dw_border<kFull>(g, in, grp, orow, c0, count, oy, 0, ox_lo, zp16, vzp, rv, ov, lo8, hi8);
  if (ox_hi > ox_lo) {
    const int8_t* base =
        in + (size_t(iy0) * g.in_w + (ox_lo * g.stride_w - g.pad_left)) * g.in_c + c0;
    dw_interior_any(T, base, g.in_w, g.in_c, kw, g.stride_w, grp,
                    orow + size_t(ox_lo) * g.in_c + c0, ox_hi - ox_lo, kC, zp, rv, ov, lo8, hi8);
  }
  dw_border<kFull>(g, in, grp, orow, c0, count, oy, ox_hi, g.out_w, zp16, vzp, rv, ov, lo8, hi8);
}

}  // namespace

size_t qs8_dwconv_packed_bytes__avx2(int c, int kernel_h, int kernel_w) {
  return size_t((c + kC - 1) / kC) * group_bytes(kernel_h, kernel_w);
}

void qs8_dwconv_pack__avx2(int c, int kernel_h, int kernel_w, const int8_t* w_hwc,
                           const int32_t* bias, const QS8Requant& /*rq: unused*/, void* packed) {
  const int T = kernel_h * kernel_w, pairs = tap_pairs(kernel_h, kernel_w);
  uint8_t* p = static_cast<uint8_t*>(packed);
  for (int c0 = 0; c0 < c; c0 += kC, p += group_bytes(kernel_h, kernel_w)) {
    int32_t b[16];
    for (int v = 0; v < 2; ++v)
      for (int l = 0; l < 8; ++l) {
        const int ch = c0 + kLaneChannel[v][l];
        b[8 * v + l] = ch < c && bias ? bias[ch] : 0;
      }
    std::memcpy(p, b, sizeof(b));
    int16_t* w = reinterpret_cast<int16_t*>(p + 64);
    for (int q = 0; q < pairs; ++q)
      for (int v = 0; v < 2; ++v)
        for (int l = 0; l < 8; ++l)
          for (int s = 0; s < 2; ++s) {
            const int t = 2 * q + s, ch = c0 + kLaneChannel[v][l];
            w[(size_t(q) * 2 + v) * 16 + 2 * l + s] =
                t < T && ch < c ? int16_t(w_hwc[size_t(t) * c + ch]) : int16_t(0);
          }
  }
}

void qs8_dwconv_16c__avx2(const ConvGeometry& g, const int8_t* in, const void* packed,
                          int8_t* out, const QS8Requant& rq, int oy_begin, int oy_end) {
  const int c = g.in_c;
  alignas(16) int8_t zp16[16];
  std::memset(zp16, int8_t(rq.input_zero_point), sizeof(zp16));
  const __m256i vzp = _mm256_set1_epi16(int16_t(rq.input_zero_point));
  const qs8_avx2::OutputVec ov = qs8_avx2::output_vec(rq);
  const __m128i lo8 = _mm_set1_epi8(int8_t(rq.out_min)), hi8 = _mm_set1_epi8(int8_t(rq.out_max));
  const uint8_t* pk = static_cast<const uint8_t*>(packed);
  const size_t gbytes = group_bytes(g.kernel_h, g.kernel_w);
  const int64_t taps_bound = int64_t(g.kernel_h) * g.kernel_w * 128 * 255;
  // Requantization constants of each group, built once per call (per row beyond kMaxGroups).
  constexpr int kMaxGroups = 192;  // 3072 channels, beyond lite4's widest depthwise (1632)
  const int groups = (c + kC - 1) / kC;
  GroupRequant cached[kMaxGroups];
  auto group_requant = [&](int c0, GroupRequant& gr) {
    const int count = std::min(kC, c - c0);
    const int32_t* bias = reinterpret_cast<const int32_t*>(pk + size_t(c0 / kC) * gbytes);
    int64_t bound = 0;
    for (int l = 0; l < 16; ++l) bound = std::max<int64_t>(bound, std::abs(int64_t(bias[l])));
    gr.fast = qs8_avx2::fast_requant_ok(rq, c0, count, bound + taps_bound);
    if (gr.fast) {
      gr.fv[0] = qs8_avx2::fast_requant_vec(rq, c0, std::min(count, 8));
      gr.fv[1] = count > 8 ? qs8_avx2::fast_requant_vec(rq, c0 + 8, count - 8) : gr.fv[0];
    } else {
      gr.rv[0] = qs8_avx2::requant_vec(rq, c0, std::min(count, 8));
      gr.rv[1] = count > 8 ? qs8_avx2::requant_vec(rq, c0 + 8, count - 8) : gr.rv[0];
    }
  };
  if (groups <= kMaxGroups)
    for (int gi = 0; gi < groups; ++gi) group_requant(gi * kC, cached[gi]);
  // Padded band: the kernel_h input rows of one output row, padded with the zero point to
  // (out_w - 1) * stride_w + kernel_w columns (+ kC bytes of slack for the 16-byte loads of a
  // last partial group, whose extra lanes are never stored), so every column takes the
  // constant-offset interior loop. Used when it fits kBandBytes and every group's constants
  // are cached.
  constexpr size_t kBandBytes = 128 * 1024;  // lite4's 19x19x960 and 10x10x1632 5x5 layers fit
  const int T = g.kernel_h * g.kernel_w;
  const int band_w = (g.out_w - 1) * g.stride_w + g.kernel_w;
  const size_t band_row = size_t(band_w) * c;
  if (T <= kMaxTaps && groups <= kMaxGroups && size_t(g.kernel_h) * band_row + kC <= kBandBytes) {
    alignas(32) int8_t band[kBandBytes];
    const int valid_lo = std::min(band_w, g.pad_left);  // band columns before the input
    for (int oy = oy_begin; oy < oy_end; ++oy) {
      for (int ky = 0; ky < g.kernel_h; ++ky) {
        int8_t* brow = band + size_t(ky) * band_row;
        const int iy = oy * g.stride_h - g.pad_top + ky;
        if (iy < 0 || iy >= g.in_h) {
          std::memset(brow, int8_t(rq.input_zero_point), band_row);
          continue;
        }
        // band column b holds input column b - pad_left.
        const int hi = std::min(band_w, g.in_w + g.pad_left);
        std::memset(brow, int8_t(rq.input_zero_point), size_t(valid_lo) * c);
        if (hi > valid_lo)
          std::memcpy(brow + size_t(valid_lo) * c,
                      in + (size_t(iy) * g.in_w + (valid_lo - g.pad_left)) * c,
                      size_t(hi - valid_lo) * c);
        if (band_w > std::max(hi, valid_lo))
          std::memset(brow + size_t(std::max(hi, valid_lo)) * c, int8_t(rq.input_zero_point),
                      size_t(band_w - std::max(hi, valid_lo)) * c);
      }
      std::memset(band + size_t(g.kernel_h) * band_row, 0, kC);
      int8_t* orow = out + size_t(oy) * g.out_w * c;
      for (int c0 = 0; c0 < c; c0 += kC)
        dw_interior_any(T, band + c0, band_w, c, g.kernel_w, g.stride_w,
                        pk + size_t(c0 / kC) * gbytes, orow + c0, g.out_w, std::min(kC, c - c0),
                        rq.input_zero_point, cached[c0 / kC], ov, lo8, hi8);
    }
    return;
  }
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    int8_t* orow = out + size_t(oy) * g.out_w * c;
    for (int c0 = 0; c0 < c; c0 += kC) {
      const int count = std::min(kC, c - c0);
      GroupRequant local;
      const GroupRequant* gr = &local;
      if (groups <= kMaxGroups)
        gr = &cached[c0 / kC];
      else
        group_requant(c0, local);
      const uint8_t* grp = pk + size_t(c0 / kC) * gbytes;
      if (count == kC)
        dw_row_group<true>(g, in, grp, orow, c0, count, oy, zp16, vzp, rq.input_zero_point, *gr,
                           ov, lo8, hi8);
      else
        dw_row_group<false>(g, in, grp, orow, c0, count, oy, zp16, vzp, rq.input_zero_point, *gr,
                            ov, lo8, hi8);
    }
  }
}

}  // namespace elite
