// AVX512-VNNI INT8 depthwise convolution (depth multiplier 1): qs8_dwconv_rows__avx512vnni.
//   in [in_h][in_w][c] int8, out [out_h][out_w][c] int8.
// Idea: vpdpbusd sums 4 byte products per int32 lane, so each lane needs 4 taps of one channel
// side by side. Along a kernel row, tap kx of output column ox reads input column
// ox * stride + kx, so for each input row the kernel builds, once, "quads": for each byte
// position p of an output row (p = ox * c + channel), the 4 bytes of taps kx = 4q..4q+3
// (group q; nq = ceil(kernel_w / 4) groups). Every output row that uses the input row then
// costs kernel_h * nq * 4 vpdpbusd per 64 output bytes, with no shuffles; the quads of the
// input rows in use stay in a ring. An output row is a flat run of out_w * c bytes in 64-byte
// chunks; with c a multiple of 16, the channel of a byte repeats with period lcm(64, c), so
// the weights, starting accumulators and requantization constants are expanded at pack time
// (or once per call) into ncyc = lcm(64, c) / 64 chunk "phases". Where c is a few percent
// short of a multiple of 64 (pixel_chunks), chunks run within each pixel instead: rows are
// laid out with c padded to 64 ncyc = ceil(c / 64) bytes per pixel, padding lanes have
// weight 0, and each pixel's last chunk is stored partially.
// Quads of a 64-byte chunk: zmm j, 128-bit lane L, dword i holds position 16L + 4j + i (the
// order vpunpck{l,h}bw then vpunpck{l,h}wd give); its 4 bytes are taps 4q..4q+3.
// Arithmetic: inputs are offset to u = x ^ 0x80 = x + 128 (vpdpbusd takes them unsigned),
// taps outside the input read u = zp + 128 (x = zp adds 0, like the ref's skipped taps), taps
// past kernel_w have weight 0. The accumulator starts at bias - (128 + zp) sum_t w[t], so it
// ends at bias + sum_t w (x - zp), the ref's int32 sum (wrapping adds of the same integer);
// the requantization (qs8_requant_avx512.h, fast form with the per-channel bound
// |bias| + 255 sum_t |w_t| where every channel of a phase allows it) is bit-exact. The three int32 -> int8 packs are in-lane, so
// positions come out in order.
//   packed: int32 bias[c], int32 wsum[c] (sum over taps), uint32 bound[c] (|acc| <= bound,
//   saturated to 2^32 - 1), padding to a
//   multiple of 64, then weights [ncyc][kernel_h][nq][4 zmm] as above (64-byte aligned offsets;
//   phase-major, so one phase's weights sit at constant offsets from one base),
//   the AVX2 packing, and ncyc PhaseConsts made from rq at pack time.
// Supported: c % 16 == 0 (every EfficientNet-lite depthwise layer), stride_w 1 or 2, kernel_w
// <= 8; anything else (no EfficientNet-lite layer) runs the AVX2 kernel on its own packing,
// appended to the buffer (depthwise weights are small).
// Loops (3x3 and 5x5, every EfficientNet-lite layer): per pass over a range of chunks (one
// unless the ring would pass kRingBudget), per block of up to 4 output rows, per phase, per
// 64-byte chunk of that phase in the range, the chunk of every row of the block
// (dw_block_phase). Other kernels: per output row, per phase, per pair of chunks (dw_phase).
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <vector>

#include "kernels/avx512vnni/qs8_requant_avx512.h"
#include "kernels/qs8_microkernels.h"

namespace elite {
namespace {

struct Layout {
  bool fast;     // this kernel's path (else AVX2 on the appended packing)
  bool pixel;    // chunks within each pixel (pixel_chunks below), else of the flat row
  int nq, ncyc;  // tap groups per kernel row, chunk phases
  // byte sizes; avx2: offset of the AVX2 packing; phases: of the phase constants
  size_t header, weights, avx2, phases, total;
};

size_t phase_consts_bytes();  // sizeof(PhaseConsts), below

// Wide layers a few percent short of a multiple of 64 channels (lite3's 816 and 1392, lite4's
// 1632) have 51-87 flat phases of 2-4 chunks per output row: each block then streams 100-220
// KB of weights and phase constants for very little work. Chunks within each pixel, its
// channels padded to 64 (ceil(c / 64) phases), waste at most 1/32 of the lanes.
bool pixel_chunks(int c) {
  const int padded = (c + 63) / 64 * 64;
  return c % 64 != 0 && 32 * (padded - c) <= padded && padded / 64 < std::lcm(64, c) / 64;
}

Layout layout(int c, int kh, int kw) {
  Layout l{};
  l.fast = c > 0 && c % 16 == 0 && kw >= 1 && kw <= 8 && kh >= 1 && kh <= 16;
  l.header = (size_t(12) * c + 63) / 64 * 64;
  if (l.fast) {
    l.nq = (kw + 3) / 4;
    l.pixel = pixel_chunks(c);
    l.ncyc = l.pixel ? (c + 63) / 64 : int(std::lcm(64, c) / 64);
    l.weights = size_t(kh) * l.nq * l.ncyc * 256;
  }
  l.avx2 = l.header + l.weights;
  l.phases = (l.avx2 + qs8_dwconv_packed_bytes__avx2(c, kh, kw) + 63) / 64 * 64;
  l.total = l.phases + (l.fast ? size_t(l.ncyc) * phase_consts_bytes() : 0);
  return l;
}

// Quads of one 64-byte chunk from 4 tap sources (see the header).
void make_quads_row(int chunks, const uint8_t* const* t, __m512i* dst);
inline void make_quads(const uint8_t* s0, const uint8_t* s1, const uint8_t* s2,
                       const uint8_t* s3, __m512i* q) {
  const __m512i a = _mm512_loadu_si512(s0), b = _mm512_loadu_si512(s1);
  const __m512i c = _mm512_loadu_si512(s2), d = _mm512_loadu_si512(s3);
  const __m512i lo01 = _mm512_unpacklo_epi8(a, b), hi01 = _mm512_unpackhi_epi8(a, b);
  const __m512i lo23 = _mm512_unpacklo_epi8(c, d), hi23 = _mm512_unpackhi_epi8(c, d);
  _mm512_store_si512(q + 0, _mm512_unpacklo_epi16(lo01, lo23));
  _mm512_store_si512(q + 1, _mm512_unpackhi_epi16(lo01, lo23));
  _mm512_store_si512(q + 2, _mm512_unpacklo_epi16(hi01, hi23));
  _mm512_store_si512(q + 3, _mm512_unpackhi_epi16(hi01, hi23));
}

// dst[0, n) = src[0, n) ^ 0x80 (u = x + 128).
void xor_copy(const int8_t* src, size_t n, uint8_t* dst) {
  const __m512i flip = _mm512_set1_epi8(int8_t(0x80));
  size_t b = 0;
  for (; b + 64 <= n; b += 64)
    _mm512_storeu_si512(dst + b, _mm512_xor_si512(_mm512_loadu_si512(src + b), flip));
  if (b < n) {
    const __mmask64 m = (uint64_t(1) << (n - b)) - 1;  // n - b < 64
    _mm512_mask_storeu_epi8(dst + b, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + b), flip));
  }
}

// Copies `count` pixels (c bytes each) of input row `row` (nullptr: outside the input) at
// columns first + step * j into dst + j * ds as u = x ^ 0x80; columns outside the input get
// zp ^ 0x80. Bytes [c, ds) of a copied pixel are left as they were (their weights are 0).
void fill_row(const int8_t* row, int in_w, int c, int ds, int first, int step, int count,
              uint8_t fill, uint8_t* dst) {
  if (row == nullptr) {
    std::memset(dst, fill, size_t(count) * ds);
    return;
  }
  // Output pixels j in [j0, j1) read columns inside the input.
  const int j0 = std::min(count, first >= 0 ? 0 : (-first + step - 1) / step);
  const int j1 = std::max(j0, std::min(count, in_w - first <= 0 ? 0 : (in_w - first + step - 1) / step));
  std::memset(dst, fill, size_t(j0) * ds);
  if (step == 1 && ds == c) {
    xor_copy(row + size_t(first + j0) * c, size_t(j1 - j0) * c, dst + size_t(j0) * c);
  } else if (c >= 64) {
    // Whole 64-byte copies, the last one ending at the pixel's end (overlapping the one
    // before): no masked loads or stores, whose forwarding to make_quads' loads is slow.
    const __m512i flip = _mm512_set1_epi8(int8_t(0x80));
    for (int j = j0; j < j1; ++j) {
      const int8_t* s = row + size_t(first + step * j) * c;
      uint8_t* d = dst + size_t(j) * ds;
      for (int b = 0; b + 64 < c; b += 64)
        _mm512_storeu_si512(d + b, _mm512_xor_si512(_mm512_loadu_si512(s + b), flip));
      _mm512_storeu_si512(d + c - 64, _mm512_xor_si512(_mm512_loadu_si512(s + c - 64), flip));
    }
  } else {
    for (int j = j0; j < j1; ++j)
      xor_copy(row + size_t(first + step * j) * c, size_t(c), dst + size_t(j) * ds);
  }
  std::memset(dst + size_t(j1) * ds, fill, size_t(count - j1) * ds);
}

void make_quads_row(int chunks, const uint8_t* const* t, __m512i* dst) {
  for (int ch = 0; ch < chunks; ++ch) {
    const size_t off = size_t(ch) * 64;
    make_quads(t[0] + off, t[1] + off, t[2] + off, t[3] + off, dst + 4 * size_t(ch));
  }
}

// Per-call state: expanded constants and the ring of quad rows (thread-local, grown on demand).
struct Workspace {
  std::vector<uint8_t> bytes;
  uint8_t* get(size_t n) {
    if (bytes.size() < n + 64) bytes.resize(n + 64);
    return reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(bytes.data()) + 63) & ~uintptr_t(63));
  }
};

// Requantization form of a phase: every channel allows the fast one, the wide one, or neither.
enum RqMode { kRqGeneral, kRqFast, kRqWide };

struct PhaseConsts {
  RqMode mode;
  __m512i init[4];
  union {  // the form of mode only
    qs8_avx512::FastRequantVec fv[4];
    qs8_avx512::WideRequantVec wv[4];
    qs8_avx512::RequantVec rv[4];
  };
};

size_t phase_consts_bytes() { return sizeof(PhaseConsts); }

template <RqMode kMode>
[[gnu::always_inline]] inline __m512i requant_pack(const __m512i* acc, const PhaseConsts& pc,
                            const qs8_avx512::OutputVec& ov, __m512i lo, __m512i hi) {
  __m512i v[4];
  for (int j = 0; j < 4; ++j) {
    if constexpr (kMode == kRqFast) v[j] = qs8_avx512::fast_requant(acc[j], pc.fv[j]);
    else if constexpr (kMode == kRqWide) v[j] = qs8_avx512::wide_requant(acc[j], pc.wv[j]);
    else v[j] = qs8_avx512::finish(acc[j], pc.rv[j], ov);
  }
  const __m512i w01 = _mm512_packs_epi32(v[0], v[1]), w23 = _mm512_packs_epi32(v[2], v[3]);
  return _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(w01, w23), lo), hi);
}

// Where chunk ch (phase ch % ncyc) of an output row goes: out + (ch / ncyc) * step +
// (ch % ncyc) * 64. Flat rows: step = 64 ncyc, and only the row's last chunk may be partial;
// pixel chunks: step = c, and every pixel's last chunk holds c - 64 (ncyc - 1) bytes.
struct OutMap {
  int ncyc, step, last;
  bool pixel;
  __mmask64 tail;  // bytes of a partial chunk
  size_t at(int ch) const { return size_t(ch / ncyc) * step + size_t(ch % ncyc) * 64; }
  // Chunk ch of phase cyc (= ch % ncyc, which callers looping over one phase already know).
  __mmask64 mask(int ch, int cyc) const {
    return (pixel ? cyc == ncyc - 1 : ch == last) ? tail : ~__mmask64(0);
  }
  __mmask64 mask(int ch) const { return mask(ch, ch % ncyc); }
};

OutMap out_map(bool pixel, int c, int ncyc, int chunks, int row_bytes) {
  OutMap m{};
  m.ncyc = ncyc;
  m.pixel = pixel;
  m.last = chunks - 1;
  m.step = pixel ? c : 64 * ncyc;
  const int tail = pixel ? c - 64 * (ncyc - 1) : row_bytes - 64 * m.last;
  m.tail = tail >= 64 ? ~__mmask64(0) : (__mmask64(1) << tail) - 1;
  return m;
}

// One output row: `chunks` 64-byte chunks, quads at quads[r] (r = ky * nq + q), R = rows*nq.
template <int R, RqMode kMode>
void dw_phase(int cyc, int chunks, int ncyc, const OutMap& om, const __m512i* const* quads,
            const __m512i* weights, int r_count, const PhaseConsts* phases,
            const qs8_avx512::OutputVec& ov, __m512i lo, __m512i hi, int8_t* out) {
  const int rc = R ? R : r_count;
  {
    const PhaseConsts& pc = phases[cyc];
    const __m512i* wphase = weights + size_t(cyc) * rc * 4;
    // Weights of this phase: [r][j] at wphase + r * 4 + j. The int8 output
    // stores may alias anything, so the compiler reloads whatever stays in memory after each
    // store: the starting accumulators and, for 3x3 (12 zmm), the weights are copied into
    // locals, which registers hold across the loop.
    constexpr int kHeld = R > 0 && R <= 3 ? 4 * R : 1;
    __m512i held[kHeld];
    if constexpr (R > 0 && R <= 3)
      for (int i = 0; i < kHeld; ++i)
        held[i] = _mm512_loadu_si512(wphase + i);
    auto wt = [&](int r, int j) {
      if constexpr (R > 0 && R <= 3) return held[4 * r + j];
      else return _mm512_loadu_si512(wphase + size_t(r) * 4 + j);
    };
    const __m512i init[4] = {pc.init[0], pc.init[1], pc.init[2], pc.init[3]};
    int ch = cyc;
    if constexpr (R == 0 || R > 3) {
      // Deep kernels (5x5: 40 weight zmm) load each weight once for 4 chunks.
      for (; ch + 3 * ncyc < chunks; ch += 4 * ncyc) {
        __m512i a[4], b[4], c[4], d[4];
        for (int j = 0; j < 4; ++j) a[j] = b[j] = c[j] = d[j] = init[j];
        const size_t qa = size_t(ch) * 4, qs = size_t(ncyc) * 4;
#pragma GCC unroll 16
        for (int r = 0; r < rc; ++r) {
          const __m512i* qr = quads[r] + qa;
#pragma GCC unroll 4
          for (int j = 0; j < 4; ++j) {
            const __m512i w = wt(r, j);
            a[j] = _mm512_dpbusd_epi32(a[j], _mm512_load_si512(qr + j), w);
            b[j] = _mm512_dpbusd_epi32(b[j], _mm512_load_si512(qr + qs + j), w);
            c[j] = _mm512_dpbusd_epi32(c[j], _mm512_load_si512(qr + 2 * qs + j), w);
            d[j] = _mm512_dpbusd_epi32(d[j], _mm512_load_si512(qr + 3 * qs + j), w);
          }
        }
        _mm512_mask_storeu_epi8(out + om.at(ch), om.mask(ch), requant_pack<kMode>(a, pc, ov, lo, hi));
        _mm512_mask_storeu_epi8(out + om.at(ch + ncyc), om.mask(ch + ncyc),
                                requant_pack<kMode>(b, pc, ov, lo, hi));
        _mm512_mask_storeu_epi8(out + om.at(ch + 2 * ncyc), om.mask(ch + 2 * ncyc),
                                requant_pack<kMode>(c, pc, ov, lo, hi));
        _mm512_mask_storeu_epi8(out + om.at(ch + 3 * ncyc), om.mask(ch + 3 * ncyc),
                                requant_pack<kMode>(d, pc, ov, lo, hi));
      }
    }
    for (; ch + ncyc < chunks; ch += 2 * ncyc) {
      __m512i a[4], b[4];
      for (int j = 0; j < 4; ++j) a[j] = b[j] = init[j];
      const size_t qa = size_t(ch) * 4, qb = size_t(ch + ncyc) * 4;
#pragma GCC unroll 16
      for (int r = 0; r < rc; ++r) {
        const __m512i* qr = quads[r];
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j) {
          const __m512i w = wt(r, j);
          a[j] = _mm512_dpbusd_epi32(a[j], _mm512_load_si512(qr + qa + j), w);
          b[j] = _mm512_dpbusd_epi32(b[j], _mm512_load_si512(qr + qb + j), w);
        }
      }
      _mm512_mask_storeu_epi8(out + om.at(ch), om.mask(ch), requant_pack<kMode>(a, pc, ov, lo, hi));
      _mm512_mask_storeu_epi8(out + om.at(ch + ncyc), om.mask(ch + ncyc),
                              requant_pack<kMode>(b, pc, ov, lo, hi));
    }
    if (ch < chunks) {
      __m512i a[4];
      for (int j = 0; j < 4; ++j) a[j] = pc.init[j];
      const size_t qa = size_t(ch) * 4;
      for (int r = 0; r < rc; ++r)
        for (int j = 0; j < 4; ++j)
          a[j] = _mm512_dpbusd_epi32(a[j], _mm512_load_si512(quads[r] + qa + j), wt(r, j));
      _mm512_mask_storeu_epi8(out + om.at(ch), om.mask(ch), requant_pack<kMode>(a, pc, ov, lo, hi));
    }
  }
}

template <int R>
void dw_row(int r_count, int chunks, int ncyc, const OutMap& om, const __m512i* const* quads,
            const __m512i* weights, const PhaseConsts* phases, const qs8_avx512::OutputVec& ov,
            __m512i lo, __m512i hi, int8_t* out) {
  for (int cyc = 0; cyc < ncyc && cyc < chunks; ++cyc) {
    switch (phases[cyc].mode) {
      case kRqFast:
        dw_phase<R, kRqFast>(cyc, chunks, ncyc, om, quads, weights, r_count, phases, ov, lo, hi, out);
        break;
      case kRqWide:
        dw_phase<R, kRqWide>(cyc, chunks, ncyc, om, quads, weights, r_count, phases, ov, lo, hi, out);
        break;
      default:
        dw_phase<R, kRqGeneral>(cyc, chunks, ncyc, om, quads, weights, r_count, phases, ov, lo, hi, out);
        break;
    }
  }
}

constexpr int kBlockRows = 4;

// The chunks [c0, c1) of output rows of `chunks` chunks that one pass over the rows covers.
// Wide rows go in several passes so that the ring of quads stays near L2's size: lite4's
// 19x19x960 5x5 layer needs 1.2 MB for whole rows, and per output it ran 23% slower than
// 19x19x480 (570 KB).
struct Segment {
  int c0, c1, chunks;
};
constexpr size_t kRingBudget = 768 * 1024;

// Output rows in blocks: P rows of one chunk at a time (4 accumulators each), input row r of
// the block feeding rows p with ky = r - SH p in [0, KH). Each quad is loaded once into a
// register for up to P multiply-adds, whose weights come from memory operands or registers.
// One row at a time, lite0's 5x5 layers (7 chunks per phase and row) ran 4-chunk, pair and
// single-chunk loops per phase, the last only 4 accumulators deep, and loaded each quad once
// per output row. 5x5 on 14x14x672: 62 -> 40 us.
// rows[r * NQ + q]: quads of input row r of the block, group q. kw == KH.

template <int KH, int SH, int P, RqMode kMode>
[[gnu::noinline]] void dw_block_phase(int cyc, const Segment& sg, int ncyc, const OutMap& om,
                                      int row_bytes, const __m512i* const* rows,
                                      const __m512i* wphase, const PhaseConsts& pc,
                                      const qs8_avx512::OutputVec& ov, __m512i lo, __m512i hi,
                                      int8_t* out) {
  constexpr int NQ = (KH + 3) / 4, NR = SH * (P - 1) + KH;
  // The segment's chunks of this phase: ch = cyc (mod ncyc), ch in [c0, c1).
  const int first = sg.c0 + ((cyc - sg.c0) % ncyc + ncyc) % ncyc;
  int8_t* o = out + om.at(first);
  for (int ch = first; ch < sg.c1; ch += ncyc, o += om.step) {
    __m512i acc[P][4];
    for (int p = 0; p < P; ++p)
      for (int j = 0; j < 4; ++j) acc[p][j] = pc.init[j];
    const size_t off = size_t(ch - sg.c0) * 4;  // the ring holds the segment's chunks
#pragma GCC unroll 16
    for (int r = 0; r < NR; ++r)
#pragma GCC unroll 2
      for (int q = 0; q < NQ; ++q) {
        const __m512i* qr = rows[r * NQ + q] + off;
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j) {
          const __m512i u = _mm512_load_si512(qr + j);
#pragma GCC unroll 4
          for (int p = 0; p < P; ++p) {
            const int ky = r - SH * p;
            if (ky >= 0 && ky < KH)
              acc[p][j] = _mm512_dpbusd_epi32(acc[p][j], u,
                                              _mm512_loadu_si512(wphase + (ky * NQ + q) * 4 + j));
          }
        }
      }
    const __mmask64 m = om.mask(ch, cyc);
    for (int p = 0; p < P; ++p)
      _mm512_mask_storeu_epi8(o + size_t(p) * row_bytes, m, requant_pack<kMode>(acc[p], pc, ov, lo, hi));
  }
}

template <int KH, int SH, int P>
void dw_block(const Segment& sg, int ncyc, const OutMap& om, int row_bytes,
              const __m512i* const* rows,
              const __m512i* weights, const PhaseConsts* phases, const qs8_avx512::OutputVec& ov,
              __m512i lo, __m512i hi, int8_t* out) {
  constexpr int NQ = (KH + 3) / 4;
  for (int cyc = 0; cyc < ncyc && cyc < sg.chunks; ++cyc) {
    const __m512i* wphase = weights + size_t(cyc) * KH * NQ * 4;
    switch (phases[cyc].mode) {
      case kRqFast:
        dw_block_phase<KH, SH, P, kRqFast>(cyc, sg, ncyc, om, row_bytes, rows, wphase, phases[cyc], ov, lo, hi, out);
        break;
      case kRqWide:
        dw_block_phase<KH, SH, P, kRqWide>(cyc, sg, ncyc, om, row_bytes, rows, wphase, phases[cyc], ov, lo, hi, out);
        break;
      default:  // rare (see RqMode): one row at a time, in a call of one segment only
        for (int p = 0; p < P; ++p)
          dw_phase<KH * NQ, kRqGeneral>(cyc, sg.chunks, ncyc, om, rows + SH * p * NQ,
                                        weights, KH * NQ, phases, ov, lo, hi,
                                        out + size_t(p) * row_bytes);
        break;
    }
  }
}

// Rows [oy, oy + P) with P = min(4, rows_left); returns P.
template <int KH, int SH>
int dw_block_any(int rows_left, const Segment& sg, int ncyc, const OutMap& om, int row_bytes,
                 const __m512i* const* rows, const __m512i* weights, const PhaseConsts* phases,
                 const qs8_avx512::OutputVec& ov, __m512i lo, __m512i hi, int8_t* out) {
  const int P = rows_left >= 4 ? 4 : rows_left;
  switch (P) {
    case 4: dw_block<KH, SH, 4>(sg, ncyc, om, row_bytes, rows, weights, phases, ov, lo, hi, out); break;
    case 3: dw_block<KH, SH, 3>(sg, ncyc, om, row_bytes, rows, weights, phases, ov, lo, hi, out); break;
    case 2: dw_block<KH, SH, 2>(sg, ncyc, om, row_bytes, rows, weights, phases, ov, lo, hi, out); break;
    default: dw_block<KH, SH, 1>(sg, ncyc, om, row_bytes, rows, weights, phases, ov, lo, hi, out); break;
  }
  return P;
}

// Channel of byte position pos of phase cyc; -1 for a pixel's padding.
int phase_channel(const Layout& l, int c, int cyc, int pos) {
  const int b = cyc * 64 + pos;
  return l.pixel ? (b < c ? b : -1) : b % c;
}

}  // namespace

size_t qs8_dwconv_packed_bytes__avx512vnni(int c, int kernel_h, int kernel_w) {
  return layout(c, kernel_h, kernel_w).total;
}

void qs8_dwconv_pack__avx512vnni(int c, int kernel_h, int kernel_w, const int8_t* w_hwc,
                                 const int32_t* bias, const QS8Requant& rq, void* packed) {
  const Layout l = layout(c, kernel_h, kernel_w);
  uint8_t* p = static_cast<uint8_t*>(packed);
  std::memset(p, 0, l.header);
  const int T = kernel_h * kernel_w;
  for (int ch = 0; ch < c; ++ch) {
    const int32_t b = bias ? bias[ch] : 0;
    int32_t s = 0;
    int64_t abs_sum = 0;
    for (int t = 0; t < T; ++t) {
      s += w_hwc[size_t(t) * c + ch];
      abs_sum += std::abs(int(w_hwc[size_t(t) * c + ch]));
    }
    const uint32_t bound =
        uint32_t(std::min<int64_t>(std::abs(int64_t(b)) + 255 * abs_sum, int64_t(UINT32_MAX)));
    std::memcpy(p + 4 * size_t(ch), &b, 4);
    std::memcpy(p + 4 * (size_t(c) + ch), &s, 4);
    std::memcpy(p + 4 * (size_t(2 * c) + ch), &bound, 4);
  }
  qs8_dwconv_pack__avx2(c, kernel_h, kernel_w, w_hwc, bias, rq, p + l.avx2);
  if (!l.fast) return;
  int8_t* w = reinterpret_cast<int8_t*>(p + l.header);
  for (int ky = 0; ky < kernel_h; ++ky)
    for (int q = 0; q < l.nq; ++q)
      for (int cyc = 0; cyc < l.ncyc; ++cyc)
        for (int pos = 0; pos < 64; ++pos)
          for (int b = 0; b < 4; ++b) {
            // position pos = 16L + 4j + i sits in zmm j, lane L, dword i.
            const int L = pos / 16, j = (pos / 4) % 4, i = pos % 4;
            const int ch = phase_channel(l, c, cyc, pos), kx = 4 * q + b;
            const size_t r = size_t(ky) * l.nq + q, rows = size_t(kernel_h) * l.nq;
            w[((cyc * rows + r) * 4 + j) * 64 + 16 * L + 4 * i + b] =
                kx < kernel_w && ch >= 0 ? w_hwc[(size_t(ky) * kernel_w + kx) * c + ch] : int8_t(0);
          }

  // Phase constants. Padding lanes (pixel chunks) start at 0, have weight 0, and take the
  // last channel's requantization; their results are never stored.
  const int32_t* hb = reinterpret_cast<const int32_t*>(p);  // bias, wsum, bound as above
  const int32_t* wsum = hb + c;
  const uint32_t* acc_bound = reinterpret_cast<const uint32_t*>(hb + 2 * c);
  const int ncyc = l.ncyc;
  for (int cyc = 0; cyc < ncyc; ++cyc) {
    PhaseConsts pc;
    std::memset(static_cast<void*>(&pc), 0, sizeof(pc));
    bool fast = true, wide = true;
    for (int pos = 0; pos < 64; ++pos) {
      const int ch = phase_channel(l, c, cyc, pos);
      if (ch < 0) continue;
      const int64_t b = acc_bound[ch];
      fast = fast && qs8_avx512::fast_requant_ok(rq, ch, 1, &b);
      wide = wide && qs8_avx512::wide_requant_ok(rq, ch, 1, &b);
    }
    pc.mode = fast ? kRqFast : wide ? kRqWide : kRqGeneral;
    for (int j = 0; j < 4; ++j) {
      alignas(64) int32_t init[16], mult[16], shift[16];
      int64_t bound[16];
      for (int L = 0; L < 4; ++L)
        for (int i = 0; i < 4; ++i) {
          const int pch = phase_channel(l, c, cyc, 16 * L + 4 * j + i);
          const int ch = pch >= 0 ? pch : c - 1;
          // Wrapping int32 arithmetic (see the header): computed in uint32.
          init[4 * L + i] = pch < 0 ? 0 : int32_t(uint32_t(hb[ch]) -
                                    uint32_t(128 + rq.input_zero_point) * uint32_t(wsum[ch]));
          mult[4 * L + i] = rq.multiplier[ch];
          shift[4 * L + i] = rq.shift[ch];
          bound[4 * L + i] = acc_bound[ch];
        }
      QS8Requant lane_rq = rq;
      lane_rq.multiplier = mult;
      lane_rq.shift = shift;
      pc.init[j] = _mm512_load_si512(init);
      if (fast) pc.fv[j] = qs8_avx512::fast_requant_vec(lane_rq, 0, 16, bound);
      else if (wide) pc.wv[j] = qs8_avx512::wide_requant_vec(lane_rq, 0, 16);
      else pc.rv[j] = qs8_avx512::requant_vec(lane_rq, 0, 16);
    }
    std::memcpy(p + l.phases + size_t(cyc) * sizeof(PhaseConsts), &pc, sizeof(pc));
  }
}

void qs8_dwconv_rows__avx512vnni(const ConvGeometry& g, const int8_t* in, const void* packed,
                                 int8_t* out, const QS8Requant& rq, int oy_begin, int oy_end) {
  const int c = g.in_c, kh = g.kernel_h, kw = g.kernel_w;
  const Layout l = layout(c, kh, kw);
  const uint8_t* p = static_cast<const uint8_t*>(packed);
  if (!l.fast || (g.stride_w != 1 && g.stride_w != 2)) {
    qs8_dwconv_16c__avx2(g, in, p + l.avx2, out, rq, oy_begin, oy_end);
    return;
  }
  if (oy_begin >= oy_end) return;
  const __m512i* weights = reinterpret_cast<const __m512i*>(p + l.header);
  const int nq = l.nq, ncyc = l.ncyc, sw = g.stride_w;
  // Output row: out_w * c bytes; chunks flat over the row, or ncyc per pixel.
  const int row_bytes = g.out_w * c;
  const int chunks = l.pixel ? g.out_w * ncyc : (row_bytes + 63) / 64;
  const int ds = l.pixel ? 64 * ncyc : c;  // pixel stride of the source rows
  const OutMap om = out_map(l.pixel, c, ncyc, chunks, row_bytes);
  const uint8_t fill = uint8_t(rq.input_zero_point ^ 0x80);

  // Workspace: phase constants, source rows (band, or even/odd columns for stride 2) and the
  // ring of `slots` quad rows (nq groups of a pass's chunks * 4 zmm each).
  const int src_px = sw == 1 ? g.out_w - 1 + kw : g.out_w + (kw - 1) / 2;
  const size_t src_bytes = (size_t(src_px) * ds + 64 + 63) / 64 * 64;

  // The phase constants are read in place where the packed buffer is 64-byte aligned (the
  // runtime's always is), else copied: 17-80 KB per call for 144-1248 channels, which every
  // thread of a row split would copy again.
  const bool in_place = reinterpret_cast<uintptr_t>(p + l.phases) % 64 == 0;
  const size_t phase_bytes = in_place ? 0 : (sizeof(PhaseConsts) * ncyc + 63) / 64 * 64;
  static thread_local Workspace ws;
  // 3x3 and 5x5 kernels (every EfficientNet-lite layer) run output rows in blocks; the ring
  // then holds the input rows of a block.
  const bool blocked = kw == kh && (kh == 3 || kh == 5) && (g.stride_h == 1 || g.stride_h == 2);
  const int slots = blocked ? g.stride_h * (kBlockRows - 1) + kh : kh;
  // Chunks per pass (Segment): all unless the ring would pass kRingBudget; one pass where a
  // phase takes the general requantization (dw_phase indexes whole rows).
  bool any_general = false;
  for (int cyc = 0; cyc < ncyc; ++cyc) {
    RqMode mode;  // memcpy: p + l.phases need not be aligned here
    std::memcpy(&mode, p + l.phases + size_t(cyc) * sizeof(PhaseConsts) + offsetof(PhaseConsts, mode),
                sizeof(mode));
    any_general = any_general || mode == kRqGeneral;
  }
  const size_t ring_per_chunk = size_t(slots) * nq * 256;
  const int seg_chunks =
      !blocked || any_general
          ? chunks
          : std::max(1, std::min(chunks, int(kRingBudget / ring_per_chunk)));
  const int passes = (chunks + seg_chunks - 1) / seg_chunks;
  // Passes of equal size (the last is not left with a sliver).
  const int per_pass = (chunks + passes - 1) / passes;
  const size_t quad_group = size_t(per_pass) * 256, quad_row = quad_group * nq;
  uint8_t* base = ws.get(phase_bytes + 2 * src_bytes + size_t(slots) * quad_row);
  const PhaseConsts* phases = in_place ? reinterpret_cast<const PhaseConsts*>(p + l.phases)
                                       : reinterpret_cast<const PhaseConsts*>(base);
  if (!in_place)
    std::memcpy(base, p + l.phases, size_t(ncyc) * sizeof(PhaseConsts));
  uint8_t* src0 = base + phase_bytes;
  uint8_t* src1 = src0 + src_bytes;
  uint8_t* ring = src1 + src_bytes;
  std::vector<int> ring_row(size_t(slots), -1 << 30);  // input row held by each slot

  const qs8_avx512::OutputVec ov = qs8_avx512::output_vec(rq);
  const __m512i lo = _mm512_set1_epi8(int8_t(rq.out_min)), hi = _mm512_set1_epi8(int8_t(rq.out_max));

  // Quads of chunks [c0, c1) of input row iy into a ring slot.
  auto build = [&](int iy, uint8_t* slot, int c0, int c1) {
    const int8_t* row = iy >= 0 && iy < g.in_h ? in + size_t(iy) * g.in_w * c : nullptr;
    const uint8_t* tap[8];
    if (sw == 1) {
      fill_row(row, g.in_w, c, ds, -g.pad_left, 1, src_px, fill, src0);
      for (int kx = 0; kx < kw; ++kx) tap[kx] = src0 + size_t(kx) * ds;
    } else {  // even input columns in src0, odd in src1
      fill_row(row, g.in_w, c, ds, -g.pad_left, 2, src_px, fill, src0);
      fill_row(row, g.in_w, c, ds, 1 - g.pad_left, 2, src_px, fill, src1);
      for (int kx = 0; kx < kw; ++kx) tap[kx] = (kx % 2 ? src1 : src0) + size_t(kx / 2) * ds;
    }
    for (int q = 0; q < nq; ++q) {
      const uint8_t* t[4];
      for (int b = 0; b < 4; ++b)  // taps past kw have weight 0
        t[b] = (4 * q + b < kw ? tap[4 * q + b] : tap[0]) + size_t(c0) * 64;
      make_quads_row(c1 - c0, t, reinterpret_cast<__m512i*>(slot + q * quad_group));
    }
  };

  const __m512i* quads[64];  // (SH (kBlockRows - 1) + kh) * nq <= 64 (kh <= 16, nq <= 2)
  for (int c0 = 0; c0 < chunks; c0 += per_pass) {
    const Segment sg{c0, std::min(chunks, c0 + per_pass), chunks};
    std::fill(ring_row.begin(), ring_row.end(), -1 << 30);
    for (int oy = oy_begin; oy < oy_end;) {
      const int P = blocked ? std::min(kBlockRows, oy_end - oy) : 1;
      const int iy0 = oy * g.stride_h - g.pad_top, nr = g.stride_h * (P - 1) + kh;
      for (int r = 0; r < nr; ++r) {
        const int iy = iy0 + r;
        // Rows outside the input are identical (all padding): any slot holding one will do.
        const int key = iy < 0 || iy >= g.in_h ? -1 : iy;
        const int slot_index = ((iy % slots) + slots) % slots;
        uint8_t* slot = ring + size_t(slot_index) * quad_row;
        if (ring_row[size_t(slot_index)] != key) {
          build(iy, slot, sg.c0, sg.c1);
          ring_row[size_t(slot_index)] = key;
        }
        for (int q = 0; q < nq; ++q)
          quads[size_t(r) * nq + q] = reinterpret_cast<const __m512i*>(slot + q * quad_group);
      }
      int8_t* orow = out + size_t(oy) * row_bytes;
      if (!blocked) {  // other kernel sizes (no EfficientNet-lite layer); one pass, whole rows
        dw_row<0>(kh * nq, chunks, ncyc, om, quads, weights, phases, ov, lo, hi, orow);
        ++oy;
        continue;
      }
      const int left = oy_end - oy;
      if (kh == 3 && g.stride_h == 1)
        oy += dw_block_any<3, 1>(left, sg, ncyc, om, row_bytes, quads, weights, phases, ov, lo, hi, orow);
      else if (kh == 3)
        oy += dw_block_any<3, 2>(left, sg, ncyc, om, row_bytes, quads, weights, phases, ov, lo, hi, orow);
      else if (g.stride_h == 1)
        oy += dw_block_any<5, 1>(left, sg, ncyc, om, row_bytes, quads, weights, phases, ov, lo, hi, orow);
      else
        oy += dw_block_any<5, 2>(left, sg, ncyc, om, row_bytes, quads, weights, phases, ov, lo, hi, orow);
    }
  }
}

}  // namespace elite
