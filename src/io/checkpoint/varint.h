// Base-128 varints (little-endian groups of 7 bits, high bit = "more"), as used by LevelDB
// block entries and handles and by the protobuf wire format.
#pragma once

#include <cstddef>
#include <cstdint>

namespace elite::ckpt {

// Reads one varint of at most 10 bytes from [*p, end) and advances *p. False when the
// input ends inside the varint or it does not fit 64 bits.
inline bool read_varint64(const uint8_t** p, const uint8_t* end, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    const uint8_t b = *(*p)++;
    // The tenth byte may only hold the top bit of a 64-bit value.
    if (shift == 63 && b > 1) return false;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

// The same, limited to 32 bits (LevelDB's key and value lengths).
inline bool read_varint32(const uint8_t** p, const uint8_t* end, uint32_t* out) {
  uint64_t v;
  if (!read_varint64(p, end, &v) || v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
inline uint64_t load_le64(const uint8_t* p) {
  return uint64_t{load_le32(p)} | uint64_t{load_le32(p + 4)} << 32;
}

}  // namespace elite::ckpt
