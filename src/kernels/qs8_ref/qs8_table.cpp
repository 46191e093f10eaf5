// The "ref" INT8 kernel table: plain C++, always available, bit-exact with TFLite's
// reference kernels, the twin every fast INT8 kernel is tested against.
#include "kernels/qs8_microkernels.h"

namespace elite {

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
