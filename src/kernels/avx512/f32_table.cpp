// The "avx512" FP32 kernel table (AVX-512 F/BW/DQ/VL). Softmax reuses the reference version.
#include "kernels/f32_microkernels.h"

namespace elite {

const F32Kernels f32_kernels__avx512 = {
    "avx512",
    {f32_gemm_packed_floats__avx512, f32_gemm_pack__avx512, f32_gemm_8x32__avx512, 32},
    {f32_dwconv_packed_floats__avx512, f32_dwconv_pack__avx512, f32_dwconv__avx512},
    {f32_conv_packed_floats__avx512, f32_conv_pack__avx512, f32_conv__avx512},
    f32_add__avx512,
    f32_global_mean__avx512,
    f32_softmax__ref,
};

}  // namespace elite
