// The "avx2" INT8 kernel table (AVX2 + FMA): fast gemm, depthwise and general convolution,
// ADD, MEAN, FULLY_CONNECTED, QUANTIZE and int8 <-> uint8 requantization; SOFTMAX by table
// (plain C++); DEQUANTIZE (a few thousand values per image) reuses the reference kernel.
#include "kernels/qs8_microkernels.h"

namespace elite {

const QS8Kernels qs8_kernels__avx2 = {
    "avx2",
    {qs8_gemm_packed_bytes__avx2, qs8_gemm_pack__avx2, qs8_gemm_6x16__avx2, 16},
    {qs8_dwconv_packed_bytes__avx2, qs8_dwconv_pack__avx2, qs8_dwconv_16c__avx2},
    {qs8_conv_packed_bytes__avx2, qs8_conv_pack__avx2, qs8_conv_32oc__avx2},
    qs8_fc__avx2,
    qs8_add__avx2,
    qs8_global_mean__avx2,
    qs8_softmax__lut,
    qs8_quantize_f32_s8__avx2,
    qs8_quantize_f32_u8__avx2,
    qs8_requantize_s8_u8__avx2,
    qs8_requantize_u8_s8__avx2,
    qs8_dequantize_s8_f32__ref,
    qs8_dequantize_u8_f32__ref,
};

}  // namespace elite
