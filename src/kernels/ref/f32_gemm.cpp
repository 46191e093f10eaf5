// Reference FP32 GEMM (1x1 convolution / fully connected), the twin of the fast versions.
// packed = bias[n] followed by w[n][k] unchanged. in is [m][k], out is [m][n].
// out[m][j] = clamp(bias[j] + sum_{kk in 0..k-1, in order} in[m][kk] * w[j][kk]).
#include <algorithm>
#include <cstring>

#include "kernels/f32_microkernels.h"

namespace elite {

size_t f32_gemm_packed_floats__ref(int n, int k) { return size_t(n) + size_t(n) * size_t(k); }

void f32_gemm_pack__ref(int n, int k, const float* w_nk, const float* bias, float* packed) {
  for (int j = 0; j < n; ++j) packed[j] = bias ? bias[j] : 0.0f;
  std::memcpy(packed + n, w_nk, sizeof(float) * size_t(n) * size_t(k));
}

void f32_gemm__ref(int m_begin, int m_end, int n_begin, int n_end, int n, int k, const float* in,
                   const float* packed, float* out, float out_min, float out_max) {
  const float* bias = packed;
  const float* w = packed + n;
  for (int i = m_begin; i < m_end; ++i) {
    const float* a = in + size_t(i) * size_t(k);
    for (int j = n_begin; j < n_end; ++j) {
      const float* wj = w + size_t(j) * size_t(k);
      float acc = bias[j];
      for (int kk = 0; kk < k; ++kk) acc += a[kk] * wj[kk];
      out[size_t(i) * size_t(n) + size_t(j)] = std::min(std::max(acc, out_min), out_max);
    }
  }
}

}  // namespace elite
