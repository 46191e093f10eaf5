// AVX512-FP16 GEMM (1x1 convolution / fully connected): 8x64 register tile, the scheme of
// the AVX-512 FP32 GEMM (avx512/f32_gemm.cpp) with 32 halves per vector.
// in [m][k], out [m][n] (row strides k and n).
// packed: ceil(n/64) panels of 64 columns; panel p = bias[64] then w[k][64] (k-major),
// columns past n zero. The tile keeps 8 rows x 64 columns in 16 zmm accumulators and, per k
// step, loads 2 weight vectors and broadcasts 8 inputs (16 FMAs). A last panel with at most
// 32 valid columns runs an 8x32 tile instead. Every output element is acc = bias; acc =
// fma(in[kk], w[kk], acc) for kk in order (one half rounding each), then the clamp: equal to
// f16_gemm__ref bit for bit, whatever the row or column range. No over-reads; columns past
// n are stored with write masks.
#include <cassert>
#include <cstdint>

#include "kernels/avx512fp16/f16_simd.h"
#include "kernels/f16_microkernels.h"

namespace elite {
namespace {

using namespace f16_avx512;
constexpr int kNr = 64;
constexpr int kMr = 8;

// Rows [0, MR) of one panel, NV vectors of 32 columns (NV = 1 when the last panel has at
// most 32 valid columns). a points at row 0 of in, out at (row 0, first column of the
// panel); cols = valid columns of the panel (1..64).
template <int MR, int NV>
inline void gemm_tile(const half_t* a, size_t lda, int k, const half_t* panel, half_t* out, size_t ldo,
                      int cols, __m512h vmin, __m512h vmax) {
  __m512h acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = load(panel + 32 * v);
  const half_t* w = panel + kNr;
  for (int kk = 0; kk < k; ++kk, w += kNr) {
    __m512h wv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) wv[v] = load(w + 32 * v);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m512h x = broadcast(a[r * lda + kk]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ph(x, wv[v], acc[r][v]);
    }
  }
  __mmask32 mask[NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) mask[v] = lane_mask(cols - 32 * v < 0 ? 0 : cols - 32 * v);
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v)
      store(out + r * ldo + 32 * v, mask[v], clamp(acc[r][v], vmin, vmax));
}

// Rows [mc, mc_end) of one panel: 8-row tiles, then one 1..7-row tile.
template <int NV>
void gemm_panel_rows(int mc, int mc_end, int n, int k, const half_t* in, const half_t* panel,
                     half_t* out, int cols, __m512h vmin, __m512h vmax) {
  const half_t* a = in + size_t(mc) * k;
  half_t* o = out + size_t(mc) * n;
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

size_t f16_gemm_packed_halves__avx512fp16(int n, int k) {
  const size_t panels = (size_t(n) + kNr - 1) / kNr;
  return panels * kNr * (size_t(k) + 1);
}

void f16_gemm_pack__avx512fp16(int n, int k, const float* w_nk, const float* bias,
                               half_t* packed) {
  const int panels = (n + kNr - 1) / kNr;
  for (int p = 0; p < panels; ++p) {
    half_t* dst = packed + size_t(p) * kNr * (size_t(k) + 1);
    for (int j = 0; j < kNr; ++j) {
      const int col = p * kNr + j;
      dst[j] = half_from_float(col < n && bias ? bias[col] : 0.0f);
      for (int kk = 0; kk < k; ++kk)
        dst[kNr * (kk + 1) + j] = half_from_float(col < n ? w_nk[size_t(col) * k + kk] : 0.0f);
    }
  }
}

void f16_gemm_8x64__avx512fp16(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                               const half_t* in, const half_t* packed, half_t* out,
                               F16Clamp clamp16) {
  if (m_begin >= m_end || n_begin >= n_end) return;
  assert(n_begin % kNr == 0 && (n_end % kNr == 0 || n_end == n) && n_end <= n);
  const __m512h vmin = broadcast(clamp16.lo), vmax = broadcast(clamp16.hi);
  const size_t panel_halves = kNr * (size_t(k) + 1);
  const int p_begin = n_begin / kNr, p_end = (n_end + kNr - 1) / kNr;
  // Rows in chunks whose inputs stay in L2 while the panels of the range stream past them.
  int chunk = (256 * 1024 / 2) / (k > 0 ? k : 1);
  chunk = chunk < kMr ? kMr : chunk - chunk % kMr;
  for (int mc = m_begin; mc < m_end; mc += chunk) {
    const int mc_end = m_end - mc < chunk ? m_end : mc + chunk;
    for (int p = p_begin; p < p_end; ++p) {
      const half_t* panel = packed + size_t(p) * panel_halves;
      const int col0 = p * kNr;
      const int cols = n_end - col0 < kNr ? n_end - col0 : kNr;
      if (cols > 32)
        gemm_panel_rows<2>(mc, mc_end, n, k, in, panel, out + col0, cols, vmin, vmax);
      else
        gemm_panel_rows<1>(mc, mc_end, n, k, in, panel, out + col0, cols, vmin, vmax);
    }
  }
}

}  // namespace elite
