// Reference INT8 softmax over one row of n values, int8 in -> int8 out with output scale
// 1/256 and zero point -128, as TFLite's reference_ops::Softmax (the BUILTIN_REF kernel;
// the optimized kernel uses a float lookup table and may differ by one LSB).
//   diff = x - max(row)                   (<= 0)
//   d    = diff * beta * input_scale       as Q5.26, via a multiplier and left shift
//   e    = exp(d)                          gemmlowp fixed point, Q0.31
//   sum  = sum of e rescaled to Q12.19     (rounding right shift by 12 per term)
//   out  = e * (1 / sum) / 2^(bits over unit + 23), rounded, - 128, clamped
// Values with diff < diff_min (their exp is negligible) give -128 and are not summed.
#include <algorithm>

#include "kernels/qs8_kernels.h"
#include "quant/requantize.h"

namespace elite {

void qs8_softmax__ref(int n, const int8_t* in, int8_t* out, const QS8SoftmaxParams& p) {
  constexpr int kAccumulationIntegerBits = 12;
  int8_t max_in_row = -128;
  for (int i = 0; i < n; ++i) max_in_row = std::max(max_in_row, in[i]);

  int32_t sum_of_exps = 0;  // Q12.19
  for (int i = 0; i < n; ++i) {
    const int32_t diff = int32_t(in[i]) - max_in_row;
    if (diff < p.diff_min) continue;
    const int32_t scaled = multiply_by_quantized_multiplier_greater_than_one(
        diff, p.input_multiplier, p.input_left_shift);
    sum_of_exps += rounding_divide_by_pot(fixed_exp_on_negative_values_q5(scaled),
                                          kAccumulationIntegerBits);
  }

  int num_bits_over_unit = 0;
  const int32_t shifted_scale =
      fixed_reciprocal(sum_of_exps, kAccumulationIntegerBits, &num_bits_over_unit);
  const int exponent = num_bits_over_unit + 31 - 8;

  for (int i = 0; i < n; ++i) {
    const int32_t diff = int32_t(in[i]) - max_in_row;
    if (diff < p.diff_min) {
      out[i] = -128;
      continue;
    }
    const int32_t scaled = multiply_by_quantized_multiplier_greater_than_one(
        diff, p.input_multiplier, p.input_left_shift);
    const int32_t e = fixed_exp_on_negative_values_q5(scaled);
    const int32_t unsat =
        rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted_scale, e), exponent);
    const int32_t v = unsat - 128;
    out[i] = int8_t(std::max(std::min(v, int32_t(127)), int32_t(-128)));
  }
}

}  // namespace elite
