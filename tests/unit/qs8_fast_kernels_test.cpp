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

RequantData random_requant(std::mt19937& rng, int channels) {
  RequantData d;
  d.multiplier.resize(size_t(channels));
  d.shift.resize(size_t(channels));
  for (int c = 0; c < channels; ++c) {
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
  s << " input_zp " << d.rq.input_zero_point << " output_zp " << d.rq.output_zero_point
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
  RequantData rd = random_requant(rng, n);
  if (extreme) rd.rq.input_zero_point = 127;  // x - zp = -255, w = -128: the largest products
  std::ostringstream info;
  info << t.isa << " gemm m " << m << " n " << n << " k " << k << rd.text;
  SCOPED_TRACE(info.str());

  std::vector<uint8_t> pr(ref().gemm.packed_bytes(n, k)), pf(t.gemm.packed_bytes(n, k));
  ref().gemm.pack(n, k, w.data(), bias.data(), pr.data());
  t.gemm.pack(n, k, w.data(), bias.data(), pf.data());
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
      std::vector<uint8_t> pr(ref().gemm.packed_bytes(n, k)), pf(t->gemm.packed_bytes(n, k));
      ref().gemm.pack(n, k, w.data(), bias.data(), pr.data());
      t->gemm.pack(n, k, w.data(), bias.data(), pf.data());
      const size_t out_n = size_t(m) * n;
      auto want = guarded(out_n), got = guarded(out_n);
      ref().gemm.run(0, m, 0, n, n, k, in.data(), pr.data(), want.data(), rq);
      t->gemm.run(0, m, 0, n, n, k, in.data(), pf.data(), got.data(), rq);
      ASSERT_TRUE(same_bytes(got, want, out_n, n)) << t->isa << (zero_w ? " zero" : " random")
                                                   << " weights (column = corner index)";
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

void check_dwconv(const QS8Kernels& t, std::mt19937& rng, const ConvGeometry& g) {
  const int c = g.in_c;
  const auto w = random_s8(rng, size_t(g.kernel_h) * g.kernel_w * c);
  const auto in = random_s8(rng, size_t(g.in_h) * g.in_w * c);
  const auto bias = random_bias(rng, c);
  const RequantData rd = random_requant(rng, c);
  SCOPED_TRACE(std::string(t.isa) + " dwconv " + describe(g) + rd.text);
  std::vector<uint8_t> pr(ref().dwconv.packed_bytes(c, g.kernel_h, g.kernel_w));
  std::vector<uint8_t> pf(t.dwconv.packed_bytes(c, g.kernel_h, g.kernel_w));
  ref().dwconv.pack(c, g.kernel_h, g.kernel_w, w.data(), bias.data(), pr.data());
  t.dwconv.pack(c, g.kernel_h, g.kernel_w, w.data(), bias.data(), pf.data());
  compare_conv(rng, g, in, ref().dwconv.run, pr.data(), t.dwconv.run, pf.data(), rd.rq);
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
    check_dwconv(*t, rng, geometry(7, 7, 1152, 1152, 5, 5, 1, true));
    check_dwconv(*t, rng, geometry(14, 14, 672, 672, 5, 5, 2, true));
    check_dwconv(*t, rng, geometry(15, 15, 240, 240, 3, 3, 2, true));
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
  const RequantData rd = random_requant(rng, g.out_c);
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
