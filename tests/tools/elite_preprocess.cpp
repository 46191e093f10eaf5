// elite_preprocess --size N --out DIR [--full-decode] IMAGE...
// Runs the official EfficientNet eval preprocessing on each image and writes
// DIR/<stem>.npy, float32 [1, N, N, 3] (NHWC), for tests/python/check_preprocess_tf.py.
// By default the JPEG is decoded with the crop window, like tf.image.decode_and_crop_jpeg;
// --full-decode decodes the whole image and crops afterwards (to measure the difference).
// Errors go to stderr and the exit code is 1.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "io/image/image.h"
#include "io/npy/npy.h"
#include "preprocess/preprocess.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: elite_preprocess --size N --out DIR [--full-decode] IMAGE...\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int size = 0;
  std::string out_dir;
  bool full_decode = false;
  std::vector<std::string> images;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--size" && i + 1 < argc) {
      char* end = nullptr;
      const long v = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || v <= 0 || v > 4096) {
        std::fprintf(stderr, "elite_preprocess: invalid --size '%s'\n", argv[i]);
        return 1;
      }
      size = static_cast<int>(v);
    } else if (arg == "--out" && i + 1 < argc) {
      out_dir = argv[++i];
    } else if (arg == "--full-decode") {
      full_decode = true;
    } else if (arg.rfind("--", 0) == 0) {
      return usage();
    } else {
      images.push_back(arg);
    }
  }
  if (size == 0 || out_dir.empty() || images.empty()) return usage();
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::fprintf(stderr, "elite_preprocess: %s: %s\n", out_dir.c_str(), ec.message().c_str());
    return 1;
  }
  for (const std::string& path : images) {
    elite::FloatTensor t({1, size, size, 3});
    if (full_decode) {
      elite::Result<elite::Image> img = elite::decode_image_file(path);
      if (!img.ok()) {
        std::fprintf(stderr, "elite_preprocess: %s\n", img.status().message().c_str());
        return 1;
      }
      t.data = elite::preprocess_official(img.value(), size);
    } else {
      elite::Result<std::vector<float>> r = elite::preprocess_official_file(path, size);
      if (!r.ok()) {
        std::fprintf(stderr, "elite_preprocess: %s\n", r.status().message().c_str());
        return 1;
      }
      t.data = std::move(r.value());
    }
    const std::string out =
        (std::filesystem::path(out_dir) / std::filesystem::path(path).stem()).string() + ".npy";
    elite::Status st = elite::write_npy(out, t);
    if (!st.ok()) {
      std::fprintf(stderr, "elite_preprocess: %s\n", st.message().c_str());
      return 1;
    }
  }
  return 0;
}
