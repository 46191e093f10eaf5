// Reference FP32 depthwise convolution (depth multiplier 1), any kernel size and stride.
// in [in_h][in_w][c], out [out_h][out_w][c] (NHWC, batch 1).
// packed = bias[c] followed by w[kernel_h][kernel_w][c] unchanged.
// Taps falling outside the input (SAME padding: pad_top/pad_left before, the rest after)
// are skipped, which equals adding zeros.
#include <algorithm>
#include <cstring>

#include "kernels/f32_microkernels.h"

namespace elite {

size_t f32_dwconv_packed_floats__ref(int c, int kernel_h, int kernel_w) {
  return size_t(c) * (1 + size_t(kernel_h) * size_t(kernel_w));
}

void f32_dwconv_pack__ref(int c, int kernel_h, int kernel_w, const float* w_hwc, const float* bias,
                          float* packed) {
  for (int ch = 0; ch < c; ++ch) packed[ch] = bias ? bias[ch] : 0.0f;
  std::memcpy(packed + c, w_hwc, sizeof(float) * size_t(c) * kernel_h * kernel_w);
}

void f32_dwconv__ref(const ConvGeometry& g, const float* in, const float* packed, float* out,
                     int oy_begin, int oy_end) {
  const int c = g.in_c;
  const float* bias = packed;
  const float* w = packed + c;
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      float* o = out + (size_t(oy) * g.out_w + ox) * c;
      for (int ch = 0; ch < c; ++ch) {
        float acc = bias[ch];
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky;
          if (iy < 0 || iy >= g.in_h) continue;
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_left + kx;
            if (ix < 0 || ix >= g.in_w) continue;
            acc += in[(size_t(iy) * g.in_w + ix) * c + ch] *
                   w[(size_t(ky) * g.kernel_w + kx) * c + ch];
          }
        }
        o[ch] = std::min(std::max(acc, g.out_min), g.out_max);
      }
    }
  }
}

}  // namespace elite
