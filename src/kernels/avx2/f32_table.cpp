// The "avx2" FP32 kernel table (AVX2 + FMA). Softmax reuses the reference version.
#include "kernels/f32_microkernels.h"

namespace elite {

const F32Kernels f32_kernels__avx2 = {
    "avx2",
    {f32_gemm_packed_floats__avx2, f32_gemm_pack__avx2, f32_gemm_6x16__avx2, 16},
    {f32_dwconv_packed_floats__avx2, f32_dwconv_pack__avx2, f32_dwconv__avx2},
    {f32_conv_packed_floats__avx2, f32_conv_pack__avx2, f32_conv__avx2},
    f32_add__avx2,
    f32_global_mean__avx2,
    f32_softmax__ref,
};

}  // namespace elite
