// gzip decompression into memory through zlib (RFC 1952: 1f 8b header, DEFLATE data,
// CRC-32 and size trailer, all checked by zlib). Concatenated members are decoded one
// after another, as gunzip does; trailing zero padding is ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/status.h"

namespace elite::archive {

inline bool is_gzip(const uint8_t* data, size_t size) {
  return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

// The decompressed bytes; an error when the stream is corrupt or truncated, or when it
// would decompress to more than max_output bytes. Errors name no file.
Result<std::vector<uint8_t>> gunzip(const uint8_t* data, size_t size, uint64_t max_output);

}  // namespace elite::archive
