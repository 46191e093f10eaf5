// AVX512-VNNI INT8 GEMM (1x1 stride-1 convolution): qs8_gemm_8x32c4__avx512vnni.
//   in [m][k] int8 (row stride k), out [m][n] int8 (row stride n).
//   packed: qs8_gemm_pack__vnni (src/kernels/qs8_vnni_gemm_pack.cpp): panels of 16 columns,
//   each bias[16], colsum[16] (sum over k of the column's weights), bound[16] (|acc| bounds),
//   then kp/4 groups (kp = k rounded up to 4) of 16 columns x 4 int8 weights. After the
//   panels (qs8_gemm_pack__avx512vnni), one PanelRequant per panel: its requantization
//   constants, made once from rq at pack time (making them took ~0.1 us per panel, ~9 us per
//   call of a 1152-column layer) and copied per panel pair at run time (no alignment needed).
// Arithmetic: vpdpbusd multiplies unsigned by signed bytes, so the input is offset to
// u = x + 128 (x ^ 0x80) and sum_k w (x - zp) = sum_k w u - (128 + zp) colsum. The kernel
// starts each accumulator at bias - (128 + zp) colsum and adds w u with vpdpbusd (4 products
// per lane, no saturation). Every step is an int32 addition that wraps, and the ref's sum is
// the same integer, so the accumulators equal the ref's exactly (mod 2^32, and the true value
// is an int32); the requantization epilogue of qs8_requant_avx512.h then matches bit for bit.
// Blocking: rows go in chunks whose u8 copy fits 64 KiB; within a chunk, each pair of panels
// (2 * 16 * k bytes, L1 for k up to ~1500) runs over all 8-row blocks of the chunk.
// Register tile: 8 rows x 32 columns = 16 zmm accumulators; per group of 4 k, 2 weight loads,
// 8 broadcasts and 16 vpdpbusd. An odd last panel runs an 8x16 tile; last rows, 1..7-row tiles.
// No over-reads of in, multiplier or shift; outputs past n_end untouched.
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels/avx512vnni/qs8_requant_avx512.h"
#include "kernels/qs8_microkernels.h"

namespace elite {
namespace {

constexpr int kNr = 16;
constexpr int kMr = 8;
constexpr int kChunkBytes = 65536;
constexpr int kHeader = 192;  // bias[16], colsum[16], bound[16]

inline int k4(int k) { return (k + 3) & ~3; }
inline size_t panel_bytes(int k) { return kHeader + 16 * size_t(k4(k)); }

// Per-column accumulator bounds of a panel, widened for fast_requant_ok().
void panel_bounds(const uint8_t* panel, int64_t* bound) {
  uint32_t b[kNr];
  std::memcpy(b, panel + 128, sizeof(b));
  for (int j = 0; j < kNr; ++j) bound[j] = b[j];
}

// One panel's requantization (fast when every valid column allows it) and the starting
// accumulator bias - (128 + zp) colsum (wrapping int32 arithmetic, see above).
struct PanelRequant {
  qs8_avx512::RequantVec rv;
  qs8_avx512::FastRequantVec fv;
  qs8_avx512::WideRequantVec wv;
  __m512i init;
  __mmask16 store_mask;
  bool fast, wide;  // fast: every column takes the fast form; wide: the wide one
};

PanelRequant panel_requant(const QS8Requant& rq, const uint8_t* panel, int c0, int cols) {
  PanelRequant p;
  int64_t bound[kNr];
  panel_bounds(panel, bound);
  p.fast = qs8_avx512::fast_requant_ok(rq, c0, cols, bound);
  // The general constants always (a pair with one slow panel runs both on them).
  p.rv = qs8_avx512::requant_vec(rq, c0, cols);
  if (p.fast) p.fv = qs8_avx512::fast_requant_vec(rq, c0, cols, bound);
  p.wide = qs8_avx512::wide_requant_ok(rq, c0, cols, bound);
  if (p.wide) p.wv = qs8_avx512::wide_requant_vec(rq, c0, cols);  // also for a fast panel: its pair may be wide
  const __m512i bias = _mm512_loadu_si512(panel);
  const __m512i colsum = _mm512_loadu_si512(panel + 64);
  p.init = _mm512_sub_epi32(
      bias, _mm512_mullo_epi32(colsum, _mm512_set1_epi32(128 + rq.input_zero_point)));
  p.store_mask = qs8_avx512::lane_mask(cols);
  return p;
}

// Rows of in as u = x ^ 0x80 into xb (row stride kp, zero pad at [k, kp)).
void offset_rows(const int8_t* in, int rows, int k, int kp, uint8_t* xb) {
  const __m512i flip = _mm512_set1_epi8(int8_t(0x80));
  for (int r = 0; r < rows; ++r) {
    const int8_t* x = in + size_t(r) * k;
    uint8_t* d = xb + size_t(r) * kp;
    int kk = 0;
    for (; kk + 64 <= k; kk += 64)
      _mm512_storeu_si512(d + kk, _mm512_xor_si512(_mm512_loadu_si512(x + kk), flip));
    if (kk < k) {
      const __mmask64 m = (uint64_t(1) << (k - kk)) - 1;  // k - kk < 64
      _mm512_mask_storeu_epi8(d + kk, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, x + kk), flip));
    }
    for (int p = k; p < kp; ++p) d[p] = 0;
  }
}

// Epilogue forms of a panel (pair): qs8_avx512::requant_form.
using qs8_avx512::kRqFast, qs8_avx512::kRqFastNoLeft, qs8_avx512::kRqGeneral, qs8_avx512::kRqWide;
using qs8_avx512::requant_form;

template <int kRq>
inline __m128i requant_row(__m512i acc, const PanelRequant& pr, const qs8_avx512::OutputVec& ov,
                           __m128i lo8, __m128i hi8) {
  // finish() already clamps; the clamp in pack16_clamp is then a no-op.
  const __m512i v = requant_form<kRq>(acc, pr, ov);
  return qs8_avx512::pack16_clamp(v, lo8, hi8);
}

// MR rows x NV panels (NV = 1 or 2, the second panel at panel0 + pbytes).
template <int MR, int NV, int kRq>
void gemm_tile(const uint8_t* xb, int kp, const uint8_t* panel0, size_t pbytes, int8_t* out,
               size_t ldo, const PanelRequant* pr, const qs8_avx512::OutputVec& ov, __m128i lo8,
               __m128i hi8) {
  __m512i acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = pr[v].init;
  const uint8_t* w0 = panel0 + kHeader;
  const uint8_t* w1 = w0 + pbytes;
  const int groups = kp / 4;
  for (int q = 0; q < groups; ++q) {
    __m512i wv[NV];
    wv[0] = _mm512_loadu_si512(w0 + 64 * size_t(q));
    if constexpr (NV == 2) wv[NV - 1] = _mm512_loadu_si512(w1 + 64 * size_t(q));
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      int32_t x4;
      std::memcpy(&x4, xb + size_t(r) * kp + 4 * size_t(q), 4);
      const __m512i x = _mm512_set1_epi32(x4);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], x, wv[v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    int8_t* o = out + size_t(r) * ldo;
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v)
      _mm_mask_storeu_epi8(o + 16 * v, pr[v].store_mask,
                           requant_row<kRq>(acc[r][v], pr[v], ov, lo8, hi8));
  }
}

// Requantizes and stores an 8x32 tile, acc[2 r + v] = row r, panel v (two rows at a time,
// qs8_avx512::pack_two_rows_clamp).
template <int kRq>
[[gnu::always_inline]] inline void epilogue_8x32(const __m512i* acc, int8_t* out, size_t ldo,
                                                 const PanelRequant* pr,
                                                 const qs8_avx512::OutputVec& ov, __m128i lo8,
                                                 __m128i hi8) {
  const __m512i lo = _mm512_broadcast_i32x4(lo8), hi = _mm512_broadcast_i32x4(hi8);
  const __mmask32 m = __mmask32(pr[0].store_mask) | (__mmask32(pr[1].store_mask) << 16);
#pragma GCC unroll 4
  for (int r = 0; r < 8; r += 2) {
    const __m512i v = qs8_avx512::pack_two_rows_clamp(
        requant_form<kRq>(acc[2 * r], pr[0], ov), requant_form<kRq>(acc[2 * r + 1], pr[1], ov),
        requant_form<kRq>(acc[2 * r + 2], pr[0], ov),
        requant_form<kRq>(acc[2 * r + 3], pr[1], ov), lo, hi);
    int8_t* o = out + size_t(r) * ldo;
    _mm256_mask_storeu_epi8(o, m, _mm512_castsi512_si256(v));
    _mm256_mask_storeu_epi8(o + ldo, m, _mm512_extracti64x4_epi64(v, 1));
  }
}

template <int kRq>
[[gnu::noinline]] void epilogue_8x32_call(const __m512i* acc, int8_t* out, size_t ldo,
                                          const PanelRequant* pr,
                                          const qs8_avx512::OutputVec& ov, __m128i lo8,
                                          __m128i hi8) {
  epilogue_8x32<kRq>(acc, out, ldo, pr, ov, lo8, hi8);
}

// Depths up to kInlineEpilogueK take the epilogue inline (kInline), deeper ones a call.
constexpr int kInlineEpilogueK = 256;

// The full 8x32 tile with its 16 accumulators in named variables: with an array, GCC
// copies them between registers and the stack on every iteration (about half the speed).
template <int kRq, bool kInline>
void gemm_tile_8x32(const uint8_t* xb, int kp, const uint8_t* panel0, size_t pbytes,
                    int8_t* out, size_t ldo, const PanelRequant* pr,
                    const qs8_avx512::OutputVec& ov, __m128i lo8, __m128i hi8) {
  const __m512i b0 = pr[0].init, b1 = pr[1].init;
  __m512i a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
  __m512i a40 = b0, a41 = b1, a50 = b0, a51 = b1, a60 = b0, a61 = b1, a70 = b0, a71 = b1;
  const uint8_t* w0 = panel0 + kHeader;
  const uint8_t* w1 = w0 + pbytes;
  const uint8_t* x = xb;
  const size_t s = size_t(kp);
  const int groups = kp / 4;
  for (int q = 0; q < groups; ++q, x += 4, w0 += 64, w1 += 64) {
    const __m512i v0 = _mm512_loadu_si512(w0), v1 = _mm512_loadu_si512(w1);
    __m512i xr;
#define ELITE_QS8_ROW(r, c0, c1)                                      \
  {                                                                   \
    int32_t x4;                                                       \
    std::memcpy(&x4, x + (r) * s, 4);                                 \
    xr = _mm512_set1_epi32(x4);                                       \
  }                                                                   \
  c0 = _mm512_dpbusd_epi32(c0, xr, v0);                               \
  c1 = _mm512_dpbusd_epi32(c1, xr, v1);
    ELITE_QS8_ROW(0, a00, a01)
    ELITE_QS8_ROW(1, a10, a11)
    ELITE_QS8_ROW(2, a20, a21)
    ELITE_QS8_ROW(3, a30, a31)
    ELITE_QS8_ROW(4, a40, a41)
    ELITE_QS8_ROW(5, a50, a51)
    ELITE_QS8_ROW(6, a60, a61)
    ELITE_QS8_ROW(7, a70, a71)
#undef ELITE_QS8_ROW
  }
  // Shallow tiles (K = 16..40 expansions and projections: a few k steps per 16 requantized
  // vectors) run the epilogue inline: 112x112 K=16 -> 96 140 -> 113 us, 140x140 K=24 -> 144
  // 381 -> 318 us. Deep ones call it on the accumulators in memory, which keeps GCC from
  // hoisting its constants into registers over the k loop (spilling accumulators there).
  alignas(64) __m512i acc[16] = {a00, a01, a10, a11, a20, a21, a30, a31,
                                 a40, a41, a50, a51, a60, a61, a70, a71};
  if constexpr (kInline)
    epilogue_8x32<kRq>(acc, out, ldo, pr, ov, lo8, hi8);
  else
    epilogue_8x32_call<kRq>(acc, out, ldo, pr, ov, lo8, hi8);
}

template <int NV, int kRq>
void gemm_tile_rows(int rows, const uint8_t* xb, int kp, const uint8_t* panel, size_t pbytes,
                    int8_t* out, size_t ldo, const PanelRequant* pr,
                    const qs8_avx512::OutputVec& ov, __m128i lo8, __m128i hi8) {
  switch (rows) {
#define ELITE_ROWS(R)                                                                      \
  case R:                                                                                  \
    gemm_tile<R, NV, kRq>(xb, kp, panel, pbytes, out, ldo, pr, ov, lo8, hi8);            \
    break;
    ELITE_ROWS(8) ELITE_ROWS(7) ELITE_ROWS(6) ELITE_ROWS(5)
    ELITE_ROWS(4) ELITE_ROWS(3) ELITE_ROWS(2) ELITE_ROWS(1)
#undef ELITE_ROWS
    default: break;
  }
}

// All row blocks of a chunk (rows, offset in xb) for one panel or a pair. kInline: see
// gemm_tile_8x32.
template <int NV, int kRq, bool kInline = false>
void gemm_panels(int rows, const uint8_t* xb, int kp, const uint8_t* panel, size_t pbytes,
                 int8_t* out, size_t ldo, const PanelRequant* pr,
                 const qs8_avx512::OutputVec& ov, __m128i lo8, __m128i hi8) {
  int r = 0;
  for (; r + kMr <= rows; r += kMr) {
    if constexpr (NV == 2)
      gemm_tile_8x32<kRq, kInline>(xb + size_t(r) * kp, kp, panel, pbytes,
                                   out + size_t(r) * ldo, ldo, pr, ov, lo8, hi8);
    else
      gemm_tile<kMr, NV, kRq>(xb + size_t(r) * kp, kp, panel, pbytes, out + size_t(r) * ldo,
                                ldo, pr, ov, lo8, hi8);
  }
  if (r < rows)
    gemm_tile_rows<NV, kRq>(rows - r, xb + size_t(r) * kp, kp, panel, pbytes,
                              out + size_t(r) * ldo, ldo, pr, ov, lo8, hi8);
}

template <int kRq>
[[gnu::noinline]] void deep_pair_panels(int rows, const uint8_t* xb, int kp,
                                        const uint8_t* panel, size_t pbytes, int8_t* out,
                                        size_t ldo, const PanelRequant* pr,
                                        const qs8_avx512::OutputVec& ov, __m128i lo8,
                                        __m128i hi8) {
  gemm_panels<2, kRq, false>(rows, xb, kp, panel, pbytes, out, ldo, pr, ov, lo8, hi8);
}

// A pair of panels. The code GCC makes is sensitive to where the tile lands: the shallow
// form is fastest inlined here, the deep one in a function of its own (inlined here too, it
// lost a quarter of its speed; 49x1152 -> 192 24 -> 32 us).
template <int kRq>
void pair_panels(int rows, const uint8_t* xb, int kp, const uint8_t* panel, size_t pbytes,
                 int8_t* out, size_t ldo, const PanelRequant* pr,
                 const qs8_avx512::OutputVec& ov, __m128i lo8, __m128i hi8) {
  if (kp <= kInlineEpilogueK)
    gemm_panels<2, kRq, true>(rows, xb, kp, panel, pbytes, out, ldo, pr, ov, lo8, hi8);
  else
    deep_pair_panels<kRq>(rows, xb, kp, panel, pbytes, out, ldo, pr, ov, lo8, hi8);
}

}  // namespace

size_t qs8_gemm_packed_bytes__avx512vnni(int n, int k) {
  return qs8_gemm_packed_bytes__vnni(n, k) + size_t((n + kNr - 1) / kNr) * sizeof(PanelRequant);
}

void qs8_gemm_pack__avx512vnni(int n, int k, const int8_t* w_nk, const int32_t* bias,
                               const QS8Requant& rq, void* packed) {
  qs8_gemm_pack__vnni(n, k, w_nk, bias, rq, packed);
  uint8_t* pk = static_cast<uint8_t*>(packed);
  uint8_t* consts = pk + qs8_gemm_packed_bytes__vnni(n, k);
  const size_t pbytes = panel_bytes(k);
  for (int c0 = 0; c0 < n; c0 += kNr) {
    const PanelRequant pr = panel_requant(rq, pk + size_t(c0 / kNr) * pbytes, c0, std::min(kNr, n - c0));
    std::memcpy(consts + size_t(c0 / kNr) * sizeof(PanelRequant), &pr, sizeof(pr));
  }
}

void qs8_gemm_8x32c4__avx512vnni(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                                 const int8_t* in, const void* packed, int8_t* out,
                                 const QS8Requant& rq) {
  if (m_begin >= m_end || n_begin >= n_end) return;
  const uint8_t* pk = static_cast<const uint8_t*>(packed);
  const int kp = k4(k);
  const size_t pbytes = panel_bytes(k);
  // A chunk holds at least one row block; very deep k (past every model layer) uses the heap.
  const int chunk = std::max(kMr, kChunkBytes / kp / kMr * kMr);
  alignas(64) uint8_t stack_buf[kChunkBytes];
  std::vector<uint8_t> heap_buf;
  uint8_t* xb = stack_buf;
  if (size_t(chunk) * kp > sizeof(stack_buf)) {
    heap_buf.resize(size_t(chunk) * kp);
    xb = heap_buf.data();
  }
  const qs8_avx512::OutputVec ov = qs8_avx512::output_vec(rq);
  const __m128i lo8 = _mm_set1_epi8(int8_t(rq.out_min)), hi8 = _mm_set1_epi8(int8_t(rq.out_max));
  const uint8_t* consts = pk + qs8_gemm_packed_bytes__vnni(n, k);
  for (int i0 = m_begin; i0 < m_end; i0 += chunk) {
    const int rows = std::min(chunk, m_end - i0);
    offset_rows(in + size_t(i0) * k, rows, k, kp, xb);
    for (int c0 = n_begin; c0 < n_end; c0 += 2 * kNr) {
      const uint8_t* panel = pk + size_t(c0 / kNr) * pbytes;
      int8_t* o = out + size_t(i0) * n + c0;
      // Columns past n_end within a panel exist only when n_end == n (n_begin and n_end are
      // multiples of 16 otherwise), so the pack-time constants and store masks apply as is.
      PanelRequant pr[2];
      const bool pair = c0 + kNr < n_end;
      std::memcpy(static_cast<void*>(pr), consts + size_t(c0 / kNr) * sizeof(PanelRequant),
                  (pair ? 2 : 1) * sizeof(PanelRequant));
      if (pair) {
        // One path for the pair: fast only when both panels allow it.
        if (pr[0].fast && pr[1].fast) {
          if (qs8_avx512::no_left_shift(pr[0].fv) && qs8_avx512::no_left_shift(pr[1].fv))
            pair_panels<kRqFastNoLeft>(rows, xb, kp, panel, pbytes, o, size_t(n), pr, ov, lo8, hi8);
          else
            pair_panels<kRqFast>(rows, xb, kp, panel, pbytes, o, size_t(n), pr, ov, lo8, hi8);
        } else if (pr[0].wide && pr[1].wide) {
          pair_panels<kRqWide>(rows, xb, kp, panel, pbytes, o, size_t(n), pr, ov, lo8, hi8);
        } else {
          pair_panels<kRqGeneral>(rows, xb, kp, panel, pbytes, o, size_t(n), pr, ov, lo8, hi8);
        }
      } else if (pr[0].fast) {
        gemm_panels<1, kRqFast>(rows, xb, kp, panel, pbytes, o, size_t(n), pr, ov, lo8, hi8);
      } else if (pr[0].wide) {
        gemm_panels<1, kRqWide>(rows, xb, kp, panel, pbytes, o, size_t(n), pr, ov, lo8, hi8);
      } else {
        gemm_panels<1, kRqGeneral>(rows, xb, kp, panel, pbytes, o, size_t(n), pr, ov, lo8, hi8);
      }
    }
  }
}

}  // namespace elite
