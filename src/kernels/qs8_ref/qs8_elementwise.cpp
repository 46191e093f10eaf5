// Reference INT8 elementwise and reduction kernels, as TFLite's reference kernels compute
// them: ADD (reference_integer_ops::Add), MEAN (reference_ops::QuantizedMeanOrSum, the
// path LiteRT's reference MEAN takes for int8 whatever keep_dims), QUANTIZE
// (AffineQuantize, Requantize) and DEQUANTIZE. Flat arrays; MEAN reads in[hw][c].
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/qs8_kernels.h"
#include "quant/requantize.h"

namespace elite {

// Each input is offset and shifted left by 20 (|x - zp| <= 255 so |x'| < 2^28: no
// overflow), scaled by a multiplier < 1 to the common scale 2 * max(scale_a, scale_b), so
// the sum of the two stays below 2^29; then rescaled to the output. Three double-rounded
// fixed-point multiplies, exactly as TFLite.
void qs8_add__ref(size_t n, const int8_t* a, const int8_t* b, int8_t* out,
                  const QS8AddParams& p) {
  for (size_t i = 0; i < n; ++i) {
    const int32_t xa = (int32_t(a[i]) - p.a_zero_point) * (1 << p.left_shift);
    const int32_t xb = (int32_t(b[i]) - p.b_zero_point) * (1 << p.left_shift);
    const int32_t sa = multiply_by_quantized_multiplier_smaller_than_one(xa, p.a_multiplier, p.a_shift);
    const int32_t sb = multiply_by_quantized_multiplier_smaller_than_one(xb, p.b_multiplier, p.b_shift);
    int32_t v = multiply_by_quantized_multiplier_smaller_than_one(sa + sb, p.output_multiplier,
                                                                  p.output_shift) +
                p.output_zero_point;
    v = std::min(p.out_max, std::max(p.out_min, v));
    out[i] = int8_t(v);
  }
}

// Channel-outer sums, then QS8MeanRequant (src/quant/requantize.h: TFLite's folded 1/hw).
void qs8_global_mean__ref(int hw, int c, int c_begin, int c_end, const int8_t* in, int8_t* out,
                          const QS8MeanParams& p) {
  const QS8MeanRequant requant(hw, p);
  for (int ch = c_begin; ch < c_end; ++ch) {
    int32_t sum = 0;
    for (int i = 0; i < hw; ++i) sum += in[size_t(i) * c + ch];
    out[ch] = requant(sum);
  }
}

namespace {

template <typename Out>
void quantize_f32(size_t n, const float* in, Out* out, float scale, int32_t zero_point) {
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  for (size_t i = 0; i < n; ++i) {
    // float division, rounded half away from zero in float, then the zero point. NaN and
    // values outside int32 become INT32_MIN and the add wraps: what TFLite's
    // static_cast<int32_t> + zero point does on x86 (cvttss2si), written without UB, and
    // what the SIMD twins do.
    const float r = std::round(in[i] / scale);
    const int32_t q = (r >= -2147483648.0f && r < 2147483648.0f) ? int32_t(r) : INT32_MIN;
    const int32_t v = int32_t(uint32_t(q) + uint32_t(zero_point));
    out[i] = Out(std::min(std::max(v, kMin), kMax));
  }
}

template <typename In, typename Out>
void requantize(size_t n, const In* in, Out* out, const QS8RequantizeParams& p) {
  // TFLite's fast path for equal scales and zero points 128 apart (an XOR with 0x80) gives
  // the same values as this general path, so it is not special-cased.
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  for (size_t i = 0; i < n; ++i) {
    const int32_t x = int32_t(in[i]) - p.input_zero_point;
    const int32_t v = multiply_by_quantized_multiplier(x, p.multiplier, p.shift) + p.output_zero_point;
    out[i] = Out(std::min(std::max(v, kMin), kMax));
  }
}

template <typename In>
void dequantize(size_t n, const In* in, float* out, float scale, int32_t zero_point) {
  const double s = scale;
  for (size_t i = 0; i < n; ++i) out[i] = float(s * (int32_t(in[i]) - zero_point));
}

}  // namespace

void qs8_quantize_f32_s8__ref(size_t n, const float* in, int8_t* out, float scale, int32_t zp) {
  quantize_f32(n, in, out, scale, zp);
}
void qs8_quantize_f32_u8__ref(size_t n, const float* in, uint8_t* out, float scale, int32_t zp) {
  quantize_f32(n, in, out, scale, zp);
}
void qs8_requantize_s8_u8__ref(size_t n, const int8_t* in, uint8_t* out,
                               const QS8RequantizeParams& p) {
  requantize(n, in, out, p);
}
void qs8_requantize_u8_s8__ref(size_t n, const uint8_t* in, int8_t* out,
                               const QS8RequantizeParams& p) {
  requantize(n, in, out, p);
}
void qs8_dequantize_s8_f32__ref(size_t n, const int8_t* in, float* out, float scale, int32_t zp) {
  dequantize(n, in, out, scale, zp);
}
void qs8_dequantize_u8_f32__ref(size_t n, const uint8_t* in, float* out, float scale, int32_t zp) {
  dequantize(n, in, out, scale, zp);
}

}  // namespace elite
