// A reader for LevelDB-format tables ("SSTables"), the container of TensorFlow's
// checkpoint `.index` files (tensorflow/core/lib/io/table*.cc, leveldb doc/table_format.md).
//
// Byte layout (integers little-endian, varints base-128):
//   [data block 0][trailer] ... [data block N-1][trailer]
//   [metaindex block][trailer] [index block][trailer]
//   footer, the last 48 bytes:
//     metaindex handle, index handle   (each: varint64 offset, varint64 size; zero-padded
//                                       to 40 bytes in all)
//     magic 0xdb4775248b80fb57         (8 bytes)
//   trailer (5 bytes after each block): compression type (0 none, 1 snappy, ...), then the
//     masked CRC-32C (crc32c.h) of the block contents and the type byte.
//   block contents:
//     entries: varint32 shared, varint32 non_shared, varint32 value_length,
//              key[shared..shared+non_shared) (the first `shared` bytes repeat the previous
//              key), value bytes
//     restarts: uint32 offsets of entries whose shared == 0 (every 16th entry in TF), then
//     uint32 num_restarts
// The index block maps a separator key (>= every key of a data block) to that block's
// handle. Keys are compared bytewise and must increase strictly over the table.
// TensorFlow writes bundles uncompressed; a compressed block is refused with an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace elite::ckpt {

struct SsTableEntry {
  std::string key;
  std::string value;
};

// Every key/value pair of the table in data[0..size), in key order. Checks the magic,
// every handle's bounds, block CRCs, entry bounds, restart points and key order. Errors
// name no file; the caller adds it.
Result<std::vector<SsTableEntry>> read_sstable(const uint8_t* data, size_t size);

constexpr uint64_t kSsTableMagic = 0xdb4775248b80fb57ull;
constexpr size_t kSsTableFooterSize = 48;
constexpr size_t kSsTableBlockTrailerSize = 5;

}  // namespace elite::ckpt
