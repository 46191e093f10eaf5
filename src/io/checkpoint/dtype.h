// Element types found in checkpoints, and the conversion of a (possibly strided, offset)
// view of raw little-endian storage bytes into a contiguous float32 FloatTensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace elite::ckpt {

enum class DType : uint8_t {
  kF32, kF64, kF16, kBF16,                 // converted to float32
  kI64, kI32, kI16, kI8, kU8, kBool,       // skipped (buffers such as num_batches_tracked)
  kC64, kC128, kOther1,                    // skipped; kOther1: 1-byte quantized/fp8 types
};

size_t dtype_size(DType t);
bool dtype_is_float(DType t);
const char* dtype_name(DType t);

// Copies the view storage[offset + sum(i_k * stride_k)] of shape `shape` (all counts in
// elements) into out as contiguous float32. storage_numel is how many elements the bytes
// at base hold. Every index is checked against it; sizes and strides must be >= 0.
// max_numel caps the result (a zero stride can otherwise expand a tiny storage without
// bound). Errors name no file; the caller adds it.
Status copy_view_to_float(DType t, const uint8_t* base, uint64_t storage_numel, int64_t offset,
                          const std::vector<int64_t>& shape, const std::vector<int64_t>& stride,
                          uint64_t max_numel, FloatTensor* out);

// Product of dims with overflow and sign checks; false if any dim < 0 or it overflows.
bool checked_numel(const std::vector<int64_t>& shape, uint64_t* numel);

float half_to_float(uint16_t h);
float bf16_to_float(uint16_t b);

}  // namespace elite::ckpt
