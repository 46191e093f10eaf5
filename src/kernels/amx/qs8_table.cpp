// The "amx" INT8 kernel table: the avx512vnni table with the 1x1 GEMM on AMX tiles (the
// depthwise, stem and element-wise kernels have no tile form worth having: their reductions
// are 9-27 deep). qs8_kernels__avx512vnni is constant-initialized (function pointers only),
// so copying it here during dynamic initialization is safe.
#include "kernels/qs8_microkernels.h"

namespace elite {

const QS8Kernels qs8_kernels__amx = [] {
  QS8Kernels t = qs8_kernels__avx512vnni;
  t.isa = "amx";
  t.gemm = {qs8_gemm_packed_bytes__amx, qs8_gemm_pack__amx, qs8_gemm_32x32__amx, 16};
  return t;
}();

}  // namespace elite
