// LevelDB table reader over a memory buffer; see sstable.h for the layout.
#include "io/checkpoint/sstable.h"

#include "io/checkpoint/crc32c.h"
#include "io/checkpoint/varint.h"

namespace elite::ckpt {
namespace {

struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;
};

Status err(const std::string& what) { return Status::Error("index table: " + what); }

bool read_handle(const uint8_t** p, const uint8_t* end, BlockHandle* h) {
  return read_varint64(p, end, &h->offset) && read_varint64(p, end, &h->size);
}

// The contents of the block at `h` after checking its bounds, trailer and CRC.
Status block_contents(const uint8_t* data, size_t size, const BlockHandle& h, const char* what,
                      const uint8_t** contents) {
  const std::string where = std::string(what) + " block at offset " + std::to_string(h.offset);
  if (h.offset > size || h.size > size - h.offset ||
      kSsTableBlockTrailerSize > size - h.offset - h.size)
    return err(where + " (" + std::to_string(h.size) + " bytes) runs past the end of the file (" +
               std::to_string(size) + " bytes)");
  const uint8_t* b = data + h.offset;
  const uint8_t type = b[h.size];
  if (type != 0) {
    const std::string name = type == 1 ? "snappy" : type == 2 ? "zstd" : "type " + std::to_string(type);
    return err(where + " is " + name +
               "-compressed; only uncompressed tables are supported (TensorFlow writes "
               "checkpoint indexes uncompressed)");
  }
  const uint32_t stored = crc32c_unmask(load_le32(b + h.size + 1));
  const uint32_t actual = crc32c_extend(crc32c(b, h.size), &type, 1);
  if (stored != actual) return err(where + ": CRC-32C mismatch (file corrupted)");
  *contents = b;
  return Status::Ok();
}

// Appends the entries of one block. `last_key` is the previous key of the table (for the
// global order check), updated as entries are read.
Status parse_block(const uint8_t* b, uint64_t n, const std::string& where,
                   std::vector<SsTableEntry>* out, std::string* last_key, bool* have_last) {
  if (n < 4) return err(where + ": too small for its restart count");
  const uint32_t num_restarts = load_le32(b + n - 4);
  if (num_restarts > (n - 4) / 4) return err(where + ": restart count " + std::to_string(num_restarts) + " does not fit");
  const uint64_t limit = n - 4 - 4ull * num_restarts;  // entries live in [0, limit)
  if (num_restarts == 0 && limit > 0) return err(where + ": entries but no restart points");
  // Restart offsets must increase, lie inside the entry area and land on entries with
  // shared == 0; collect them first and tick them off while walking the entries.
  std::vector<uint64_t> restarts(num_restarts);
  for (uint32_t i = 0; i < num_restarts; ++i) {
    restarts[i] = load_le32(b + limit + 4ull * i);
    if ((limit > 0 && restarts[i] >= limit) || (i > 0 && restarts[i] <= restarts[i - 1]))
      return err(where + ": restart point " + std::to_string(i) + " is out of range or order");
  }
  if (limit > 0 && restarts[0] != 0) return err(where + ": first restart point is not 0");
  size_t next_restart = 0;
  std::string key;
  const uint8_t* p = b;
  const uint8_t* end = b + limit;
  while (p < end) {
    const uint64_t at = static_cast<uint64_t>(p - b);
    uint32_t shared, non_shared, value_len;
    if (!read_varint32(&p, end, &shared) || !read_varint32(&p, end, &non_shared) ||
        !read_varint32(&p, end, &value_len))
      return err(where + ": entry at offset " + std::to_string(at) + " has a truncated header");
    if (shared > key.size()) return err(where + ": entry at offset " + std::to_string(at) + " shares more bytes than the previous key has");
    if (non_shared > static_cast<uint64_t>(end - p) || value_len > static_cast<uint64_t>(end - p) - non_shared)
      return err(where + ": entry at offset " + std::to_string(at) + " runs past the block");
    const bool is_restart = next_restart < restarts.size() && restarts[next_restart] == at;
    if (is_restart) {
      if (shared != 0) return err(where + ": entry at restart offset " + std::to_string(at) + " shares a prefix");
      ++next_restart;
    } else if (next_restart < restarts.size() && restarts[next_restart] < at) {
      return err(where + ": restart point " + std::to_string(restarts[next_restart]) + " is not at an entry");
    }
    key.resize(shared);
    key.append(reinterpret_cast<const char*>(p), non_shared);
    p += non_shared;
    if (*have_last && !(*last_key < key))
      return err(where + ": key '" + key + "' is not after the previous key '" + *last_key + "'");
    *last_key = key;
    *have_last = true;
    out->push_back({key, std::string(reinterpret_cast<const char*>(p), value_len)});
    p += value_len;
  }
  if (limit > 0 && next_restart != restarts.size()) return err(where + ": restart point " + std::to_string(restarts[next_restart]) + " is not at an entry");
  return Status::Ok();
}

}  // namespace

Result<std::vector<SsTableEntry>> read_sstable(const uint8_t* data, size_t size) {
  if (size < kSsTableFooterSize)
    return err("file is " + std::to_string(size) + " bytes, too small for the 48-byte footer");
  const uint8_t* footer = data + size - kSsTableFooterSize;
  if (load_le64(footer + 40) != kSsTableMagic) return err("bad magic number in the footer (not a TensorFlow checkpoint index, or truncated)");
  const uint8_t* p = footer;
  BlockHandle meta, index;
  if (!read_handle(&p, footer + 40, &meta) || !read_handle(&p, footer + 40, &index))
    return err("malformed block handles in the footer");
  const uint8_t* index_block;
  ELITE_RETURN_IF_ERROR(block_contents(data, size, index, "index", &index_block));
  std::vector<SsTableEntry> handles;
  std::string last;
  bool have_last = false;
  ELITE_RETURN_IF_ERROR(parse_block(index_block, index.size, "index block", &handles, &last, &have_last));

  std::vector<SsTableEntry> out;
  last.clear();
  have_last = false;
  for (const SsTableEntry& e : handles) {
    const uint8_t* q = reinterpret_cast<const uint8_t*>(e.value.data());
    const uint8_t* q_end = q + e.value.size();
    BlockHandle h;
    if (!read_handle(&q, q_end, &h) || q != q_end)
      return err("index entry '" + e.key + "' does not hold a block handle");
    const uint8_t* block;
    ELITE_RETURN_IF_ERROR(block_contents(data, size, h, "data", &block));
    const size_t before = out.size();
    ELITE_RETURN_IF_ERROR(parse_block(block, h.size, "data block at offset " + std::to_string(h.offset),
                                      &out, &last, &have_last));
    // The index key separates blocks: it is >= every key of its block.
    if (out.size() > before && e.key < out.back().key)
      return err("index key '" + e.key + "' is before the last key '" + out.back().key + "' of its block");
  }
  return out;
}

}  // namespace elite::ckpt
