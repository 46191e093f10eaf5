// AMX-INT8 GEMM (1x1 stride-1 convolution): qs8_gemm_32x32__amx.
//   in [m][k] int8 (row stride k), out [m][n] int8 (row stride n).
// Idea: one TDPBSSD multiplies a 16-row x 64-byte tile of signed inputs by a 16 x 16-column
// tile of signed weights (16 groups of 4 k) into 16x16 int32 accumulators: 16384
// multiply-adds in one instruction, about 1000 per cycle against 128 for two 512-bit
// vpdpbusd (a loop of independent TDPBSSDs on this Xeon: 2.7-3.1 T/s, vpdpbusd 415 G). The input
// tiles are read straight from the activations (rows of k bytes, stride k): signed x signed
// needs no +128 offset, so the accumulator is bias - zp colsum + sum_k w x, the ref's int32
// sum exactly (wrapping int32 adds of the same integer). The AVX-512 requantization of
// qs8_requant_avx512.h then matches the ref bit for bit.
// Depth: kc = k rounded up to 4 where that is at most 64 (one k block, the tiles configured
// that narrow), else 64-byte blocks with k padded to a multiple of 64. Input tiles then read
// up to kc - k bytes past a row's end (the next row's first bytes); the weights there are
// zero, so they add nothing. Where such a read would pass row m_end - 1, the rows of the
// block are first copied into a zero-padded scratch buffer: no reads outside the caller's
// rows.
// Blocking: 32 rows x 32 columns = 4 accumulator tiles (2 input tiles, 2 weight tiles per k
// block); per 32-row block, every pair of 16-column panels. The accumulator tiles are stored
// to a 4 KB buffer and requantized 2 rows x 32 columns at a time.
//   packed: ceil(n/16) Panel constants (64-byte aligned), then per panel kc/4 rows of 64
//   bytes (16 columns x 4 k, the VNNI layout of qs8_gemm_pack__vnni, zero past k).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/avx512vnni/qs8_requant_avx512.h"
#include "kernels/qs8_microkernels.h"

namespace elite {
namespace {

constexpr int kNr = 16;     // columns per panel (one tile)
constexpr int kMb = 32;     // rows per block (two tiles)
constexpr int kVnniHeader = 192;  // qs8_gemm_pack__vnni: bias[16], colsum[16], bound[16]

inline int k4(int k) { return (k + 3) & ~3; }
// Bytes of k per panel row run: kc <= 64 one block, else whole 64-byte blocks.
inline int kc_of(int k) { return k4(k) <= 64 ? k4(k) : (k + 63) / 64 * 64; }
inline int panels(int n) { return (n + kNr - 1) / kNr; }

// Shallow layers (the K = 16 and 24 expansions) are bound by the requantization, which the
// tiles do not speed up, plus storing and reloading the accumulator tiles: they run the
// AVX512-VNNI GEMM (its packing) instead. qs8_kernels_bench, 1 thread, us: K=16 -> 96 on
// 12544 rows 217 (VNNI) against 250 (AMX), K=24 -> 144 on 3136 rows 95 against 101, K=40 ->
// 240 on 784 rows 46 against 44.
constexpr int kMinAmxDepth = 32;
inline bool on_vnni(int k) { return k4(k) < kMinAmxDepth; }

// Requantization constants of one panel (fast when every valid column allows it, wide when
// the wide form does; the general constants always, for pairs with a slower panel).
struct alignas(64) Panel {
  qs8_avx512::RequantVec rv;
  qs8_avx512::FastRequantVec fv;
  qs8_avx512::WideRequantVec wv;
  __m512i init;  // bias - zp colsum, wrapping int32
  __mmask16 store_mask;
  bool fast, wide, no_left;
};

inline size_t consts_bytes(int n) { return size_t(panels(n)) * sizeof(Panel); }
inline size_t weight_bytes(int k) { return size_t(kc_of(k)) * kNr; }

// The AMX tile configuration (palette 1): tiles 0-3 accumulators (rows x 64 bytes: rows 0-15
// of the block in 0-1, rows 16-31 in 2-3), 4-5 inputs (the same rows x kb bytes), 6-7
// weights (kb / 4 rows x 64 bytes). A block of fewer than 32 rows gets tiles of fewer rows.
struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

TileConfig tile_config(int kb, int block_rows) {
  TileConfig t;
  const int top = std::min(16, block_rows), bottom = std::max(0, block_rows - 16);
  const int half_rows[4] = {top, top, bottom, bottom};
  for (int i = 0; i < 4; ++i) {
    t.colsb[i] = half_rows[i] ? 64 : 0;
    t.rows[i] = uint8_t(half_rows[i]);
  }
  for (int i = 4; i < 6; ++i) {
    t.rows[i] = uint8_t(i == 4 ? top : bottom);
    t.colsb[i] = t.rows[i] ? uint16_t(kb) : 0;
  }
  for (int i = 6; i < 8; ++i) {
    t.colsb[i] = 64;
    t.rows[i] = uint8_t(kb / 4);
  }
  return t;
}

using qs8_avx512::kRqFast, qs8_avx512::kRqFastNoLeft, qs8_avx512::kRqGeneral, qs8_avx512::kRqWide;
using qs8_avx512::requant_form;

// Requantizes `rows` rows of a 32x32 block (acc: tiles [row half][panel] of 16x16 int32)
// and stores columns of NV panels.
template <int NV, int kRq>
[[gnu::always_inline]] inline void epilogue(const int32_t* acc, int rows, const Panel* pn,
                                            const qs8_avx512::OutputVec& ov, __m512i lo,
                                            __m512i hi, int8_t* out, size_t ldo) {
  const __mmask32 m =
      __mmask32(pn[0].store_mask) | (NV == 2 ? __mmask32(pn[1].store_mask) << 16 : 0);
  const Panel& p1 = NV == 2 ? pn[1] : pn[0];
  auto at = [&](int r, int v) {  // a single panel's second half is never stored
    if (NV == 1 && v == 1) return _mm512_setzero_si512();
    return _mm512_load_si512(acc + (size_t(r / 16) * 2 + v) * 256 + (r % 16) * 16);
  };
  for (int r = 0; r < rows; r += 2) {
    const int r1 = r + 1 < rows ? r + 1 : r;
    const __m512i v = qs8_avx512::pack_two_rows_clamp(
        requant_form<kRq>(at(r, 0), pn[0], ov), requant_form<kRq>(at(r, 1), p1, ov),
        requant_form<kRq>(at(r1, 0), pn[0], ov), requant_form<kRq>(at(r1, 1), p1, ov), lo, hi);
    int8_t* o = out + size_t(r) * ldo;
    _mm256_mask_storeu_epi8(o, m, _mm512_castsi512_si256(v));
    if (r + 1 < rows) _mm256_mask_storeu_epi8(o + ldo, m, _mm512_extracti64x4_epi64(v, 1));
  }
}

// One block of rows (a: its first row, stride lda; kBottom: rows 16-31 exist) times NV
// panels into acc (tiles stored). The accumulators start at the panels' init rows (a tile
// load with stride 0 repeats the row).
template <int NV, bool kBottom>
inline void block_tiles(const int8_t* a, size_t lda, int blocks, const uint8_t* w0,
                        size_t wstride, const Panel* pn, int32_t* acc) {
  _tile_loadd(0, &pn[0].init, 0);
  if constexpr (kBottom) _tile_loadd(2, &pn[0].init, 0);
  if constexpr (NV == 2) {
    _tile_loadd(1, &pn[1].init, 0);
    if constexpr (kBottom) _tile_loadd(3, &pn[1].init, 0);
  }
  const uint8_t* w1 = w0 + wstride;
  for (int b = 0; b < blocks; ++b) {
    _tile_loadd(4, a + 64 * size_t(b), lda);
    _tile_loadd(6, w0 + 1024 * size_t(b), 64);
    _tile_dpbssd(0, 4, 6);
    if constexpr (kBottom) {
      _tile_loadd(5, a + 16 * lda + 64 * size_t(b), lda);
      _tile_dpbssd(2, 5, 6);
    }
    if constexpr (NV == 2) {
      _tile_loadd(7, w1 + 1024 * size_t(b), 64);
      _tile_dpbssd(1, 4, 7);
      if constexpr (kBottom) _tile_dpbssd(3, 5, 7);
    }
  }
  _tile_stored(0, acc, 64);
  if constexpr (kBottom) _tile_stored(2, acc + 512, 64);
  if constexpr (NV == 2) {
    _tile_stored(1, acc + 256, 64);
    if constexpr (kBottom) _tile_stored(3, acc + 768, 64);
  }
}

template <int NV, int kRq>
void panel_block(const int8_t* a, size_t lda, int rows, int blocks, const uint8_t* w,
                 size_t wstride, const Panel* pn, const qs8_avx512::OutputVec& ov, __m512i lo,
                 __m512i hi, int8_t* out, size_t ldo) {
  alignas(64) int32_t acc[4 * 256];
  if (rows > 16)
    block_tiles<NV, true>(a, lda, blocks, w, wstride, pn, acc);
  else
    block_tiles<NV, false>(a, lda, blocks, w, wstride, pn, acc);
  epilogue<NV, kRq>(acc, rows, pn, ov, lo, hi, out, ldo);
}

}  // namespace

size_t qs8_gemm_packed_bytes__amx(int n, int k) {
  if (on_vnni(k)) return qs8_gemm_packed_bytes__avx512vnni(n, k);
  return consts_bytes(n) + size_t(panels(n)) * weight_bytes(k);
}

void qs8_gemm_pack__amx(int n, int k, const int8_t* w_nk, const int32_t* bias,
                        const QS8Requant& rq, void* packed) {
  if (on_vnni(k)) return qs8_gemm_pack__avx512vnni(n, k, w_nk, bias, rq, packed);
  // The VNNI packing gives each panel's header and its 4-k groups in the tile layout.
  std::vector<uint8_t> vnni(qs8_gemm_packed_bytes__vnni(n, k));
  qs8_gemm_pack__vnni(n, k, w_nk, bias, rq, vnni.data());
  const size_t vnni_panel = kVnniHeader + 16 * size_t(k4(k));
  uint8_t* p = static_cast<uint8_t*>(packed);
  uint8_t* weights = p + consts_bytes(n);
  std::memset(weights, 0, size_t(panels(n)) * weight_bytes(k));
  for (int pi = 0; pi < panels(n); ++pi) {
    const uint8_t* src = vnni.data() + size_t(pi) * vnni_panel;
    const int c0 = pi * kNr, cols = std::min(kNr, n - c0);
    int32_t b[kNr], colsum[kNr], init[kNr];
    uint32_t ub[kNr];
    int64_t bound[kNr];
    std::memcpy(b, src, sizeof(b));
    std::memcpy(colsum, src + 64, sizeof(colsum));
    std::memcpy(ub, src + 128, sizeof(ub));
    for (int j = 0; j < kNr; ++j) {
      bound[j] = ub[j];
      // Wrapping int32 arithmetic, computed in uint32.
      init[j] = int32_t(uint32_t(b[j]) - uint32_t(rq.input_zero_point) * uint32_t(colsum[j]));
    }
    Panel pn;
    std::memset(static_cast<void*>(&pn), 0, sizeof(pn));
    pn.fast = qs8_avx512::fast_requant_ok(rq, c0, cols, bound);
    pn.wide = qs8_avx512::wide_requant_ok(rq, c0, cols, bound);
    pn.rv = qs8_avx512::requant_vec(rq, c0, cols);
    if (pn.fast) pn.fv = qs8_avx512::fast_requant_vec(rq, c0, cols, bound);
    if (pn.wide) pn.wv = qs8_avx512::wide_requant_vec(rq, c0, cols);
    pn.no_left = pn.fast && qs8_avx512::no_left_shift(pn.fv);
    pn.init = _mm512_loadu_si512(init);
    pn.store_mask = qs8_avx512::lane_mask(cols);
    std::memcpy(p + size_t(pi) * sizeof(Panel), &pn, sizeof(pn));
    std::memcpy(weights + size_t(pi) * weight_bytes(k), src + kVnniHeader, 16 * size_t(k4(k)));
  }
}

void qs8_gemm_32x32__amx(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                         const int8_t* in, const void* packed, int8_t* out,
                         const QS8Requant& rq) {
  if (on_vnni(k))
    return qs8_gemm_8x32c4__avx512vnni(m_begin, m_end, n_begin, n_end, n, k, in, packed, out, rq);
  if (m_begin >= m_end || n_begin >= n_end) return;
  const uint8_t* p = static_cast<const uint8_t*>(packed);
  // The constants are read in place where the buffer is 64-byte aligned (the runtime's
  // always is), else copied.
  std::vector<Panel> copy;
  const Panel* consts = reinterpret_cast<const Panel*>(p);
  if (reinterpret_cast<uintptr_t>(p) % 64 != 0) {
    copy.resize(size_t(panels(n)));
    std::memcpy(static_cast<void*>(copy.data()), p, consts_bytes(n));
    consts = copy.data();
  }
  const uint8_t* weights = p + consts_bytes(n);
  const int kc = kc_of(k), kb = std::min(kc, 64), blocks = kc / kb;
  const size_t wstride = weight_bytes(k);
  static thread_local std::vector<int8_t> scratch;  // zero-padded copies of last rows
  const qs8_avx512::OutputVec ov = qs8_avx512::output_vec(rq);
  const __m512i lo = _mm512_set1_epi8(int8_t(rq.out_min)), hi = _mm512_set1_epi8(int8_t(rq.out_max));
  const size_t lk = size_t(k);
  int config_rows = 0;
  for (int r0 = m_begin; r0 < m_end; r0 += kMb) {
    const int rows = std::min(kMb, m_end - r0);
    if (rows != config_rows) {  // full blocks, then at most one shorter one
      const TileConfig cfg = tile_config(kb, rows);
      _tile_loadconfig(&cfg);
      config_rows = rows;
    }
    // The input tiles read kc bytes of each row: past row m_end - 1 where kc > k, so such a
    // block reads a copy with zeros after it.
    const int8_t* a = in + size_t(r0) * lk;
    if (size_t(rows) * lk + size_t(kc) - lk > size_t(m_end - r0) * lk) {
      const size_t used = size_t(rows) * lk, need = used + size_t(kc) + 64;
      if (scratch.size() < need) scratch.resize(need);
      std::memcpy(scratch.data(), a, used);
      std::memset(scratch.data() + used, 0, need - used);
      a = scratch.data();
    }
    int8_t* orow = out + size_t(r0) * n;
    for (int c0 = n_begin; c0 < n_end; c0 += 2 * kNr) {
      const Panel* pn = consts + c0 / kNr;
      const uint8_t* w = weights + size_t(c0 / kNr) * wstride;
      int8_t* o = orow + c0;
      if (c0 + kNr < n_end) {
        // One requantization form for the pair: fast only where both panels allow it.
        if (pn[0].fast && pn[1].fast) {
          if (pn[0].no_left && pn[1].no_left)
            panel_block<2, kRqFastNoLeft>(a, lk, rows, blocks, w, wstride, pn, ov, lo, hi, o, n);
          else
            panel_block<2, kRqFast>(a, lk, rows, blocks, w, wstride, pn, ov, lo, hi, o, n);
        } else if (pn[0].wide && pn[1].wide) {
          panel_block<2, kRqWide>(a, lk, rows, blocks, w, wstride, pn, ov, lo, hi, o, n);
        } else {
          panel_block<2, kRqGeneral>(a, lk, rows, blocks, w, wstride, pn, ov, lo, hi, o, n);
        }
      } else if (pn[0].fast) {
        panel_block<1, kRqFast>(a, lk, rows, blocks, w, wstride, pn, ov, lo, hi, o, n);
      } else if (pn[0].wide) {
        panel_block<1, kRqWide>(a, lk, rows, blocks, w, wstride, pn, ov, lo, hi, o, n);
      } else {
        panel_block<1, kRqGeneral>(a, lk, rows, blocks, w, wstride, pn, ov, lo, hi, o, n);
      }
    }
  }
  _tile_release();
}

}  // namespace elite
