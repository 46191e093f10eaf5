// The "avx512vnni" INT8 kernel table (AVX-512 F/BW/DQ/VL + VNNI). Entries without an AVX-512
// version of their own use the AVX2 kernels (this CPU runs them too).
#include "kernels/qs8_microkernels.h"

namespace elite {

const QS8Kernels qs8_kernels__avx512vnni = {
    "avx512vnni",
    {qs8_gemm_packed_bytes__avx512vnni, qs8_gemm_pack__avx512vnni, qs8_gemm_8x32c4__avx512vnni, 16},
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
