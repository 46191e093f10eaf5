// FloatTensor: a dense float32 array with a shape, row-major (last dimension fastest).
// Used for weights on their way in and out of files; activations live in the runtime arena.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace elite {

struct FloatTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  FloatTensor() = default;
  explicit FloatTensor(std::vector<int64_t> s) : shape(std::move(s)), data(numel_of(shape)) {}

  int64_t numel() const { return numel_of(shape); }
  static int64_t numel_of(const std::vector<int64_t>& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
  }
};

// "[3, 3, 3, 32]"
inline std::string shape_to_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace elite
