// Requantization math of TFLite's INT8 kernels, bit for bit.
//
// A real multiplier M (e.g. input_scale * weight_scale / output_scale) is stored as a Q31
// integer `multiplier` in [2^30, 2^31) and a power-of-two exponent `shift`:
//   M = multiplier * 2^-31 * 2^shift        (shift > 0: left shift, shift < 0: right shift)
// as produced by QuantizeMultiplier (tensorflow/lite/kernels/internal/quantization_util.cc).
//
// TFLite has two ways to apply it. The default build (TFLITE_SINGLE_ROUNDING undefined, as
// in the ai-edge-litert wheels) uses "double rounding":
//   x' = x * 2^max(shift, 0)                       (plain int32 shift, must not overflow)
//   y  = SaturatingRoundingDoublingHighMul(x', multiplier)   (round half up)
//   y  = RoundingDivideByPowerOfTwo(y, max(-shift, 0))       (round half away from zero)
// Rounding twice can differ by one LSB from rounding the exact product once; the
// single-rounding variant (TFLITE_SINGLE_ROUNDING=1, one int64 multiply, round half up) is
// provided for tests and comparison only. Our reference kernels use double rounding.
//
// Also here: the parameter builders that mirror each TFLite kernel's Prepare() (how the
// multipliers, shifts and activation clamps are derived from float scales), and the
// gemmlowp fixed-point exp / reciprocal used by the quantized softmax.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/qs8_kernels.h"
#include "model/graph.h"

namespace elite {

// int32 addition that wraps on overflow, as the int32 adds of TFLite's kernels (and our SIMD
// twins) do in practice; written through uint32 so it is defined behaviour. Real models never
// get there, but random corner-case tests do.
inline int32_t wrapping_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

// True when a quantization scale is 2^e with 1 / scale also a normal float: x * (1 / scale)
// is then the correctly rounded x / scale bit for bit (both round the same real), so the
// SIMD quantizers multiply instead of divide (e.g. the 1/128 input scale of elite's files).
inline bool power_of_two_scale(float scale) {
  int e = 0;
  return std::isnormal(scale) && std::frexp(scale, &e) == 0.5f && e > -125 && e < 126;
}

// ---------------------------------------------------------------------------------------
// Multipliers

struct QuantizedMultiplier {
  int32_t multiplier = 0;  // Q31, in [2^30, 2^31) or 0
  int shift = 0;           // exponent: > 0 shifts left, < 0 shifts right
};

// TFLite QuantizeMultiplier: frexp(m) = q * 2^shift with q in [0.5, 1), multiplier =
// round(q * 2^31) (half away from zero); q rounding up to 1.0 renormalizes to 2^30 and
// shift + 1; shift < -31 flushes to zero (multiplier 0, shift 0). m == 0 gives {0, 0}.
QuantizedMultiplier quantize_multiplier(double real_multiplier);
// Same, asserting 0 < m < 1 (shift <= 0) as TFLite's QuantizeMultiplierSmallerThanOneExp.
QuantizedMultiplier quantize_multiplier_smaller_than_one(double real_multiplier);
// Same, asserting m > 1 (shift >= 0) as TFLite's QuantizeMultiplierGreaterThanOne.
QuantizedMultiplier quantize_multiplier_greater_than_one(double real_multiplier);

// ---------------------------------------------------------------------------------------
// Fixed-point primitives (gemmlowp semantics)

// round(a * b / 2^31), saturating the one overflow case a == b == INT32_MIN (the exact
// result 2^31 does not fit) to INT32_MAX. The int64 product never overflows. The nudge
// (+2^30 for a positive product, 1 - 2^30 for a negative one) makes the truncating
// division round to nearest with ties toward +infinity: 1.5 -> 2 but -1.5 -> -1.
inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  const bool overflow = a == b && a == std::numeric_limits<int32_t>::min();
  const int64_t ab = int64_t(a) * int64_t(b);
  const int64_t nudge = ab >= 0 ? (int64_t(1) << 30) : (1 - (int64_t(1) << 30));
  const int32_t high = int32_t((ab + nudge) / (int64_t(1) << 31));  // truncates toward 0
  return overflow ? std::numeric_limits<int32_t>::max() : high;
}

// FULLY_CONNECTED output: round(acc * scale) + zero_point clamped to [lo, hi], in double so
// that a product outside int32 saturates instead of overflowing (within int32 it equals the
// int32 round-then-add exactly: every value involved is an integer below 2^53).
inline int8_t fc_output(int32_t acc, double scale, int32_t zero_point, int32_t lo, int32_t hi) {
  const double v = std::round(double(acc) * scale) + double(zero_point);
  return int8_t(v <= double(lo) ? lo : v >= double(hi) ? hi : int32_t(v));
}

// x / 2^exponent rounded to nearest, ties away from zero (exponent in [0, 31]). The
// arithmetic shift floors; one is added when the dropped bits exceed half, where "half"
// counts as exceeded for negative x at exactly .5 (threshold one lower), giving -2.5 -> -3.
// Exponents past 31 (softmax of a row whose exps sum to 2^9 or more, where TFLite's gemmlowp
// call is undefined) give the mathematical result: |x| / 2^32 < 1/2 rounds to 0, except
// INT32_MIN (-1/2, away from zero: -1).
inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  if (exponent >= 32) return x == std::numeric_limits<int32_t>::min() && exponent == 32 ? -1 : 0;
  const int32_t mask = int32_t((int64_t(1) << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// Saturating x * 2^exponent for exponent > 0, rounding x / 2^-exponent for exponent < 0
// (gemmlowp SaturatingRoundingMultiplyByPOT).
inline int32_t saturating_rounding_multiply_by_pot(int32_t x, int exponent) {
  if (exponent == 0) return x;
  if (exponent < 0) return rounding_divide_by_pot(x, -exponent);
  const int32_t threshold = int32_t((int64_t(1) << (31 - exponent)) - 1);
  if (x > threshold) return std::numeric_limits<int32_t>::max();
  if (x < -threshold) return std::numeric_limits<int32_t>::min();
  return int32_t(uint32_t(x) << exponent);
}

// TFLite MultiplyByQuantizedMultiplier (int32, double rounding: the default build).
// Precondition: x * 2^max(shift,0) fits in int32 (TFLite shifts with a plain multiply; the
// quantized kernels keep |x| small enough for their multipliers).
inline int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  const int32_t shifted = int32_t(uint32_t(x) << left_shift);  // == x * 2^left_shift
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier),
                                right_shift);
}

// MEAN's requantization, shared by its kernels: out = requant(sum - zp * hw) where sum is
// the raw int32 sum over the hw rows and the multiplier also carries 1/hw. The 1/hw is
// folded in as TFLite's QuantizedMeanOrSum does: with s = floor(log2(hw)) (capped at 32 and
// at 31 + shift so the final right shift stays <= 31), multiplier' = (multiplier << s) / hw
// truncated, shift' = shift - s. This loses a little precision versus an exact division, and
// is what TFLite computes.
struct QS8MeanRequant {
  int64_t count;
  int32_t multiplier;
  int shift;
  int32_t input_zero_point, output_zero_point;

  QS8MeanRequant(int hw, const QS8MeanParams& p)
      : count(hw), input_zero_point(p.input_zero_point), output_zero_point(p.output_zero_point) {
    int s = 63 - __builtin_clzll(uint64_t(count));
    s = std::min(s, 32);
    s = std::min(s, 31 + p.shift);
    multiplier = int32_t((int64_t(p.multiplier) << s) / count);
    shift = p.shift - s;
  }

  // One channel's output from its raw sum.
  int8_t operator()(int32_t sum) const {
    const int32_t shifted_sum = int32_t(sum - int64_t(input_zero_point) * count);
    const int32_t v = multiply_by_quantized_multiplier(shifted_sum, multiplier, shift) +
                      output_zero_point;
    return int8_t(std::min(std::max(v, int32_t(-128)), int32_t(127)));
  }
};

// TFLITE_SINGLE_ROUNDING=1 variant: (x * multiplier + 2^(30 - shift)) >> (31 - shift) in
// int64, ties toward +infinity. Needs multiplier >= 0 and shift in [-31, 30]. Not used by
// the reference kernels; kept to document (and test) how the two builds differ.
inline int32_t multiply_by_quantized_multiplier_single_rounding(int32_t x, int32_t multiplier,
                                                                int shift) {
  const int total_shift = 31 - shift;
  const int64_t round = int64_t(1) << (total_shift - 1);
  return int32_t((int64_t(x) * multiplier + round) >> total_shift);
}

// TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp (double rounding), shift <= 0.
inline int32_t multiply_by_quantized_multiplier_smaller_than_one(int32_t x, int32_t multiplier,
                                                                 int shift) {
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier), -shift);
}

// TFLite MultiplyByQuantizedMultiplierGreaterThanOne (double rounding), shift >= 0.
inline int32_t multiply_by_quantized_multiplier_greater_than_one(int32_t x, int32_t multiplier,
                                                                 int shift) {
  return saturating_rounding_doubling_high_mul(int32_t(uint32_t(x) << shift), multiplier);
}

// gemmlowp fixed point, raw int32 values: Qm.n means m integer bits, n = 31 - m fraction bits.
// exp(a) for a <= 0 given in Q5.26, result in Q0.31 (exp_on_negative_values).
int32_t fixed_exp_on_negative_values_q5(int32_t a_q5_26);
// 1 / (1 + x) for x in [0, 1) given in Q0.31, result in Q0.31 (three Newton steps).
int32_t fixed_one_over_one_plus_x(int32_t x_q0_31);
// TFLite GetReciprocal: for x > 0 in Q(x_integer_bits), returns 1/x as a Q0.31 value
// normalized into [0.5, 1) and the count of bits it was shifted by.
int32_t fixed_reciprocal(int32_t x, int x_integer_bits, int* num_bits_over_unit);

// ---------------------------------------------------------------------------------------
// Parameter builders, mirroring the Prepare() of each TFLite kernel

// CalculateActivationRangeQuantized: the clamp of a fused activation on an output with this
// scale and zero point, within [qmin, qmax]. Quantizes 0 and 6 as zp + round(f / scale) in
// float.
void quantized_activation_range(Activation activation, float output_scale,
                                int32_t output_zero_point, int32_t qmin, int32_t qmax,
                                int32_t* out_min, int32_t* out_max);

// Conv / depthwise per-channel multipliers (PopulateConvolutionQuantizationParams):
// M[c] = double(input_scale) * double(weight_scale[c]) / double(output_scale). A single
// weight scale is broadcast to all `channels`.
void qs8_conv_multipliers(float input_scale, const std::vector<float>& weight_scales,
                          float output_scale, int channels, std::vector<int32_t>* multiplier,
                          std::vector<int32_t>* shift);

// FULLY_CONNECTED (reference kernel since TFLite 2.20 / LiteRT: requant in double):
// scale[c] = double(input_scale) * double(weight_scale[c]) / double(output_scale).
std::vector<double> qs8_fc_scales(float input_scale, const std::vector<float>& weight_scales,
                                  float output_scale, int channels);

// ADD (8-bit general path): left shift 20, inputs rescaled to 2 * max input scale.
QS8AddParams qs8_add_params(float a_scale, int32_t a_zero_point, float b_scale,
                            int32_t b_zero_point, float output_scale, int32_t output_zero_point,
                            Activation activation);

// MEAN: M = double(input_scale) / double(output_scale); the kernel folds in 1/count.
QS8MeanParams qs8_mean_params(float input_scale, int32_t input_zero_point, float output_scale,
                              int32_t output_zero_point);

// SOFTMAX (reference kernel): PreprocessSoftmaxScaling with 5 integer bits and
// CalculateInputRadius.
QS8SoftmaxParams qs8_softmax_params(float beta, float input_scale);

// QUANTIZE int8 <-> uint8 (requantize): M = double(input_scale) / double(output_scale).
QS8RequantizeParams qs8_requantize_params(float input_scale, int32_t input_zero_point,
                                          float output_scale, int32_t output_zero_point);

}  // namespace elite
