// Central-directory zip reader; DEFLATE through zlib's raw inflate. See zip.h for layout.
#include "io/checkpoint/zip.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace elite::ckpt {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kEndSize = 22;

uint64_t le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t k = 0; k < n; ++k) v |= static_cast<uint64_t>(p[k]) << (8 * k);
  return v;
}

// True if [off, off + n) lies inside a buffer of `size` bytes (overflow-safe).
bool in_bounds(uint64_t off, uint64_t n, size_t size) { return off <= size && n <= size - off; }

Status err(const std::string& what) { return Status::Error("zip: " + what); }

}  // namespace

Result<ZipReader> ZipReader::open(const uint8_t* data, size_t size) {
  if (size < kEndSize) return err("too small to be a zip archive");
  // The end record sits in the last 22 + 65535 bytes (it may be followed by a comment).
  size_t end = SIZE_MAX;
  const size_t lowest = size - kEndSize > 65535 ? size - kEndSize - 65535 : 0;
  for (size_t p = size - kEndSize + 1; p-- > lowest;) {
    if (le(data + p, 4) == kEndSig && p + kEndSize + le(data + p + 20, 2) <= size) {
      end = p;
      break;
    }
  }
  if (end == SIZE_MAX) return err("no end-of-central-directory record (truncated archive?)");
  uint64_t count = le(data + end + 10, 2);
  uint64_t cd_size = le(data + end + 12, 4);
  uint64_t cd_offset = le(data + end + 16, 4);
  if (count == 0xffff || cd_size == 0xffffffffu || cd_offset == 0xffffffffu) {
    // Zip64: the locator (20 bytes) sits right before the end record.
    if (end < 20 || le(data + end - 20, 4) != kZip64LocatorSig) return err("zip64 locator missing");
    const uint64_t z = le(data + end - 20 + 8, 8);
    if (!in_bounds(z, 56, size) || le(data + z, 4) != kZip64EndSig) return err("zip64 end record missing");
    count = le(data + z + 32, 8);
    cd_size = le(data + z + 40, 8);
    cd_offset = le(data + z + 48, 8);
  }
  if (!in_bounds(cd_offset, cd_size, size)) {
    return err("central directory (offset " + std::to_string(cd_offset) + ", " +
               std::to_string(cd_size) + " bytes) lies beyond the end of the file");
  }
  if (count > cd_size / 46) return err("entry count " + std::to_string(count) + " does not fit the central directory");

  ZipReader z;
  z.data_ = data;
  z.size_ = size;
  z.entries_.reserve(count);
  uint64_t p = cd_offset;
  const uint64_t cd_end = cd_offset + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (cd_end - p < 46 || le(data + p, 4) != kCentralSig) {
      return err("central directory record " + std::to_string(i) + " is malformed");
    }
    const uint8_t* r = data + p;
    ZipEntry e;
    e.flags = static_cast<uint16_t>(le(r + 8, 2));
    e.method = static_cast<uint16_t>(le(r + 10, 2));
    e.crc32 = static_cast<uint32_t>(le(r + 16, 4));
    e.compressed_size = le(r + 20, 4);
    e.uncompressed_size = le(r + 24, 4);
    const uint64_t name_len = le(r + 28, 2), extra_len = le(r + 30, 2), comment_len = le(r + 32, 2);
    e.local_header_offset = le(r + 42, 4);
    const uint64_t rec_len = 46 + name_len + extra_len + comment_len;
    if (rec_len > cd_end - p) return err("central directory record " + std::to_string(i) + " is truncated");
    e.name.assign(reinterpret_cast<const char*>(r + 46), name_len);
    // Zip64 extra field: the 8-byte values present are exactly those saturated above.
    const uint8_t* x = r + 46 + name_len;
    const uint8_t* x_end = x + extra_len;
    while (x_end - x >= 4) {
      const uint64_t id = le(x, 2), len = le(x + 2, 2);
      if (len > static_cast<uint64_t>(x_end - x - 4)) break;
      if (id == 0x0001) {
        const uint8_t* f = x + 4;
        uint64_t left = len;
        auto take = [&](uint64_t* v) {
          if (*v != 0xffffffffu) return;
          if (left >= 8) {
            *v = le(f, 8);
            f += 8;
            left -= 8;
          }
        };
        take(&e.uncompressed_size);
        take(&e.compressed_size);
        take(&e.local_header_offset);
      }
      x += 4 + len;
    }
    z.by_name_.emplace(e.name, z.entries_.size());
    z.entries_.push_back(std::move(e));
    p += rec_len;
  }
  return z;
}

const ZipEntry* ZipReader::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

Status ZipReader::read(const ZipEntry& e, std::vector<uint8_t>* scratch, const uint8_t** out,
                       size_t* out_size) const {
  const std::string where = "entry '" + e.name + "': ";
  if (e.flags & 1) return err(where + "encrypted entries are not supported");
  if (!in_bounds(e.local_header_offset, 30, size_) || le(data_ + e.local_header_offset, 4) != kLocalSig) {
    return err(where + "local header missing at offset " + std::to_string(e.local_header_offset));
  }
  const uint8_t* h = data_ + e.local_header_offset;
  const uint64_t start = e.local_header_offset + 30 + le(h + 26, 2) + le(h + 28, 2);
  if (!in_bounds(start, e.compressed_size, size_)) {
    return err(where + std::to_string(e.compressed_size) + " bytes at offset " + std::to_string(start) +
               " run past the end of the file (" + std::to_string(size_) + " bytes)");
  }
  const uint8_t* src = data_ + start;
  if (e.method == 0) {
    if (e.uncompressed_size != e.compressed_size) return err(where + "STORED sizes disagree");
    *out = src;
    *out_size = e.compressed_size;
  } else if (e.method == 8) {
    // DEFLATE expands at most ~1032:1; refuse claims beyond that before allocating.
    if (e.uncompressed_size / 1032 > e.compressed_size + 1) {
      return err(where + "claimed uncompressed size " + std::to_string(e.uncompressed_size) +
                 " is impossible for " + std::to_string(e.compressed_size) + " compressed bytes");
    }
    // One spare output byte lets inflate reach the end marker even for empty entries, and
    // shows up as an error if the stream holds more than it claimed.
    scratch->assign(e.uncompressed_size + 1, 0);
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return err(where + "inflateInit failed");
    zs.next_in = const_cast<Bytef*>(src);
    zs.next_out = scratch->data();
    // zlib counts in uInt; feed and drain in chunks so >4 GiB entries work too.
    uint64_t in_left = e.compressed_size, out_left = e.uncompressed_size + 1;
    int rc = Z_OK;
    while (rc == Z_OK) {
      const uInt in_chunk = static_cast<uInt>(std::min<uint64_t>(in_left, 1u << 30));
      const uInt out_chunk = static_cast<uInt>(std::min<uint64_t>(out_left, 1u << 30));
      zs.avail_in = in_chunk;
      zs.avail_out = out_chunk;
      rc = inflate(&zs, Z_NO_FLUSH);
      in_left -= in_chunk - zs.avail_in;
      out_left -= out_chunk - zs.avail_out;
      if (rc == Z_OK && zs.avail_in == in_chunk && zs.avail_out == out_chunk) rc = Z_BUF_ERROR;  // no progress
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || out_left != 1) {
      return err(where + "corrupt or truncated DEFLATE data");
    }
    scratch->resize(e.uncompressed_size);
    *out = scratch->data();
    *out_size = scratch->size();
  } else {
    return err(where + "unsupported compression method " + std::to_string(e.method));
  }
  // CRC-32 over the (uncompressed) bytes, again chunked for zlib's uInt.
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t off = 0; off < *out_size;) {
    const uInt n = static_cast<uInt>(std::min<size_t>(*out_size - off, 1u << 30));
    crc = crc32(crc, *out + off, n);
    off += n;
  }
  if (crc != e.crc32) return err(where + "CRC-32 mismatch (corrupt data)");
  return Status::Ok();
}

}  // namespace elite::ckpt
