// A 64-byte aligned, zero-initialised float buffer (vector loads never straddle a line).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace elite {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t floats) { resize(floats); }

  void resize(size_t floats) {
    size_ = floats;
    // Round up: aligned_alloc wants a multiple of the alignment.
    const size_t bytes = ((floats * sizeof(float) + 63) / 64) * 64 + 64;
    data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
    if (data_) std::memset(data_.get(), 0, bytes);
  }
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  size_t size_ = 0;
};

}  // namespace elite
