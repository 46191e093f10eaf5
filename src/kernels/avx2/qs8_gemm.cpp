// AVX2 INT8 GEMM (1x1 stride-1 convolution): qs8_gemm_6x16__avx2.
//   in [m][k] int8 (row stride k), out [m][n] int8 (row stride n).
//   packed: ceil(n/16) panels of 16 columns; panel p = bias[16] int32, then the bound
//   max |bias| + k * 128 * 255 of its accumulators as int64 (saturated to 2^62), 24 bytes of
//   padding, then kp/2 groups (kp = k rounded up to even) of 2 x 8 columns x 2 int16
//   weights: group q holds, for column c = 16p + j, the pair (w[c][2q], w[c][2q+1]) as int16
//   at int16 index 2j (columns 0-7 in the first 32 bytes, 8-15 in the next 32). Columns past
//   n and the odd k pad are 0. Panel bytes: 96 + 32 * kp.
// Arithmetic: vpmaddwd on int16 (x - input_zero_point) in [-255, 255] and int16 weights in
// [-128, 127]: each pair sum is at most 2 * 128 * 255 < 2^31 and is exact (vpmaddubsw is not
// used: its int16 pair sum can saturate for u8 x s8 operands). The int32 accumulator equals
// the ref's exactly (integer sums are order-independent; no overflow, see qs8_kernels.h),
// then the requantization epilogue of qs8_requant_avx2.h matches the ref bit for bit (its
// fast form when fast_requant_ok() holds for the panel, the general one otherwise).
// Blocking: rows go in chunks whose int16 copy (offset by -zp) fits a 64 KiB stack buffer
// (L1/L2); within a chunk, each panel (k * 32 bytes, in L1 for k up to ~900) runs over all
// 6-row blocks of the chunk, so the weights stream once per chunk and the requantization
// constants are built once per panel and chunk.
// Register tile: 6 rows x 16 columns = 12 ymm accumulators; per k pair, 2 weight loads and 6
// broadcasts of (x[2q], x[2q+1]). A last panel with <= 8 valid columns runs a 6x8 tile.
// k > kMaxK (beyond every EfficientNet-lite layer) takes a scalar path over the same packed
// layout. No over-reads of in, multiplier or shift; outputs past n_end untouched.
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels/avx2/qs8_requant_avx2.h"
#include "kernels/qs8_microkernels.h"
#include "quant/requantize.h"

namespace elite {
namespace {

constexpr int kNr = 16;
constexpr int kMr = 6;
constexpr int kMaxK = 4096;
constexpr int kChunkElems = 32768;  // int16 elements of the row-chunk buffer (64 KiB)
constexpr int kHeader = 96;         // panel header bytes: bias[16], int64 bound, padding

inline int even_k(int k) { return (k + 1) & ~1; }
inline size_t panel_bytes(int k) { return kHeader + 32 * size_t(even_k(k)); }

int64_t panel_bound(const uint8_t* panel) {
  int64_t b;
  std::memcpy(&b, panel + 64, sizeof(b));
  return b;
}

// The requantization of one panel: fast when every valid column allows it.
struct PanelRequant {
  bool fast;
  qs8_avx2::RequantVec rv[2];
  qs8_avx2::FastRequantVec fv[2];
};

PanelRequant panel_requant(const QS8Requant& rq, int c0, int cols, int64_t bound) {
  PanelRequant p;
  p.fast = qs8_avx2::fast_requant_ok(rq, c0, cols, bound);
  const int n0 = std::min(cols, 8), n1 = cols - n0;
  if (p.fast) {
    p.fv[0] = qs8_avx2::fast_requant_vec(rq, c0, n0);
    p.fv[1] = n1 > 0 ? qs8_avx2::fast_requant_vec(rq, c0 + 8, n1) : p.fv[0];
  } else {
    p.rv[0] = qs8_avx2::requant_vec(rq, c0, n0);
    p.rv[1] = n1 > 0 ? qs8_avx2::requant_vec(rq, c0 + 8, n1) : p.rv[0];
  }
  return p;
}

// Rows of in, offset by -zp and widened to int16, into xb (row stride kp, zero pad at k).
void widen_rows(const int8_t* in, int rows, int k, int kp, int32_t zp, int16_t* xb) {
  const __m256i vzp = _mm256_set1_epi16(int16_t(zp));
  for (int r = 0; r < rows; ++r) {
    const int8_t* x = in + size_t(r) * k;
    int16_t* d = xb + size_t(r) * kp;
    int kk = 0;
    for (; kk + 16 <= k; kk += 16) {
      const __m256i v =
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + kk)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + kk), _mm256_sub_epi16(v, vzp));
    }
    for (; kk < k; ++kk) d[kk] = int16_t(int32_t(x[kk]) - zp);
    if (kp != k) d[k] = 0;
  }
}

inline void store_cols(int8_t* o, __m128i b, int cols) {
  if (cols == 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), b);
  } else if (cols == 8) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o), b);
  } else {
    alignas(16) int8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), b);
    std::memcpy(o, tmp, size_t(cols));
  }
}

template <int MR, int NV, bool kFast>
void gemm_tile(const int16_t* xb, int kp, const uint8_t* panel, int8_t* out, size_t ldo, int cols,
               const PanelRequant& pr, const qs8_avx2::OutputVec& ov, __m128i lo8,
               __m128i hi8) {
  __m256i acc[MR][NV];
  for (int v = 0; v < NV; ++v) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel) + v);
    for (int r = 0; r < MR; ++r) acc[r][v] = b;
  }
  const __m256i* w = reinterpret_cast<const __m256i*>(panel + kHeader);
  const int pairs = kp / 2;
  for (int q = 0; q < pairs; ++q, w += 2) {
    __m256i wv[NV];
    for (int v = 0; v < NV; ++v) wv[v] = _mm256_loadu_si256(w + v);
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      const __m256i x = _mm256_broadcastd_epi32(_mm_loadu_si32(xb + size_t(r) * kp + 2 * q));
      for (int v = 0; v < NV; ++v)
        acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(x, wv[v]));
    }
  }
  for (int r = 0; r < MR; ++r) {
    int8_t* o = out + size_t(r) * ldo;
    __m256i v0, v1;
    if constexpr (kFast) {
      v0 = qs8_avx2::fast_requant(acc[r][0], pr.fv[0]);
      v1 = NV == 2 ? qs8_avx2::fast_requant(acc[r][NV - 1], pr.fv[1]) : v0;
    } else {
      // finish() already clamps; the clamp in pack16_clamp is then a no-op.
      v0 = qs8_avx2::finish(acc[r][0], pr.rv[0], ov);
      v1 = NV == 2 ? qs8_avx2::finish(acc[r][NV - 1], pr.rv[1], ov) : v0;
    }
    store_cols(o, qs8_avx2::pack16_clamp(v0, v1, lo8, hi8), cols);
  }
}

// The full 6x16 tile with its 12 accumulators in named variables: with an array, GCC keeps
// them on the stack in this loop (a load and a store per vpmaddwd, half the speed).
template <bool kFast>
void gemm_tile_6x16(const int16_t* xb, int kp, const uint8_t* panel, int8_t* out, size_t ldo,
                    int cols, const PanelRequant& pr, const qs8_avx2::OutputVec& ov, __m128i lo8,
                    __m128i hi8) {
  const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel));
  const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel) + 1);
  __m256i a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1;
  __m256i a30 = b0, a31 = b1, a40 = b0, a41 = b1, a50 = b0, a51 = b1;
  const __m256i* w = reinterpret_cast<const __m256i*>(panel + kHeader);
  const int32_t* x0 = reinterpret_cast<const int32_t*>(xb);
  const int32_t* x1 = reinterpret_cast<const int32_t*>(xb + kp);
  const int32_t* x2 = reinterpret_cast<const int32_t*>(xb + 2 * size_t(kp));
  const int32_t* x3 = reinterpret_cast<const int32_t*>(xb + 3 * size_t(kp));
  const int32_t* x4 = reinterpret_cast<const int32_t*>(xb + 4 * size_t(kp));
  const int32_t* x5 = reinterpret_cast<const int32_t*>(xb + 5 * size_t(kp));
  const int pairs = kp / 2;
  for (int q = 0; q < pairs; ++q, w += 2) {
    const __m256i w0 = _mm256_loadu_si256(w), w1 = _mm256_loadu_si256(w + 1);
    __m256i x;
#define ELITE_QS8_ROW(xr, c0, c1)                              \
  x = _mm256_set1_epi32(xr[q]);                                \
  c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(x, w0));         \
  c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(x, w1));
    ELITE_QS8_ROW(x0, a00, a01)
    ELITE_QS8_ROW(x1, a10, a11)
    ELITE_QS8_ROW(x2, a20, a21)
    ELITE_QS8_ROW(x3, a30, a31)
    ELITE_QS8_ROW(x4, a40, a41)
    ELITE_QS8_ROW(x5, a50, a51)
#undef ELITE_QS8_ROW
  }
  const __m256i acc[6][2] = {{a00, a01}, {a10, a11}, {a20, a21},
                             {a30, a31}, {a40, a41}, {a50, a51}};
  for (int r = 0; r < 6; ++r) {
    __m256i v0, v1;
    if constexpr (kFast) {
      v0 = qs8_avx2::fast_requant(acc[r][0], pr.fv[0]);
      v1 = qs8_avx2::fast_requant(acc[r][1], pr.fv[1]);
    } else {
      v0 = qs8_avx2::finish(acc[r][0], pr.rv[0], ov);
      v1 = qs8_avx2::finish(acc[r][1], pr.rv[1], ov);
    }
    store_cols(out + size_t(r) * ldo, qs8_avx2::pack16_clamp(v0, v1, lo8, hi8), cols);
  }
}

template <int NV, bool kFast>
void gemm_tile_rows(int rows, const int16_t* xb, int kp, const uint8_t* panel, int8_t* out,
                    size_t ldo, int cols, const PanelRequant& pr, const qs8_avx2::OutputVec& ov,
                    __m128i lo8, __m128i hi8) {
  switch (rows) {
    case 6: gemm_tile<6, NV, kFast>(xb, kp, panel, out, ldo, cols, pr, ov, lo8, hi8); break;
    case 5: gemm_tile<5, NV, kFast>(xb, kp, panel, out, ldo, cols, pr, ov, lo8, hi8); break;
    case 4: gemm_tile<4, NV, kFast>(xb, kp, panel, out, ldo, cols, pr, ov, lo8, hi8); break;
    case 3: gemm_tile<3, NV, kFast>(xb, kp, panel, out, ldo, cols, pr, ov, lo8, hi8); break;
    case 2: gemm_tile<2, NV, kFast>(xb, kp, panel, out, ldo, cols, pr, ov, lo8, hi8); break;
    default: gemm_tile<1, NV, kFast>(xb, kp, panel, out, ldo, cols, pr, ov, lo8, hi8); break;
  }
}

// All 6-row blocks of a chunk (rows, widened in xb) for one panel.
template <int NV, bool kFast>
void gemm_panel(int rows, const int16_t* xb, int kp, const uint8_t* panel, int8_t* out,
                size_t ldo, int cols, const PanelRequant& pr, const qs8_avx2::OutputVec& ov,
                __m128i lo8, __m128i hi8) {
  int r = 0;
  for (; r + kMr <= rows; r += kMr) {
    if constexpr (NV == 2)
      gemm_tile_6x16<kFast>(xb + size_t(r) * kp, kp, panel, out + size_t(r) * ldo, ldo, cols, pr,
                            ov, lo8, hi8);
    else
      gemm_tile<kMr, NV, kFast>(xb + size_t(r) * kp, kp, panel, out + size_t(r) * ldo, ldo,
                                cols, pr, ov, lo8, hi8);
  }
  if (r < rows)
    gemm_tile_rows<NV, kFast>(rows - r, xb + size_t(r) * kp, kp, panel, out + size_t(r) * ldo,
                              ldo, cols, pr, ov, lo8, hi8);
}

// k > kMaxK: the same sums in scalar code over the packed panels.
void gemm_scalar(int m_begin, int m_end, int n_begin, int n_end, int n, int k, const int8_t* in,
                 const uint8_t* packed, int8_t* out, const QS8Requant& rq) {
  const int kp = even_k(k);
  for (int i = m_begin; i < m_end; ++i) {
    const int8_t* x = in + size_t(i) * k;
    for (int j = n_begin; j < n_end; ++j) {
      const uint8_t* panel = packed + size_t(j / kNr) * panel_bytes(k);
      const int c = j % kNr;
      int32_t acc;
      std::memcpy(&acc, panel + 4 * c, 4);
      const int16_t* w = reinterpret_cast<const int16_t*>(panel + kHeader);
      for (int kk = 0; kk < k; ++kk) {
        const int16_t wv = w[size_t(kk / 2) * 32 + 2 * c + (kk & 1)];
        acc += int32_t(wv) * (int32_t(x[kk]) - rq.input_zero_point);
      }
      int32_t v = multiply_by_quantized_multiplier(acc, rq.multiplier[j], rq.shift[j]);
      v += rq.output_zero_point;
      out[size_t(i) * n + j] = int8_t(std::min(std::max(v, rq.out_min), rq.out_max));
    }
  }
  (void)kp;
}

}  // namespace

size_t qs8_gemm_packed_bytes__avx2(int n, int k) {
  return size_t((n + kNr - 1) / kNr) * panel_bytes(k);
}

void qs8_gemm_pack__avx2(int n, int k, const int8_t* w_nk, const int32_t* bias,
                         const QS8Requant& /*rq: unused*/, void* packed) {
  const int kp = even_k(k);
  uint8_t* p = static_cast<uint8_t*>(packed);
  for (int c0 = 0; c0 < n; c0 += kNr, p += panel_bytes(k)) {
    int32_t b[kNr] = {};
    for (int j = 0; j < kNr && c0 + j < n; ++j) b[j] = bias ? bias[c0 + j] : 0;
    std::memcpy(p, b, sizeof(b));
    int64_t bound = 0;
    for (int j = 0; j < kNr; ++j) bound = std::max<int64_t>(bound, std::abs(int64_t(b[j])));
    bound = std::min<int64_t>(bound + int64_t(k) * 128 * 255, int64_t(1) << 62);
    std::memset(p + 64, 0, kHeader - 64);
    std::memcpy(p + 64, &bound, sizeof(bound));
    int16_t* w = reinterpret_cast<int16_t*>(p + kHeader);
    std::memset(w, 0, size_t(kp) * 32);
    for (int j = 0; j < kNr && c0 + j < n; ++j)
      for (int kk = 0; kk < k; ++kk)
        w[size_t(kk / 2) * 32 + 2 * j + (kk & 1)] = w_nk[size_t(c0 + j) * k + kk];
  }
}

void qs8_gemm_6x16__avx2(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                         const int8_t* in, const void* packed, int8_t* out, const QS8Requant& rq) {
  const uint8_t* pk = static_cast<const uint8_t*>(packed);
  if (m_begin >= m_end || n_begin >= n_end) return;
  if (k > kMaxK) {
    gemm_scalar(m_begin, m_end, n_begin, n_end, n, k, in, pk, out, rq);
    return;
  }
  const int kp = even_k(k);
  alignas(32) int16_t xb[kChunkElems];
  const qs8_avx2::OutputVec ov = qs8_avx2::output_vec(rq);
  const __m128i lo8 = _mm_set1_epi8(int8_t(rq.out_min)), hi8 = _mm_set1_epi8(int8_t(rq.out_max));
  const size_t pbytes = panel_bytes(k);
  const int chunk = std::max(kMr, kChunkElems / kp / kMr * kMr);
  for (int i0 = m_begin; i0 < m_end; i0 += chunk) {
    const int rows = std::min(chunk, m_end - i0);
    widen_rows(in + size_t(i0) * k, rows, k, kp, rq.input_zero_point, xb);
    for (int c0 = n_begin; c0 < n_end; c0 += kNr) {
      const int cols = std::min(kNr, n_end - c0);
      const uint8_t* panel = pk + size_t(c0 / kNr) * pbytes;
      int8_t* o = out + size_t(i0) * n + c0;
      const PanelRequant pr = panel_requant(rq, c0, cols, panel_bound(panel));
      if (cols > 8) {
        if (pr.fast)
          gemm_panel<2, true>(rows, xb, kp, panel, o, size_t(n), cols, pr, ov, lo8, hi8);
        else
          gemm_panel<2, false>(rows, xb, kp, panel, o, size_t(n), cols, pr, ov, lo8, hi8);
      } else {
        if (pr.fast)
          gemm_panel<1, true>(rows, xb, kp, panel, o, size_t(n), cols, pr, ov, lo8, hi8);
        else
          gemm_panel<1, false>(rows, xb, kp, panel, o, size_t(n), cols, pr, ov, lo8, hi8);
      }
    }
  }
}

}  // namespace elite
