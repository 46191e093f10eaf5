// INT8 softmax by table: qs8_softmax__lut, bit-exact with qs8_softmax__ref
// (src/kernels/qs8_ref/qs8_softmax.cpp). In the ref, an element's exp term and its output
// depend on nothing but diff = x - max (an integer in [-255, 0]) and, for the output, the
// row's sum. So each distinct diff of the row is evaluated once (at most 256 fixed-point exps
// instead of n, 1000 for the ImageNet head) and the elements look it up. The sum adds each
// term count[diff] times in uint32, which equals the ref's int32 running sum modulo 2^32.
// Plain C++ (no ISA flags): every table can use it.
#include <algorithm>
#include <cstdint>

#include "kernels/qs8_microkernels.h"
#include "quant/requantize.h"

namespace elite {

void qs8_softmax__lut(int n, const int8_t* in, int8_t* out, const QS8SoftmaxParams& p) {
  constexpr int kAccumulationIntegerBits = 12;
  if (n <= 0) return;
  int8_t max_in_row = -128;
  for (int i = 0; i < n; ++i) max_in_row = std::max(max_in_row, in[i]);
  // count[255 + diff] for diff in [-255, 0].
  uint32_t count[256] = {};
  for (int i = 0; i < n; ++i) ++count[255 + int(in[i]) - max_in_row];

  int32_t exp_q31[256];  // exp of each diff present and >= diff_min
  uint32_t sum_of_exps = 0;  // Q12.19, wrapping as the ref's int32 sum
  for (int d = 0; d < 256; ++d) {
    const int32_t diff = d - 255;
    if (count[d] == 0 || diff < p.diff_min) continue;
    const int32_t scaled =
        multiply_by_quantized_multiplier_greater_than_one(diff, p.input_multiplier, p.input_left_shift);
    exp_q31[d] = fixed_exp_on_negative_values_q5(scaled);
    sum_of_exps += count[d] * uint32_t(rounding_divide_by_pot(exp_q31[d], kAccumulationIntegerBits));
  }

  int num_bits_over_unit = 0;
  const int32_t shifted_scale = fixed_reciprocal(int32_t(sum_of_exps), kAccumulationIntegerBits,
                                                 &num_bits_over_unit);
  const int exponent = num_bits_over_unit + 31 - 8;
  int8_t value[256];
  for (int d = 0; d < 256; ++d) {
    if (count[d] == 0) continue;
    if (d - 255 < p.diff_min) {
      value[d] = -128;
      continue;
    }
    const int32_t unsat = rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(shifted_scale, exp_q31[d]), exponent);
    value[d] = int8_t(std::max(std::min(unsat - 128, int32_t(127)), int32_t(-128)));
  }
  for (int i = 0; i < n; ++i) out[i] = value[255 + int(in[i]) - max_in_row];
}

}  // namespace elite
