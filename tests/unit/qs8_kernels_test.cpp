// Unit tests of the INT8 requantization math (values worked out by hand from TFLite's
// definitions) and invariants of the reference INT8 kernels. Bit-exactness against LiteRT
// itself is checked by tests/python/test_qs8_ops.py.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/qs8_kernels.h"
#include "model/graph.h"
#include "quant/requantize.h"

namespace elite {
namespace {

constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();

TEST(Requantize, QuantizeMultiplier) {
  auto q = quantize_multiplier(0.5);
  EXPECT_EQ(q.multiplier, 1 << 30);
  EXPECT_EQ(q.shift, 0);
  q = quantize_multiplier(1.0);  // frexp(1) = 0.5 * 2^1
  EXPECT_EQ(q.multiplier, 1 << 30);
  EXPECT_EQ(q.shift, 1);
  q = quantize_multiplier(0.75);
  EXPECT_EQ(q.multiplier, 3 << 29);
  EXPECT_EQ(q.shift, 0);
  q = quantize_multiplier(0.1);  // 0.8 * 2^-3; round(0.8 * 2^31) = 1717986918
  EXPECT_EQ(q.multiplier, 1717986918);
  EXPECT_EQ(q.shift, -3);
  q = quantize_multiplier(0.0);
  EXPECT_EQ(q.multiplier, 0);
  EXPECT_EQ(q.shift, 0);
  // Fraction rounding up to 1.0 renormalizes: 1 - 2^-34 -> 2^30 with shift 1.
  q = quantize_multiplier(1.0 - std::ldexp(1.0, -34));
  EXPECT_EQ(q.multiplier, 1 << 30);
  EXPECT_EQ(q.shift, 1);
  // Below 2^-32 the shift would be < -31: flushed to zero.
  q = quantize_multiplier(std::ldexp(1.0, -33));
  EXPECT_EQ(q.multiplier, 0);
  EXPECT_EQ(q.shift, 0);
  q = quantize_multiplier(std::ldexp(1.0, -32));  // 0.5 * 2^-31: still representable
  EXPECT_EQ(q.multiplier, 1 << 30);
  EXPECT_EQ(q.shift, -31);
}

TEST(Requantize, SaturatingRoundingDoublingHighMul) {
  EXPECT_EQ(saturating_rounding_doubling_high_mul(kInt32Min, kInt32Min), kInt32Max);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(1 << 30, 1 << 30), 1 << 29);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(3, 1 << 30), 2);    // 1.5 -> 2
  EXPECT_EQ(saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);  // -1.5 -> -1 (ties up)
  EXPECT_EQ(saturating_rounding_doubling_high_mul(-5, 1 << 30), -2);  // -2.5 -> -2
  EXPECT_EQ(saturating_rounding_doubling_high_mul(5, 1 << 29), 1);   // 1.25 -> 1
  EXPECT_EQ(saturating_rounding_doubling_high_mul(kInt32Max, kInt32Max), kInt32Max - 1);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(kInt32Min, kInt32Max), -kInt32Max);
}

TEST(Requantize, RoundingDivideByPot) {
  EXPECT_EQ(rounding_divide_by_pot(5, 1), 3);    // 2.5 -> 3
  EXPECT_EQ(rounding_divide_by_pot(-5, 1), -3);  // -2.5 -> -3 (away from zero)
  EXPECT_EQ(rounding_divide_by_pot(7, 2), 2);    // 1.75
  EXPECT_EQ(rounding_divide_by_pot(-6, 2), -2);  // -1.5
  EXPECT_EQ(rounding_divide_by_pot(-5, 2), -1);  // -1.25
  EXPECT_EQ(rounding_divide_by_pot(123, 0), 123);
  EXPECT_EQ(rounding_divide_by_pot(kInt32Max, 31), 1);
  EXPECT_EQ(rounding_divide_by_pot(kInt32Min, 31), -1);
}

TEST(Requantize, SaturatingRoundingMultiplyByPot) {
  EXPECT_EQ(saturating_rounding_multiply_by_pot(3, 2), 12);
  EXPECT_EQ(saturating_rounding_multiply_by_pot(1 << 29, 2), kInt32Max);
  EXPECT_EQ(saturating_rounding_multiply_by_pot(-(1 << 29) - 1, 2), kInt32Min);
  EXPECT_EQ(saturating_rounding_multiply_by_pot(-6, -2), -2);
}

TEST(Requantize, DoubleVersusSingleRounding) {
  // M = 0.25 (multiplier 2^30, shift -1). -6 * 0.25 = -1.5: the high mul is exact (-3),
  // then the rounding shift rounds the tie away from zero (-2); single rounding rounds
  // half up (-1).
  EXPECT_EQ(multiply_by_quantized_multiplier(-6, 1 << 30, -1), -2);
  EXPECT_EQ(multiply_by_quantized_multiplier_single_rounding(-6, 1 << 30, -1), -1);
  EXPECT_EQ(multiply_by_quantized_multiplier(6, 1 << 30, -1), 2);
  EXPECT_EQ(multiply_by_quantized_multiplier_single_rounding(6, 1 << 30, -1), 2);
  // Left shifts: M = 4 (2^30, shift 3): exact.
  EXPECT_EQ(multiply_by_quantized_multiplier(1000, 1 << 30, 3), 4000);
  // Typical conv requantization: acc 12345 * 0.0123 (close within one LSB of the real).
  const QuantizedMultiplier q = quantize_multiplier(0.0123);
  EXPECT_EQ(multiply_by_quantized_multiplier(12345, q.multiplier, q.shift), 152);  // 151.84
  EXPECT_EQ(multiply_by_quantized_multiplier(-12345, q.multiplier, q.shift), -152);
  // Both variants agree away from ties.
  std::mt19937 rng(7);
  for (int i = 0; i < 1000; ++i) {
    const int32_t x = int32_t(rng() % 2000001) - 1000000;
    const QuantizedMultiplier m = quantize_multiplier(std::ldexp(0.5 + (rng() % 1000) / 2000.0, -int(rng() % 12)));
    const int32_t a = multiply_by_quantized_multiplier(x, m.multiplier, m.shift);
    const int32_t b = multiply_by_quantized_multiplier_single_rounding(x, m.multiplier, m.shift);
    EXPECT_LE(std::abs(a - b), 1);
    const double exact = double(x) * m.multiplier * std::ldexp(1.0, m.shift - 31);
    EXPECT_LE(std::abs(a - exact), 0.5 + 1e-6 + std::ldexp(1.0, m.shift)) << x;
  }
}

TEST(Requantize, ActivationRange) {
  int32_t lo = 0, hi = 0;
  quantized_activation_range(Activation::kRelu6, 6.0f / 255.0f, -128, -128, 127, &lo, &hi);
  EXPECT_EQ(lo, -128);
  EXPECT_EQ(hi, 127);
  quantized_activation_range(Activation::kRelu6, 0.05f, -10, -128, 127, &lo, &hi);
  EXPECT_EQ(lo, -10);
  EXPECT_EQ(hi, 110);  // -10 + round(6 / 0.05)
  quantized_activation_range(Activation::kRelu, 0.05f, 5, -128, 127, &lo, &hi);
  EXPECT_EQ(lo, 5);
  EXPECT_EQ(hi, 127);
  quantized_activation_range(Activation::kNone, 0.05f, 5, -128, 127, &lo, &hi);
  EXPECT_EQ(lo, -128);
  EXPECT_EQ(hi, 127);
}

TEST(Requantize, SoftmaxParams) {
  // beta * scale * 2^26 = 2^22 = 0.5 * 2^23.
  const QS8SoftmaxParams p = qs8_softmax_params(1.0f, 1.0f / 16);
  EXPECT_EQ(p.input_multiplier, 1 << 30);
  EXPECT_EQ(p.input_left_shift, 23);
  EXPECT_EQ(p.diff_min, -248);  // -floor(31 * 2^26 / 2^23)
}

TEST(Requantize, AddParams) {
  const QS8AddParams p = qs8_add_params(0.5f, 0, 0.25f, 0, 0.5f, 0, Activation::kNone);
  EXPECT_EQ(p.a_multiplier, 1 << 30);  // 0.5 / 1.0
  EXPECT_EQ(p.a_shift, 0);
  EXPECT_EQ(p.b_multiplier, 1 << 30);  // 0.25 / 1.0 = 0.5 * 2^-1
  EXPECT_EQ(p.b_shift, -1);
  EXPECT_EQ(p.output_multiplier, 1 << 30);  // 1 / (2^20 * 0.5) = 0.5 * 2^-18
  EXPECT_EQ(p.output_shift, -18);
}

TEST(Requantize, FixedPointExpAndReciprocal) {
  EXPECT_EQ(fixed_exp_on_negative_values_q5(0), kInt32Max);
  for (double x : {-0.01, -0.25, -0.3, -1.0, -2.5, -7.0, -15.9}) {
    const int32_t a = int32_t(std::lround(x * (1 << 26)));
    const double got = fixed_exp_on_negative_values_q5(a) * std::ldexp(1.0, -31);
    EXPECT_NEAR(got, std::exp(x), 2e-8 + 1e-6 * std::exp(x)) << x;
  }
  for (double x : {0.0, 0.25, 0.5, 0.9}) {
    const int32_t a = int32_t(std::lround(x * std::ldexp(1.0, 31)));
    EXPECT_NEAR(fixed_one_over_one_plus_x(a) * std::ldexp(1.0, -31), 1.0 / (1.0 + x), 1e-8) << x;
  }
  int bits = 0;
  // 3.0 in Q12.19 -> 1/3 as (2/3) * 2^-1: normalized value 2/3, one bit over unit.
  const int32_t r = fixed_reciprocal(3 << 19, 12, &bits);
  EXPECT_EQ(bits, 1);
  EXPECT_NEAR(r * std::ldexp(1.0, -31), 2.0 / 3.0, 1e-8);
}

// ---------------------------------------------------------------------------------------
// Kernel invariants

const QS8Kernels& K() { return qs8_kernels__ref; }

std::vector<int8_t> random_s8(std::mt19937& rng, size_t n) {
  std::vector<int8_t> v(n);
  for (auto& x : v) x = int8_t(int(rng() % 256) - 128);
  return v;
}

TEST(QS8Kernels, ConvRowSplitAndGemmAgree) {
  std::mt19937 rng(1);
  for (int c : {1, 7, 16, 17}) {
    ConvGeometry g;
    g.in_h = 5, g.in_w = 7, g.in_c = c, g.out_c = c + 2, g.out_h = 5, g.out_w = 7;
    const auto in = random_s8(rng, size_t(5) * 7 * c);
    const auto w = random_s8(rng, size_t(g.out_c) * c);
    std::vector<int32_t> bias(size_t(g.out_c));
    for (auto& b : bias) b = int32_t(rng() % 20001) - 10000;
    std::vector<int32_t> mult, shift;
    qs8_conv_multipliers(0.02f, {0.003f}, 0.05f, g.out_c, &mult, &shift);
    QS8Requant rq;
    rq.input_zero_point = -3, rq.output_zero_point = 4, rq.multiplier = mult.data(),
    rq.shift = shift.data();
    std::vector<uint8_t> pc(K().conv.packed_bytes(g.out_c, 1, 1, c));
    K().conv.pack(g.out_c, 1, 1, c, w.data(), bias.data(), pc.data());
    std::vector<int8_t> a(size_t(35) * g.out_c), b(a.size()), d(a.size());
    K().conv.run(g, in.data(), pc.data(), a.data(), rq, 0, 5);
    K().conv.run(g, in.data(), pc.data(), b.data(), rq, 0, 2);
    K().conv.run(g, in.data(), pc.data(), b.data(), rq, 2, 5);
    std::vector<uint8_t> pg(K().gemm.packed_bytes(g.out_c, c));
    K().gemm.pack(g.out_c, c, w.data(), bias.data(), rq, pg.data());
    K().gemm.run(0, 35, 0, g.out_c, g.out_c, c, in.data(), pg.data(), d.data(), rq);
    EXPECT_EQ(a, b) << c;
    EXPECT_EQ(a, d) << c;
  }
}

TEST(QS8Kernels, ConstantWeightsGiveRequantizedBias) {
  // Zero weights: the output is requant(bias) + zp, clamped by the activation.
  ConvGeometry g;
  g.in_h = g.in_w = 3, g.in_c = 4, g.out_h = g.out_w = 3, g.kernel_h = g.kernel_w = 3,
  g.pad_top = g.pad_left = 1;
  const int c = 4;
  std::vector<int8_t> in(36, 17), w(36, 0);
  std::vector<int32_t> bias = {1000, -1000, 100000, 0};
  std::vector<int32_t> mult(c, 1 << 30), shift(c, -4);  // M = 1/32
  QS8Requant rq;
  rq.output_zero_point = -5, rq.multiplier = mult.data(), rq.shift = shift.data(),
  rq.out_min = -5, rq.out_max = 100;
  std::vector<uint8_t> packed(K().dwconv.packed_bytes(c, 3, 3));
  K().dwconv.pack(c, 3, 3, w.data(), bias.data(), rq, packed.data());
  std::vector<int8_t> out(36);
  K().dwconv.run(g, in.data(), packed.data(), out.data(), rq, 0, 3);
  for (int p = 0; p < 9; ++p) {
    EXPECT_EQ(out[p * 4 + 0], 26);   // 1000/32 = 31.25 -> 31, -5
    EXPECT_EQ(out[p * 4 + 1], -5);   // -36 clamped to the relu bound
    EXPECT_EQ(out[p * 4 + 2], 100);  // clamped to the max
    EXPECT_EQ(out[p * 4 + 3], -5);
  }
}

TEST(QS8Kernels, AddOfZeroIsIdentity) {
  std::mt19937 rng(2);
  const auto a = random_s8(rng, 300);
  std::vector<int8_t> zero(300, 9), out(300);
  const QS8AddParams p = qs8_add_params(0.1f, -7, 0.1f, 9, 0.1f, -7, Activation::kNone);
  K().add(300, a.data(), zero.data(), out.data(), p);
  EXPECT_EQ(out, a);
}

TEST(QS8Kernels, MeanOfConstantIsConstant) {
  for (int hw : {1, 5, 49, 100, 196}) {
    for (int v : {-128, -3, 0, 77, 127}) {
      std::vector<int8_t> in(size_t(hw) * 3, int8_t(v)), out(3);
      const QS8MeanParams p = qs8_mean_params(0.05f, 10, 0.05f, 10);
      K().global_mean(hw, 3, 0, 3, in.data(), out.data(), p);
      for (int8_t o : out) EXPECT_EQ(o, v) << hw;
    }
  }
}

TEST(QS8Kernels, SoftmaxUniformAndSingle) {
  const QS8SoftmaxParams p = qs8_softmax_params(1.0f, 0.1f);
  std::vector<int8_t> in(4, 20), out(4);
  K().softmax(4, in.data(), out.data(), p);
  for (int8_t o : out) EXPECT_EQ(o, -64);  // 0.25 * 256 - 128
  int8_t one_in = -100, one_out = 0;
  K().softmax(1, &one_in, &one_out, p);
  EXPECT_EQ(one_out, 127);  // 1.0 * 256 saturates
  // A value far below the max (diff < diff_min) gives exactly 0.
  std::vector<int8_t> in2 = {127, -128}, out2(2);
  K().softmax(2, in2.data(), out2.data(), qs8_softmax_params(1.0f, 1.0f));
  EXPECT_EQ(out2[0], 127);
  EXPECT_EQ(out2[1], -128);
}

TEST(QS8Kernels, QuantizeRequantizeDequantize) {
  const float in[] = {0.0f, 0.05f, -0.05f, 0.025f, -0.025f, 100.0f, -100.0f};
  int8_t q[7];
  K().quantize_f32_s8(7, in, q, 0.05f, -1);
  const int8_t want[] = {-1, 0, -2, 0, -2, 127, -128};  // 0.5 rounds away from zero
  for (int i = 0; i < 7; ++i) EXPECT_EQ(q[i], want[i]) << i;
  // int8 -> uint8 with equal scales and zero points 128 apart: x + 128.
  const QS8RequantizeParams rp = qs8_requantize_params(0.1f, -128, 0.1f, 0);
  for (int v = -128; v < 128; ++v) {
    const int8_t s = int8_t(v);
    uint8_t u = 0;
    K().requantize_s8_u8(1, &s, &u, rp);
    EXPECT_EQ(int(u), v + 128);
    int8_t back = 0;
    K().requantize_u8_s8(1, &u, &back, qs8_requantize_params(0.1f, 0, 0.1f, -128));
    EXPECT_EQ(back, s);
  }
  float f = 0;
  const int8_t x = 27;
  K().dequantize_s8_f32(1, &x, &f, 0.1f, 7);
  EXPECT_EQ(f, float(double(0.1f) * 20));
}

TEST(QS8Kernels, FullyConnectedWeightZeroPoint) {
  // Weights equal to their zero point contribute nothing: out = round(bias * scale) + zp.
  std::vector<int8_t> in = {5, -7, 100}, w(6, 3), out(2);
  std::vector<int32_t> bias = {1000, -1001};
  const std::vector<double> scale = {0.01, 0.001};
  QS8FcParams p;
  p.input_zero_point = 1, p.weight_zero_point = 3, p.output_zero_point = 2, p.scale = scale.data();
  K().fc(0, 1, 2, 3, in.data(), w.data(), bias.data(), out.data(), p);
  EXPECT_EQ(out[0], 12);  // 10 + 2
  EXPECT_EQ(out[1], 1);   // round(-1.001) = -1, + 2
}

}  // namespace
}  // namespace elite
