// Requantization math and TFLite Prepare()-equivalent parameter builders; see requantize.h.
// Every floating-point expression here is written in the order and precision TFLite uses
// (float vs double matters for bit-exact multipliers and clamps).
#include "quant/requantize.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace elite {

QuantizedMultiplier quantize_multiplier(double real_multiplier) {
  QuantizedMultiplier q;
  if (real_multiplier == 0.0) return q;
  int shift = 0;
  const double fraction = std::frexp(real_multiplier, &shift);  // in [0.5, 1)
  int64_t fixed = int64_t(std::round(fraction * double(int64_t(1) << 31)));
  assert(fixed <= (int64_t(1) << 31));
  if (fixed == (int64_t(1) << 31)) {  // fraction rounded up to 1.0
    fixed /= 2;
    ++shift;
  }
  // A shift below -31 would shift every bit out: TFLite flushes such multipliers to zero.
  if (shift < -31) {
    shift = 0;
    fixed = 0;
  }
  q.multiplier = int32_t(fixed);
  q.shift = shift;
  return q;
}

QuantizedMultiplier quantize_multiplier_smaller_than_one(double real_multiplier) {
  assert(real_multiplier > 0.0 && real_multiplier < 1.0);
  QuantizedMultiplier q = quantize_multiplier(real_multiplier);
  assert(q.shift <= 0);
  return q;
}

QuantizedMultiplier quantize_multiplier_greater_than_one(double real_multiplier) {
  assert(real_multiplier > 1.0);
  QuantizedMultiplier q = quantize_multiplier(real_multiplier);
  assert(q.shift >= 0);
  return q;
}

// ---------------------------------------------------------------------------------------
// gemmlowp fixed point on raw int32. '+' and '-' of fixed-point values are plain int32
// operations; '*' of Qa and Qb values is saturating_rounding_doubling_high_mul and gives
// Q(a+b); Rescale from Qa to Qb is saturating_rounding_multiply_by_pot(x, a - b).

namespace {

// exp(a) for a in [-1/4, 0), a and result in Q0.31: Taylor expansion around -1/8.
int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t constant_term = 1895147668;     // exp(-1/8) in Q0.31
  const int32_t constant_1_over_3 = 715827883;  // 1/3 in Q0.31
  const int32_t x = a + (1 << 28);              // a + 1/8
  const int32_t x2 = saturating_rounding_doubling_high_mul(x, x);
  const int32_t x3 = saturating_rounding_doubling_high_mul(x2, x);
  const int32_t x4 = saturating_rounding_doubling_high_mul(x2, x2);
  const int32_t x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2);
  const int32_t poly = saturating_rounding_multiply_by_pot(
      saturating_rounding_doubling_high_mul(x4_over_4 + x3, constant_1_over_3) + x2, -1);
  return constant_term + saturating_rounding_doubling_high_mul(constant_term, x + poly);
}

}  // namespace

int32_t fixed_exp_on_negative_values_q5(int32_t a) {
  constexpr int kIntegerBits = 5;
  constexpr int kFractionalBits = 31 - kIntegerBits;
  const int32_t one_quarter = 1 << (kFractionalBits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
  // Q5.26 -> Q0.31: a left shift by 5, exact for values in [-1/4, 0).
  int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
      saturating_rounding_multiply_by_pot(a_mod_quarter_minus_one_quarter, kIntegerBits));
  const int32_t remainder = a_mod_quarter_minus_one_quarter - a;  // multiple of 1/4, >= 0
  // Barrel shifter: multiply by exp(-2^e) for each set bit 2^e of the remainder.
  struct Step {
    int exponent;
    int32_t multiplier;  // exp(-2^exponent) in Q0.31
  };
  constexpr Step kSteps[] = {{-2, 1672461947}, {-1, 1302514674}, {0, 790015084},
                             {1, 290630308},   {2, 39332535},    {3, 720401},
                             {4, 242}};
  for (const Step& s : kSteps) {
    if (kIntegerBits > s.exponent && (remainder & (1 << (kFractionalBits + s.exponent))))
      result = saturating_rounding_doubling_high_mul(result, s.multiplier);
  }
  // kIntegerBits <= 5: no clamp below -32 is needed (the input cannot be that small).
  if (a == 0) result = std::numeric_limits<int32_t>::max();  // exp(0) = "1" in Q0.31
  return result;
}

int32_t fixed_one_over_one_plus_x(int32_t a) {
  // half_denominator = (a + 1) / 2 in Q0.31, rounded half away from zero (RoundingHalfSum).
  const int64_t sum = int64_t(a) + int64_t(std::numeric_limits<int32_t>::max());
  const int32_t half_denominator = int32_t((sum + (sum >= 0 ? 1 : -1)) / 2);
  // Newton-Raphson in Q2.29, starting from 48/17 - 32/17 * d.
  const int32_t constant_48_over_17 = 1515870810;
  const int32_t constant_neg_32_over_17 = -1010580540;
  const int32_t one_q2 = 1 << 29;
  int32_t x = constant_48_over_17 +
              saturating_rounding_doubling_high_mul(half_denominator, constant_neg_32_over_17);
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = saturating_rounding_doubling_high_mul(half_denominator, x);
    const int32_t one_minus = one_q2 - half_denominator_times_x;  // Q2.29
    // x * one_minus is Q4.27; Rescale<2> shifts left by 2 with saturation.
    x = x + saturating_rounding_multiply_by_pot(saturating_rounding_doubling_high_mul(x, one_minus), 2);
  }
  // x / 2 (ExactMulByPot<-1>: Q2.29 -> Q1.30, same raw) then Rescale<0>: shift left by 1.
  return saturating_rounding_multiply_by_pot(x, 1);
}

int32_t fixed_reciprocal(int32_t x, int x_integer_bits, int* num_bits_over_unit) {
  const uint32_t ux = uint32_t(x);
  const int headroom_plus_one = ux == 0 ? 32 : __builtin_clz(ux);
  *num_bits_over_unit = x_integer_bits - headroom_plus_one;
  const int32_t shifted_sum_minus_one =
      int32_t((ux << headroom_plus_one) - (uint32_t(1) << 31));
  return fixed_one_over_one_plus_x(shifted_sum_minus_one);
}

// ---------------------------------------------------------------------------------------
// Parameter builders

void quantized_activation_range(Activation activation, float output_scale,
                                int32_t output_zero_point, int32_t qmin, int32_t qmax,
                                int32_t* out_min, int32_t* out_max) {
  // TFLite kernel_util Quantize(): zp + int(round(f / scale)), float division and rounding.
  auto quantize = [&](float f) {
    return output_zero_point + int32_t(std::round(f / output_scale));
  };
  *out_min = qmin;
  *out_max = qmax;
  if (activation == Activation::kRelu) {
    *out_min = std::max(qmin, quantize(0.0f));
  } else if (activation == Activation::kRelu6) {
    *out_min = std::max(qmin, quantize(0.0f));
    *out_max = std::min(qmax, quantize(6.0f));
  }
}

void qs8_conv_multipliers(float input_scale, const std::vector<float>& weight_scales,
                          float output_scale, int channels, std::vector<int32_t>* multiplier,
                          std::vector<int32_t>* shift) {
  multiplier->resize(size_t(channels));
  shift->resize(size_t(channels));
  const bool per_channel = weight_scales.size() > 1;
  for (int c = 0; c < channels; ++c) {
    const double weight_scale = double(per_channel ? weight_scales[size_t(c)] : weight_scales[0]);
    const double m = double(input_scale) * weight_scale / double(output_scale);
    const QuantizedMultiplier q = quantize_multiplier(m);
    (*multiplier)[size_t(c)] = q.multiplier;
    (*shift)[size_t(c)] = q.shift;
  }
}

std::vector<double> qs8_fc_scales(float input_scale, const std::vector<float>& weight_scales,
                                  float output_scale, int channels) {
  std::vector<double> scales(static_cast<size_t>(channels));
  const bool per_channel = weight_scales.size() > 1;
  for (int c = 0; c < channels; ++c) {
    const double weight_scale = double(per_channel ? weight_scales[size_t(c)] : weight_scales[0]);
    scales[size_t(c)] = double(input_scale) * weight_scale / double(output_scale);
  }
  return scales;
}

QS8AddParams qs8_add_params(float a_scale, int32_t a_zero_point, float b_scale,
                            int32_t b_zero_point, float output_scale, int32_t output_zero_point,
                            Activation activation) {
  QS8AddParams p;
  p.a_zero_point = a_zero_point;
  p.b_zero_point = b_zero_point;
  p.output_zero_point = output_zero_point;
  p.left_shift = 20;
  // 2 * max is exact in float; (1 << 20) * output_scale is a float product (exact: power
  // of two), as in TFLite.
  const double twice_max_input_scale = double(2 * std::max(a_scale, b_scale));
  const double real_a = double(a_scale) / twice_max_input_scale;
  const double real_b = double(b_scale) / twice_max_input_scale;
  const double real_out =
      twice_max_input_scale / double(float(1 << p.left_shift) * output_scale);
  const QuantizedMultiplier qa = quantize_multiplier_smaller_than_one(real_a);
  const QuantizedMultiplier qb = quantize_multiplier_smaller_than_one(real_b);
  const QuantizedMultiplier qo = quantize_multiplier_smaller_than_one(real_out);
  p.a_multiplier = qa.multiplier;
  p.a_shift = qa.shift;
  p.b_multiplier = qb.multiplier;
  p.b_shift = qb.shift;
  p.output_multiplier = qo.multiplier;
  p.output_shift = qo.shift;
  quantized_activation_range(activation, output_scale, output_zero_point, -128, 127, &p.out_min,
                             &p.out_max);
  return p;
}

QS8MeanParams qs8_mean_params(float input_scale, int32_t input_zero_point, float output_scale,
                              int32_t output_zero_point) {
  QS8MeanParams p;
  p.input_zero_point = input_zero_point;
  p.output_zero_point = output_zero_point;
  const QuantizedMultiplier q = quantize_multiplier(double(input_scale) / double(output_scale));
  p.multiplier = q.multiplier;
  p.shift = q.shift;
  return p;
}

QS8SoftmaxParams qs8_softmax_params(float beta, float input_scale) {
  constexpr int kScaledDiffIntegerBits = 5;
  QS8SoftmaxParams p;
  // PreprocessSoftmaxScaling (double rounding build: cap at 2^31 - 1).
  const double max_real_multiplier = double((int64_t(1) << 31) - 1);
  const double real = std::min<double>(
      double(beta) * double(input_scale) * double(1 << (31 - kScaledDiffIntegerBits)),
      max_real_multiplier);
  const QuantizedMultiplier q = quantize_multiplier_greater_than_one(real);
  p.input_multiplier = q.multiplier;
  p.input_left_shift = q.shift;
  // CalculateInputRadius(5, left_shift, 31): floor((2^5 - 1) * 2^26 / 2^left_shift).
  const double max_input_rescaled = 1.0 * double((1 << kScaledDiffIntegerBits) - 1) *
                                    double(int64_t(1) << (31 - kScaledDiffIntegerBits)) /
                                    double(int64_t(1) << p.input_left_shift);
  p.diff_min = -int(std::floor(max_input_rescaled));
  return p;
}

QS8RequantizeParams qs8_requantize_params(float input_scale, int32_t input_zero_point,
                                          float output_scale, int32_t output_zero_point) {
  QS8RequantizeParams p;
  p.input_zero_point = input_zero_point;
  p.output_zero_point = output_zero_point;
  const QuantizedMultiplier q = quantize_multiplier(double(input_scale) / double(output_scale));
  p.multiplier = q.multiplier;
  p.shift = q.shift;
  return p;
}

}  // namespace elite
