// Tests of the FP16 kernels: the half conversions (every half, the rounding corners), the
// reference kernels against double-precision formulas written here (within the rounding
// bound of half accumulation), then every fast table of every compiled ISA against the
// reference, bit for bit: random shapes from a fixed seed, channels around the vector width,
// stride 2 with SAME padding, the three clamps, row and column ranges, and guard values after
// every output. Tables the CPU cannot run are skipped with a message.
#include "kernels/f16_kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/f16_microkernels.h"

namespace elite {
namespace {

constexpr half_t kGuard = 0x5A5A;
constexpr int kGuardCount = 40;

struct NamedClamp {
  F16Clamp c;
  const char* name;
};
const NamedClamp kClamps[] = {{{0xFC00, 0x7C00}, "none"},  // -inf, +inf
                              {{0x0000, 0x7C00}, "relu"},
                              {{0x0000, 0x4600}, "relu6"}};  // 6.0

std::vector<float> random_floats(std::mt19937& rng, size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}
std::vector<half_t> to_half(const std::vector<float>& v) {
  std::vector<half_t> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) h[i] = half_from_float(v[i]);
  return h;
}
int rand_int(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

struct Guarded {
  std::vector<half_t> buf;
  size_t n;
  explicit Guarded(size_t count) : buf(count + kGuardCount, kGuard), n(count) {}
  half_t* data() { return buf.data(); }
  bool guards_intact() const {
    for (size_t i = n; i < buf.size(); ++i)
      if (buf[i] != kGuard) return false;
    return true;
  }
};

// Index of the first differing half, or -1.
long first_difference(const half_t* a, const half_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return long(i);
  return -1;
}

std::vector<const F16Kernels*> fast_tables() {
  std::vector<const F16Kernels*> t;
  for (const F16Kernels* k : f16_available_kernels())
    if (std::string(k->isa) != "ref") t.push_back(k);
  return t;
}

ConvGeometry same_geometry(int in_h, int in_w, int in_c, int out_c, int kh, int kw, int stride) {
  ConvGeometry g;
  g.in_h = in_h, g.in_w = in_w, g.in_c = in_c, g.out_c = out_c;
  g.kernel_h = kh, g.kernel_w = kw, g.stride_h = g.stride_w = stride;
  g.out_h = (in_h + stride - 1) / stride, g.out_w = (in_w + stride - 1) / stride;
  const int pad_h = std::max(0, (g.out_h - 1) * stride + kh - in_h);
  const int pad_w = std::max(0, (g.out_w - 1) * stride + kw - in_w);
  g.pad_top = pad_h / 2, g.pad_left = pad_w / 2;  // TF SAME: the odd pixel after
  return g;
}

// ---------------------------------------------------------------------------------------
TEST(Half, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const bool nan = ((h >> 10) & 0x1F) == 0x1F && (h & 0x3FF) != 0;
    const float f = half_to_float(half_t(h));
    if (nan) {
      EXPECT_TRUE(std::isnan(f)) << h;
      continue;
    }
    ASSERT_EQ(half_from_float(f), h) << "half " << h;
    ASSERT_EQ(half_from_double(double(f)), h) << "half " << h;
  }
}

TEST(Half, RoundsToNearestEven) {
  EXPECT_EQ(half_from_float(1.0f), 0x3C00);
  EXPECT_EQ(half_from_float(-2.0f), 0xC000);
  EXPECT_EQ(half_from_float(65504.0f), 0x7BFF);
  EXPECT_EQ(half_from_float(65519.99f), 0x7BFF);
  EXPECT_EQ(half_from_float(65520.0f), 0x7C00);  // the tie rounds to even: infinity
  EXPECT_EQ(half_from_float(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(half_from_float(std::ldexp(1.0f, -25)), 0x0000);       // tie to even (0)
  EXPECT_EQ(half_from_float(std::ldexp(3.0f, -25)), 0x0002);       // tie to even (2)
  EXPECT_EQ(half_from_float(std::ldexp(1.0f, -14) * 0.99999f), 0x0400);  // up into the normals
  EXPECT_EQ(half_from_float(1.0f + std::ldexp(1.0f, -11)), 0x3C00);   // tie, even mantissa
  EXPECT_EQ(half_from_float(1.0f + std::ldexp(3.0f, -11)), 0x3C02);   // tie, odd: up
  EXPECT_EQ(half_from_float(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3C01);
  EXPECT_EQ(half_from_double(1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)), 0x3C01);
  EXPECT_EQ(half_from_float(INFINITY), 0x7C00);
  EXPECT_TRUE(std::isnan(half_to_float(half_from_float(NAN))));
  // One rounding: 1 + 2^-11 + 2^-30 would round to 1 + 2^-11 in float (a tie in half, then
  // even: 1.0); the fused rounding sees past the tie.
  EXPECT_EQ(half_fma(half_from_float(1.0f), half_from_float(1.0f),
                     half_from_float(std::ldexp(1.0f, -11))), 0x3C00);  // exact tie: even
  EXPECT_EQ(half_fma(half_from_float(1.0f + std::ldexp(1.0f, -10)),
                     half_from_float(1.0f + std::ldexp(1.0f, -10)), 0x0000), 0x3C02);
}

TEST(Half, FloatAndDoubleRoundingsAgree) {
  std::mt19937 rng(5);
  for (int i = 0; i < 2000000; ++i) {
    uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, 4);
    if (std::isnan(f)) continue;
    ASSERT_EQ(half_from_float(f), half_from_double(double(f))) << "float bits " << bits;
  }
}

// ---------------------------------------------------------------------------------------
// The reference kernels compute the intended function: each result is within the rounding
// bound of half accumulation of the exact value (n roundings of 2^-11 relative to the
// running sum, bounded by the sum of magnitudes).
double half_sum_bound(int terms, double magnitude) {
  return (terms + 1) * std::ldexp(1.0, -11) * magnitude + std::ldexp(1.0, -24);
}

TEST(F16RefKernels, GemmIsTheProductWithinHalfRounding) {
  std::mt19937 rng(11);
  const int m = 5, n = 7, k = 13;
  const auto w = random_floats(rng, size_t(n) * k), bias = random_floats(rng, n);
  const auto x = to_half(random_floats(rng, size_t(m) * k));
  std::vector<half_t> packed(f16_gemm_packed_halves__ref(n, k)), out(size_t(m) * n);
  f16_gemm_pack__ref(n, k, w.data(), bias.data(), packed.data());
  f16_gemm__ref(0, m, 0, n, n, k, x.data(), packed.data(), out.data(), kClamps[0].c);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double exact = half_to_float(half_from_float(bias[j])), mag = std::fabs(exact);
      for (int kk = 0; kk < k; ++kk) {
        const double t = double(half_to_float(x[i * k + kk])) *
                         half_to_float(half_from_float(w[size_t(j) * k + kk]));
        exact += t, mag += std::fabs(t);
      }
      EXPECT_NEAR(half_to_float(out[i * n + j]), exact, half_sum_bound(k, mag)) << i << "," << j;
    }
}

TEST(F16RefKernels, DwconvAndConvAreTheConvolutionWithinHalfRounding) {
  std::mt19937 rng(12);
  for (int dw = 0; dw < 2; ++dw) {
    const ConvGeometry g = same_geometry(7, 6, dw ? 5 : 3, dw ? 5 : 4, 3, 3, 2);
    const int taps_per = dw ? 9 : 9 * g.in_c;
    const auto w = random_floats(rng, size_t(dw ? 9 * g.in_c : g.out_c * taps_per));
    const auto bias = random_floats(rng, g.out_c);
    const auto x = to_half(random_floats(rng, size_t(g.in_h) * g.in_w * g.in_c));
    std::vector<half_t> packed(dw ? f16_dwconv_packed_halves__ref(g.in_c, 3, 3)
                                  : f16_conv_packed_halves__ref(g.out_c, 3, 3, g.in_c));
    std::vector<half_t> out(size_t(g.out_h) * g.out_w * g.out_c);
    if (dw) {
      f16_dwconv_pack__ref(g.in_c, 3, 3, w.data(), bias.data(), packed.data());
      f16_dwconv__ref(g, x.data(), packed.data(), out.data(), kClamps[0].c, 0, g.out_h);
    } else {
      f16_conv_pack__ref(g.out_c, 3, 3, g.in_c, w.data(), bias.data(), packed.data());
      f16_conv__ref(g, x.data(), packed.data(), out.data(), kClamps[0].c, 0, g.out_h);
    }
    auto wt = [&](float v) { return double(half_to_float(half_from_float(v))); };
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int oc = 0; oc < g.out_c; ++oc) {
          double exact = wt(bias[oc]), mag = std::fabs(exact);
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy * 2 - g.pad_top + ky, ix = ox * 2 - g.pad_left + kx;
              if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
              for (int ci = 0; ci < (dw ? 1 : g.in_c); ++ci) {
                const int c_in = dw ? oc : ci;
                const double xv = half_to_float(x[(size_t(iy) * g.in_w + ix) * g.in_c + c_in]);
                const double wv = dw ? wt(w[(ky * 3 + kx) * g.in_c + oc])
                                     : wt(w[size_t(oc) * taps_per + (ky * 3 + kx) * g.in_c + ci]);
                exact += xv * wv, mag += std::fabs(xv * wv);
              }
            }
          EXPECT_NEAR(half_to_float(out[(size_t(oy) * g.out_w + ox) * g.out_c + oc]), exact,
                      half_sum_bound(taps_per, mag))
              << (dw ? "dwconv " : "conv ") << oy << "," << ox << "," << oc;
        }
  }
}

TEST(F16RefKernels, ClampAddAndMean) {
  const half_t a[4] = {half_from_float(-1.0f), half_from_float(2.5f), half_from_float(7.0f), 0x8000};
  const half_t b[4] = {half_from_float(0.25f), half_from_float(1.0f), half_from_float(1.0f), 0x0000};
  half_t out[4];
  f16_add__ref(4, a, b, out, kClamps[2].c);  // relu6
  EXPECT_EQ(out[0], 0x0000);
  EXPECT_EQ(half_to_float(out[1]), 3.5f);
  EXPECT_EQ(half_to_float(out[2]), 6.0f);
  EXPECT_EQ(out[3], 0x0000);
  const half_t rows[6] = {half_from_float(1.0f), half_from_float(2.0f), half_from_float(3.0f),
                          half_from_float(4.0f), half_from_float(5.0f), half_from_float(9.0f)};
  half_t mean[2];
  f16_global_mean__ref(3, 2, rows, mean);
  EXPECT_EQ(half_to_float(mean[0]), 3.0f);
  EXPECT_EQ(half_to_float(mean[1]), 5.0f);
}

// ---------------------------------------------------------------------------------------
class F16Fast : public ::testing::Test {
 protected:
  void SetUp() override {
    tables_ = fast_tables();
    if (tables_.empty()) GTEST_SKIP() << "no fast FP16 table runs on this CPU (needs AVX512-FP16)";
  }
  std::vector<const F16Kernels*> tables_;
};

TEST_F(F16Fast, GemmEqualsRefBitForBit) {
  std::mt19937 rng(21);
  struct Shape { int m, n, k; };
  std::vector<Shape> shapes = {{1, 1, 1}, {1, 1000, 1280}, {8, 64, 16}, {9, 65, 17},
                               {49, 1280, 320}, {17, 32, 96}, {3, 33, 5}, {196, 80, 240}};
  for (int i = 0; i < 60; ++i)
    shapes.push_back({rand_int(rng, 1, 40), rand_int(rng, 1, 200), rand_int(rng, 1, 90)});
  for (const F16Kernels* t : tables_)
    for (const Shape& s : shapes)
      for (const NamedClamp& cl : kClamps) {
        const auto w = random_floats(rng, size_t(s.n) * s.k), bias = random_floats(rng, s.n);
        const auto x = to_half(random_floats(rng, size_t(s.m) * s.k, -3.0f, 3.0f));
        std::vector<half_t> pr(f16_gemm_packed_halves__ref(s.n, s.k));
        std::vector<half_t> pf(t->gemm.packed_halves(s.n, s.k));
        f16_gemm_pack__ref(s.n, s.k, w.data(), bias.data(), pr.data());
        t->gemm.pack(s.n, s.k, w.data(), bias.data(), pf.data());
        std::vector<half_t> ref(size_t(s.m) * s.n);
        f16_gemm__ref(0, s.m, 0, s.n, s.n, s.k, x.data(), pr.data(), ref.data(), cl.c);
        Guarded out(ref.size());
        // Rows and columns in two ranges each, the column cut on a tile boundary.
        const int mc = s.m / 2;
        const int nc = std::min(s.n, (s.n / 2) / t->gemm.n_tile * t->gemm.n_tile);
        for (int mr = 0; mr < 2; ++mr)
          for (int nr = 0; nr < 2; ++nr)
            t->gemm.run(mr ? mc : 0, mr ? s.m : mc, nr ? nc : 0, nr ? s.n : nc, s.n, s.k,
                        x.data(), pf.data(), out.data(), cl.c);
        const long d = first_difference(out.data(), ref.data(), ref.size());
        ASSERT_EQ(d, -1) << t->isa << " gemm m " << s.m << " n " << s.n << " k " << s.k << " "
                         << cl.name << " at " << d;
        ASSERT_TRUE(out.guards_intact()) << t->isa << " gemm wrote past its output";
      }
}

TEST_F(F16Fast, DwconvAndConvEqualRefBitForBit) {
  std::mt19937 rng(22);
  struct Case { int h, w, c, kh, kw, stride, out_c; };
  std::vector<Case> cases = {{14, 14, 32, 3, 3, 1, 0}, {15, 15, 33, 5, 5, 2, 0},
                             {7, 7, 96, 5, 5, 1, 0},   {9, 8, 31, 3, 3, 2, 0},
                             {3, 2, 64, 5, 5, 1, 0},   {6, 7, 40, 2, 4, 1, 0},
                             {33, 33, 3, 3, 3, 2, 32}, {12, 11, 3, 3, 3, 2, 40},
                             {5, 6, 7, 3, 3, 1, 70},   {4, 4, 2, 1, 1, 2, 8}};
  for (int i = 0; i < 30; ++i) {
    const int k = rand_int(rng, 0, 1) ? 3 : 5;
    cases.push_back({rand_int(rng, 1, 20), rand_int(rng, 1, 20), rand_int(rng, 1, 100), k, k,
                     rand_int(rng, 1, 2), i % 3 == 0 ? rand_int(rng, 1, 70) : 0});
  }
  for (const F16Kernels* t : tables_)
    for (const Case& cs : cases)
      for (const NamedClamp& cl : kClamps) {
        const bool dw = cs.out_c == 0;
        const ConvGeometry g =
            same_geometry(cs.h, cs.w, cs.c, dw ? cs.c : cs.out_c, cs.kh, cs.kw, cs.stride);
        const size_t wn = dw ? size_t(cs.kh) * cs.kw * cs.c : size_t(g.out_c) * cs.kh * cs.kw * cs.c;
        const auto w = random_floats(rng, wn), bias = random_floats(rng, g.out_c);
        const auto x = to_half(random_floats(rng, size_t(cs.h) * cs.w * cs.c, -3.0f, 3.0f));
        std::vector<half_t> ref(size_t(g.out_h) * g.out_w * g.out_c);
        Guarded out(ref.size());
        const int cut = g.out_h / 3;
        if (dw) {
          std::vector<half_t> pr(f16_dwconv_packed_halves__ref(cs.c, cs.kh, cs.kw));
          std::vector<half_t> pf(t->dwconv.packed_halves(cs.c, cs.kh, cs.kw));
          f16_dwconv_pack__ref(cs.c, cs.kh, cs.kw, w.data(), bias.data(), pr.data());
          t->dwconv.pack(cs.c, cs.kh, cs.kw, w.data(), bias.data(), pf.data());
          f16_dwconv__ref(g, x.data(), pr.data(), ref.data(), cl.c, 0, g.out_h);
          t->dwconv.run(g, x.data(), pf.data(), out.data(), cl.c, 0, cut);
          t->dwconv.run(g, x.data(), pf.data(), out.data(), cl.c, cut, g.out_h);
        } else {
          std::vector<half_t> pr(f16_conv_packed_halves__ref(g.out_c, cs.kh, cs.kw, cs.c));
          std::vector<half_t> pf(t->conv.packed_halves(g.out_c, cs.kh, cs.kw, cs.c));
          f16_conv_pack__ref(g.out_c, cs.kh, cs.kw, cs.c, w.data(), bias.data(), pr.data());
          t->conv.pack(g.out_c, cs.kh, cs.kw, cs.c, w.data(), bias.data(), pf.data());
          f16_conv__ref(g, x.data(), pr.data(), ref.data(), cl.c, 0, g.out_h);
          t->conv.run(g, x.data(), pf.data(), out.data(), cl.c, 0, cut);
          t->conv.run(g, x.data(), pf.data(), out.data(), cl.c, cut, g.out_h);
        }
        const long d = first_difference(out.data(), ref.data(), ref.size());
        ASSERT_EQ(d, -1) << t->isa << (dw ? " dwconv " : " conv ") << cs.h << "x" << cs.w << "x"
                         << cs.c << " k" << cs.kh << "x" << cs.kw << " s" << cs.stride << " out_c "
                         << g.out_c << " " << cl.name << " at " << d;
        ASSERT_TRUE(out.guards_intact()) << t->isa << " conv wrote past its output";
      }
}

TEST_F(F16Fast, ElementwiseEqualRefBitForBit) {
  std::mt19937 rng(23);
  for (const F16Kernels* t : tables_)
    for (size_t n : {size_t(1), size_t(15), size_t(16), size_t(33), size_t(1000), size_t(4711)}) {
      const auto fa = random_floats(rng, n, -8.0f, 8.0f), fb = random_floats(rng, n, -8.0f, 8.0f);
      const auto a = to_half(fa), b = to_half(fb);
      for (const NamedClamp& cl : kClamps) {
        std::vector<half_t> ref(n);
        Guarded out(n);
        f16_add__ref(n, a.data(), b.data(), ref.data(), cl.c);
        t->add(n, a.data(), b.data(), out.data(), cl.c);
        ASSERT_EQ(first_difference(out.data(), ref.data(), n), -1) << t->isa << " add " << n;
        ASSERT_TRUE(out.guards_intact());
      }
      Guarded h(n);
      t->from_float(n, fa.data(), h.data());
      ASSERT_EQ(first_difference(h.data(), a.data(), n), -1) << t->isa << " from_float " << n;
      ASSERT_TRUE(h.guards_intact());
      std::vector<float> back(n + 8, -1.0f), ref_back(n);
      t->to_float(n, a.data(), back.data());
      f16_to_float__ref(n, a.data(), ref_back.data());
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(back[i], ref_back[i]) << t->isa << " to_float";
      ASSERT_EQ(back[n], -1.0f) << t->isa << " to_float wrote past its output";
    }
  for (const F16Kernels* t : tables_)
    for (auto [hw, c] : {std::pair{49, 1280}, std::pair{1, 3}, std::pair{100, 17}, std::pair{9, 40}}) {
      const auto x = to_half(random_floats(rng, size_t(hw) * c, 0.0f, 6.0f));
      std::vector<half_t> ref(c);
      Guarded out(c);
      f16_global_mean__ref(hw, c, x.data(), ref.data());
      t->global_mean(hw, c, x.data(), out.data());
      ASSERT_EQ(first_difference(out.data(), ref.data(), c), -1) << t->isa << " mean " << hw;
      ASSERT_TRUE(out.guards_intact());
    }
}

TEST(F16Dispatch, ChosenTableIsAvailable) {
  const F16Kernels& k = f16_kernels();
  bool found = false;
  for (const F16Kernels* t : f16_available_kernels()) found = found || t == &k;
  EXPECT_TRUE(found) << k.isa;
  ASSERT_NE(f16_kernels_for("ref"), nullptr);
  EXPECT_EQ(f16_kernels_for("no-such-isa"), nullptr);
}

}  // namespace
}  // namespace elite
