// Reference INT8 GEMM (1x1 stride-1 convolution) and FULLY_CONNECTED.
//   gemm: in [m][k] int8, packed = bias[n] int32 then w[n][k] int8, out [m][n] int8;
//         TFLite ConvPerChannel arithmetic (fixed-point requantization per channel).
//   fc:   in [m][k], w_nk [n][k], bias [n], out [m][n]; TFLite's reference
//         FullyConnected / FullyConnectedPerChannel of LiteRT (TF >= 2.20), which requantize
//         in double: round(double(acc) * scale[n]), half away from zero. Exact: |acc| < 2^31
//         is exactly representable and the product is rounded once, as in TFLite.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/qs8_kernels.h"
#include "quant/requantize.h"

namespace elite {

size_t qs8_gemm_packed_bytes__ref(int n, int k) {
  return sizeof(int32_t) * size_t(n) + size_t(n) * size_t(k);
}

void qs8_gemm_pack__ref(int n, int k, const int8_t* w_nk, const int32_t* bias,
                        const QS8Requant& /*rq: unused*/, void* packed) {
  int32_t* b = static_cast<int32_t*>(packed);
  for (int j = 0; j < n; ++j) b[j] = bias ? bias[j] : 0;
  std::memcpy(b + n, w_nk, size_t(n) * size_t(k));
}

void qs8_gemm__ref(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                   const int8_t* in, const void* packed, int8_t* out, const QS8Requant& rq) {
  const int32_t* bias = static_cast<const int32_t*>(packed);
  const int8_t* w = reinterpret_cast<const int8_t*>(bias + n);
  for (int i = m_begin; i < m_end; ++i) {
    const int8_t* x = in + size_t(i) * k;
    for (int j = n_begin; j < n_end; ++j) {
      const int8_t* wj = w + size_t(j) * k;
      int32_t acc = 0;
      for (int kk = 0; kk < k; ++kk) acc += int32_t(wj[kk]) * (int32_t(x[kk]) - rq.input_zero_point);
      acc = wrapping_add(acc, bias[j]);
      int32_t v = multiply_by_quantized_multiplier(acc, rq.multiplier[j], rq.shift[j]);
      v = wrapping_add(v, rq.output_zero_point);
      v = std::min(std::max(v, rq.out_min), rq.out_max);
      out[size_t(i) * n + j] = int8_t(v);
    }
  }
}

void qs8_fc__ref(int m_begin, int m_end, int n, int k, const int8_t* in, const int8_t* w_nk,
                 const int32_t* bias, int8_t* out, const QS8FcParams& p) {
  for (int i = m_begin; i < m_end; ++i) {
    const int8_t* x = in + size_t(i) * k;
    for (int j = 0; j < n; ++j) {
      const int8_t* wj = w_nk + size_t(j) * k;
      int32_t acc = 0;
      for (int kk = 0; kk < k; ++kk)
        acc += (int32_t(wj[kk]) - p.weight_zero_point) * (int32_t(x[kk]) - p.input_zero_point);
      if (bias) acc = wrapping_add(acc, bias[j]);
      out[size_t(i) * n + j] = fc_output(acc, p.scale[j], p.output_zero_point, p.out_min, p.out_max);
    }
  }
}

}  // namespace elite
