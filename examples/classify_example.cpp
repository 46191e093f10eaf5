// The public API in a dozen lines: top-5 classes of one image.
//   classify_example models/efficientnet-lite0.tflite ../shared/data/panda.jpg
#include <cstdio>

#include "elite/elite.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL.tflite IMAGE\n", argv[0]);
    return 2;
  }
  auto classifier = elite::Classifier::load(argv[1]);
  if (!classifier.ok()) {
    std::fprintf(stderr, "error: %s\n", classifier.status().message().c_str());
    return 1;
  }
  auto probs = classifier->run_file(argv[2]);
  if (!probs.ok()) {
    std::fprintf(stderr, "error: %s\n", probs.status().message().c_str());
    return 1;
  }
  for (const elite::Prediction& p : classifier->top_k(*probs, 5))
    std::printf("%.4f  %4d  %s\n", p.score, p.index, p.label.c_str());
  return 0;
}
