// libFuzzer target for the checkpoint readers: feeds arbitrary bytes to
// read_weights_memory (zip .pth, legacy .pth and safetensors are sniffed from the bytes),
// entirely in memory. Any crash, hang, sanitizer report or leak is a bug; errors are fine.
// When a file is accepted, every tensor's data size must match its shape.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
//     fuzz/fuzz_checkpoint.cpp src/io/checkpoint/*.cpp -lz -o fuzz_checkpoint
//   ./fuzz_checkpoint -max_len=65536 corpus/
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "io/checkpoint/weights.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = elite::read_weights_memory(data, size, "fuzz-input");
  if (r.ok()) {
    for (const auto& [name, t] : r.value()) {
      if (static_cast<int64_t>(t.data.size()) != t.numel()) std::abort();
    }
  } else if (r.status().message().empty()) {
    std::abort();
  }
  return 0;
}
