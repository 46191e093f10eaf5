// Every fast INT8 kernel (each ISA table of qs8_isa_list.inc that this CPU runs, other
// than ref) against its ref twin, with exact equality: random shapes from a fixed seed plus
// edge cases (channels at tile-1, tile, tile+1, 2*tile+3; odd H and W; stride 2; SAME and
// VALID padding; m = 1; k up to 1152 and past the fast path's stack limit), random input and
// output zero points in [-128, 127], random per-channel multipliers and shifts (left shifts,
// very negative shifts, zero and extreme multipliers), relu6-like clamps, column and row
// sub-ranges, guard bytes after every output, and bit-identical results for different row
// splits. ISAs compiled in but not supported by the CPU are skipped with a message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/qs8_kernels.h"
#include "kernels/qs8_microkernels.h"
#include "quant/requantize.h"

namespace elite {
namespace {

constexpr int8_t kGuard = 0x5A;  // every output buffer is prefilled with it
constexpr int kGuardCount = 64;

int rand_int(std::mt19937& rng, int lo, int hi) {  // inclusive
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

std::vector<int8_t> random_s8(std::mt19937& rng, size_t n) {
  std::vector<int8_t> v(n);
  for (int8_t& x : v) x = int8_t(rand_int(rng, -128, 127));
  return v;
}

std::vector<int32_t> random_bias(std::mt19937& rng, int n) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int32_t& x : v) x = rand_int(rng, -30000, 30000);
  return v;
}

// Per-channel requantization parameters with every kind of multiplier and shift.
struct RequantData {
  std::vector<int32_t> multiplier, shift;
  QS8Requant rq;
  std::string text;
};

// typical: every channel as real layers have them (multiplier in [2^30, 2^31), shift in
// [-22, 0]), so the fast requantization path of the AVX2 kernels runs.
RequantData random_requant(std::mt19937& rng, int channels, bool typical = false) {
  RequantData d;
  d.multiplier.resize(size_t(channels));
  d.shift.resize(size_t(channels));
  for (int c = 0; typical && c < channels; ++c) {
    d.multiplier[size_t(c)] = rand_int(rng, 1 << 30, std::numeric_limits<int32_t>::max());
    d.shift[size_t(c)] = rand_int(rng, 0, 3) == 0 ? rand_int(rng, -22, 0) : rand_int(rng, -13, -4);
  }
  for (int c = 0; !typical && c < channels; ++c) {
    const int kind = rand_int(rng, 0, 99);
    int32_t m;
    if (kind < 88)
      m = rand_int(rng, 1 << 30, std::numeric_limits<int32_t>::max());
    else if (kind < 92)
      m = 0;
    else if (kind < 95)
      m = std::numeric_limits<int32_t>::max();
    else if (kind < 97)
      m = std::numeric_limits<int32_t>::min();  // a == b == INT32_MIN saturation path
    else
      m = rand_int(rng, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
    const int skind = rand_int(rng, 0, 99);
    int s;
    if (skind < 60)
      s = rand_int(rng, -13, -4);  // typical: outputs spread over the int8 range
    else if (skind < 72)
      s = rand_int(rng, 1, 6);  // left shifts (large accumulators wrap as in the ref)
    else if (skind < 87)
      s = rand_int(rng, -31, -20);  // very negative
    else if (skind < 94)
      s = 0;
    else
      s = rand_int(rng, -3, -1);
    d.multiplier[size_t(c)] = m;
    d.shift[size_t(c)] = s;
  }
  d.rq.input_zero_point = rand_int(rng, -128, 127);
  d.rq.output_zero_point = rand_int(rng, -128, 127);
  switch (rand_int(rng, 0, 2)) {
    case 0: d.rq.out_min = -128, d.rq.out_max = 127; break;  // no activation
    case 1:  // relu6-like: [zp, zp + 6 / scale]
      d.rq.out_min = std::max(-128, d.rq.output_zero_point);
      d.rq.out_max = std::min(127, d.rq.out_min + rand_int(rng, 1, 120));
      break;
    default:  // relu
      d.rq.out_min = std::max(-128, d.rq.output_zero_point), d.rq.out_max = 127;
  }
  d.rq.multiplier = d.multiplier.data();
  d.rq.shift = d.shift.data();
  std::ostringstream s;
  s << (typical ? " typical" : "") << " input_zp " << d.rq.input_zero_point << " output_zp " << d.rq.output_zero_point
    << " clamp [" << d.rq.out_min << ", " << d.rq.out_max << "]";
  d.text = s.str();
  return d;
}

// Output buffer of n bytes and kGuardCount guard bytes, all prefilled with kGuard.
std::vector<int8_t> guarded(size_t n) { return std::vector<int8_t>(n + kGuardCount, kGuard); }

::testing::AssertionResult same_bytes(const std::vector<int8_t>& got,
                                      const std::vector<int8_t>& want, size_t n, int row_bytes) {
  for (size_t i = n; i < got.size(); ++i)
    if (got[i] != kGuard)
      return ::testing::AssertionFailure() << "guard byte " << (i - n) << " overwritten";
  for (size_t i = 0; i < n; ++i)
    if (got[i] != want[i])
      return ::testing::AssertionFailure()
             << "first difference at [" << i / row_bytes << "][" << i % row_bytes << "]: got "
             << int(got[i]) << " want " << int(want[i]);
  return ::testing::AssertionSuccess();
}

std::vector<const QS8Kernels*> fast_tables() {
  std::vector<const QS8Kernels*> out;
  std::vector<const char*> names;
#define ELITE_QS8_ISA(name, supported) names.push_back(#name);
#include "kernels/qs8_isa_list.inc"
#undef ELITE_QS8_ISA
  for (const char* name : names) {
    if (!std::strcmp(name, "ref")) continue;
    const QS8Kernels* t = qs8_kernels_for(name);
    if (t == nullptr) {
      std::printf("[  SKIPPED ] INT8 ISA %s: compiled in, not supported by this CPU\n", name);
      continue;
    }
    out.push_back(t);
  }
  return out;
}

const QS8Kernels& ref() { return qs8_kernels__ref; }

// t's GEMM against the ref on one problem: both pack w / bias with rq, run all m rows and n
// columns into guarded outputs, same_bytes() compares.
::testing::AssertionResult gemm_same_as_ref(const QS8Kernels& t, int m, int n, int k,
                                            const int8_t* in, const int8_t* w,
                                            const int32_t* bias, const QS8Requant& rq) {
  std::vector<uint8_t> pr(ref().gemm.packed_bytes(n, k)), pf(t.gemm.packed_bytes(n, k));
  ref().gemm.pack(n, k, w, bias, rq, pr.data());
  t.gemm.pack(n, k, w, bias, rq, pf.data());
  const size_t out_n = size_t(m) * n;
  auto want = guarded(out_n), got = guarded(out_n);
  ref().gemm.run(0, m, 0, n, n, k, in, pr.data(), want.data(), rq);
  t.gemm.run(0, m, 0, n, n, k, in, pf.data(), got.data(), rq);
  return same_bytes(got, want, out_n, n);
}

// Splits [b, e) into random pieces.
std::vector<int> random_splits(std::mt19937& rng, int b, int e) {
  std::vector<int> cuts{b};
  while (cuts.back() < e) cuts.push_back(std::min(e, cuts.back() + rand_int(rng, 1, 9)));
  return cuts;
}

// ---------------------------------------------------------------------------------------
// GEMM

int g_gemm_cases = 0, g_dw_cases = 0, g_conv_cases = 0;

void check_gemm(const QS8Kernels& t, std::mt19937& rng, int m, int n, int k, bool extreme) {
  const size_t wn = size_t(n) * k, xn = size_t(m) * k;
  const auto w = extreme ? std::vector<int8_t>(wn, -128) : random_s8(rng, wn);
  const auto in = extreme ? std::vector<int8_t>(xn, -128) : random_s8(rng, xn);
  const auto bias = random_bias(rng, n);
  RequantData rd = random_requant(rng, n, rand_int(rng, 0, 1) == 1);
  if (extreme) rd.rq.input_zero_point = 127;  // x - zp = -255, w = -128: the largest products
  std::ostringstream info;
  info << t.isa << " gemm m " << m << " n " << n << " k " << k << rd.text;
  SCOPED_TRACE(info.str());

  std::vector<uint8_t> pr(ref().gemm.packed_bytes(n, k)), pf(t.gemm.packed_bytes(n, k));
  ref().gemm.pack(n, k, w.data(), bias.data(), rd.rq, pr.data());
  t.gemm.pack(n, k, w.data(), bias.data(), rd.rq, pf.data());
  const size_t out_n = size_t(m) * n;

  // Full range.
  auto want = guarded(out_n), got = guarded(out_n);
  ref().gemm.run(0, m, 0, n, n, k, in.data(), pr.data(), want.data(), rd.rq);
  t.gemm.run(0, m, 0, n, n, k, in.data(), pf.data(), got.data(), rd.rq);
  ASSERT_TRUE(same_bytes(got, want, out_n, n));
  ++g_gemm_cases;

  // Random row splits: bit-identical to the one-call result.
  auto split = guarded(out_n);
  const std::vector<int> cuts = random_splits(rng, 0, m);
  for (size_t i = 0; i + 1 < cuts.size(); ++i)
    t.gemm.run(cuts[i], cuts[i + 1], 0, n, n, k, in.data(), pf.data(), split.data(), rd.rq);
  ASSERT_TRUE(same_bytes(split, got, out_n, n)) << " (row splits)";

  // A column and row sub-range: n_begin a multiple of n_tile, n_end a multiple or n.
  const int tiles = (n + t.gemm.n_tile - 1) / t.gemm.n_tile;
  const int tb = rand_int(rng, 0, tiles - 1), te = rand_int(rng, tb + 1, tiles);
  const int nb = tb * t.gemm.n_tile, ne = std::min(n, te * t.gemm.n_tile);
  const int mb = rand_int(rng, 0, m - 1), me = rand_int(rng, mb + 1, m);
  auto want_s = guarded(out_n), got_s = guarded(out_n);
  ref().gemm.run(mb, me, nb, ne, n, k, in.data(), pr.data(), want_s.data(), rd.rq);
  t.gemm.run(mb, me, nb, ne, n, k, in.data(), pf.data(), got_s.data(), rd.rq);
  ASSERT_TRUE(same_bytes(got_s, want_s, out_n, n))
      << " (rows " << mb << ".." << me << " columns " << nb << ".." << ne << ")";
}

TEST(QS8FastKernels, Gemm) {
  std::mt19937 rng(20240611);
  for (const QS8Kernels* t : fast_tables()) {
    const int tile = t->gemm.n_tile;
    const int ns[] = {1, tile / 2 - 1, tile / 2, tile / 2 + 1, tile - 1, tile, tile + 1,
                      2 * tile + 3, 24, 40, 96, 1000};
    const int ks[] = {1, 2, 3, 7, 15, 16, 17, 24, 33, 144, 480, 1152};
    const int ms[] = {1, 2, 5, 6, 7, 12, 13, 49};
    for (int n : ns)
      for (int k : ks) {
        const int m = ms[rand_int(rng, 0, 7)];
        check_gemm(*t, rng, m, n, k, false);
        if (HasFatalFailure()) return;
      }
    for (int m : ms) {
      check_gemm(*t, rng, m, rand_int(rng, 1, 200), rand_int(rng, 1, 1152), false);
      if (HasFatalFailure()) return;
    }
    for (int i = 0; i < 40; ++i) {
      check_gemm(*t, rng, rand_int(rng, 1, 70), rand_int(rng, 1, 300), rand_int(rng, 1, 1152),
                 false);
      if (HasFatalFailure()) return;
    }
    // Largest products, the deepest lite0 reduction, and k past the stack-copy limit (4096).
    check_gemm(*t, rng, 13, 2 * tile + 3, 1152, true);
    check_gemm(*t, rng, 7, 35, 1280, true);
    check_gemm(*t, rng, 3, tile + 1, 4099, false);
    if (HasFatalFailure()) return;
  }
  std::printf("gemm: %d cases equal to ref\n", g_gemm_cases);
}

// Requantization corner cases through the gemm epilogue: accumulators at INT32_MIN/MAX and
// around powers of two (bias with zero weights), multipliers INT32_MIN (the one saturating
// SaturatingRoundingDoublingHighMul case), INT32_MAX, 0, 2^30, negative, and shifts from
// -31 to 31 (left shifts wrap as the ref's uint32 shift does).
TEST(QS8FastKernels, GemmRequantCorners) {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  const int32_t biases[] = {kMin, kMin + 1, kMax, kMax - 1, -(1 << 30), 1 << 30, -(1 << 30) - 1,
                            0, 1, -1, 5, -5, 3 << 20, -(3 << 20), 12345678, -12345678};
  const int32_t mults[] = {kMin, kMax, 0, 1 << 30, -(1 << 30), 1, -1, 1518500250};
  const int shifts[] = {-31, -30, -16, -1, 0, 1, 2, 30, 31};
  std::vector<int32_t> bias, mult, shift;
  for (int32_t b : biases)
    for (int32_t m : mults)
      for (int s : shifts) bias.push_back(b), mult.push_back(m), shift.push_back(s);
  const int n = int(bias.size()), k = 3, m = 2;
  std::mt19937 rng(99);
  for (const QS8Kernels* t : fast_tables()) {
    for (bool zero_w : {true, false}) {
      std::vector<int8_t> w(size_t(n) * k, 0);
      if (!zero_w) w = random_s8(rng, size_t(n) * k);  // acc near the corners, not on them
      const auto in = random_s8(rng, size_t(m) * k);
      QS8Requant rq;
      rq.input_zero_point = rand_int(rng, -128, 127);
      rq.output_zero_point = rand_int(rng, -128, 127);
      rq.multiplier = mult.data();
      rq.shift = shift.data();
      ASSERT_TRUE(gemm_same_as_ref(*t, m, n, k, in.data(), w.data(), bias.data(), rq))
          << t->isa << (zero_w ? " zero" : " random") << " weights (column = corner index)";
    }
  }
}

// The fast requantization path at the edges of its validity bound (see fast_requant_ok in
// src/kernels/avx2/qs8_requant_avx2.h): shifts from -22 to 0, multipliers 0, 2^30 and
// INT32_MAX, biases just inside and just outside the accumulator bound for that shift,
// extreme zero points, so panels take both the fast and the general epilogue.
TEST(QS8FastKernels, GemmFastRequantEdges) {
  std::mt19937 rng(5150);
  const int k = 4;  // acc = bias + at most 4 * 128 * 255
  for (const QS8Kernels* t : fast_tables()) {
    for (int e : {0, 1, 2, 7, 13, 21, 22, 23}) {
      for (int zp_case = 0; zp_case < 3; ++zp_case) {
        const int n = 48;
        std::vector<int32_t> bias(static_cast<size_t>(n)), mult(static_cast<size_t>(n));
        std::vector<int32_t> shift(static_cast<size_t>(n), -e);
        const int64_t limit = (int64_t(1) << 31) - (int64_t(1) << e) / 2 - (int64_t(128) << e) -
                              2 - int64_t(k) * 128 * 255;
        for (int j = 0; j < n; ++j) {
          const int32_t ms[] = {0, 1 << 30, std::numeric_limits<int32_t>::max(),
                                rand_int(rng, 1 << 30, std::numeric_limits<int32_t>::max())};
          mult[size_t(j)] = ms[j % 4];
          const int64_t b = limit - 1 - (j / 4 % 3) * rand_int(rng, 0, 1000) + (j >= 40 ? 5 : 0);
          bias[size_t(j)] = int32_t(std::min<int64_t>(b, std::numeric_limits<int32_t>::max())) *
                            ((j / 2) % 2 ? -1 : 1);
          // Far outside the bound (acc up to INT32_MAX, no wrap): the fast form would overflow
          // for the larger shifts and zero points, the general one must run.
          if (j >= 44)
            bias[size_t(j)] = (j % 2 ? -1 : 1) * (std::numeric_limits<int32_t>::max() - j -
                                                  k * 128 * 255);
        }
        const auto w = random_s8(rng, size_t(n) * k);
        const int m = 7;
        std::vector<int8_t> in(size_t(m) * k);
        for (int8_t& x : in) x = int8_t(rand_int(rng, 0, 1) ? -128 : 127);
        QS8Requant rq;
        rq.input_zero_point = zp_case == 0 ? -128 : zp_case == 1 ? 127 : rand_int(rng, -128, 127);
        rq.output_zero_point = zp_case == 0 ? 127 : zp_case == 1 ? -128 : rand_int(rng, -128, 127);
        rq.multiplier = mult.data();
        rq.shift = shift.data();
        ASSERT_TRUE(gemm_same_as_ref(*t, m, n, k, in.data(), w.data(), bias.data(), rq))
            << t->isa << " shift " << -e << " input_zp " << rq.input_zero_point << " output_zp "
            << rq.output_zero_point;
      }
    }
  }
}

// The AVX-512 fast form doubles x = acc << s before its multiply (src/kernels/avx512vnni/
// qs8_requant_avx512.h), so its bound is tighter there: |acc| 2^(s+1) < 2^31. Every input
// is 127 with zero point -128 and every weight of a column is +-127, so each accumulator is
// exactly +-(B + 4 * 127 * 255): columns 0..31 just inside the edge 2^(30-s) (fast panels),
// columns 32..63 just past it (these panels must take the general form).
TEST(QS8FastKernels, GemmFastRequantDoubledEdges) {
  std::mt19937 rng(7411);
  const int k = 4, n = 64, m = 5;
  const int64_t taps = int64_t(k) * 127 * 255;
  for (const QS8Kernels* t : fast_tables()) {
    for (int s : {-7, -1, 0, 1, 2, 5, 12}) {
      const int64_t edge = int64_t(1) << (30 - (s > 0 ? s : 0));
      std::vector<int32_t> bias(static_cast<size_t>(n)), mult(static_cast<size_t>(n));
      std::vector<int32_t> shift(static_cast<size_t>(n), s);
      std::vector<int8_t> w(size_t(n) * k);
      for (int j = 0; j < n; ++j) {
        const int sign = (j / 2) % 2 ? -1 : 1;
        const int64_t d = j < 32 ? -1 - j % 3 : 1 + j % 3;
        mult[size_t(j)] = j % 3 == 0 ? std::numeric_limits<int32_t>::max()
                                     : rand_int(rng, 1 << 30, std::numeric_limits<int32_t>::max());
        bias[size_t(j)] = int32_t(sign * (edge - taps + d));
        for (int q = 0; q < k; ++q) w[size_t(j) * k + size_t(q)] = int8_t(127 * sign);
      }
      std::vector<int8_t> in(size_t(m) * k, int8_t(127));
      QS8Requant rq;
      rq.input_zero_point = -128;
      rq.output_zero_point = rand_int(rng, -128, 127);
      rq.multiplier = mult.data();
      rq.shift = shift.data();
      ASSERT_TRUE(gemm_same_as_ref(*t, m, n, k, in.data(), w.data(), bias.data(), rq))
          << t->isa << " shift " << s;
    }
  }
}

// Panels that the fast form refuses but the wide one takes (qs8_requant_avx512.h): shifts
// down to -31 mixed with typical ones, biases anywhere in int32 (so accumulators reach the
// int32 range), left shifts with small biases, any non-negative multiplier.
TEST(QS8FastKernels, GemmWideRequant) {
  std::mt19937 rng(2718);
  for (const QS8Kernels* t : fast_tables()) {
    for (int trial = 0; trial < 24; ++trial) {
      const int n = 16 * rand_int(rng, 1, 4) + rand_int(rng, 0, 15), k = rand_int(rng, 1, 40);
      const int m = rand_int(rng, 1, 20);
      std::vector<int32_t> bias(static_cast<size_t>(n)), mult(static_cast<size_t>(n));
      std::vector<int32_t> shift(static_cast<size_t>(n));
      for (int j = 0; j < n; ++j) {
        const int kind = rand_int(rng, 0, 3);
        shift[size_t(j)] = kind == 0 ? rand_int(rng, -31, -23)
                           : kind == 1 ? rand_int(rng, -22, 0)
                           : kind == 2 ? rand_int(rng, 1, 8) : rand_int(rng, -31, -1);
        mult[size_t(j)] = rand_int(rng, 0, 3) == 0 ? rand_int(rng, 0, 1000)
                                                   : rand_int(rng, 1 << 30, std::numeric_limits<int32_t>::max());
        bias[size_t(j)] = kind == 2 ? rand_int(rng, -100000, 100000)
                                    : rand_int(rng, std::numeric_limits<int32_t>::min() / 2 * 2 + 2 * k * 128 * 255,
                                               std::numeric_limits<int32_t>::max() - 2 * k * 128 * 255);
      }
      const auto w = random_s8(rng, size_t(n) * k);
      const auto in = random_s8(rng, size_t(m) * k);
      QS8Requant rq;
      rq.input_zero_point = rand_int(rng, -128, 127);
      rq.output_zero_point = rand_int(rng, -128, 127);
      rq.multiplier = mult.data();
      rq.shift = shift.data();
      ASSERT_TRUE(gemm_same_as_ref(*t, m, n, k, in.data(), w.data(), bias.data(), rq))
          << t->isa << " trial " << trial;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Depthwise and general convolution

ConvGeometry geometry(int in_h, int in_w, int in_c, int out_c, int kh, int kw, int stride,
                      bool same) {
  ConvGeometry g;
  g.in_h = in_h, g.in_w = in_w, g.in_c = in_c, g.out_c = out_c;
  g.kernel_h = kh, g.kernel_w = kw, g.stride_h = g.stride_w = stride;
  if (same) {
    g.out_h = (in_h + stride - 1) / stride, g.out_w = (in_w + stride - 1) / stride;
    g.pad_top = std::max((g.out_h - 1) * stride + kh - in_h, 0) / 2;
    g.pad_left = std::max((g.out_w - 1) * stride + kw - in_w, 0) / 2;
  } else {
    g.out_h = (in_h - kh) / stride + 1, g.out_w = (in_w - kw) / stride + 1;
  }
  return g;
}

std::string describe(const ConvGeometry& g) {
  std::ostringstream s;
  s << "in " << g.in_h << "x" << g.in_w << "x" << g.in_c << " out " << g.out_h << "x" << g.out_w
    << "x" << g.out_c << " kernel " << g.kernel_h << "x" << g.kernel_w << " stride "
    << g.stride_h << " pad_top " << g.pad_top << " pad_left " << g.pad_left;
  return s.str();
}

using ConvRun = void (*)(const ConvGeometry&, const int8_t*, const void*, int8_t*,
                         const QS8Requant&, int, int);

// Runs ref and fast over all rows, over random row splits, and over one row sub-range.
void compare_conv(std::mt19937& rng, const ConvGeometry& g, const std::vector<int8_t>& in,
                  ConvRun ref_run, const void* pr, ConvRun fast_run, const void* pf,
                  const QS8Requant& rq) {
  const size_t out_n = size_t(g.out_h) * g.out_w * g.out_c;
  const int row_bytes = g.out_w * g.out_c;
  auto want = guarded(out_n), got = guarded(out_n);
  ref_run(g, in.data(), pr, want.data(), rq, 0, g.out_h);
  fast_run(g, in.data(), pf, got.data(), rq, 0, g.out_h);
  ASSERT_TRUE(same_bytes(got, want, out_n, row_bytes));

  auto split = guarded(out_n);
  const std::vector<int> cuts = random_splits(rng, 0, g.out_h);
  for (size_t i = 0; i + 1 < cuts.size(); ++i)
    fast_run(g, in.data(), pf, split.data(), rq, cuts[i], cuts[i + 1]);
  ASSERT_TRUE(same_bytes(split, got, out_n, row_bytes)) << " (row splits)";

  const int yb = rand_int(rng, 0, g.out_h - 1), ye = rand_int(rng, yb + 1, g.out_h);
  auto want_s = guarded(out_n), got_s = guarded(out_n);
  ref_run(g, in.data(), pr, want_s.data(), rq, yb, ye);
  fast_run(g, in.data(), pf, got_s.data(), rq, yb, ye);
  ASSERT_TRUE(same_bytes(got_s, want_s, out_n, row_bytes)) << " (rows " << yb << ".." << ye << ")";
}

// "Dead" channels: right shifts past the fast formula's range (23..31) and biases that put
// |acc| right at, and just past, the bound where the requantization is 0 for every input
// (qs8_avx512::lane_kind's kZero), mixed with ordinary channels in the same vectors. Weights
// are all +-127 and inputs at the extremes, so each channel's accumulator reaches its bound.
struct DeadChannels {
  std::vector<int32_t> bias, mult, shift;
  std::vector<int8_t> sign;  // +1 / -1: weight 127 or -127, so acc = +-(|bias| + 127*255*T)
};

DeadChannels dead_channels(std::mt19937& rng, int n, int taps) {
  DeadChannels d;
  const int64_t reach = int64_t(127) * 255 * taps;
  for (int j = 0; j < n; ++j) {
    const int e = j % 5 == 4 ? rand_int(rng, 0, 12) : rand_int(rng, 23, 31);  // some ordinary
    const int32_t ms[] = {1 << 30, std::numeric_limits<int32_t>::max(),
                          rand_int(rng, 1 << 30, std::numeric_limits<int32_t>::max()), 1};
    const int32_t m = ms[rand_int(rng, 0, 3)];
    // The largest bound with bound * m + 2^31 < 2^(30+e), then nudged across it.
    const int64_t edge = ((int64_t(1) << (30 + e)) - (int64_t(1) << 31) - 1) / m;
    const int64_t deltas[] = {0, 1, 2, -1, -rand_int(rng, 0, 100000)};
    int64_t b = e < 23 ? rand_int(rng, -100000, 100000)
                       : edge + deltas[rand_int(rng, 0, 4)] - reach;
    b = std::clamp<int64_t>(b, -(int64_t(1) << 30), std::numeric_limits<int32_t>::max() - reach);
    const int8_t sg = rand_int(rng, 0, 1) ? 1 : -1;
    d.bias.push_back(int32_t(b >= 0 ? b * sg : b));
    d.mult.push_back(m);
    d.shift.push_back(-e);
    d.sign.push_back(sg);
  }
  return d;
}

TEST(QS8FastKernels, DeadChannels) {
  std::mt19937 rng(4242);
  for (const QS8Kernels* t : fast_tables()) {
    for (int round = 0; round < 40; ++round) {
      QS8Requant rq;
      rq.input_zero_point = round % 2 ? -128 : 127;  // x - zp = +-255 with x at the extremes
      rq.output_zero_point = rand_int(rng, -128, 127);
      const int8_t x_val = round % 2 ? 127 : -128;
      // GEMM, k = 8.
      {
        const int n = 48, k = 8, m = 9;
        const DeadChannels d = dead_channels(rng, n, k);
        std::vector<int8_t> w(size_t(n) * k);
        for (int j = 0; j < n; ++j)
          for (int kk = 0; kk < k; ++kk) w[size_t(j) * k + kk] = int8_t(127 * d.sign[size_t(j)]);
        std::vector<int8_t> in(size_t(m) * k, x_val);
        in[0] = 0;  // one row away from the bound
        rq.multiplier = d.mult.data();
        rq.shift = d.shift.data();
        ASSERT_TRUE(gemm_same_as_ref(*t, m, n, k, in.data(), w.data(), d.bias.data(), rq))
            << t->isa << " gemm round " << round;
      }
      // Depthwise 3x3, c = 64 (no padding: every output sees all 9 taps).
      {
        const int c = 64;
        const ConvGeometry g = geometry(5, 6, c, c, 3, 3, 1 + round % 2, false);
        const DeadChannels d = dead_channels(rng, c, 9);
        std::vector<int8_t> w(size_t(9) * c);
        for (int tap = 0; tap < 9; ++tap)
          for (int ch = 0; ch < c; ++ch) w[size_t(tap) * c + ch] = int8_t(127 * d.sign[size_t(ch)]);
        std::vector<int8_t> in(size_t(g.in_h) * g.in_w * c, x_val);
        rq.multiplier = d.mult.data();
        rq.shift = d.shift.data();
        std::vector<uint8_t> pr(ref().dwconv.packed_bytes(c, 3, 3));
        std::vector<uint8_t> pf(t->dwconv.packed_bytes(c, 3, 3));
        ref().dwconv.pack(c, 3, 3, w.data(), d.bias.data(), rq, pr.data());
        t->dwconv.pack(c, 3, 3, w.data(), d.bias.data(), rq, pf.data());
        SCOPED_TRACE(std::string(t->isa) + " dwconv round " + std::to_string(round));
        compare_conv(rng, g, in, ref().dwconv.run, pr.data(), t->dwconv.run, pf.data(), rq);
      }
    }
  }
}

void check_dwconv(const QS8Kernels& t, std::mt19937& rng, const ConvGeometry& g) {
  const int c = g.in_c;
  const auto w = random_s8(rng, size_t(g.kernel_h) * g.kernel_w * c);
  const auto in = random_s8(rng, size_t(g.in_h) * g.in_w * c);
  const auto bias = random_bias(rng, c);
  const RequantData rd = random_requant(rng, c, rand_int(rng, 0, 1) == 1);
  SCOPED_TRACE(std::string(t.isa) + " dwconv " + describe(g) + rd.text);
  std::vector<uint8_t> pr(ref().dwconv.packed_bytes(c, g.kernel_h, g.kernel_w));
  // Packed at a 64-byte boundary (as the runtime's buffers are) in even cases and 16 bytes
  // past one in odd cases: kernels may read constants in place only when aligned.
  std::vector<uint8_t> pf_store(t.dwconv.packed_bytes(c, g.kernel_h, g.kernel_w) + 128);
  uint8_t* pf = reinterpret_cast<uint8_t*>(
      (reinterpret_cast<uintptr_t>(pf_store.data()) + 63) / 64 * 64 + (g_dw_cases % 2 ? 16 : 0));
  ref().dwconv.pack(c, g.kernel_h, g.kernel_w, w.data(), bias.data(), rd.rq, pr.data());
  t.dwconv.pack(c, g.kernel_h, g.kernel_w, w.data(), bias.data(), rd.rq, pf);
  compare_conv(rng, g, in, ref().dwconv.run, pr.data(), t.dwconv.run, pf, rd.rq);
  ++g_dw_cases;
}

TEST(QS8FastKernels, Dwconv) {
  std::mt19937 rng(777);
  constexpr int kTile = 16;  // channels per vector group of the AVX2 kernel
  const int cs[] = {1, 3, kTile - 1, kTile, kTile + 1, 2 * kTile + 3, 32, 96, 144};
  for (const QS8Kernels* t : fast_tables()) {
    for (int c : cs)
      for (int kk : {3, 5})
        for (int stride : {1, 2})
          for (bool same : {true, false}) {
            const int h = rand_int(rng, kk, 13), w = rand_int(rng, kk, 13);
            check_dwconv(*t, rng, geometry(h, w, c, c, kk, kk, stride, same));
            if (HasFatalFailure()) return;
          }
    // Odd sizes, 1x1 inputs with SAME padding, rectangular and large kernels (9x9 = 81 taps
    // spans two tap chunks of the AVX2 kernel), real lite0 widths.
    check_dwconv(*t, rng, geometry(1, 1, 35, 35, 3, 3, 1, true));
    check_dwconv(*t, rng, geometry(1, 1, 17, 17, 5, 5, 2, true));
    check_dwconv(*t, rng, geometry(2, 3, 33, 33, 5, 5, 2, true));
    check_dwconv(*t, rng, geometry(9, 7, 19, 19, 3, 5, 1, true));
    check_dwconv(*t, rng, geometry(11, 12, 20, 20, 9, 9, 1, true));
    // Multiples of 16 channels whose byte phase repeats past 64 (AVX512-VNNI: lcm(64, c)),
    // kernels of 1, 7 and 8 columns (one or two 4-tap groups), and a wide stem-like row.
    check_dwconv(*t, rng, geometry(9, 10, 48, 48, 3, 3, 2, true));
    check_dwconv(*t, rng, geometry(9, 11, 80, 80, 1, 1, 1, false));
    check_dwconv(*t, rng, geometry(12, 13, 112, 112, 7, 7, 1, true));
    check_dwconv(*t, rng, geometry(12, 14, 16, 16, 8, 8, 2, true));
    check_dwconv(*t, rng, geometry(12, 13, 208, 208, 4, 7, 2, false));
    check_dwconv(*t, rng, geometry(30, 113, 32, 32, 3, 3, 1, true));
    check_dwconv(*t, rng, geometry(5, 57, 144, 144, 5, 5, 2, true));
    check_dwconv(*t, rng, geometry(7, 7, 1152, 1152, 5, 5, 1, true));
    check_dwconv(*t, rng, geometry(14, 14, 672, 672, 5, 5, 2, true));
    check_dwconv(*t, rng, geometry(15, 15, 240, 240, 3, 3, 2, true));
    // lite4's widest layers (padded band of 110-114 KiB, 60-102 channel groups).
    check_dwconv(*t, rng, geometry(19, 19, 960, 960, 5, 5, 1, true));
    check_dwconv(*t, rng, geometry(10, 10, 1632, 1632, 5, 5, 1, true));
    check_dwconv(*t, rng, geometry(10, 10, 1632, 1632, 3, 3, 1, true));
    // AVX512-VNNI: rows too wide for one pass over the ring (Segment in qs8_dwconv.cpp), a
    // partial last chunk, stride 2, 3x3; twice each, so typical requantization (one pass is
    // forced where a phase takes the general form) comes up.
    for (int twice = 0; twice < 2; ++twice) {
      check_dwconv(*t, rng, geometry(9, 9, 1648, 1648, 5, 5, 1, true));
      check_dwconv(*t, rng, geometry(40, 40, 480, 480, 5, 5, 2, true));
      check_dwconv(*t, rng, geometry(6, 20, 1664, 1664, 3, 3, 1, true));
      // Channels just short of a multiple of 64 (lite3's 816 and 1392): chunks within each
      // pixel, its last one partial; stride 2, a 7x7 kernel (one row at a time), and 3 passes.
      check_dwconv(*t, rng, geometry(9, 11, 816, 816, 5, 5, 2, true));
      check_dwconv(*t, rng, geometry(5, 9, 1392, 1392, 3, 3, 2, false));
      check_dwconv(*t, rng, geometry(6, 7, 816, 816, 7, 7, 1, true));
      check_dwconv(*t, rng, geometry(7, 20, 1392, 1392, 5, 5, 1, true));
    }
    // Past the AVX2 kernel's padded-band buffer (128 KiB) and its 192 cached channel groups:
    // the per-column border path.
    check_dwconv(*t, rng, geometry(6, 40, 700, 700, 5, 5, 1, true));
    check_dwconv(*t, rng, geometry(3, 4, 3089, 3089, 3, 3, 1, true));
    if (HasFatalFailure()) return;
    for (int i = 0; i < 30; ++i) {
      const int kk = rand_int(rng, 0, 1) ? 3 : 5, c = rand_int(rng, 1, 100);
      check_dwconv(*t, rng, geometry(rand_int(rng, kk, 17), rand_int(rng, kk, 17), c, c, kk, kk,
                                     rand_int(rng, 1, 2), rand_int(rng, 0, 3) != 0));
      if (HasFatalFailure()) return;
    }
  }
  std::printf("dwconv: %d cases equal to ref\n", g_dw_cases);
}

void check_conv(const QS8Kernels& t, std::mt19937& rng, const ConvGeometry& g) {
  const auto w = random_s8(rng, size_t(g.out_c) * g.kernel_h * g.kernel_w * g.in_c);
  const auto in = random_s8(rng, size_t(g.in_h) * g.in_w * g.in_c);
  const auto bias = random_bias(rng, g.out_c);
  const RequantData rd = random_requant(rng, g.out_c, rand_int(rng, 0, 1) == 1);
  SCOPED_TRACE(std::string(t.isa) + " conv " + describe(g) + rd.text);
  std::vector<uint8_t> pr(ref().conv.packed_bytes(g.out_c, g.kernel_h, g.kernel_w, g.in_c));
  std::vector<uint8_t> pf(t.conv.packed_bytes(g.out_c, g.kernel_h, g.kernel_w, g.in_c));
  ref().conv.pack(g.out_c, g.kernel_h, g.kernel_w, g.in_c, w.data(), bias.data(), pr.data());
  t.conv.pack(g.out_c, g.kernel_h, g.kernel_w, g.in_c, w.data(), bias.data(), pf.data());
  compare_conv(rng, g, in, ref().conv.run, pr.data(), t.conv.run, pf.data(), rd.rq);
  ++g_conv_cases;
}

TEST(QS8FastKernels, Conv) {
  std::mt19937 rng(4242);
  for (const QS8Kernels* t : fast_tables()) {
    // The stem (3x3 stride 2, 3 -> 32) at odd and even sizes, SAME and VALID.
    for (int h : {7, 8, 15, 33})
      for (bool same : {true, false}) {
        check_conv(*t, rng, geometry(h, h + 1, 3, 32, 3, 3, 2, same));
        if (HasFatalFailure()) return;
      }
    // Output channels around the 8-lane vector and the 32-channel block.
    for (int oc : {1, 7, 8, 9, 31, 33, 67})
      for (int ic : {1, 3, 4}) {
        check_conv(*t, rng, geometry(rand_int(rng, 3, 11), rand_int(rng, 3, 11), ic, oc, 3, 3,
                                     rand_int(rng, 1, 2), true));
        if (HasFatalFailure()) return;
      }
    check_conv(*t, rng, geometry(9, 9, 5, 19, 5, 5, 1, true));
    check_conv(*t, rng, geometry(6, 5, 16, 40, 1, 1, 1, false));
    check_conv(*t, rng, geometry(4, 4, 460, 9, 3, 3, 1, true));  // 4140 taps: scalar path
    check_conv(*t, rng, geometry(57, 57, 3, 32, 3, 3, 2, true));
    if (HasFatalFailure()) return;
  }
  std::printf("conv: %d cases equal to ref\n", g_conv_cases);
}

// ---------------------------------------------------------------------------------------
// ADD, FULLY_CONNECTED, QUANTIZE, int8 <-> uint8 requantization

float random_scale(std::mt19937& rng) {
  return std::ldexp(std::uniform_real_distribution<float>(0.5f, 1.0f)(rng), rand_int(rng, -12, 2));
}

// Lengths around the 8-, 16- and 64-lane vectors and their tails.
const size_t kLengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, 4099};

using AddFn = void (*)(size_t, const int8_t*, const int8_t*, int8_t*, const QS8AddParams&);

// `reps` random cases per length of kLengths (activations in turn, equal input scales once,
// the extreme inputs once), each against the ref.
void check_add_cases(std::mt19937& rng, const char* name, AddFn add, int reps) {
  for (size_t n : kLengths)
    for (int rep = 0; rep < reps; ++rep) {
      const Activation act = rep % 3 == 0 ? Activation::kNone
                             : rep % 3 == 1 ? Activation::kRelu : Activation::kRelu6;
      const float sa = random_scale(rng), sb = rep == 4 ? sa : random_scale(rng);
      const QS8AddParams p = qs8_add_params(sa, rand_int(rng, -128, 127), sb,
                                            rand_int(rng, -128, 127), random_scale(rng),
                                            rand_int(rng, -128, 127), act);
      auto a = random_s8(rng, n), b = random_s8(rng, n);
      if (rep == 5) std::fill(a.begin(), a.end(), int8_t(-128)), std::fill(b.begin(), b.end(), int8_t(127));
      auto want = guarded(n), got = guarded(n);
      ref().add(n, a.data(), b.data(), want.data(), p);
      add(n, a.data(), b.data(), got.data(), p);
      ASSERT_TRUE(same_bytes(got, want, n, 1 << 30))
          << name << " add n " << n << " multipliers " << p.a_multiplier << " "
          << p.b_multiplier << " " << p.output_multiplier << " shifts " << p.a_shift << " "
          << p.b_shift << " " << p.output_shift;
    }
}

TEST(QS8FastKernels, Add) {
  std::mt19937 rng(31337);
  for (const QS8Kernels* t : fast_tables()) {
    check_add_cases(rng, t->isa, t->add, 6);
    if (HasFatalFailure()) return;
  }
}

// The table form of the AVX-512 ADD, called directly (the avx512vnni table takes it on CPUs
// with AVX512-VBMI from 256 elements on): every length, activation and scale mix of the test
// above, plus every pair of input values once.
TEST(QS8FastKernels, AddLutVbmi) {
#if defined(ELITE_HAVE_AVX512VNNI)
  if (!cpu_features().avx512vbmi || !cpu_features().avx512vnni) {
    GTEST_SKIP() << "no AVX512-VBMI";
  }
  std::mt19937 rng(4242);
  check_add_cases(rng, "lut", qs8_add_lut__avx512vbmi, 12);
  if (HasFatalFailure()) return;
  const QS8Kernels& r = ref();
  // All 65536 (a, b) pairs, for a few scale mixes.
  const size_t n = 65536;
  std::vector<int8_t> a(n), b(n);
  for (size_t i = 0; i < n; ++i) a[i] = int8_t(i & 255), b[i] = int8_t(i >> 8);
  for (int rep = 0; rep < 8; ++rep) {
    const QS8AddParams p = qs8_add_params(random_scale(rng), rand_int(rng, -128, 127),
                                          random_scale(rng), rand_int(rng, -128, 127),
                                          random_scale(rng), rand_int(rng, -128, 127),
                                          Activation::kNone);
    auto want = guarded(n), got = guarded(n);
    r.add(n, a.data(), b.data(), want.data(), p);
    qs8_add_lut__avx512vbmi(n, a.data(), b.data(), got.data(), p);
    ASSERT_TRUE(same_bytes(got, want, n, 1 << 30)) << "lut add, all pairs, rep " << rep;
  }
#else
  GTEST_SKIP() << "built without the AVX-512 kernels";
#endif
}

TEST(QS8FastKernels, GlobalMean) {
  std::mt19937 rng(1280);
  for (const QS8Kernels* t : fast_tables()) {
    for (int hw : {1, 2, 7, 49, 64, 100, 196, 361})
      for (int c : {1, 7, 8, 9, 17, 64, 1280}) {
        const QS8MeanParams p = qs8_mean_params(random_scale(rng), rand_int(rng, -128, 127),
                                                random_scale(rng), rand_int(rng, -128, 127));
        auto in = random_s8(rng, size_t(hw) * c);
        if (c == 9) std::fill(in.begin(), in.end(), int8_t(127));  // the largest sums
        const int cb = rand_int(rng, 0, c - 1), ce = rand_int(rng, cb + 1, c);
        auto want = guarded(size_t(c)), got = guarded(size_t(c));
        ref().global_mean(hw, c, cb, ce, in.data(), want.data(), p);
        t->global_mean(hw, c, cb, ce, in.data(), got.data(), p);
        ASSERT_TRUE(same_bytes(got, want, size_t(c), 1 << 30))
            << t->isa << " mean hw " << hw << " c " << c << " channels " << cb << ".." << ce;
      }
  }
}

TEST(QS8FastKernels, Softmax) {
  std::mt19937 rng(1000);
  for (const QS8Kernels* t : fast_tables()) {
    // n <= 4096: the Q12.19 sum of exps (TFLite's accumulator) holds at most 2^12 terms of 1.
    for (int n : {1, 2, 3, 10, 255, 256, 1000, 1001, 4000})
      for (int rep = 0; rep < 6; ++rep) {
        const float input_scale = std::ldexp(std::uniform_real_distribution<float>(0.5f, 1.0f)(rng),
                                             rand_int(rng, -8, 1));
        const QS8SoftmaxParams p = qs8_softmax_params(1.0f, input_scale);
        std::vector<int8_t> in = random_s8(rng, size_t(n));
        if (rep == 1) std::fill(in.begin(), in.end(), int8_t(rand_int(rng, -128, 127)));
        if (rep == 2)  // a few distinct values, one far above the rest
          for (int8_t& x : in) x = int8_t(rand_int(rng, 0, 9) == 0 ? 127 : rand_int(rng, -128, -120));
        if (rep == 3)  // a narrow range: many elements share each term
          for (int8_t& x : in) x = int8_t(rand_int(rng, -5, 5));
        auto want = guarded(size_t(n)), got = guarded(size_t(n));
        ref().softmax(n, in.data(), want.data(), p);
        t->softmax(n, in.data(), got.data(), p);
        ASSERT_TRUE(same_bytes(got, want, size_t(n), 1 << 30))
            << t->isa << " softmax n " << n << " rep " << rep << " input_scale " << input_scale;
      }
  }
}

TEST(QS8FastKernels, FullyConnected) {
  std::mt19937 rng(8086);
  for (const QS8Kernels* t : fast_tables()) {
    for (int k : {1, 15, 16, 17, 31, 32, 33, 100, 1280, 8200})
      for (int rep = 0; rep < 3; ++rep) {
        const int n = rand_int(rng, 1, 40), m = rand_int(rng, 1, 3);
        const auto w = random_s8(rng, size_t(n) * k), in = random_s8(rng, size_t(m) * k);
        const auto bias = random_bias(rng, n);
        std::vector<float> wscales(rep == 0 ? 1 : size_t(n));
        for (float& s : wscales) s = random_scale(rng);
        const std::vector<double> scales =
            qs8_fc_scales(random_scale(rng), wscales, random_scale(rng), n);
        QS8FcParams p;
        p.input_zero_point = rand_int(rng, -128, 127);
        p.weight_zero_point = rep == 0 ? rand_int(rng, -128, 127) : 0;
        p.output_zero_point = rand_int(rng, -128, 127);
        p.scale = scales.data();
        if (rep == 2) p.out_min = std::max(-128, p.output_zero_point);
        const size_t out_n = size_t(m) * n;
        auto want = guarded(out_n), got = guarded(out_n);
        ref().fc(0, m, n, k, in.data(), w.data(), rep == 1 ? nullptr : bias.data(), want.data(), p);
        t->fc(0, m, n, k, in.data(), w.data(), rep == 1 ? nullptr : bias.data(), got.data(), p);
        ASSERT_TRUE(same_bytes(got, want, out_n, n))
            << t->isa << " fc m " << m << " n " << n << " k " << k << " weight_zp "
            << p.weight_zero_point;
      }
  }
}

TEST(QS8FastKernels, QuantizeAndRequantize) {
  std::mt19937 rng(2718);
  for (const QS8Kernels* t : fast_tables()) {
    for (size_t n : kLengths)
      for (int rep = 0; rep < 5; ++rep) {
        const float scale = rep == 0 ? 1.0f / 128 : random_scale(rng);
        const int32_t zp = rep == 0 ? 127 : rand_int(rng, -128, 127);
        // Values on and next to the .5 ties, large, infinite and NaN inputs.
        std::vector<float> x(n);
        for (float& v : x) {
          const int kind = rand_int(rng, 0, 9);
          const float tie = (float(rand_int(rng, -300, 300)) + 0.5f) * scale;
          if (kind < 4) v = std::uniform_real_distribution<float>(-2.0f, 2.0f)(rng);
          else if (kind < 6) v = tie;
          else if (kind == 6) v = std::nextafter(tie, rand_int(rng, 0, 1) ? 1e9f : -1e9f);
          else if (kind == 7) v = std::uniform_real_distribution<float>(-1e10f, 1e10f)(rng);
          else if (kind == 8) v = rand_int(rng, 0, 1) ? INFINITY : -INFINITY;
          else v = rand_int(rng, 0, 1) ? NAN : float(rand_int(rng, -128, 127)) * scale;
        }
        auto want = guarded(n), got = guarded(n);
        ref().quantize_f32_s8(n, x.data(), want.data(), scale, zp);
        t->quantize_f32_s8(n, x.data(), got.data(), scale, zp);
        ASSERT_TRUE(same_bytes(got, want, n, 1 << 30)) << t->isa << " quantize s8 n " << n;
        const int32_t uzp = rep == 0 ? 127 : rand_int(rng, 0, 255);
        auto want_u = guarded(n), got_u = guarded(n);
        ref().quantize_f32_u8(n, x.data(), reinterpret_cast<uint8_t*>(want_u.data()), scale, uzp);
        t->quantize_f32_u8(n, x.data(), reinterpret_cast<uint8_t*>(got_u.data()), scale, uzp);
        ASSERT_TRUE(same_bytes(got_u, want_u, n, 1 << 30)) << t->isa << " quantize u8 n " << n;

        // int8 <-> uint8 with equal scales (zero points 128 apart) and random ones.
        // rep 4: the output scale twice the input's, so half the values are .5 ties.
        const float s_in = random_scale(rng),
                    s_out = rep < 2 ? s_in : rep == 4 ? 2 * s_in : random_scale(rng);
        const auto q = random_s8(rng, n);
        const QS8RequantizeParams su = qs8_requantize_params(
            s_in, rand_int(rng, -128, 127), s_out, rep < 2 ? 128 : rand_int(rng, 0, 255));
        auto want_r = guarded(n), got_r = guarded(n);
        ref().requantize_s8_u8(n, q.data(), reinterpret_cast<uint8_t*>(want_r.data()), su);
        t->requantize_s8_u8(n, q.data(), reinterpret_cast<uint8_t*>(got_r.data()), su);
        ASSERT_TRUE(same_bytes(got_r, want_r, n, 1 << 30)) << t->isa << " requantize s8->u8";
        const QS8RequantizeParams us = qs8_requantize_params(
            s_in, rep < 2 ? 128 : rand_int(rng, 0, 255), s_out, rand_int(rng, -128, 127));
        const auto* uq = reinterpret_cast<const uint8_t*>(q.data());
        auto want_s = guarded(n), got_s = guarded(n);
        ref().requantize_u8_s8(n, uq, want_s.data(), us);
        t->requantize_u8_s8(n, uq, got_s.data(), us);
        ASSERT_TRUE(same_bytes(got_s, want_s, n, 1 << 30)) << t->isa << " requantize u8->s8";
      }
  }
}

// ---------------------------------------------------------------------------------------
// Dispatch

TEST(QS8Dispatch, Tables) {
  const auto all = qs8_available_kernels();
  ASSERT_FALSE(all.empty());
  EXPECT_STREQ(all.front()->isa, "ref");
  EXPECT_EQ(qs8_kernels_for("ref"), &qs8_kernels__ref);
  EXPECT_EQ(qs8_kernels_for("no-such-isa"), nullptr);
  const QS8Kernels& chosen = qs8_kernels();
  EXPECT_NE(std::find(all.begin(), all.end(), &chosen), all.end());
#if defined(ELITE_HAVE_AVX2)
  const CpuFeatures& cpu = cpu_features();
  if (cpu.avx2 && cpu.fma) {
    ASSERT_NE(qs8_kernels_for("avx2"), nullptr);
    EXPECT_STREQ(qs8_kernels_for("avx2")->isa, "avx2");
  } else {
    EXPECT_EQ(qs8_kernels_for("avx2"), nullptr);
  }
#endif
}

}  // namespace
}  // namespace elite
