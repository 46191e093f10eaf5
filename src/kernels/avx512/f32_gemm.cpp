// AVX-512F FP32 GEMM (1x1 convolution / fully connected): 8x32 register tile.
// in [m][k], out [m][n] (row strides k and n).
// packed: ceil(n/32) panels of 32 columns; panel p = bias[32] then w[k][32] (k-major),
// columns past n zero. The tile keeps 8 rows x 32 columns in 16 zmm accumulators and,
// per k step, loads 2 weight vectors and broadcasts 8 inputs (16 FMAs). A last panel with
// at most 16 valid columns (n = 40, 80, 1000, ...) runs an 8x16 tile instead.
// Determinism: every output element is acc = bias; acc = fma(in[kk], w[kk], acc) for kk in
// order, whether computed by the 8-row tile or the 1..7-row remainder tiles.
// No over-reads; the last panel's columns past n are stored with write masks.
// GCC 12's _mm512_min_ps/_mm512_max_ps pass an _mm512_undefined_ps() that trips
// -Wuninitialized inside avx512fintrin.h (a header false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cassert>
#include <cstdint>

#include "kernels/f32_microkernels.h"

namespace elite {
namespace {

constexpr int kNr = 32;
constexpr int kMr = 8;

// Lanes [0, count) set, count in [0, 16].
inline __mmask16 lane_mask(int count) {
  return count >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << count) - 1u);
}

// Rows [0, MR) of one panel, NV vectors of 16 columns (NV = 1 when the last panel has at
// most 16 valid columns). a points at row 0 of in, out at (row 0, first column of the
// panel); cols = valid columns of the panel (1..32).
template <int MR, int NV>
inline void gemm_tile(const float* a, size_t lda, int k, const float* panel, float* out, size_t ldo,
                      int cols, __m512 vmin, __m512 vmax) {
  __m512 acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_loadu_ps(panel + 16 * v);
  const float* w = panel + kNr;
  for (int kk = 0; kk < k; ++kk, w += kNr) {
    __m512 wv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) wv[v] = _mm512_loadu_ps(w + 16 * v);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m512 x = _mm512_set1_ps(a[r * lda + kk]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(x, wv[v], acc[r][v]);
    }
  }
  __mmask16 mask[NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) mask[v] = lane_mask(cols - 16 * v < 0 ? 0 : cols - 16 * v);
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v)
      _mm512_mask_storeu_ps(out + r * ldo + 16 * v, mask[v],
                            _mm512_min_ps(_mm512_max_ps(acc[r][v], vmin), vmax));
}

// Rows [mc, mc_end) of one panel: 8-row tiles, then one 1..7-row tile.
template <int NV>
void gemm_panel_rows(int mc, int mc_end, int n, int k, const float* in, const float* panel,
                     float* out, int cols, __m512 vmin, __m512 vmax) {
  const float* a = in + size_t(mc) * k;
  float* o = out + size_t(mc) * n;
  int i = mc;
  for (; i + kMr <= mc_end; i += kMr, a += kMr * size_t(k), o += kMr * size_t(n))
    gemm_tile<kMr, NV>(a, k, k, panel, o, n, cols, vmin, vmax);
  switch (mc_end - i) {
    case 7:
      gemm_tile<7, NV>(a, k, k, panel, o, n, cols, vmin, vmax);
      break;
    case 6:
      gemm_tile<6, NV>(a, k, k, panel, o, n, cols, vmin, vmax);
      break;
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

size_t f32_gemm_packed_floats__avx512(int n, int k) {
  const size_t panels = (size_t(n) + kNr - 1) / kNr;
  return panels * kNr * (size_t(k) + 1);
}

void f32_gemm_pack__avx512(int n, int k, const float* w_nk, const float* bias, float* packed) {
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

void f32_gemm_8x32__avx512(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                           const float* in, const float* packed, float* out, float out_min,
                           float out_max) {
  if (m_begin >= m_end || n_begin >= n_end) return;
  assert(n_begin % kNr == 0 && (n_end % kNr == 0 || n_end == n) && n_end <= n);
  const __m512 vmin = _mm512_set1_ps(out_min), vmax = _mm512_set1_ps(out_max);
  const size_t panel_floats = kNr * (size_t(k) + 1);
  const int p_begin = n_begin / kNr, p_end = (n_end + kNr - 1) / kNr;
  // Rows in chunks whose inputs stay in L2 while the panels of the range stream past them.
  int chunk = (256 * 1024 / 4) / (k > 0 ? k : 1);
  chunk = chunk < kMr ? kMr : chunk - chunk % kMr;
  for (int mc = m_begin; mc < m_end; mc += chunk) {
    const int mc_end = m_end - mc < chunk ? m_end : mc + chunk;
    for (int p = p_begin; p < p_end; ++p) {
      const float* panel = packed + size_t(p) * panel_floats;
      const int col0 = p * kNr;
      const int cols = n_end - col0 < kNr ? n_end - col0 : kNr;
      if (cols > 16)
        gemm_panel_rows<2>(mc, mc_end, n, k, in, panel, out + col0, cols, vmin, vmax);
      else
        gemm_panel_rows<1>(mc, mc_end, n, k, in, panel, out + col0, cols, vmin, vmax);
    }
  }
}

}  // namespace elite
