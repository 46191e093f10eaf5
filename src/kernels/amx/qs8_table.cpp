// The "amx" INT8 kernel table: the avx512vnni table with the 1x1 GEMM on AMX tiles (the
// depthwise, stem and element-wise kernels have no tile form worth having: their reductions
// are 9-27 deep).
#include "kernels/qs8_microkernels.h"

namespace elite {

const QS8Kernels qs8_kernels__amx = {
    "amx",
    {qs8_gemm_packed_bytes__amx, qs8_gemm_pack__amx, qs8_gemm_32x32__amx, 16},
    {qs8_dwconv_packed_bytes__avx512vnni, qs8_dwconv_pack__avx512vnni,
     qs8_dwconv_rows__avx512vnni},
    {qs8_conv_packed_bytes__avx512vnni, qs8_conv_pack__avx512vnni, qs8_conv_8x32c4__avx512vnni},
    qs8_fc__avx512vnni,
    qs8_add__avx512vnni,
    qs8_global_mean__avx2,
    qs8_softmax__lut,
    qs8_quantize_f32_s8__avx512vnni,
    qs8_quantize_f32_u8__avx512vnni,
    qs8_requantize_s8_u8__avx2,
    qs8_requantize_u8_s8__avx2,
    qs8_dequantize_s8_f32__ref,
    qs8_dequantize_u8_f32__ref,
};

}  // namespace elite
