// The per-format readers behind read_weights_memory (weights.cpp). Each parses an
// in-memory file and returns its float tensors; errors do not name the file, the caller
// prefixes it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "io/checkpoint/weights.h"

namespace elite::ckpt {

Result<WeightMap> read_pth_zip(const uint8_t* data, size_t size);
Result<WeightMap> read_pth_legacy(const uint8_t* data, size_t size);
Result<WeightMap> read_safetensors(const uint8_t* data, size_t size);

// Upper bound on the total elements a file of `size` bytes may expand to: tied weights
// and views may repeat storage, but never by more than a small factor in practice.
inline uint64_t max_total_numel(size_t size) { return 2 * static_cast<uint64_t>(size) + (1u << 24); }

}  // namespace elite::ckpt
