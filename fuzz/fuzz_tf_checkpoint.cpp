// libFuzzer target for the TensorFlow checkpoint readers, entirely in memory. The input is
//   byte 0:     mode: even = a tensor bundle, odd = a .tar.gz / .tar archive
//   bundle:     bytes 1..4 little-endian index length n, then n bytes of PREFIX.index and
//               the rest as PREFIX.data-00000-of-00001 (SSTable, protobuf and shard checks)
//   archive:    bytes 1.. as the archive (gzip, tar headers, finding the checkpoint in it)
// Any crash, hang, sanitizer report or leak is a bug; errors are fine. When a checkpoint is
// accepted, every tensor's data size must match its shape.
//
//   bash scripts/fuzz.sh fuzz_tf_checkpoint
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "io/archive/tar.h"
#include "io/checkpoint/tf_bundle.h"
#include "io/checkpoint/tf_checkpoint.h"

namespace {

void check(const elite::Result<elite::WeightMap>& r) {
  if (r.ok()) {
    for (const auto& [name, t] : r.value())
      if (static_cast<int64_t>(t.data.size()) != t.numel()) std::abort();
  } else if (r.status().message().empty()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  if (data[0] & 1) {
    // 64 MiB caps what a small input may inflate to (deflate expands at most ~1000x).
    auto a = elite::archive::read_tar_gz_memory(data + 1, size - 1, "fuzz.tar.gz", 64u << 20);
    if (!a.ok()) {
      if (a.status().message().empty()) std::abort();
      return 0;
    }
    auto ck = elite::ckpt::read_tf_checkpoint_memory(a->files(), "fuzz.tar.gz");
    if (ck.ok()) check(ck->weights);
    else if (ck.status().message().empty()) std::abort();
    return 0;
  }
  if (size < 5) return 0;
  uint64_t n = uint64_t{data[1]} | uint64_t{data[2]} << 8 | uint64_t{data[3]} << 16 |
               uint64_t{data[4]} << 24;
  const size_t rest = size - 5;
  if (n > rest) n = rest;
  elite::ckpt::MemoryFiles files;
  files["f.index"] = std::span<const uint8_t>(data + 5, n);
  files["f.data-00000-of-00001"] = std::span<const uint8_t>(data + 5 + n, rest - n);
  check(elite::ckpt::read_tf_bundle_memory(files, "f", "fuzz:"));
  return 0;
}
