// float16 / bfloat16 / float64 -> float32 conversion and strided view copies.
#include "io/checkpoint/dtype.h"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

namespace elite::ckpt {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::kF32: case DType::kI32: return 4;
    case DType::kF64: case DType::kI64: case DType::kC64: return 8;
    case DType::kF16: case DType::kBF16: case DType::kI16: return 2;
    case DType::kI8: case DType::kU8: case DType::kBool: case DType::kOther1: return 1;
    case DType::kC128: return 16;
  }
  return 1;
}

bool dtype_is_float(DType t) {
  return t == DType::kF32 || t == DType::kF64 || t == DType::kF16 || t == DType::kBF16;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kF32: return "float32";
    case DType::kF64: return "float64";
    case DType::kF16: return "float16";
    case DType::kBF16: return "bfloat16";
    case DType::kI64: return "int64";
    case DType::kI32: return "int32";
    case DType::kI16: return "int16";
    case DType::kI8: return "int8";
    case DType::kU8: return "uint8";
    case DType::kBool: return "bool";
    case DType::kC64: return "complex64";
    case DType::kC128: return "complex128";
    case DType::kOther1: return "1-byte type";
  }
  return "?";
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / nan
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);  // rebias 15 -> 127
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalize; value = mant * 2^-24.
    int e = 113;
    while ((mant & 0x400) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (static_cast<uint32_t>(e) << 23) | ((mant & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

namespace {

// Out-of-range double -> float is undefined behaviour in C++; saturate to +-inf instead.
float double_to_float(double d) {
  if (std::isnan(d)) return std::numeric_limits<float>::quiet_NaN();
  if (d > FLT_MAX) return std::numeric_limits<float>::infinity();
  if (d < -FLT_MAX) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(d);
}

// Storage is little-endian; so is every host we build for.
inline float load_as_float(DType t, const uint8_t* p) {
  switch (t) {
    case DType::kF32: { float f; std::memcpy(&f, p, 4); return f; }
    case DType::kF64: { double d; std::memcpy(&d, p, 8); return double_to_float(d); }
    case DType::kF16: { uint16_t h; std::memcpy(&h, p, 2); return half_to_float(h); }
    case DType::kBF16: { uint16_t h; std::memcpy(&h, p, 2); return bf16_to_float(h); }
    default: return 0.0f;
  }
}

}  // namespace

bool checked_numel(const std::vector<int64_t>& shape, uint64_t* numel) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return false;
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) return false;
  }
  *numel = n;
  return true;
}

Status copy_view_to_float(DType t, const uint8_t* base, uint64_t storage_numel, int64_t offset,
                          const std::vector<int64_t>& shape, const std::vector<int64_t>& stride,
                          uint64_t max_numel, FloatTensor* out) {
  if (!dtype_is_float(t)) return Status::Error(std::string("not a float type: ") + dtype_name(t));
  if (shape.size() != stride.size()) {
    return Status::Error("shape has " + std::to_string(shape.size()) + " dims but stride has " +
                         std::to_string(stride.size()));
  }
  if (shape.size() > 64) return Status::Error("too many dimensions: " + std::to_string(shape.size()));
  if (offset < 0) return Status::Error("negative storage offset " + std::to_string(offset));
  uint64_t numel = 0;
  if (!checked_numel(shape, &numel)) {
    return Status::Error("invalid shape " + shape_to_string(shape) + " (negative or overflowing)");
  }
  for (int64_t s : stride) {
    if (s < 0) return Status::Error("negative stride in " + shape_to_string(stride));
  }
  if (numel > max_numel) {
    return Status::Error("shape " + shape_to_string(shape) + " has " + std::to_string(numel) +
                         " elements, more than the file can plausibly hold");
  }
  if (numel > 0) {
    // Highest element touched: offset + sum((size_k - 1) * stride_k), overflow-checked.
    uint64_t last = static_cast<uint64_t>(offset);
    for (size_t k = 0; k < shape.size(); ++k) {
      uint64_t step;
      if (__builtin_mul_overflow(static_cast<uint64_t>(shape[k] - 1), static_cast<uint64_t>(stride[k]),
                                 &step) ||
          __builtin_add_overflow(last, step, &last)) {
        return Status::Error("view " + shape_to_string(shape) + " stride " + shape_to_string(stride) +
                             " overflows");
      }
    }
    if (last >= storage_numel) {
      return Status::Error("view " + shape_to_string(shape) + " stride " + shape_to_string(stride) +
                           " offset " + std::to_string(offset) + " reaches element " +
                           std::to_string(last) + " but the storage holds " +
                           std::to_string(storage_numel));
    }
  }
  out->shape = shape;
  out->data.assign(numel, 0.0f);
  if (numel == 0) return Status::Ok();
  const size_t es = dtype_size(t);
  float* dst = out->data.data();

  // Contiguous (row-major) views convert in one pass.
  bool contiguous = true;
  int64_t expect = 1;
  for (size_t k = shape.size(); k-- > 0;) {
    if (shape[k] != 1 && stride[k] != expect) contiguous = false;
    expect *= shape[k];
  }
  if (contiguous) {
    const uint8_t* src = base + static_cast<size_t>(offset) * es;
    if (t == DType::kF32) {
      std::memcpy(dst, src, numel * 4);
    } else {
      for (uint64_t i = 0; i < numel; ++i) dst[i] = load_as_float(t, src + i * es);
    }
    return Status::Ok();
  }
  // General case: odometer over the index, innermost dimension fastest.
  const size_t nd = shape.size();
  std::vector<int64_t> idx(nd, 0);
  uint64_t pos = static_cast<uint64_t>(offset);
  for (uint64_t i = 0; i < numel; ++i) {
    dst[i] = load_as_float(t, base + pos * es);
    for (size_t k = nd; k-- > 0;) {
      if (++idx[k] < shape[k]) {
        pos += static_cast<uint64_t>(stride[k]);
        break;
      }
      pos -= static_cast<uint64_t>(stride[k]) * static_cast<uint64_t>(shape[k] - 1);
      idx[k] = 0;
    }
  }
  return Status::Ok();
}

}  // namespace elite::ckpt
