// AVX512-VNNI INT8 general convolution (the stem: 3x3 stride 2, in_c 3, out_c 32):
// qs8_conv_8x32c4__avx512vnni.
//   in [in_h][in_w][in_c] int8, out [out_h][out_w][out_c] int8 (NHWC, batch 1).
//   packed: bias[ocp] int32, colsum[ocp] int32 (ocp = out_c rounded up to 16; colsum[c] = the
//   sum of channel c's T = kernel_h * kernel_w * in_c weights), then ocp/16 panels of 16
//   channels, each tp/4 groups of 64 bytes (tp = T rounded up to a multiple of 4): group q
//   holds w[16p + j][4q..4q+3] (taps in (ky, kx, ic) order) at bytes 4j..4j+3. Channels past
//   out_c and the taps [T, tp) have weight 0. Bytes: 8 * ocp + ocp * tp.
// Arithmetic: vpdpbusd multiplies unsigned by signed bytes, so the input enters as
// u = x + 128 (x ^ 0x80) and sum w (x - zp) = sum w u - (128 + zp) colsum: accumulators start
// at bias - (128 + zp) colsum and add w u, 4 products per lane, without saturation. colsum
// covers all T taps, so a tap outside the input (skipped by the ref) enters as u = zp + 128,
// whose products cancel its share of the colsum term exactly. Every step is a wrapping int32
// addition of exact products, so the accumulators equal the ref's (bias added last, also
// wrapping) mod 2^32, i.e. exactly; the epilogue of qs8_requant_avx512.h then matches the ref
// bit for bit (its fast form for the 16 channels of a panel when each |bias| + T * 128 * 255
// allows it; the choice depends on the weights and rq only, never on the row range).
// Blocking: the output pixels of the row range, flattened (rows are contiguous in out), go in
// chunks whose u8 patches (tp bytes per pixel, the taps in packed order) fit 16 KiB; very deep
// T takes the heap. A chunk's patches are all written before any is read, so the broadcasts
// never wait on the row copies still in the store buffer. Per chunk, each pair of panels runs
// 8-pixel x 32-channel tiles: 16 zmm accumulators; per group of 4 taps 2 weight loads, 8
// patch broadcasts and 16 vpdpbusd. Tails: 1..7 pixels, a last single panel. Input rows are
// copied with masked loads (no over-reads); multiplier and shift are read for channels
// < out_c only; outputs outside rows [oy_begin, oy_end) and channels past out_c are untouched.
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels/avx512vnni/qs8_requant_avx512.h"
#include "kernels/qs8_microkernels.h"

namespace elite {
namespace {

constexpr int kTileM = 8;            // pixels per register tile
constexpr int kChunkBytes = 16384;   // patch buffer on the stack
constexpr int kSlack = 64;           // writable bytes past the last patch (build_patches)

inline int round4(int x) { return (x + 3) & ~3; }
inline int round16(int x) { return (x + 15) & ~15; }

// Bytes [0, n) set, n in [0, 64].
inline __mmask64 byte_mask(int n) {
  return n >= 64 ? ~__mmask64(0) : (__mmask64(1) << n) - 1;
}

// d[0, n) = s[0, n) ^ 0x80 (signed -> offset unsigned), reading nothing past s + n.
inline void copy_offset(uint8_t* d, const int8_t* s, int n, __m512i flip) {
  for (; n >= 64; n -= 64, s += 64, d += 64)
    _mm512_storeu_si512(d, _mm512_xor_si512(_mm512_loadu_si512(s), flip));
  if (n > 0) {
    const __mmask64 m = byte_mask(n);
    _mm512_mask_storeu_epi8(d, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, s), flip));
  }
}

inline void fill(uint8_t* d, int n, __m512i v) {
  for (; n >= 64; n -= 64, d += 64) _mm512_storeu_si512(d, v);
  if (n > 0) _mm512_mask_storeu_epi8(d, byte_mask(n), v);
}

// Patches of the output pixels [p0, p0 + count) (p = oy * out_w + ox), tp bytes apart into
// dst, which has kSlack bytes past the last patch. Bytes [T, tp) of a patch may hold any
// (initialized) value: their weights are 0.
void build_patches(const ConvGeometry& g, const int8_t* in, int p0, int count, int tp,
                   uint8_t* dst, __m512i upad) {
  const int in_c = g.in_c, kh = g.kernel_h, kw = g.kernel_w;
  const int row_taps = kw * in_c;
  const size_t in_row = size_t(g.in_w) * in_c;
  const size_t in_bytes = size_t(g.in_h) * in_row;
  const __m512i flip = _mm512_set1_epi8(int8_t(0x80));
  const __m128i flip16 = _mm512_castsi512_si128(flip);
  int oy = p0 / g.out_w, ox = p0 % g.out_w;
  for (int i = 0; i < count; ++i, dst += tp) {
    const int iy0 = oy * g.stride_h - g.pad_top, ix0 = ox * g.stride_w - g.pad_left;
    if (++ox == g.out_w) ox = 0, ++oy;
    if (iy0 >= 0 && iy0 + kh <= g.in_h && ix0 >= 0 && ix0 + kw <= g.in_w) {
      const size_t first = size_t(iy0) * in_row + size_t(ix0) * in_c;
      const int8_t* s = in + first;
      if (row_taps <= 16 && first + (kh - 1) * in_row + 16 <= in_bytes) {
        // One 16-byte load per kernel row, inside the input. Rows are stored in order, each
        // over the previous one's excess; the last one's excess (at most 16 - row_taps bytes
        // past T) lands in the pad taps, the next patch (written after) or the slack.
        for (int ky = 0; ky < kh; ++ky, s += in_row)
          _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + ky * row_taps),
                           _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s)),
                                         flip16));
      } else {
        for (int ky = 0; ky < kh; ++ky, s += in_row)
          copy_offset(dst + ky * row_taps, s, row_taps, flip);
      }
      continue;
    }
    // Taps outside the input read as x = zp (u = zp + 128), see the header.
    const int kx_lo = std::clamp(-ix0, 0, kw), kx_hi = std::clamp(g.in_w - ix0, 0, kw);
    for (int ky = 0; ky < kh; ++ky) {
      uint8_t* d = dst + ky * row_taps;
      const int iy = iy0 + ky;
      if (iy < 0 || iy >= g.in_h || kx_lo >= kx_hi) {
        fill(d, row_taps, upad);
        continue;
      }
      fill(d, kx_lo * in_c, upad);
      copy_offset(d + kx_lo * in_c, in + size_t(iy) * in_row + size_t(ix0 + kx_lo) * in_c,
                  (kx_hi - kx_lo) * in_c, flip);
      fill(d + kx_hi * in_c, (kw - kx_hi) * in_c, upad);
    }
  }
}

// One panel's starting accumulators and requantization constants.
struct PanelRq {
  qs8_avx512::FastRequantVec fv;
  qs8_avx512::WideRequantVec wv;
  qs8_avx512::RequantVec rv;
  __m512i init;
  __mmask16 mask;
  bool fast, wide;  // every channel takes the fast / the wide form
};

// Epilogue forms (qs8_requant_avx512.h).
constexpr int kRqGeneral = 0, kRqFast = 1, kRqWide = 2;

PanelRq panel_rq(const QS8Requant& rq, const int32_t* bias, const int32_t* colsum, int c0,
                 int count, int T) {
  PanelRq p;
  // |acc| <= |bias| + T * 128 * 255 per channel (the stem's panels are few: no packed bounds).
  int64_t bound[16];
  for (int j = 0; j < count; ++j) bound[j] = std::abs(int64_t(bias[c0 + j])) + int64_t(T) * 128 * 255;
  p.fast = qs8_avx512::fast_requant_ok(rq, c0, count, bound);
  if (p.fast) p.fv = qs8_avx512::fast_requant_vec(rq, c0, count, bound);
  p.wide = qs8_avx512::wide_requant_ok(rq, c0, count, bound);
  if (p.wide) p.wv = qs8_avx512::wide_requant_vec(rq, c0, count);
  // Always: a pair whose other panel is not fast runs the general form on both.
  p.rv = qs8_avx512::requant_vec(rq, c0, count);
  p.init = _mm512_sub_epi32(
      _mm512_loadu_si512(bias + c0),
      _mm512_mullo_epi32(_mm512_loadu_si512(colsum + c0),
                         _mm512_set1_epi32(128 + rq.input_zero_point)));
  p.mask = qs8_avx512::lane_mask(count);
  return p;
}

struct Epilogue {
  qs8_avx512::OutputVec ov;
  __m512i lo8, hi8;  // out_min, out_max as bytes
};

// acc0/acc1 += the 4 patch bytes at p (broadcast) times the weights of panels 0 and 1.
template <int NV>
inline void dp_pixel(__m512i& acc0, __m512i& acc1, const uint8_t* p, __m512i w0, __m512i w1) {
  int32_t x4;
  std::memcpy(&x4, p, sizeof(x4));
  const __m512i x = _mm512_set1_epi32(x4);
  acc0 = _mm512_dpbusd_epi32(acc0, x, w0);
  if constexpr (NV == 2) acc1 = _mm512_dpbusd_epi32(acc1, x, w1);
}

// Requantizes pixels r (a: panel 0, b: panel 1) and r + 1 (c, d) and stores them (rows = 1:
// pixel r only, packed twice). The four vectors pack into one (pack_two_rows_clamp).
template <int NV, int kRq>
inline void store_pixels(int rows, __m512i a, __m512i b, __m512i c, __m512i d, const PanelRq* pr,
                         const Epilogue& e, int8_t* o, size_t ldo, __mmask32 m, bool whole) {
  auto rq = [&](__m512i acc, const PanelRq& p) {
    if constexpr (kRq == kRqFast) return qs8_avx512::fast_requant(acc, p.fv);
    else if constexpr (kRq == kRqWide) return qs8_avx512::wide_requant(acc, p.wv);
    else return qs8_avx512::finish(acc, p.rv, e.ov);
  };
  __m512i rb = _mm512_setzero_si512(), rd = rb;  // the absent second panel (NV == 1)
  if constexpr (NV == 2) {
    rb = rq(b, pr[1]);
    if (rows == 2) rd = rq(d, pr[1]);
  }
  const __m512i ra = rq(a, pr[0]);
  const __m512i rc = rows == 2 ? rq(c, pr[0]) : ra;
  if (rows != 2) rd = rb;
  const __m512i v = qs8_avx512::pack_two_rows_clamp(ra, rb, rc, rd, e.lo8, e.hi8);
  if (rows == 2 && whole) {  // 32 channels, out_c == 32: both pixels are 64 contiguous bytes
    _mm512_storeu_si512(o, v);
    return;
  }
  _mm256_mask_storeu_epi8(o, m, _mm512_castsi512_si256(v));
  if (rows == 2) _mm256_mask_storeu_epi8(o + ldo, m, _mm512_extracti64x4_epi64(v, 1));
}

// Requantizes and stores 8 pixels x 2 panels, acc[2 r + v] = pixel r, panel v.
template <int kRq>
[[gnu::noinline]] void store_tile_8x32(const __m512i* acc, const PanelRq* pr, const Epilogue& e,
                                       int8_t* out, size_t ldo) {
  const __mmask32 m = __mmask32(pr[0].mask) | (__mmask32(pr[1].mask) << 16);
  const bool whole = m == ~__mmask32(0) && ldo == 32;
#pragma GCC unroll 4
  for (int r = 0; r < 8; r += 2)
    store_pixels<2, kRq>(2, acc[2 * r], acc[2 * r + 1], acc[2 * r + 2], acc[2 * r + 3], pr, e,
                         out + size_t(r) * ldo, ldo, m, whole);
}

// MR pixels (patches tp bytes apart) x NV panels (the second pbytes after w). Named
// accumulators: GCC keeps them in registers, where an array costs a register copy per
// accumulator and group. Rows past MR and the second panel when NV == 1 are dead code.
template <int MR, int NV, int kRq>
void conv_tile(const uint8_t* patch, size_t tp, const uint8_t* w, size_t pbytes, int groups,
               int8_t* out, size_t ldo, const PanelRq* pr, const Epilogue& e) {
  static_assert(MR >= 1 && MR <= 8 && (NV == 1 || NV == 2));
  const __m512i i0 = pr[0].init, i1 = NV == 2 ? pr[1].init : _mm512_setzero_si512();
  __m512i a0 = i0, b0 = i1, a1 = i0, b1 = i1, a2 = i0, b2 = i1, a3 = i0, b3 = i1;
  __m512i a4 = i0, b4 = i1, a5 = i0, b5 = i1, a6 = i0, b6 = i1, a7 = i0, b7 = i1;
  const uint8_t* w1 = w + (NV == 2 ? pbytes : 0);
  for (int q = 0; q < groups; ++q, patch += 4, w += 64, w1 += 64) {
    const __m512i w0v = _mm512_loadu_si512(w);
    const __m512i w1v = NV == 2 ? _mm512_loadu_si512(w1) : w0v;
    dp_pixel<NV>(a0, b0, patch, w0v, w1v);
    if constexpr (MR > 1) dp_pixel<NV>(a1, b1, patch + tp, w0v, w1v);
    if constexpr (MR > 2) dp_pixel<NV>(a2, b2, patch + 2 * tp, w0v, w1v);
    if constexpr (MR > 3) dp_pixel<NV>(a3, b3, patch + 3 * tp, w0v, w1v);
    if constexpr (MR > 4) dp_pixel<NV>(a4, b4, patch + 4 * tp, w0v, w1v);
    if constexpr (MR > 5) dp_pixel<NV>(a5, b5, patch + 5 * tp, w0v, w1v);
    if constexpr (MR > 6) dp_pixel<NV>(a6, b6, patch + 6 * tp, w0v, w1v);
    if constexpr (MR > 7) dp_pixel<NV>(a7, b7, patch + 7 * tp, w0v, w1v);
  }
  if constexpr (MR == 8 && NV == 2) {
    // Full tiles: the epilogue out of line, as the GEMM's (qs8_gemm.cpp): inlined, its
    // constants compete with the accumulators for registers over the k loop.
    alignas(64) __m512i acc[16] = {a0, b0, a1, b1, a2, b2, a3, b3, a4, b4, a5, b5, a6, b6, a7, b7};
    store_tile_8x32<kRq>(acc, pr, e, out, ldo);
    return;
  }
  const __mmask32 m = __mmask32(pr[0].mask) | (NV == 2 ? __mmask32(pr[1].mask) << 16 : 0);
  const bool whole = m == ~__mmask32(0) && ldo == 32;
  store_pixels<NV, kRq>(MR > 1 ? 2 : 1, a0, b0, a1, b1, pr, e, out, ldo, m, whole);
  if constexpr (MR > 2)
    store_pixels<NV, kRq>(MR > 3 ? 2 : 1, a2, b2, a3, b3, pr, e, out + 2 * ldo, ldo, m, whole);
  if constexpr (MR > 4)
    store_pixels<NV, kRq>(MR > 5 ? 2 : 1, a4, b4, a5, b5, pr, e, out + 4 * ldo, ldo, m, whole);
  if constexpr (MR > 6)
    store_pixels<NV, kRq>(MR > 7 ? 2 : 1, a6, b6, a7, b7, pr, e, out + 6 * ldo, ldo, m, whole);
}

// All pixels of a chunk for one panel or a pair.
template <int NV, int kRq>
void conv_panels(int pixels, const uint8_t* patches, size_t tp, const uint8_t* w, size_t pbytes,
                 int8_t* out, size_t ldo, const PanelRq* pr, const Epilogue& e) {
  const int groups = int(tp / 4);
  int r = 0;
  for (; r + kTileM <= pixels; r += kTileM)
    conv_tile<kTileM, NV, kRq>(patches + r * tp, tp, w, pbytes, groups, out + r * ldo, ldo, pr, e);
  const uint8_t* pt = patches + r * tp;
  int8_t* o = out + r * ldo;
  switch (pixels - r) {
    case 7: conv_tile<7, NV, kRq>(pt, tp, w, pbytes, groups, o, ldo, pr, e); break;
    case 6: conv_tile<6, NV, kRq>(pt, tp, w, pbytes, groups, o, ldo, pr, e); break;
    case 5: conv_tile<5, NV, kRq>(pt, tp, w, pbytes, groups, o, ldo, pr, e); break;
    case 4: conv_tile<4, NV, kRq>(pt, tp, w, pbytes, groups, o, ldo, pr, e); break;
    case 3: conv_tile<3, NV, kRq>(pt, tp, w, pbytes, groups, o, ldo, pr, e); break;
    case 2: conv_tile<2, NV, kRq>(pt, tp, w, pbytes, groups, o, ldo, pr, e); break;
    case 1: conv_tile<1, NV, kRq>(pt, tp, w, pbytes, groups, o, ldo, pr, e); break;
    default: break;
  }
}

}  // namespace

size_t qs8_conv_packed_bytes__avx512vnni(int out_c, int kernel_h, int kernel_w, int in_c) {
  const size_t ocp = size_t(round16(out_c));
  return 8 * ocp + ocp * size_t(round4(kernel_h * kernel_w * in_c));
}

void qs8_conv_pack__avx512vnni(int out_c, int kernel_h, int kernel_w, int in_c,
                               const int8_t* w_ohwi, const int32_t* bias, void* packed) {
  const int T = kernel_h * kernel_w * in_c, tp = round4(T), ocp = round16(out_c);
  int32_t* b = static_cast<int32_t*>(packed);
  int32_t* colsum = b + ocp;
  int8_t* w = reinterpret_cast<int8_t*>(colsum + ocp);
  std::memset(w, 0, size_t(ocp) * tp);
  for (int oc = 0; oc < ocp; ++oc) {
    b[oc] = oc < out_c && bias ? bias[oc] : 0;
    colsum[oc] = 0;
    if (oc >= out_c) continue;
    int8_t* panel = w + size_t(oc / 16) * 16 * tp;
    for (int t = 0; t < T; ++t) {
      const int8_t v = w_ohwi[size_t(oc) * T + t];
      colsum[oc] += v;
      panel[size_t(t / 4) * 64 + 4 * (oc % 16) + (t % 4)] = v;
    }
  }
}

void qs8_conv_8x32c4__avx512vnni(const ConvGeometry& g, const int8_t* in, const void* packed,
                                 int8_t* out, const QS8Requant& rq, int oy_begin, int oy_end) {
  const int out_c = g.out_c;
  if (oy_begin >= oy_end || g.out_w <= 0 || out_c <= 0) return;
  const int T = g.kernel_h * g.kernel_w * g.in_c, tp = round4(T), ocp = round16(out_c);
  const int32_t* bias = static_cast<const int32_t*>(packed);
  const int32_t* colsum = bias + ocp;
  const uint8_t* wp = reinterpret_cast<const uint8_t*>(colsum + ocp);
  const size_t pbytes = 16 * size_t(tp);

  const int chunk = std::max(kTileM, kChunkBytes / tp / kTileM * kTileM);
  alignas(64) uint8_t stack_buf[kChunkBytes + kSlack];
  std::vector<uint8_t> heap_buf;
  uint8_t* buf = stack_buf;
  if (size_t(chunk) * tp > kChunkBytes) {
    heap_buf.resize(size_t(chunk) * tp + kSlack);
    buf = heap_buf.data();
  }
  const int p_begin = oy_begin * g.out_w, p_end = oy_end * g.out_w;
  // The pad taps [T, tp) of every patch slot, which build_patches may leave unwritten: 0, so
  // that no uninitialized byte is read (their weights are 0 anyway).
  if (tp > T)
    for (int i = 0, n = std::min(chunk, p_end - p_begin); i < n; ++i)
      std::memset(buf + size_t(i) * tp + T, 0, size_t(tp - T));

  const __m512i upad = _mm512_set1_epi8(int8_t(uint8_t(rq.input_zero_point + 128)));
  Epilogue e;
  e.ov = qs8_avx512::output_vec(rq);
  e.lo8 = _mm512_set1_epi8(int8_t(rq.out_min));
  e.hi8 = _mm512_set1_epi8(int8_t(rq.out_max));
  const size_t ldo = size_t(out_c);
  // Panel constants once per call (not per chunk).
  const int npanels = ocp / 16;
  std::vector<PanelRq> prs(static_cast<size_t>(npanels));
  for (int p = 0; p < npanels; ++p)
    prs[size_t(p)] = panel_rq(rq, bias, colsum, 16 * p, std::min(16, out_c - 16 * p), T);
  for (int p0 = p_begin; p0 < p_end; p0 += chunk) {
    const int pixels = std::min(chunk, p_end - p0);
    build_patches(g, in, p0, pixels, tp, buf, upad);
    for (int c0 = 0; c0 < out_c; c0 += 32) {
      const uint8_t* w = wp + size_t(c0 / 16) * pbytes;
      int8_t* o = out + size_t(p0) * ldo + c0;
      const PanelRq* pr = &prs[size_t(c0 / 16)];
      if (c0 + 16 < out_c) {
        if (pr[0].fast && pr[1].fast)
          conv_panels<2, kRqFast>(pixels, buf, tp, w, pbytes, o, ldo, pr, e);
        else if (pr[0].wide && pr[1].wide)
          conv_panels<2, kRqWide>(pixels, buf, tp, w, pbytes, o, ldo, pr, e);
        else
          conv_panels<2, kRqGeneral>(pixels, buf, tp, w, pbytes, o, ldo, pr, e);
      } else if (pr[0].fast) {
        conv_panels<1, kRqFast>(pixels, buf, tp, w, pbytes, o, ldo, pr, e);
      } else if (pr[0].wide) {
        conv_panels<1, kRqWide>(pixels, buf, tp, w, pbytes, o, ldo, pr, e);
      } else {
        conv_panels<1, kRqGeneral>(pixels, buf, tp, w, pbytes, o, ldo, pr, e);
      }
    }
  }
}

}  // namespace elite
