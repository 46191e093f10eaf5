// libFuzzer target for the .tflite reader: any byte string must give a Graph or an error
// Status, never a crash, hang or out-of-bounds access. A Graph that comes back is checked
// for the invariants the runtime relies on (tensor ids in range, weights match shapes).
//   clang++ -fsanitize=fuzzer,address,undefined ... ; seed corpus: files from
//   tests/tools/write_test_tflite and tf.lite.TFLiteConverter.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "io/tflite/tflite_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  elite::Result<elite::Graph> r = elite::read_tflite_memory(data, size, "fuzz.tflite");
  if (!r.ok()) return 0;
  const elite::Graph& g = r.value();
  const int n = static_cast<int>(g.tensors.size());
  auto valid = [n](int id) { return id >= 0 && id < n; };
  if (!valid(g.input) || !valid(g.output)) std::abort();
  for (const elite::Op& op : g.ops) {
    if (!valid(op.output) || op.inputs.empty()) std::abort();
    for (int in : op.inputs)
      if (!valid(in)) std::abort();
    if (!op.weights.shape.empty() &&
        op.weights.numel() != static_cast<int64_t>(op.weights.data.size()))
      std::abort();
    if (!op.bias.shape.empty() && op.bias.numel() != static_cast<int64_t>(op.bias.data.size()))
      std::abort();
  }
  return 0;
}
