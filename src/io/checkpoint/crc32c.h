// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by LevelDB tables and
// TensorFlow tensor bundles, plus TF's "mask": stored CRCs are rotated right by 15 bits
// and offset by 0xa282ead8, so that a CRC computed over data that itself holds CRCs does
// not degenerate (tensorflow/core/lib/hash/crc32c.h, leveldb util/crc32c.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace elite::ckpt {

// CRC-32C of data[0..n), continuing from the CRC `crc` of preceding bytes (0 to start).
uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t n);
inline uint32_t crc32c(const uint8_t* data, size_t n) { return crc32c_extend(0, data, n); }

constexpr uint32_t kCrc32cMaskDelta = 0xa282ead8u;
constexpr uint32_t crc32c_mask(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kCrc32cMaskDelta;
}
constexpr uint32_t crc32c_unmask(uint32_t masked) {
  const uint32_t rot = masked - kCrc32cMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace elite::ckpt
