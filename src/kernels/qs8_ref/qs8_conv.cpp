// Reference INT8 convolutions, exactly as TFLite's reference_integer_ops::ConvPerChannel and
// DepthwiseConvPerChannel (depth multiplier 1) compute them.
//   in  [in_h][in_w][in_c] int8, out [out_h][out_w][out_c] int8 (NHWC, batch 1)
//   conv packed:      bias[out_c] int32, then w[out_c][kernel_h][kernel_w][in_c] int8
//   depthwise packed: bias[c] int32, then w[kernel_h][kernel_w][c] int8
// acc = bias + sum w * (x - input_zero_point) over taps inside the input (SAME padding
// skips the outside taps: TFLite's padding value is the zero point, i.e. 0 after offset),
// then multiply_by_quantized_multiplier (double rounding), + output zero point, clamp.
// The int32 accumulator cannot overflow for reductions up to 2^16 taps (see qs8_kernels.h).
#include <algorithm>
#include <cstring>

#include "kernels/qs8_kernels.h"
#include "quant/requantize.h"

namespace elite {

namespace {

inline int8_t requantize_acc(int32_t acc, int ch, const QS8Requant& rq) {
  int32_t v = multiply_by_quantized_multiplier(acc, rq.multiplier[ch], rq.shift[ch]);
  v = wrapping_add(v, rq.output_zero_point);
  v = std::max(v, rq.out_min);
  v = std::min(v, rq.out_max);
  return int8_t(v);
}

}  // namespace

size_t qs8_conv_packed_bytes__ref(int out_c, int kernel_h, int kernel_w, int in_c) {
  return sizeof(int32_t) * size_t(out_c) + size_t(out_c) * kernel_h * kernel_w * in_c;
}

void qs8_conv_pack__ref(int out_c, int kernel_h, int kernel_w, int in_c, const int8_t* w_ohwi,
                        const int32_t* bias, void* packed) {
  int32_t* b = static_cast<int32_t*>(packed);
  for (int oc = 0; oc < out_c; ++oc) b[oc] = bias ? bias[oc] : 0;
  std::memcpy(b + out_c, w_ohwi, size_t(out_c) * kernel_h * kernel_w * in_c);
}

void qs8_conv__ref(const ConvGeometry& g, const int8_t* in, const void* packed, int8_t* out,
                   const QS8Requant& rq, int oy_begin, int oy_end) {
  const int32_t* bias = static_cast<const int32_t*>(packed);
  const int8_t* w = reinterpret_cast<const int8_t*>(bias + g.out_c);
  const int32_t in_zp = rq.input_zero_point;
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      int8_t* o = out + (size_t(oy) * g.out_w + ox) * g.out_c;
      for (int oc = 0; oc < g.out_c; ++oc) {
        int32_t acc = 0;
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky;
          if (iy < 0 || iy >= g.in_h) continue;
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_left + kx;
            if (ix < 0 || ix >= g.in_w) continue;
            const int8_t* x = in + (size_t(iy) * g.in_w + ix) * g.in_c;
            const int8_t* wk = w + ((size_t(oc) * g.kernel_h + ky) * g.kernel_w + kx) * g.in_c;
            for (int ic = 0; ic < g.in_c; ++ic) acc += int32_t(wk[ic]) * (int32_t(x[ic]) - in_zp);
          }
        }
        acc = wrapping_add(acc, bias[oc]);
        o[oc] = requantize_acc(acc, oc, rq);
      }
    }
  }
}

size_t qs8_dwconv_packed_bytes__ref(int c, int kernel_h, int kernel_w) {
  return sizeof(int32_t) * size_t(c) + size_t(c) * kernel_h * kernel_w;
}

void qs8_dwconv_pack__ref(int c, int kernel_h, int kernel_w, const int8_t* w_hwc,
                          const int32_t* bias, const QS8Requant& /*rq: unused*/, void* packed) {
  int32_t* b = static_cast<int32_t*>(packed);
  for (int ch = 0; ch < c; ++ch) b[ch] = bias ? bias[ch] : 0;
  std::memcpy(b + c, w_hwc, size_t(c) * kernel_h * kernel_w);
}

void qs8_dwconv__ref(const ConvGeometry& g, const int8_t* in, const void* packed, int8_t* out,
                     const QS8Requant& rq, int oy_begin, int oy_end) {
  const int c = g.in_c;
  const int32_t* bias = static_cast<const int32_t*>(packed);
  const int8_t* w = reinterpret_cast<const int8_t*>(bias + c);
  const int32_t in_zp = rq.input_zero_point;
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      int8_t* o = out + (size_t(oy) * g.out_w + ox) * c;
      for (int ch = 0; ch < c; ++ch) {
        int32_t acc = 0;
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky;
          if (iy < 0 || iy >= g.in_h) continue;
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_left + kx;
            if (ix < 0 || ix >= g.in_w) continue;
            acc += int32_t(w[(size_t(ky) * g.kernel_w + kx) * c + ch]) *
                   (int32_t(in[(size_t(iy) * g.in_w + ix) * c + ch]) - in_zp);
          }
        }
        acc = wrapping_add(acc, bias[ch]);
        o[ch] = requantize_acc(acc, ch, rq);
      }
    }
  }
}

}  // namespace elite
