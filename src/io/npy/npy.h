// NumPy .npy files holding one little-endian float32 array in C order ('<f4'), the
// format tests and golden dumps use to exchange tensors with Python. The byte layout is
// described at the top of npy.cpp.
#pragma once

#include <string>

#include "core/status.h"
#include "core/tensor.h"

namespace elite {

// Reads a version 1.0, 2.0 or 3.0 .npy file with descr '<f4' and fortran_order False.
Result<FloatTensor> read_npy(const std::string& path);

// Writes version 1.0 (2.0 if the header would not fit in 64 KiB). A 0-d shape writes a
// scalar; tensor.data must hold exactly numel() values.
Status write_npy(const std::string& path, const FloatTensor& tensor);

}  // namespace elite
