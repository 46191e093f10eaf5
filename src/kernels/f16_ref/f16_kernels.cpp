// Reference FP16 kernels: plain C++ on any CPU, every multiply-add a software half FMA
// (core/half.h) in the order f16_kernels.h fixes, so the fast tables must equal these bit
// for bit. Packed layouts: GEMM bias[n] then w[n][k]; depthwise bias[c] then w[kh][kw][c];
// convolution bias[out_c] then w[out_c][kh][kw][in_c] (the float layouts, in half).
#include <algorithm>

#include "kernels/f16_microkernels.h"

namespace elite {
namespace {

// min(max(v, lo), hi) with x86's VMAXPH/VMINPH rules: on equal values (+0 and -0) or a
// NaN they return the second operand, here the bound.
half_t clamp16(half_t v, F16Clamp c) {
  if (!(half_to_float(v) > half_to_float(c.lo))) v = c.lo;
  if (!(half_to_float(v) < half_to_float(c.hi))) v = c.hi;
  return v;
}

void to_halves(size_t n, const float* in, half_t* out) {
  for (size_t i = 0; i < n; ++i) out[i] = half_from_float(in[i]);
}

void pack_bias_then_weights(size_t c, const float* bias, size_t w_count, const float* w,
                            half_t* packed) {
  for (size_t i = 0; i < c; ++i) packed[i] = half_from_float(bias ? bias[i] : 0.0f);
  to_halves(w_count, w, packed + c);
}

}  // namespace

size_t f16_gemm_packed_halves__ref(int n, int k) { return size_t(n) * (size_t(k) + 1); }

void f16_gemm_pack__ref(int n, int k, const float* w_nk, const float* bias, half_t* packed) {
  pack_bias_then_weights(size_t(n), bias, size_t(n) * k, w_nk, packed);
}

void f16_gemm__ref(int m_begin, int m_end, int n_begin, int n_end, int n, int k, const half_t* in,
                   const half_t* packed, half_t* out, F16Clamp clamp) {
  const half_t* w = packed + n;
  for (int i = m_begin; i < m_end; ++i)
    for (int j = n_begin; j < n_end; ++j) {
      half_t acc = packed[j];
      for (int kk = 0; kk < k; ++kk)
        acc = half_fma(in[size_t(i) * k + kk], w[size_t(j) * k + kk], acc);
      out[size_t(i) * n + j] = clamp16(acc, clamp);
    }
}

size_t f16_dwconv_packed_halves__ref(int c, int kernel_h, int kernel_w) {
  return size_t(c) * (1 + size_t(kernel_h) * kernel_w);
}

void f16_dwconv_pack__ref(int c, int kernel_h, int kernel_w, const float* w_hwc,
                          const float* bias, half_t* packed) {
  pack_bias_then_weights(size_t(c), bias, size_t(c) * kernel_h * kernel_w, w_hwc, packed);
}

// Taps outside the input (SAME padding) are skipped: fma(0, w, acc) == acc.
void f16_dwconv__ref(const ConvGeometry& g, const half_t* in, const half_t* packed, half_t* out,
                     F16Clamp clamp, int oy_begin, int oy_end) {
  const int c = g.in_c;
  const half_t* w = packed + c;
  for (int oy = oy_begin; oy < oy_end; ++oy)
    for (int ox = 0; ox < g.out_w; ++ox)
      for (int ch = 0; ch < c; ++ch) {
        half_t acc = packed[ch];
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky;
          if (iy < 0 || iy >= g.in_h) continue;
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_left + kx;
            if (ix < 0 || ix >= g.in_w) continue;
            acc = half_fma(in[(size_t(iy) * g.in_w + ix) * c + ch],
                           w[(size_t(ky) * g.kernel_w + kx) * c + ch], acc);
          }
        }
        out[(size_t(oy) * g.out_w + ox) * c + ch] = clamp16(acc, clamp);
      }
}

size_t f16_conv_packed_halves__ref(int out_c, int kernel_h, int kernel_w, int in_c) {
  return size_t(out_c) * (1 + size_t(kernel_h) * kernel_w * in_c);
}

void f16_conv_pack__ref(int out_c, int kernel_h, int kernel_w, int in_c, const float* w_ohwi,
                        const float* bias, half_t* packed) {
  pack_bias_then_weights(size_t(out_c), bias, size_t(out_c) * kernel_h * kernel_w * in_c, w_ohwi,
                         packed);
}

void f16_conv__ref(const ConvGeometry& g, const half_t* in, const half_t* packed, half_t* out,
                   F16Clamp clamp, int oy_begin, int oy_end) {
  const half_t* w = packed + g.out_c;
  const size_t taps = size_t(g.kernel_h) * g.kernel_w * g.in_c;
  for (int oy = oy_begin; oy < oy_end; ++oy)
    for (int ox = 0; ox < g.out_w; ++ox)
      for (int oc = 0; oc < g.out_c; ++oc) {
        half_t acc = packed[oc];
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky;
          if (iy < 0 || iy >= g.in_h) continue;
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int ix = ox * g.stride_w - g.pad_left + kx;
            if (ix < 0 || ix >= g.in_w) continue;
            for (int ci = 0; ci < g.in_c; ++ci)
              acc = half_fma(in[(size_t(iy) * g.in_w + ix) * g.in_c + ci],
                             w[oc * taps + (size_t(ky) * g.kernel_w + kx) * g.in_c + ci], acc);
          }
        }
        out[(size_t(oy) * g.out_w + ox) * g.out_c + oc] = clamp16(acc, clamp);
      }
}

void f16_add__ref(size_t n, const half_t* a, const half_t* b, half_t* out, F16Clamp clamp) {
  for (size_t i = 0; i < n; ++i) out[i] = clamp16(half_add(a[i], b[i]), clamp);
}

void f16_global_mean__ref(int hw, int c, const half_t* in, half_t* out) {
  for (int ch = 0; ch < c; ++ch) {
    float sum = 0.0f;
    for (int p = 0; p < hw; ++p) sum += half_to_float(in[size_t(p) * c + ch]);
    out[ch] = half_from_float(sum / float(hw));
  }
}

void f16_from_float__ref(size_t n, const float* in, half_t* out) { to_halves(n, in, out); }

void f16_to_float__ref(size_t n, const half_t* in, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = half_to_float(in[i]);
}

const F16Kernels f16_kernels__ref = {
    "ref",
    {f16_gemm_packed_halves__ref, f16_gemm_pack__ref, f16_gemm__ref, 1},
    {f16_dwconv_packed_halves__ref, f16_dwconv_pack__ref, f16_dwconv__ref},
    {f16_conv_packed_halves__ref, f16_conv_pack__ref, f16_conv__ref},
    f16_add__ref,
    f16_global_mean__ref,
    f16_from_float__ref,
    f16_to_float__ref,
};

}  // namespace elite
