// Reference FP32 general convolution (any kernel, stride, channels; groups = 1).
// in [in_h][in_w][in_c], out [out_h][out_w][out_c] (NHWC, batch 1).
// packed = bias[out_c] followed by w[out_c][kernel_h][kernel_w][in_c] (OHWI) unchanged.
// Out-of-bounds taps (implicit zero padding) are skipped.
#include <algorithm>
#include <cstring>

#include "kernels/f32_microkernels.h"

namespace elite {

size_t f32_conv_packed_floats__ref(int out_c, int kernel_h, int kernel_w, int in_c) {
  return size_t(out_c) * (1 + size_t(kernel_h) * size_t(kernel_w) * size_t(in_c));
}

void f32_conv_pack__ref(int out_c, int kernel_h, int kernel_w, int in_c, const float* w_ohwi,
                        const float* bias, float* packed) {
  for (int oc = 0; oc < out_c; ++oc) packed[oc] = bias ? bias[oc] : 0.0f;
  std::memcpy(packed + out_c, w_ohwi, sizeof(float) * size_t(out_c) * kernel_h * kernel_w * in_c);
}

void f32_conv__ref(const ConvGeometry& g, const float* in, const float* packed, float* out,
                   int oy_begin, int oy_end) {
  const float* bias = packed;
  const float* w = packed + g.out_c;
  const size_t w_stride = size_t(g.kernel_h) * g.kernel_w * g.in_c;
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      float* o = out + (size_t(oy) * g.out_w + ox) * g.out_c;
      for (int oc = 0; oc < g.out_c; ++oc) {
        const float* woc = w + oc * w_stride;
        float acc = bias[oc];
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky;
          if (iy < 0 || iy >= g.in_h) continue;
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_left + kx;
            if (ix < 0 || ix >= g.in_w) continue;
            const float* px = in + (size_t(iy) * g.in_w + ix) * g.in_c;
            const float* wt = woc + (size_t(ky) * g.kernel_w + kx) * g.in_c;
            for (int ic = 0; ic < g.in_c; ++ic) acc += px[ic] * wt[ic];
          }
        }
        o[oc] = std::min(std::max(acc, g.out_min), g.out_max);
      }
    }
  }
}

}  // namespace elite
