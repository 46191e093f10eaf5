// gunzip through zlib's inflate with the gzip wrapper (windowBits 16 + 15).
#include "io/archive/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <new>
#include <string>

namespace elite::archive {

Result<std::vector<uint8_t>> gunzip(const uint8_t* data, size_t size, uint64_t max_output) {
  if (!is_gzip(data, size)) return Status::Error("not a gzip file (no 1f 8b signature)");
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Status::Error("zlib: inflateInit2 failed");
  std::vector<uint8_t> out;
  Status status;
  try {
    // Guess the output size (tensor data compresses poorly); grow geometrically.
    out.resize(static_cast<size_t>(std::min<uint64_t>(max_output, 2ull * size + 4096)));
    size_t produced = 0, consumed = 0;
    for (;;) {
      if (produced == out.size()) {
        if (out.size() >= max_output) {
          status = Status::Error("decompresses to more than " + std::to_string(max_output) +
                                 " bytes (the size limit)");
          break;
        }
        out.resize(static_cast<size_t>(std::min<uint64_t>(max_output, 2ull * out.size() + 4096)));
      }
      // avail_in / avail_out are 32-bit: feed and drain at most 1 GiB at a time.
      const size_t in_chunk = std::min<size_t>(size - consumed, size_t{1} << 30);
      const size_t out_chunk = std::min<size_t>(out.size() - produced, size_t{1} << 30);
      z.next_in = const_cast<Bytef*>(data + consumed);
      z.avail_in = static_cast<uInt>(in_chunk);
      z.next_out = out.data() + produced;
      z.avail_out = static_cast<uInt>(out_chunk);
      const int rc = inflate(&z, Z_NO_FLUSH);
      consumed += in_chunk - z.avail_in;
      produced += out_chunk - z.avail_out;
      if (rc == Z_STREAM_END) {
        // Another gzip member may follow; zero padding after the last one is ignored.
        const uint8_t* rest = data + consumed;
        const size_t left = size - consumed;
        if (is_gzip(rest, left)) {
          inflateReset(&z);
          continue;
        }
        if (std::any_of(rest, rest + left, [](uint8_t b) { return b != 0; }))
          status = Status::Error("unexpected data after the end of the gzip stream at offset " +
                                 std::to_string(consumed));
        break;
      }
      if (rc == Z_BUF_ERROR && consumed == size && produced < out.size()) {
        status = Status::Error("truncated gzip stream (the file ends inside the compressed data)");
        break;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        status = Status::Error(std::string("corrupt gzip data: ") + (z.msg ? std::string(z.msg) : "inflate error " + std::to_string(rc)));
        break;
      }
    }
    out.resize(produced);
  } catch (const std::bad_alloc&) {
    status = Status::Error("out of memory while decompressing");
  }
  inflateEnd(&z);
  if (!status.ok()) return status;
  return out;
}

}  // namespace elite::archive
