// Resolving a CONV_2D / DEPTHWISE_CONV_2D op's geometry from its NHWC tensor shapes, kernel,
// stride and padding, shared by the FP32 and INT8 paths of the executor.
#pragma once

#include <string>

#include "kernels/f32_kernels.h"
#include "model/graph.h"

namespace elite {

// Fills `g` (clamps left at their defaults) and checks that the shapes agree with the op:
// 4-D batch-1 tensors, positive kernel and stride, the output size SAME/VALID padding gives,
// depth multiplier 1 for depthwise. Returns the problem, or an empty string.
std::string resolve_conv_geometry(const Op& op, const TensorDesc& in, const TensorDesc& out,
                                  ConvGeometry& g);

}  // namespace elite
