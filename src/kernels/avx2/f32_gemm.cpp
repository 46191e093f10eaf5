// AVX2+FMA FP32 GEMM (1x1 convolution / fully connected): 6x16 register tile.
// in [m][k], out [m][n] (row strides k and n).
// packed: ceil(n/16) panels of 16 columns; panel p = bias[16] then w[k][16] (k-major),
// columns past n zero. The tile keeps 6 rows x 16 columns in 12 ymm accumulators and,
// per k step, loads 2 weight vectors and broadcasts 6 inputs (12 FMAs). A last panel with
// at most 8 valid columns (n = 24, 40, 1000, ...) runs a 6x8 tile instead.
// Determinism: every output element is acc = bias; acc = fma(in[kk], w[kk], acc) for kk in
// order, whether computed by the 6-row tile or the 1..5-row remainder tiles.
// No over-reads; the last panel's columns past n are stored with masks.
#include <immintrin.h>

#include <cassert>
#include <cstdint>

#include "kernels/f32_microkernels.h"

namespace elite {
namespace {

constexpr int kNr = 16;
constexpr int kMr = 6;

alignas(32) const int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// Lanes [0, count) set, count in [0, 8].
inline __m256i lane_mask(int count) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 8 - count));
}

// Rows [0, MR) of one panel, NV vectors of 8 columns (NV = 1 when the last panel has at
// most 8 valid columns: no work on the zero half). a points at row 0 of in, out at (row 0,
// first column of the panel); cols = valid columns of the panel (1..16).
// prefetch: when not null, the matching line of the next panel (one line per k step) is
// fetched into L2, so the next panel's weights arrive while this one computes.
template <int MR, int NV>
inline void gemm_tile(const float* a, size_t lda, int k, const float* panel, float* out, size_t ldo,
                      int cols, __m256 vmin, __m256 vmax, const float* prefetch = nullptr) {
  __m256 acc[MR][NV];
#pragma GCC unroll 6
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_loadu_ps(panel + 8 * v);
  const float* w = panel + kNr;
  for (int kk = 0; kk < k; ++kk, w += kNr) {
    if (prefetch) _mm_prefetch(reinterpret_cast<const char*>(prefetch + size_t(kk) * kNr), _MM_HINT_T1);
    __m256 wv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) wv[v] = _mm256_loadu_ps(w + 8 * v);
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      const __m256 x = _mm256_broadcast_ss(a + r * lda + kk);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(x, wv[v], acc[r][v]);
    }
  }
  if (cols == 8 * NV) {
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v)
        _mm256_storeu_ps(out + r * ldo + 8 * v,
                         _mm256_min_ps(_mm256_max_ps(acc[r][v], vmin), vmax));
  } else {
    __m256i mask[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      const int left = cols - 8 * v;
      mask[v] = lane_mask(left < 0 ? 0 : left > 8 ? 8 : left);
    }
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v)
        _mm256_maskstore_ps(out + r * ldo + 8 * v, mask[v],
                            _mm256_min_ps(_mm256_max_ps(acc[r][v], vmin), vmax));
  }
}

// Rows [mc, mc_end) of one panel: 6-row tiles, then one 1..5-row tile.
// next_panel: the panel that follows (prefetched during the first tile), or nullptr.
template <int NV>
void gemm_panel_rows(int mc, int mc_end, int n, int k, const float* in, const float* panel,
                     float* out, int cols, __m256 vmin, __m256 vmax, const float* next_panel) {
  const float* a = in + size_t(mc) * k;
  float* o = out + size_t(mc) * n;
  int i = mc;
  if (next_panel && i + kMr <= mc_end) {
    gemm_tile<kMr, NV>(a, k, k, panel, o, n, cols, vmin, vmax, next_panel + kNr);
    i += kMr, a += kMr * size_t(k), o += kMr * size_t(n);
  }
  for (; i + kMr <= mc_end; i += kMr, a += kMr * size_t(k), o += kMr * size_t(n))
    gemm_tile<kMr, NV>(a, k, k, panel, o, n, cols, vmin, vmax);
  switch (mc_end - i) {
    case 5:
      gemm_tile<5, NV>(a, k, k, panel, o, n, cols, vmin, vmax);
      break;
    case 4:
      gemm_tile<4, NV>(a, k, k, panel, o, n, cols, vmin, vmax);
      break;
    case 3:
      gemm_tile<3, NV>(a, k, k, panel, o, n, cols, vmin, vmax);
      break;
    case 2:
      gemm_tile<2, NV>(a, k, k, panel, o, n, cols, vmin, vmax);
      break;
    case 1:
      gemm_tile<1, NV>(a, k, k, panel, o, n, cols, vmin, vmax);
      break;
    default:
      break;
  }
}

}  // namespace

size_t f32_gemm_packed_floats__avx2(int n, int k) {
  const size_t panels = (size_t(n) + kNr - 1) / kNr;
  return panels * kNr * (size_t(k) + 1);
}

void f32_gemm_pack__avx2(int n, int k, const float* w_nk, const float* bias, float* packed) {
  const int panels = (n + kNr - 1) / kNr;
  for (int p = 0; p < panels; ++p) {
    float* dst = packed + size_t(p) * kNr * (size_t(k) + 1);
    for (int j = 0; j < kNr; ++j) {
      const int col = p * kNr + j;
      dst[j] = col < n && bias ? bias[col] : 0.0f;
      for (int kk = 0; kk < k; ++kk)
        dst[kNr * (kk + 1) + j] = col < n ? w_nk[size_t(col) * k + kk] : 0.0f;
    }
  }
}

void f32_gemm_6x16__avx2(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                         const float* in, const float* packed, float* out, float out_min,
                         float out_max) {
  if (m_begin >= m_end || n_begin >= n_end) return;
  assert(n_begin % kNr == 0 && (n_end % kNr == 0 || n_end == n) && n_end <= n);
  const __m256 vmin = _mm256_set1_ps(out_min), vmax = _mm256_set1_ps(out_max);
  const size_t panel_floats = kNr * (size_t(k) + 1);
  const int p_begin = n_begin / kNr, p_end = (n_end + kNr - 1) / kNr;
  // Rows in chunks whose inputs (chunk * k floats) stay in L2 while every panel of the range
  // streams past them; a panel (k * 64 bytes) stays in L1/L2 across the chunk's tiles.
  int chunk = (192 * 1024 / 4) / (k > 0 ? k : 1);
  chunk = chunk < kMr ? kMr : chunk - chunk % kMr;
  for (int mc = m_begin; mc < m_end; mc += chunk) {
    const int mc_end = m_end - mc < chunk ? m_end : mc + chunk;
    for (int p = p_begin; p < p_end; ++p) {
      const float* panel = packed + size_t(p) * panel_floats;
      const int col0 = p * kNr;
      const int cols = n_end - col0 < kNr ? n_end - col0 : kNr;
      const float* next = p + 1 < p_end ? panel + panel_floats : nullptr;
      if (cols > 8)
        gemm_panel_rows<2>(mc, mc_end, n, k, in, panel, out + col0, cols, vmin, vmax, next);
      else
        gemm_panel_rows<1>(mc, mc_end, n, k, in, panel, out + col0, cols, vmin, vmax, next);
    }
  }
}

}  // namespace elite
