// Tests of the FP32 kernels (src/kernels): the ref kernels against naive formulas written
// here (explicitly padded input, double accumulation), then every fast kernel of every
// compiled ISA against its ref twin: random shapes from a fixed seed plus edge cases
// (channels around the tile, odd sizes, stride 2, SAME padding, clamps, ranges), guard
// values after every output, and bit-identical results however rows are split.
// ISAs the CPU lacks are skipped with a message.
#include "kernels/f32_kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/f32_microkernels.h"

namespace elite {
namespace {

constexpr float kEps = std::numeric_limits<float>::epsilon();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kGuard = -7777.25f;  // written after every output, must survive
constexpr int kGuardCount = 32;

struct Clamp {
  float lo, hi;
  const char* name;
};
const Clamp kClamps[] = {
    {-3.4028235e38f, 3.4028235e38f, "none"}, {0.0f, kInf, "relu"}, {0.0f, 6.0f, "relu6"}};

std::vector<float> random_floats(std::mt19937& rng, size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

int rand_int(std::mt19937& rng, int lo, int hi) {  // inclusive
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

// An output buffer of `n` floats followed by kGuardCount guard values.
struct Guarded {
  std::vector<float> buf;
  size_t n;
  explicit Guarded(size_t count, float fill = kGuard) : buf(count + kGuardCount, fill), n(count) {}
  float* data() { return buf.data(); }
  const float* data() const { return buf.data(); }
  bool guards_intact() const {
    for (size_t i = n; i < buf.size(); ++i)
      if (std::memcmp(&buf[i], &kGuard, sizeof(float)) != 0) return false;
    return true;
  }
};

// |got - want| <= atol + rtol*|want| + 4*eps*abssum, where abssum = sum of |terms| of the
// reduction (bias included). The last term is the usual K*eps bound with the mean term
// magnitude: rounding error of a K-term sum grows with K times the size of the terms.
::testing::AssertionResult all_close(const float* got, const float* want,
                                     const std::vector<double>& abssum, size_t count,
                                     double atol = 1e-6, double rtol = 1e-5) {
  size_t bad = 0;
  std::ostringstream msg;
  for (size_t i = 0; i < count; ++i) {
    const double tol = atol + rtol * std::fabs(want[i]) + 4.0 * kEps * abssum[i];
    const double err = std::fabs(double(got[i]) - double(want[i]));
    if (!(err <= tol)) {  // also catches NaN
      if (bad < 8)
        msg << "\n  [" << i << "] got " << got[i] << " want " << want[i] << " err " << err
            << " tol " << tol;
      ++bad;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << count << " values differ" << msg.str();
}

::testing::AssertionResult bit_equal(const float* a, const float* b, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure()
             << "first difference at [" << i << "]: " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

float clampf(double v, const Clamp& c) {
  return float(std::min(std::max(v, double(c.lo)), double(c.hi)));
}

// ---------------------------------------------------------------------------------------
// Naive formulas (double accumulation) used to check the ref kernels and to size tolerances.

struct Naive {
  std::vector<float> value;    // clamped, rounded to float
  std::vector<double> abssum;  // sum of |terms|, for tolerances
};

Naive naive_gemm(int m, int n, int k, const float* in, const float* w_nk, const float* bias,
                 const Clamp& c) {
  Naive r{std::vector<float>(size_t(m) * n), std::vector<double>(size_t(m) * n)};
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double acc = bias[j], abs = std::fabs(bias[j]);
      for (int kk = 0; kk < k; ++kk) {
        const double t = double(in[size_t(i) * k + kk]) * w_nk[size_t(j) * k + kk];
        acc += t;
        abs += std::fabs(t);
      }
      r.value[size_t(i) * n + j] = clampf(acc, c);
      r.abssum[size_t(i) * n + j] = abs;
    }
  return r;
}

// SAME-style geometry: out = ceil(in / stride), total padding split with the extra row
// and column at the bottom/right (TensorFlow).
ConvGeometry same_geometry(int in_h, int in_w, int in_c, int out_c, int kh, int kw, int stride,
                           const Clamp& c) {
  ConvGeometry g;
  g.in_h = in_h, g.in_w = in_w, g.in_c = in_c, g.out_c = out_c;
  g.kernel_h = kh, g.kernel_w = kw, g.stride_h = stride, g.stride_w = stride;
  g.out_h = (in_h + stride - 1) / stride;
  g.out_w = (in_w + stride - 1) / stride;
  g.pad_top = std::max((g.out_h - 1) * stride + kh - in_h, 0) / 2;
  g.pad_left = std::max((g.out_w - 1) * stride + kw - in_w, 0) / 2;
  g.out_min = c.lo, g.out_max = c.hi;
  return g;
}

ConvGeometry valid_geometry(int in_h, int in_w, int in_c, int out_c, int kh, int kw, int stride,
                            const Clamp& c) {
  ConvGeometry g = same_geometry(in_h, in_w, in_c, out_c, kh, kw, stride, c);
  g.out_h = (in_h - kh) / stride + 1;
  g.out_w = (in_w - kw) / stride + 1;
  g.pad_top = g.pad_left = 0;
  return g;
}

std::string describe(const ConvGeometry& g) {
  std::ostringstream s;
  s << "in " << g.in_h << "x" << g.in_w << "x" << g.in_c << " out " << g.out_h << "x" << g.out_w
    << "x" << g.out_c << " kernel " << g.kernel_h << "x" << g.kernel_w << " stride " << g.stride_h
    << "x" << g.stride_w << " pad_top " << g.pad_top << " pad_left " << g.pad_left << " clamp ["
    << g.out_min << ", " << g.out_max << "]";
  return s.str();
}

// Copies in [h][w][c] into a zero image big enough for every tap of g, so the naive
// convolutions below need no bounds checks.
struct Padded {
  std::vector<float> data;
  int h, w;
};
Padded pad_input(const ConvGeometry& g, const float* in) {
  Padded p;
  p.h = std::max((g.out_h - 1) * g.stride_h + g.kernel_h, g.pad_top + g.in_h);
  p.w = std::max((g.out_w - 1) * g.stride_w + g.kernel_w, g.pad_left + g.in_w);
  p.data.assign(size_t(p.h) * p.w * g.in_c, 0.0f);
  for (int y = 0; y < g.in_h; ++y)
    for (int x = 0; x < g.in_w; ++x)
      std::memcpy(&p.data[(size_t(y + g.pad_top) * p.w + x + g.pad_left) * g.in_c],
                  &in[(size_t(y) * g.in_w + x) * g.in_c], sizeof(float) * g.in_c);
  return p;
}

Naive naive_dwconv(const ConvGeometry& g, const float* in, const float* w_hwc, const float* bias) {
  const Padded p = pad_input(g, in);
  const int c = g.in_c;
  const size_t count = size_t(g.out_h) * g.out_w * c;
  Naive r{std::vector<float>(count), std::vector<double>(count)};
  const Clamp cl{g.out_min, g.out_max, ""};
  for (int oy = 0; oy < g.out_h; ++oy)
    for (int ox = 0; ox < g.out_w; ++ox)
      for (int ch = 0; ch < c; ++ch) {
        double acc = bias[ch], abs = std::fabs(bias[ch]);
        for (int ky = 0; ky < g.kernel_h; ++ky)
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const double t =
                double(
                    p.data[(size_t(oy * g.stride_h + ky) * p.w + ox * g.stride_w + kx) * c + ch]) *
                w_hwc[(size_t(ky) * g.kernel_w + kx) * c + ch];
            acc += t;
            abs += std::fabs(t);
          }
        const size_t o = (size_t(oy) * g.out_w + ox) * c + ch;
        r.value[o] = clampf(acc, cl);
        r.abssum[o] = abs;
      }
  return r;
}

Naive naive_conv(const ConvGeometry& g, const float* in, const float* w_ohwi, const float* bias) {
  const Padded p = pad_input(g, in);
  const size_t count = size_t(g.out_h) * g.out_w * g.out_c;
  Naive r{std::vector<float>(count), std::vector<double>(count)};
  const Clamp cl{g.out_min, g.out_max, ""};
  for (int oy = 0; oy < g.out_h; ++oy)
    for (int ox = 0; ox < g.out_w; ++ox)
      for (int oc = 0; oc < g.out_c; ++oc) {
        double acc = bias[oc], abs = std::fabs(bias[oc]);
        for (int ky = 0; ky < g.kernel_h; ++ky)
          for (int kx = 0; kx < g.kernel_w; ++kx)
            for (int ic = 0; ic < g.in_c; ++ic) {
              const double t =
                  double(
                      p.data[(size_t(oy * g.stride_h + ky) * p.w + ox * g.stride_w + kx) * g.in_c +
                             ic]) *
                  w_ohwi[((size_t(oc) * g.kernel_h + ky) * g.kernel_w + kx) * g.in_c + ic];
              acc += t;
              abs += std::fabs(t);
            }
        const size_t o = (size_t(oy) * g.out_w + ox) * g.out_c + oc;
        r.value[o] = clampf(acc, cl);
        r.abssum[o] = abs;
      }
  return r;
}

// ---------------------------------------------------------------------------------------
// Runners: pack with the table's own pack, run over [begin, end) into a guarded buffer.

struct GemmCase {
  int m, n, k;
  Clamp clamp;
  std::string str() const {
    std::ostringstream s;
    s << "gemm m " << m << " n " << n << " k " << k << " clamp " << clamp.name;
    return s.str();
  }
};

struct GemmData {
  std::vector<float> in, w, bias;
  GemmData(std::mt19937& rng, const GemmCase& c)
      : in(random_floats(rng, size_t(c.m) * c.k)),
        w(random_floats(rng, size_t(c.n) * c.k)),
        bias(random_floats(rng, c.n)) {}
};

std::vector<float> pack_gemm(const F32Kernels& t, const GemmCase& c, const GemmData& d) {
  // Guarded too: pack must not write past packed_floats.
  Guarded p(t.gemm.packed_floats(c.n, c.k));
  t.gemm.pack(c.n, c.k, d.w.data(), d.bias.data(), p.data());
  EXPECT_TRUE(p.guards_intact()) << t.isa << " gemm pack overran packed_floats";
  return std::vector<float>(p.buf.begin(), p.buf.begin() + p.n);
}

Guarded run_gemm(const F32Kernels& t, const GemmCase& c, const std::vector<float>& packed,
                 const GemmData& d, int m0, int m1, int n0, int n1) {
  Guarded out(size_t(c.m) * c.n);
  t.gemm.run(m0, m1, n0, n1, c.n, c.k, d.in.data(), packed.data(), out.data(), c.clamp.lo,
             c.clamp.hi);
  return out;
}

struct DwCase {
  ConvGeometry g;
  std::string str() const { return "dwconv " + describe(g); }
};
struct DwData {
  std::vector<float> in, w, bias;
  DwData(std::mt19937& rng, const ConvGeometry& g)
      : in(random_floats(rng, size_t(g.in_h) * g.in_w * g.in_c)),
        w(random_floats(rng, size_t(g.kernel_h) * g.kernel_w * g.in_c)),
        bias(random_floats(rng, g.in_c)) {}
};
std::vector<float> pack_dw(const F32Kernels& t, const ConvGeometry& g, const DwData& d) {
  Guarded p(t.dwconv.packed_floats(g.in_c, g.kernel_h, g.kernel_w));
  t.dwconv.pack(g.in_c, g.kernel_h, g.kernel_w, d.w.data(), d.bias.data(), p.data());
  EXPECT_TRUE(p.guards_intact()) << t.isa << " dwconv pack overran packed_floats";
  return std::vector<float>(p.buf.begin(), p.buf.begin() + p.n);
}

struct ConvData {
  std::vector<float> in, w, bias;
  ConvData(std::mt19937& rng, const ConvGeometry& g)
      : in(random_floats(rng, size_t(g.in_h) * g.in_w * g.in_c)),
        w(random_floats(rng, size_t(g.out_c) * g.kernel_h * g.kernel_w * g.in_c)),
        bias(random_floats(rng, g.out_c)) {}
};
std::vector<float> pack_conv(const F32Kernels& t, const ConvGeometry& g, const ConvData& d) {
  Guarded p(t.conv.packed_floats(g.out_c, g.kernel_h, g.kernel_w, g.in_c));
  t.conv.pack(g.out_c, g.kernel_h, g.kernel_w, g.in_c, d.w.data(), d.bias.data(), p.data());
  EXPECT_TRUE(p.guards_intact()) << t.isa << " conv pack overran packed_floats";
  return std::vector<float>(p.buf.begin(), p.buf.begin() + p.n);
}

const F32Kernels& ref() { return *f32_kernels_for("ref"); }

// The dwconv shapes every test walks: channel counts around 8 and 16 (the AVX2 and
// AVX-512 vector widths), 3x3 and 5x5, stride 1 and 2, odd and even sizes, SAME and
// VALID padding, inputs smaller than the kernel, and the three clamps.
std::vector<ConvGeometry> dw_geometries(std::mt19937& rng) {
  std::vector<ConvGeometry> gs;
  const int channels[] = {1, 7, 8, 9, 15, 16, 17, 19, 31, 32, 33, 35, 67};
  int i = 0;
  for (int c : channels)
    for (int k : {3, 5})
      for (int s : {1, 2}) {
        const Clamp& cl = kClamps[i++ % 3];
        const int h = rand_int(rng, 1, 13), w = rand_int(rng, 1, 14);
        gs.push_back(same_geometry(h, w, c, c, k, k, s, cl));
        if (h >= k && w >= k) gs.push_back(valid_geometry(h, w, c, c, k, k, s, cl));
      }
  for (const Clamp& cl : kClamps) {
    gs.push_back(same_geometry(7, 9, 24, 24, 3, 3, 2, cl));  // odd, stride 2
    gs.push_back(same_geometry(8, 8, 40, 40, 5, 5, 2, cl));  // even, extra pad bottom/right
    gs.push_back(same_geometry(1, 1, 13, 13, 5, 5, 1, cl));  // 1x1 image, 5x5 kernel
    gs.push_back(same_geometry(2, 3, 18, 18, 5, 5, 2, cl));
    gs.push_back(same_geometry(14, 14, 45, 45, 3, 3, 1, cl));  // lite0-like, c remainder
    gs.push_back(same_geometry(11, 6, 9, 9, 1, 1, 1, cl));     // 1x1 depthwise
    gs.push_back(same_geometry(9, 10, 10, 10, 7, 7, 1, cl));   // generic kernel size
    gs.push_back(same_geometry(9, 10, 10, 10, 3, 5, 2, cl));   // non-square kernel
  }
  {  // asymmetric stride and explicit padding bigger than SAME
    ConvGeometry g = same_geometry(9, 12, 20, 20, 3, 3, 1, kClamps[0]);
    g.stride_h = 2, g.out_h = 5, g.pad_top = 1, g.pad_left = 2, g.out_w = 14;
    gs.push_back(g);
  }
  {  // 5x5 stride 1 (the AVX-512 ring path): 8-, 4- and 1-pixel blocks in one row, rows
     // padded past SAME on every side, row stride 2
    gs.push_back(same_geometry(6, 29, 33, 33, 5, 5, 1, kClamps[1]));
    ConvGeometry g = same_geometry(11, 13, 17, 17, 5, 5, 1, kClamps[2]);
    g.stride_h = 2, g.out_h = 7, g.pad_top = 3, g.pad_left = 3, g.out_w = 15;
    gs.push_back(g);
  }
  for (int r = 0; r < 30; ++r) {  // random
    const int k = rand_int(rng, 0, 1) ? 3 : 5, s = rand_int(rng, 1, 2);
    const int c = rand_int(rng, 1, 100);
    gs.push_back(
        same_geometry(rand_int(rng, 1, 20), rand_int(rng, 1, 20), c, c, k, k, s, kClamps[r % 3]));
  }
  return gs;
}

std::vector<ConvGeometry> conv_geometries(std::mt19937& rng) {
  std::vector<ConvGeometry> gs;
  int i = 0;
  for (int out_c : {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 35, 40, 67})
    for (int in_c : {1, 3, 4, 8}) {
      const Clamp& cl = kClamps[i++ % 3];
      gs.push_back(
          same_geometry(rand_int(rng, 1, 12), rand_int(rng, 1, 12), in_c, out_c, 3, 3, 2, cl));
    }
  for (const Clamp& cl : kClamps) {
    gs.push_back(same_geometry(15, 17, 3, 32, 3, 3, 2, cl));  // the stem, odd size
    gs.push_back(same_geometry(16, 16, 3, 32, 3, 3, 2, cl));  // the stem, even size
    gs.push_back(same_geometry(9, 8, 5, 24, 5, 5, 1, cl));
    gs.push_back(same_geometry(6, 7, 6, 12, 1, 1, 1, cl));
    gs.push_back(valid_geometry(9, 9, 3, 32, 3, 3, 2, cl));
    // Rows wide enough for the 8-pixel interior blocks of the fast kernels, with remainders.
    gs.push_back(same_geometry(5, 41, 3, 32, 3, 3, 2, cl));
    gs.push_back(same_geometry(4, 40, 3, 48, 3, 3, 2, cl));
    gs.push_back(same_geometry(3, 29, 4, 67, 3, 3, 1, cl));
    gs.push_back(valid_geometry(5, 38, 3, 17, 3, 3, 2, cl));
  }
  for (int r = 0; r < 20; ++r) {
    const int k = rand_int(rng, 1, 3) * 2 - 1;
    gs.push_back(same_geometry(rand_int(rng, 1, 14), rand_int(rng, 1, 44), rand_int(rng, 1, 8),
                               rand_int(rng, 1, 70), k, k, rand_int(rng, 1, 2), kClamps[r % 3]));
  }
  return gs;
}

std::vector<GemmCase> gemm_cases(std::mt19937& rng, int t) {
  std::vector<GemmCase> cs;
  int i = 0;
  for (int n : {1, t - 1, t, t + 1, 2 * t + 3, 3 * t})
    for (int m : {1, 2, 5, 6, 7, 8, 9, 13, 17})
      for (int k : {1, 3, 16, 17, 40}) {
        if (n < 1) continue;
        cs.push_back({m, n, k, kClamps[i++ % 3]});
      }
  for (const Clamp& cl : kClamps) {
    cs.push_back({1, 1000, 1280, cl});  // the classifier
    cs.push_back({49, 72, 320, cl});    // head-like long k
    cs.push_back({23, 96, 16, cl});     // expand
    cs.push_back({19, 24, 144, cl});    // project
  }
  for (int r = 0; r < 40; ++r)
    cs.push_back(
        {rand_int(rng, 1, 40), rand_int(rng, 1, 150), rand_int(rng, 1, 300), kClamps[r % 3]});
  return cs;
}

// ---------------------------------------------------------------------------------------
// The reference kernels against the naive formulas.

TEST(F32RefKernels, GemmMatchesNaive) {
  std::mt19937 rng(1234);
  for (const GemmCase& c : gemm_cases(rng, 8)) {
    SCOPED_TRACE(c.str());
    GemmData d(rng, c);
    const Naive want = naive_gemm(c.m, c.n, c.k, d.in.data(), d.w.data(), d.bias.data(), c.clamp);
    const Guarded got = run_gemm(ref(), c, pack_gemm(ref(), c, d), d, 0, c.m, 0, c.n);
    EXPECT_TRUE(all_close(got.data(), want.value.data(), want.abssum, got.n));
    EXPECT_TRUE(got.guards_intact());
  }
}

TEST(F32RefKernels, DwconvMatchesPaddedNaive) {
  std::mt19937 rng(2345);
  for (const ConvGeometry& g : dw_geometries(rng)) {
    SCOPED_TRACE("dwconv " + describe(g));
    DwData d(rng, g);
    const Naive want = naive_dwconv(g, d.in.data(), d.w.data(), d.bias.data());
    Guarded got(size_t(g.out_h) * g.out_w * g.in_c);
    ref().dwconv.run(g, d.in.data(), pack_dw(ref(), g, d).data(), got.data(), 0, g.out_h);
    EXPECT_TRUE(all_close(got.data(), want.value.data(), want.abssum, got.n));
    EXPECT_TRUE(got.guards_intact());
  }
}

TEST(F32RefKernels, ConvMatchesPaddedNaive) {
  std::mt19937 rng(3456);
  for (const ConvGeometry& g : conv_geometries(rng)) {
    SCOPED_TRACE("conv " + describe(g));
    ConvData d(rng, g);
    const Naive want = naive_conv(g, d.in.data(), d.w.data(), d.bias.data());
    Guarded got(size_t(g.out_h) * g.out_w * g.out_c);
    ref().conv.run(g, d.in.data(), pack_conv(ref(), g, d).data(), got.data(), 0, g.out_h);
    EXPECT_TRUE(all_close(got.data(), want.value.data(), want.abssum, got.n));
    EXPECT_TRUE(got.guards_intact());
  }
}

TEST(F32RefKernels, AddMeanSoftmaxMatchNaive) {
  std::mt19937 rng(4567);
  const size_t n = 1003;
  const auto a = random_floats(rng, n, -8, 8), b = random_floats(rng, n, -8, 8);
  for (const Clamp& cl : kClamps) {
    SCOPED_TRACE(std::string("add clamp ") + cl.name);
    Guarded out(n);
    ref().add(n, a.data(), b.data(), out.data(), cl.lo, cl.hi);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out.data()[i], clampf(double(a[i] + b[i]), cl)) << i;
    EXPECT_TRUE(out.guards_intact());
  }
  {
    const int hw = 49, c = 37;
    const auto in = random_floats(rng, size_t(hw) * c);
    Guarded out(c);
    ref().global_mean(hw, c, in.data(), out.data());
    std::vector<float> want(c);
    std::vector<double> abssum(c);
    for (int ch = 0; ch < c; ++ch) {
      double s = 0, as = 0;
      for (int p = 0; p < hw; ++p)
        s += in[size_t(p) * c + ch], as += std::fabs(in[size_t(p) * c + ch]);
      want[ch] = float(s / hw);
      abssum[ch] = as / hw;
    }
    EXPECT_TRUE(all_close(out.data(), want.data(), abssum, c));
    EXPECT_TRUE(out.guards_intact());
  }
  for (float beta : {1.0f, 0.5f}) {
    SCOPED_TRACE("softmax beta " + std::to_string(beta));
    const int sn = 1000;
    const auto in = random_floats(rng, sn, -20, 30);
    Guarded out(sn);
    ref().softmax(sn, in.data(), out.data(), beta);
    double mx = *std::max_element(in.begin(), in.end()), sum = 0;
    for (float x : in) sum += std::exp(double(beta) * (x - mx));
    std::vector<float> want(sn);
    for (int i = 0; i < sn; ++i) want[i] = float(std::exp(double(beta) * (in[i] - mx)) / sum);
    EXPECT_TRUE(all_close(out.data(), want.data(), std::vector<double>(sn, 0.0), sn, 1e-9, 1e-5));
    EXPECT_TRUE(out.guards_intact());
  }
}

// ---------------------------------------------------------------------------------------
// Dispatch.

TEST(F32Dispatch, TablesAreConsistent) {
  const auto avail = f32_available_kernels();
  ASSERT_FALSE(avail.empty());
  EXPECT_STREQ(avail.front()->isa, "ref");
  EXPECT_NE(f32_kernels_for("ref"), nullptr);
  EXPECT_EQ(f32_kernels_for("no-such-isa"), nullptr);
  EXPECT_EQ(f32_kernels_for(nullptr), nullptr);
  for (const F32Kernels* t : avail) {
    EXPECT_EQ(f32_kernels_for(t->isa), t);
    EXPECT_GT(t->gemm.n_tile, 0);
    EXPECT_TRUE(t->gemm.run && t->gemm.pack && t->gemm.packed_floats && t->dwconv.run &&
                t->dwconv.pack && t->conv.run && t->conv.pack && t->add && t->global_mean &&
                t->softmax);
  }
  // Without ELITE_ISA the choice is the best available; with it, one of the available ones.
  const F32Kernels& chosen = f32_kernels();
  EXPECT_NE(std::find(avail.begin(), avail.end(), &chosen), avail.end());
  if (std::getenv("ELITE_ISA") == nullptr) {
    EXPECT_EQ(&chosen, avail.back());
  }
  std::printf("CPU: %s; FP32 kernels: %s\n", cpu_features().describe().c_str(), chosen.isa);
}

// ---------------------------------------------------------------------------------------
// Every ISA's kernels against ref. Parameterized by the ISA names in f32_isa_list.inc.

std::vector<std::string> compiled_isas() {
  std::vector<std::string> v;
#define ELITE_F32_ISA(name, supported) v.push_back(#name);
#include "kernels/f32_isa_list.inc"
#undef ELITE_F32_ISA
  return v;
}

class F32Isa : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    t_ = f32_kernels_for(GetParam().c_str());
    if (t_ == nullptr)
      GTEST_SKIP() << "ISA " << GetParam() << " is compiled in but this CPU ("
                   << cpu_features().describe() << ") cannot run it";
  }
  const F32Kernels& t() const { return *t_; }
  const F32Kernels* t_ = nullptr;
};

TEST_P(F32Isa, GemmMatchesRef) {
  std::mt19937 rng(100);
  for (const GemmCase& c : gemm_cases(rng, t().gemm.n_tile)) {
    SCOPED_TRACE(std::string(t().isa) + " " + c.str());
    GemmData d(rng, c);
    const Naive tol = naive_gemm(c.m, c.n, c.k, d.in.data(), d.w.data(), d.bias.data(), c.clamp);
    const Guarded want = run_gemm(ref(), c, pack_gemm(ref(), c, d), d, 0, c.m, 0, c.n);
    const Guarded got = run_gemm(t(), c, pack_gemm(t(), c, d), d, 0, c.m, 0, c.n);
    EXPECT_TRUE(all_close(got.data(), want.data(), tol.abssum, got.n));
    EXPECT_TRUE(got.guards_intact()) << "wrote past the output";
  }
}

// Sub-ranges of rows and columns write exactly their block, bit-identical to a full call,
// and every split of rows/columns reassembles the full result bit for bit (determinism).
TEST_P(F32Isa, GemmRangesAndSplitsAreBitIdentical) {
  std::mt19937 rng(200);
  const int nt = t().gemm.n_tile;
  std::vector<GemmCase> cs = {{37, 2 * nt + 3, 29, kClamps[0]},
                              {13, nt + 1, 64, kClamps[2]},
                              {8, 3 * nt, 7, kClamps[1]},
                              {50, 5 * nt - 1, 100, kClamps[0]}};
  for (int r = 0; r < 10; ++r)
    cs.push_back(
        {rand_int(rng, 1, 60), rand_int(rng, 1, 6 * nt), rand_int(rng, 1, 200), kClamps[r % 3]});
  for (const GemmCase& c : cs) {
    GemmData d(rng, c);
    const auto packed = pack_gemm(t(), c, d);
    const Guarded full = run_gemm(t(), c, packed, d, 0, c.m, 0, c.n);
    const int n_tiles = (c.n + nt - 1) / nt;
    for (int trial = 0; trial < 8; ++trial) {
      const int m0 = rand_int(rng, 0, c.m), m1 = rand_int(rng, m0, c.m);
      const int t0 = rand_int(rng, 0, n_tiles), t1 = rand_int(rng, t0, n_tiles);
      const int n0 = std::min(t0 * nt, c.n), n1 = std::min(t1 * nt, c.n);
      std::ostringstream s;
      s << t().isa << " " << c.str() << " rows [" << m0 << ", " << m1 << ") cols [" << n0 << ", "
        << n1 << ")";
      SCOPED_TRACE(s.str());
      const Guarded part = run_gemm(t(), c, packed, d, m0, m1, n0, n1);
      for (int i = 0; i < c.m; ++i)
        for (int j = 0; j < c.n; ++j) {
          const size_t o = size_t(i) * c.n + j;
          const bool inside = i >= m0 && i < m1 && j >= n0 && j < n1;
          const float want = inside ? full.data()[o] : kGuard;
          ASSERT_EQ(std::memcmp(&part.data()[o], &want, sizeof(float)), 0)
              << "row " << i << " col " << j << (inside ? " differs" : " written outside range");
        }
      ASSERT_TRUE(part.guards_intact());
    }
    // Rows split at random cut points (as threads would), reassembled into one buffer.
    Guarded split(size_t(c.m) * c.n);
    int m0 = 0;
    while (m0 < c.m) {
      const int m1 = std::min(c.m, m0 + rand_int(rng, 1, 9));
      t().gemm.run(m0, m1, 0, c.n, c.n, c.k, d.in.data(), packed.data(), split.data(), c.clamp.lo,
                   c.clamp.hi);
      m0 = m1;
    }
    SCOPED_TRACE(std::string(t().isa) + " " + c.str() + " random row split");
    EXPECT_TRUE(bit_equal(split.data(), full.data(), full.n));
  }
}

TEST_P(F32Isa, DwconvMatchesRef) {
  std::mt19937 rng(300);
  for (const ConvGeometry& g : dw_geometries(rng)) {
    SCOPED_TRACE(std::string(t().isa) + " dwconv " + describe(g));
    DwData d(rng, g);
    const Naive tol = naive_dwconv(g, d.in.data(), d.w.data(), d.bias.data());
    const size_t count = size_t(g.out_h) * g.out_w * g.in_c;
    Guarded want(count), got(count);
    ref().dwconv.run(g, d.in.data(), pack_dw(ref(), g, d).data(), want.data(), 0, g.out_h);
    t().dwconv.run(g, d.in.data(), pack_dw(t(), g, d).data(), got.data(), 0, g.out_h);
    EXPECT_TRUE(all_close(got.data(), want.data(), tol.abssum, count));
    EXPECT_TRUE(got.guards_intact()) << "wrote past the output";
  }
}

TEST_P(F32Isa, DwconvRowRangesAreBitIdentical) {
  std::mt19937 rng(400);
  for (const ConvGeometry& g : dw_geometries(rng)) {
    DwData d(rng, g);
    const auto packed = pack_dw(t(), g, d);
    const size_t row = size_t(g.out_w) * g.in_c, count = row * g.out_h;
    Guarded full(count);
    t().dwconv.run(g, d.in.data(), packed.data(), full.data(), 0, g.out_h);
    const int oy0 = rand_int(rng, 0, g.out_h), oy1 = rand_int(rng, oy0, g.out_h);
    std::ostringstream s;
    s << t().isa << " dwconv " << describe(g) << " rows [" << oy0 << ", " << oy1 << ")";
    SCOPED_TRACE(s.str());
    Guarded part(count);
    t().dwconv.run(g, d.in.data(), packed.data(), part.data(), oy0, oy1);
    for (size_t i = 0; i < count; ++i) {
      const int oy = int(i / row);
      const float want = oy >= oy0 && oy < oy1 ? full.data()[i] : kGuard;
      ASSERT_EQ(std::memcmp(&part.data()[i], &want, sizeof(float)), 0) << "element " << i;
    }
    EXPECT_TRUE(part.guards_intact());
    Guarded split(count);
    for (int oy = 0; oy < g.out_h; ++oy)
      t().dwconv.run(g, d.in.data(), packed.data(), split.data(), oy, oy + 1);
    EXPECT_TRUE(bit_equal(split.data(), full.data(), count));
  }
}

TEST_P(F32Isa, ConvMatchesRef) {
  std::mt19937 rng(500);
  for (const ConvGeometry& g : conv_geometries(rng)) {
    SCOPED_TRACE(std::string(t().isa) + " conv " + describe(g));
    ConvData d(rng, g);
    const Naive tol = naive_conv(g, d.in.data(), d.w.data(), d.bias.data());
    const size_t count = size_t(g.out_h) * g.out_w * g.out_c;
    Guarded want(count), got(count);
    ref().conv.run(g, d.in.data(), pack_conv(ref(), g, d).data(), want.data(), 0, g.out_h);
    t().conv.run(g, d.in.data(), pack_conv(t(), g, d).data(), got.data(), 0, g.out_h);
    EXPECT_TRUE(all_close(got.data(), want.data(), tol.abssum, count));
    EXPECT_TRUE(got.guards_intact()) << "wrote past the output";
  }
}

TEST_P(F32Isa, ConvRowRangesAreBitIdentical) {
  std::mt19937 rng(600);
  for (const ConvGeometry& g : conv_geometries(rng)) {
    ConvData d(rng, g);
    const auto packed = pack_conv(t(), g, d);
    const size_t row = size_t(g.out_w) * g.out_c, count = row * g.out_h;
    Guarded full(count), split(count);
    t().conv.run(g, d.in.data(), packed.data(), full.data(), 0, g.out_h);
    SCOPED_TRACE(std::string(t().isa) + " conv " + describe(g));
    int oy0 = 0;
    while (oy0 < g.out_h) {
      const int oy1 = std::min(g.out_h, oy0 + rand_int(rng, 1, 3));
      t().conv.run(g, d.in.data(), packed.data(), split.data(), oy0, oy1);
      oy0 = oy1;
    }
    EXPECT_TRUE(bit_equal(split.data(), full.data(), count));
    EXPECT_TRUE(split.guards_intact());
  }
}

TEST_P(F32Isa, AddMatchesRef) {
  std::mt19937 rng(700);
  for (size_t n : {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 4099}) {
    for (const Clamp& cl : kClamps) {
      SCOPED_TRACE(std::string(t().isa) + " add n " + std::to_string(n) + " clamp " + cl.name);
      const auto a = random_floats(rng, n, -8, 8), b = random_floats(rng, n, -8, 8);
      Guarded want(n), got(n);
      ref().add(n, a.data(), b.data(), want.data(), cl.lo, cl.hi);
      t().add(n, a.data(), b.data(), got.data(), cl.lo, cl.hi);
      EXPECT_TRUE(bit_equal(got.data(), want.data(), n));  // one rounding: exact
      EXPECT_TRUE(got.guards_intact());
    }
  }
}

TEST_P(F32Isa, GlobalMeanMatchesRef) {
  std::mt19937 rng(800);
  for (int hw : {1, 2, 7, 49, 196})
    for (int c : {1, 7, 8, 9, 15, 16, 17, 31, 33, 67, 1280}) {
      SCOPED_TRACE(std::string(t().isa) + " global_mean hw " + std::to_string(hw) + " c " +
                   std::to_string(c));
      const auto in = random_floats(rng, size_t(hw) * c, -4, 4);
      Guarded want(c), got(c);
      ref().global_mean(hw, c, in.data(), want.data());
      t().global_mean(hw, c, in.data(), got.data());
      std::vector<double> abssum(c);
      for (int ch = 0; ch < c; ++ch) {
        for (int p = 0; p < hw; ++p) abssum[ch] += std::fabs(in[size_t(p) * c + ch]);
        abssum[ch] /= hw;
      }
      EXPECT_TRUE(all_close(got.data(), want.data(), abssum, c));
      EXPECT_TRUE(got.guards_intact());
    }
}

TEST_P(F32Isa, SoftmaxMatchesRef) {
  std::mt19937 rng(900);
  for (int n : {1, 2, 9, 1000}) {
    SCOPED_TRACE(std::string(t().isa) + " softmax n " + std::to_string(n));
    const auto in = random_floats(rng, n, -10, 10);
    Guarded want(n), got(n);
    ref().softmax(n, in.data(), want.data(), 1.0f);
    t().softmax(n, in.data(), got.data(), 1.0f);
    EXPECT_TRUE(all_close(got.data(), want.data(), std::vector<double>(n, 0.0), n, 1e-9, 1e-5));
    EXPECT_TRUE(got.guards_intact());
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, F32Isa, ::testing::ValuesIn(compiled_isas()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace elite
