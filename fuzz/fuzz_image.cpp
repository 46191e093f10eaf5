// libFuzzer target for the image decoders and the official preprocessing.
// Input: arbitrary bytes, decoded with decode_image_memory (format sniffed from the
// magic bytes). On success the decoded image must be consistent ([h, w, 3] bytes), and
// small images also go through preprocess_official (224 x 224 x 3 floats) and the
// decode_and_crop path. Any crash, sanitizer report or inconsistency is a bug.
// Build (clang): clang++ -std=c++20 -fsanitize=fuzzer,address,undefined -I src
//   fuzz/fuzz_image.cpp <elite_core sources or library> -ljpeg -lpng -lz
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "io/image/image.h"
#include "preprocess/preprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  elite::Result<elite::Image> r = elite::decode_image_memory(data, size, "fuzz-input");
  if (!r.ok()) {
    if (r.status().message().empty()) std::abort();  // errors must say something
    return 0;
  }
  const elite::Image& img = r.value();
  if (img.height <= 0 || img.width <= 0 ||
      img.rgb.size() != static_cast<size_t>(img.height) * img.width * 3) {
    std::abort();
  }
  // Keep each input fast: the preprocessing cost grows with the crop area.
  if (static_cast<int64_t>(img.height) * img.width <= 512 * 512) {
    constexpr int kSize = 224;
    std::vector<float> out = elite::preprocess_official(img, kSize);
    if (out.size() != static_cast<size_t>(kSize) * kSize * 3) std::abort();
    elite::Result<std::vector<float>> cropped =
        elite::preprocess_official_memory(data, size, "fuzz-input", kSize);
    if (cropped.ok() && cropped.value().size() != out.size()) std::abort();
  }
  return 0;
}
