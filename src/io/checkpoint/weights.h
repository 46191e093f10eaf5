// Reading named float32 weights from PyTorch checkpoints and safetensors files.
//
// read_weights_file sniffs the format from the bytes, not the extension:
//   - zip-based .pth (torch >= 1.6): "PK\3\4"; see pth.cpp and zip.h
//   - legacy .pth (torch < 1.6): starts with a protocol-2 pickle (0x80 0x02); see pth.cpp
//   - .safetensors: 8-byte LE header length, then '{'; see safetensors.cpp
// A state dict may be wrapped as {"state_dict": ...}, {"model": ...} or
// {"model_state_dict": ...}. float16/bfloat16/float64 become float32; strided or offset
// views become contiguous copies; non-float entries (int64 num_batches_tracked, ...) are
// skipped. Nothing in the file is executed. Errors name the file and the problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "core/status.h"
#include "core/tensor.h"

namespace elite {

using WeightMap = std::map<std::string, FloatTensor>;

Result<WeightMap> read_weights_file(const std::string& path);

// The same on bytes already in memory; `name` is used in error messages only.
Result<WeightMap> read_weights_memory(const uint8_t* data, size_t size, const std::string& name);

}  // namespace elite
