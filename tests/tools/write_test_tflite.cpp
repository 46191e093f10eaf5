// Test-only: writes a small random float Graph as .tflite for tests/python/test_tflite_interop.py.
//   write_test_tflite OUT.tflite [--seed N] [--variant block|pad]
// block: [1,16,16,3] conv 3x3 s2 SAME relu6 -> depthwise 3x3 relu6 -> conv 1x1 -> add (skip)
//        -> mean -> fully connected -> softmax -> [1,5]
// pad:   [1,9,7,4] pad -> depthwise 3x3 s2 VALID relu -> average pool [1,1,1,4] -> reshape
//        -> fully connected relu -> [1,3]
// Weights are uniform in [-1, 1) from std::mt19937(seed), so a seed gives the same file.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../common/test_graphs.h"
#include "io/tflite/tflite_writer.h"

using namespace elite;

namespace {

// tests/common/test_graphs.h's graphs under this tool's own names and labels.
Graph make_graph(const std::string& variant, unsigned seed) {
  if (variant == "block") {
    Graph g = test::make_block_graph(seed);
    g.name = "test-block";
    g.labels = {"a", "b", "c", "d", "e"};
    return g;
  }
  Graph g = test::make_pad_graph(seed);
  g.name = "test-pad";
  return g;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, variant = "block";
  unsigned seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) seed = std::strtoul(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--variant") && i + 1 < argc) variant = argv[++i];
    else path = argv[i];
  }
  if (path.empty() || (variant != "block" && variant != "pad")) {
    std::fprintf(stderr, "usage: write_test_tflite OUT.tflite [--seed N] [--variant block|pad]\n");
    return 2;
  }
  Graph g = make_graph(variant, seed);
  Status s = write_tflite_file(g, path);
  if (!s.ok()) {
    std::fprintf(stderr, "write_test_tflite: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
