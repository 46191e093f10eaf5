// The "ref" INT8 kernel table: plain C++, always available, bit-exact with TFLite's
// reference kernels, the twin every fast INT8 kernel is tested against.
#include "kernels/qs8_kernels.h"

namespace elite {

// Defined in qs8_conv.cpp, qs8_gemm.cpp, qs8_elementwise.cpp and qs8_softmax.cpp.
size_t qs8_conv_packed_bytes__ref(int out_c, int kernel_h, int kernel_w, int in_c);
void qs8_conv_pack__ref(int out_c, int kernel_h, int kernel_w, int in_c, const int8_t* w_ohwi,
                        const int32_t* bias, void* packed);
void qs8_conv__ref(const ConvGeometry& g, const int8_t* in, const void* packed, int8_t* out,
                   const QS8Requant& rq, int oy_begin, int oy_end);
size_t qs8_dwconv_packed_bytes__ref(int c, int kernel_h, int kernel_w);
void qs8_dwconv_pack__ref(int c, int kernel_h, int kernel_w, const int8_t* w_hwc,
                          const int32_t* bias, void* packed);
void qs8_dwconv__ref(const ConvGeometry& g, const int8_t* in, const void* packed, int8_t* out,
                     const QS8Requant& rq, int oy_begin, int oy_end);
size_t qs8_gemm_packed_bytes__ref(int n, int k);
void qs8_gemm_pack__ref(int n, int k, const int8_t* w_nk, const int32_t* bias, void* packed);
void qs8_gemm__ref(int m_begin, int m_end, int n_begin, int n_end, int n, int k,
                   const int8_t* in, const void* packed, int8_t* out, const QS8Requant& rq);
void qs8_fc__ref(int m_begin, int m_end, int n, int k, const int8_t* in, const int8_t* w_nk,
                 const int32_t* bias, int8_t* out, const QS8FcParams& p);
void qs8_add__ref(size_t n, const int8_t* a, const int8_t* b, int8_t* out,
                  const QS8AddParams& p);
void qs8_global_mean__ref(int hw, int c, int c_begin, int c_end, const int8_t* in, int8_t* out,
                          const QS8MeanParams& p);
void qs8_softmax__ref(int n, const int8_t* in, int8_t* out, const QS8SoftmaxParams& p);
void qs8_quantize_f32_s8__ref(size_t n, const float* in, int8_t* out, float scale, int32_t zp);
void qs8_quantize_f32_u8__ref(size_t n, const float* in, uint8_t* out, float scale, int32_t zp);
void qs8_requantize_s8_u8__ref(size_t n, const int8_t* in, uint8_t* out,
                               const QS8RequantizeParams& p);
void qs8_requantize_u8_s8__ref(size_t n, const uint8_t* in, int8_t* out,
                               const QS8RequantizeParams& p);
void qs8_dequantize_s8_f32__ref(size_t n, const int8_t* in, float* out, float scale, int32_t zp);
void qs8_dequantize_u8_f32__ref(size_t n, const uint8_t* in, float* out, float scale, int32_t zp);

// n_tile 8 only sets the granularity of column ranges; the reference accepts any range.
const QS8Kernels qs8_kernels__ref = {
    "ref",
    {qs8_gemm_packed_bytes__ref, qs8_gemm_pack__ref, qs8_gemm__ref, 8},
    {qs8_dwconv_packed_bytes__ref, qs8_dwconv_pack__ref, qs8_dwconv__ref},
    {qs8_conv_packed_bytes__ref, qs8_conv_pack__ref, qs8_conv__ref},
    qs8_fc__ref,
    qs8_add__ref,
    qs8_global_mean__ref,
    qs8_softmax__ref,
    qs8_quantize_f32_s8__ref,
    qs8_quantize_f32_u8__ref,
    qs8_requantize_s8_u8__ref,
    qs8_requantize_u8_s8__ref,
    qs8_dequantize_s8_f32__ref,
    qs8_dequantize_u8_f32__ref,
};

}  // namespace elite
