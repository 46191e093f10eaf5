// The "ref" FP32 kernel table: plain C++, always available, the twin of every fast kernel.
#include "kernels/f32_microkernels.h"

namespace elite {

// n_tile 8 only sets the granularity of column ranges the runtime may hand out; the
// reference kernel itself accepts any range.
const F32Kernels f32_kernels__ref = {
    "ref",
    {f32_gemm_packed_floats__ref, f32_gemm_pack__ref, f32_gemm__ref, 8},
    {f32_dwconv_packed_floats__ref, f32_dwconv_pack__ref, f32_dwconv__ref},
    {f32_conv_packed_floats__ref, f32_conv_pack__ref, f32_conv__ref},
    f32_add__ref,
    f32_global_mean__ref,
    f32_softmax__ref,
};

}  // namespace elite
