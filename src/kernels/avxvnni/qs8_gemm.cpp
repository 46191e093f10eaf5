// AVX-VNNI INT8 GEMM (1x1 stride-1 convolution) for CPUs with the VEX-encoded vpdpbusd but no
// AVX-512 (Alder Lake and later client cores, Zen 5 without AVX-512 enabled):
// qs8_gemm_6x16c4__avxvnni.
//   in [m][k] int8 (row stride k), out [m][n] int8 (row stride n).
//   packed: the layout of the avx512vnni GEMM (src/kernels/avx512vnni/qs8_gemm.cpp): panels of
//   16 columns, each bias[16], colsum[16], bound[16] (192 bytes), then kp/4 groups of 64 bytes
//   (column j's 4 weights at bytes 4j..4j+3), here read as two ymm of 8 columns.
// Arithmetic as there: u = x ^ 0x80 = x + 128 enters vpdpbusd unsigned, accumulators start at
// bias - (128 + zp) colsum, so they end at the ref's int32 sum exactly (wrapping additions of
// the same integer); the epilogue is qs8_requant_avx2.h (its fast form when the panel's
// largest accumulator bound allows it for every column), bit-exact with the ref.
// Register tile: 6 rows x 16 columns = 12 ymm accumulators, per group of 4 k 2 weight loads,
// 6 broadcasts and 12 vpdpbusd. Rows go in chunks whose u8 copy fits 64 KiB; last rows run
// 1..5-row tiles; a partial last panel is stored through a 16-byte buffer (no over-writes).
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/avx2/qs8_requant_avx2.h"
#include "kernels/qs8_microkernels.h"

namespace elite {
namespace {

constexpr int kNr = 16;
constexpr int kMr = 6;
constexpr int kChunkBytes = 65536;
constexpr int kHeader = 192;  // as the avx512vnni packing

inline int k4(int k) { return (k + 3) & ~3; }

struct Half {  // one 8-column half of a panel
  qs8_avx2::RequantVec rv;
  qs8_avx2::FastRequantVec fv;
  __m256i init;
};

struct PanelRq {
  Half h[2];
  int cols;
  bool fast;
};

PanelRq panel_rq(const QS8Requant& rq, const uint8_t* panel, int c0, int cols) {
  PanelRq p;
  p.cols = cols;
  uint32_t bound[kNr];
  std::memcpy(bound, panel + 128, sizeof(bound));
  int64_t max_bound = 0;
  for (int j = 0; j < cols; ++j) max_bound = std::max<int64_t>(max_bound, bound[j]);
  p.fast = max_bound < (int64_t(1) << 31) && qs8_avx2::fast_requant_ok(rq, c0, cols, max_bound);
  const __m256i zp128 = _mm256_set1_epi32(128 + rq.input_zero_point);
  for (int half = 0; half < 2; ++half) {
    const int count = std::clamp(cols - 8 * half, 0, 8);
    Half& h = p.h[half];
    h.rv = qs8_avx2::requant_vec(rq, c0 + 8 * half, count);
    if (p.fast) h.fv = qs8_avx2::fast_requant_vec(rq, c0 + 8 * half, count);
    const __m256i bias = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + 32 * half));
    const __m256i colsum =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + 64 + 32 * half));
    h.init = _mm256_sub_epi32(bias, _mm256_mullo_epi32(colsum, zp128));
  }
  return p;
}

// Rows of in as u = x ^ 0x80 into xb (row stride kp, zero pad at [k, kp)).
void offset_rows(const int8_t* in, int rows, int k, int kp, uint8_t* xb) {
  const __m256i flip = _mm256_set1_epi8(int8_t(0x80));
  for (int r = 0; r < rows; ++r) {
    const int8_t* x = in + size_t(r) * k;
    uint8_t* d = xb + size_t(r) * kp;
    int kk = 0;
    for (; kk + 32 <= k; kk += 32)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + kk),
                          _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + kk)), flip));
    for (; kk < k; ++kk) d[kk] = uint8_t(x[kk] ^ 0x80);
    for (int p = k; p < kp; ++p) d[p] = 0;
  }
}

template <bool kFast>
inline __m256i requant8(__m256i acc, const Half& h, const qs8_avx2::OutputVec& ov) {
  return kFast ? qs8_avx2::fast_requant(acc, h.fv) : qs8_avx2::finish(acc, h.rv, ov);
}

template <bool kFast>
inline void store_row(int8_t* o, __m256i a0, __m256i a1, const PanelRq& p,
                      const qs8_avx2::OutputVec& ov, __m128i lo8, __m128i hi8) {
  const __m128i bytes = qs8_avx2::pack16_clamp(requant8<kFast>(a0, p.h[0], ov),
                                               requant8<kFast>(a1, p.h[1], ov), lo8, hi8);
  if (p.cols == kNr) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), bytes);
  } else {
    alignas(16) int8_t buf[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(buf), bytes);
    std::memcpy(o, buf, size_t(p.cols));
  }
}

// MR rows x 16 columns. Accumulators in an array: GCC keeps them in registers when every
// loop over them is fully unrolled.
template <int MR, bool kFast>
void gemm_tile(const uint8_t* xb, int kp, const uint8_t* panel, int8_t* out, size_t ldo,
               const PanelRq& p, const qs8_avx2::OutputVec& ov, __m128i lo8, __m128i hi8) {
  __m256i acc0[MR], acc1[MR];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) acc0[r] = p.h[0].init, acc1[r] = p.h[1].init;
  const uint8_t* w = panel + kHeader;
  const int groups = kp / 4;
  for (int q = 0; q < groups; ++q, w += 64) {
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32));
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      int32_t x4;
      std::memcpy(&x4, xb + size_t(r) * kp + 4 * size_t(q), 4);
      const __m256i x = _mm256_set1_epi32(x4);
      acc0[r] = _mm256_dpbusd_avx_epi32(acc0[r], x, w0);
      acc1[r] = _mm256_dpbusd_avx_epi32(acc1[r], x, w1);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
    store_row<kFast>(out + size_t(r) * ldo, acc0[r], acc1[r], p, ov, lo8, hi8);
}

template <bool kFast>
void gemm_panel(int rows, const uint8_t* xb, int kp, const uint8_t* panel, int8_t* out,
                size_t ldo, const PanelRq& p, const qs8_avx2::OutputVec& ov, __m128i lo8,
                __m128i hi8) {
  int r = 0;
  for (; r + kMr <= rows; r += kMr)
    gemm_tile<kMr, kFast>(xb + size_t(r) * kp, kp, panel, out + size_t(r) * ldo, ldo, p, ov, lo8, hi8);
  const uint8_t* x = xb + size_t(r) * kp;
  int8_t* o = out + size_t(r) * ldo;
  switch (rows - r) {
    case 5: gemm_tile<5, kFast>(x, kp, panel, o, ldo, p, ov, lo8, hi8); break;
    case 4: gemm_tile<4, kFast>(x, kp, panel, o, ldo, p, ov, lo8, hi8); break;
    case 3: gemm_tile<3, kFast>(x, kp, panel, o, ldo, p, ov, lo8, hi8); break;
    case 2: gemm_tile<2, kFast>(x, kp, panel, o, ldo, p, ov, lo8, hi8); break;
    case 1: gemm_tile<1, kFast>(x, kp, panel, o, ldo, p, ov, lo8, hi8); break;
    default: break;
  }
}

}  // namespace

void qs8_gemm_6x16c4__avxvnni(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                              const int8_t* in, const void* packed, int8_t* out,
                              const QS8Requant& rq) {
  if (m_begin >= m_end || n_begin >= n_end) return;
  const uint8_t* pk = static_cast<const uint8_t*>(packed);
  const int kp = k4(k);
  const size_t pbytes = kHeader + 16 * size_t(kp);
  const int chunk = std::max(kMr, kChunkBytes / kp / kMr * kMr);
  alignas(32) uint8_t stack_buf[kChunkBytes];
  std::vector<uint8_t> heap_buf;
  uint8_t* xb = stack_buf;
  if (size_t(chunk) * kp > sizeof(stack_buf)) {
    heap_buf.resize(size_t(chunk) * kp);
    xb = heap_buf.data();
  }
  const qs8_avx2::OutputVec ov = qs8_avx2::output_vec(rq);
  const __m128i lo8 = _mm_set1_epi8(int8_t(rq.out_min)), hi8 = _mm_set1_epi8(int8_t(rq.out_max));
  for (int i0 = m_begin; i0 < m_end; i0 += chunk) {
    const int rows = std::min(chunk, m_end - i0);
    offset_rows(in + size_t(i0) * k, rows, k, kp, xb);
    for (int c0 = n_begin; c0 < n_end; c0 += kNr) {
      const uint8_t* panel = pk + size_t(c0 / kNr) * pbytes;
      const PanelRq p = panel_rq(rq, panel, c0, std::min(kNr, n_end - c0));
      int8_t* o = out + size_t(i0) * n + c0;
      if (p.fast)
        gemm_panel<true>(rows, xb, kp, panel, o, size_t(n), p, ov, lo8, hi8);
      else
        gemm_panel<false>(rows, xb, kp, panel, o, size_t(n), p, ov, lo8, hi8);
    }
  }
}

}  // namespace elite
