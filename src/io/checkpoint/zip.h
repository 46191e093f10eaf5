// A read-only zip archive reader over a memory buffer (enough for torch.save's zip files).
//
// Byte layout (all integers little-endian):
//   [local header 50 4B 03 04 | ... name | extra | entry data]...   one per entry
//   [central directory: 50 4B 01 02 records, one per entry]
//   [zip64 end record 50 4B 06 06 + zip64 locator 50 4B 06 07]      only for zip64
//   [end of central directory 50 4B 05 06, then a comment of up to 65535 bytes]
// The end record gives the central directory's offset, size and entry count; each central
// record gives name, method (0 STORED, 8 DEFLATE), CRC-32, sizes and the local header
// offset; 0xFFFFFFFF in a size/offset means "see the zip64 extra field (id 0x0001)".
// Entry data starts after the local header's own name and extra fields (torch pads the
// extra field so storages are 64-byte aligned).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace elite::ckpt {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;
  uint16_t flags = 0;
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
};

class ZipReader {
 public:
  // Parses the central directory of the archive in data[0..size); data must outlive this.
  static Result<ZipReader> open(const uint8_t* data, size_t size);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;

  // The entry's bytes: a view into the archive for STORED entries, or inflated into
  // *scratch for DEFLATE ones. The CRC-32 is verified either way.
  Status read(const ZipEntry& e, std::vector<uint8_t>* scratch, const uint8_t** out,
              size_t* out_size) const;

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> by_name_;  // first entry of each name
};

}  // namespace elite::ckpt
