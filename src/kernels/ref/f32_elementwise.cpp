// Reference FP32 add, global mean and softmax. Flat float arrays; global_mean reads
// in [hw][c] (NHWC with H*W folded) and writes out[c].
#include <algorithm>
#include <cmath>

#include "kernels/f32_microkernels.h"

namespace elite {

void f32_add__ref(size_t n, const float* a, const float* b, float* out, float out_min,
                  float out_max) {
  for (size_t i = 0; i < n; ++i) out[i] = std::min(std::max(a[i] + b[i], out_min), out_max);
}

// Sums in row order then divides, so the fast versions (channel vectors, same row order)
// give bit-identical results.
void f32_global_mean__ref(int hw, int c, const float* in, float* out) {
  const float scale = 1.0f / float(hw);
  for (int ch = 0; ch < c; ++ch) {
    float acc = 0.0f;
    for (int p = 0; p < hw; ++p) acc += in[size_t(p) * c + ch];
    out[ch] = acc * scale;
  }
}

// exp(beta*(x - max)) keeps every exponent <= 0, so nothing overflows; the sum is
// accumulated in double because n is 1000 and the result feeds top-k comparisons.
void f32_softmax__ref(int n, const float* in, float* out, float beta) {
  if (n <= 0) return;
  float mx = in[0];
  for (int i = 1; i < n; ++i) mx = std::max(mx, in[i]);
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    out[i] = std::exp(beta * (in[i] - mx));
    sum += out[i];
  }
  const float inv = float(1.0 / sum);
  for (int i = 0; i < n; ++i) out[i] *= inv;
}

}  // namespace elite
