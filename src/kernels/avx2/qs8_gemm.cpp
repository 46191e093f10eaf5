// AVX2 INT8 GEMM (1x1 stride-1 convolution): qs8_gemm_6x16__avx2.
//   in [m][k] int8 (row stride k), out [m][n] int8 (row stride n).
//   packed: ceil(n/16) panels of 16 columns; panel p = bias[16] int32, then kp/2 groups
//   (kp = k rounded up to even) of 2 x 8 columns x 2 int16 weights: group q holds, for
//   column c = 16p + j, the pair (w[c][2q], w[c][2q+1]) as int16 at int16 index 2j (columns
//   0-7 in the first 32 bytes, 8-15 in the next 32). Columns past n and the odd k pad are 0.
//   Panel bytes: 64 + 32 * kp.
// Arithmetic: vpmaddwd on int16 (x - input_zero_point) in [-255, 255] and int16 weights in
// [-128, 127]: each pair sum is at most 2 * 128 * 255 < 2^31 and is exact (vpmaddubsw is not
// used: its int16 pair sum can saturate for u8 x s8 operands). The int32 accumulator equals
// the ref's exactly (integer sums are order-independent; no overflow, see qs8_kernels.h),
// then the requantization epilogue of qs8_requant_avx2.h matches the ref bit for bit.
// Register tile: 6 rows x 16 columns = 12 ymm accumulators; per k pair, 2 weight loads and 6
// broadcasts of (x[2q], x[2q+1]) from a stack copy of the 6 rows already offset and widened
// to int16 (6 x kMaxK x 2 bytes = 48 KiB of stack). A last panel with <= 8 valid columns runs
// a 6x8 tile. k > kMaxK (beyond every EfficientNet-lite layer) takes a scalar path over the
// same packed layout. No over-reads of in, multiplier or shift; outputs past n_end untouched.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/avx2/qs8_requant_avx2.h"
#include "kernels/qs8_microkernels.h"
#include "quant/requantize.h"

namespace elite {
namespace {

constexpr int kNr = 16;
constexpr int kMr = 6;
constexpr int kMaxK = 4096;

inline int even_k(int k) { return (k + 1) & ~1; }
inline size_t panel_bytes(int k) { return 64 + 32 * size_t(even_k(k)); }

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

template <int MR, int NV>
void gemm_tile(const int16_t* xb, int kp, const uint8_t* panel, int8_t* out, size_t ldo, int cols,
               const qs8_avx2::RequantVec* rv, const qs8_avx2::OutputVec& ov) {
  __m256i acc[MR][NV];
  for (int v = 0; v < NV; ++v) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel) + v);
    for (int r = 0; r < MR; ++r) acc[r][v] = b;
  }
  const __m256i* w = reinterpret_cast<const __m256i*>(panel + 64);
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
    if constexpr (NV == 2) {
      const __m128i b = qs8_avx2::pack16(qs8_avx2::finish(acc[r][0], rv[0], ov),
                                         qs8_avx2::finish(acc[r][1], rv[1], ov));
      if (cols == 16) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o), b);
      } else {
        alignas(16) int8_t tmp[16];
        _mm_store_si128(reinterpret_cast<__m128i*>(tmp), b);
        std::memcpy(o, tmp, size_t(cols));
      }
    } else {
      const __m128i b = qs8_avx2::pack8(qs8_avx2::finish(acc[r][0], rv[0], ov));
      if (cols == 8) {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(o), b);
      } else {
        alignas(16) int8_t tmp[16];
        _mm_store_si128(reinterpret_cast<__m128i*>(tmp), b);
        std::memcpy(o, tmp, size_t(cols));
      }
    }
  }
}

template <int NV>
void gemm_tile_rows(int rows, const int16_t* xb, int kp, const uint8_t* panel, int8_t* out,
                    size_t ldo, int cols, const qs8_avx2::RequantVec* rv,
                    const qs8_avx2::OutputVec& ov) {
  switch (rows) {
    case 6: gemm_tile<6, NV>(xb, kp, panel, out, ldo, cols, rv, ov); break;
    case 5: gemm_tile<5, NV>(xb, kp, panel, out, ldo, cols, rv, ov); break;
    case 4: gemm_tile<4, NV>(xb, kp, panel, out, ldo, cols, rv, ov); break;
    case 3: gemm_tile<3, NV>(xb, kp, panel, out, ldo, cols, rv, ov); break;
    case 2: gemm_tile<2, NV>(xb, kp, panel, out, ldo, cols, rv, ov); break;
    default: gemm_tile<1, NV>(xb, kp, panel, out, ldo, cols, rv, ov); break;
  }
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
      const int16_t* w = reinterpret_cast<const int16_t*>(panel + 64);
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

void qs8_gemm_pack__avx2(int n, int k, const int8_t* w_nk, const int32_t* bias, void* packed) {
  const int kp = even_k(k);
  uint8_t* p = static_cast<uint8_t*>(packed);
  for (int c0 = 0; c0 < n; c0 += kNr, p += panel_bytes(k)) {
    int32_t b[kNr] = {};
    for (int j = 0; j < kNr && c0 + j < n; ++j) b[j] = bias ? bias[c0 + j] : 0;
    std::memcpy(p, b, sizeof(b));
    int16_t* w = reinterpret_cast<int16_t*>(p + 64);
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
  alignas(32) int16_t xb[kMr * kMaxK];
  const qs8_avx2::OutputVec ov = qs8_avx2::output_vec(rq);
  const size_t pbytes = panel_bytes(k);
  for (int i0 = m_begin; i0 < m_end; i0 += kMr) {
    const int rows = std::min(kMr, m_end - i0);
    widen_rows(in + size_t(i0) * k, rows, k, kp, rq.input_zero_point, xb);
    for (int c0 = n_begin; c0 < n_end; c0 += kNr) {
      const int cols = std::min(kNr, n_end - c0);
      const uint8_t* panel = pk + size_t(c0 / kNr) * pbytes;
      int8_t* o = out + size_t(i0) * n + c0;
      qs8_avx2::RequantVec rv[2];
      rv[0] = qs8_avx2::requant_vec(rq, c0, std::min(cols, 8));
      if (cols > 8) {
        rv[1] = qs8_avx2::requant_vec(rq, c0 + 8, cols - 8);
        gemm_tile_rows<2>(rows, xb, kp, panel, o, size_t(n), cols, rv, ov);
      } else {
        gemm_tile_rows<1>(rows, xb, kp, panel, o, size_t(n), cols, rv, ov);
      }
    }
  }
}

}  // namespace elite
