// The "avxvnni" INT8 kernel table (AVX2 + FMA + VEX-encoded VNNI, no AVX-512): the VNNI GEMM
// for the 1x1 convolutions, which carry most of the multiply-adds; everything else is the
// "avx2" table's.
#include "kernels/qs8_microkernels.h"

namespace elite {

const QS8Kernels qs8_kernels__avxvnni = {
    "avxvnni",
    {qs8_gemm_packed_bytes__vnni, qs8_gemm_pack__vnni, qs8_gemm_6x16c4__avxvnni, 16},
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
