// safetensors reader.
//
// Byte layout:
//   u64 LE  N                      header length
//   N bytes JSON header (UTF-8), possibly padded with spaces:
//           {"__metadata__": {str: str, ...},                        (optional)
//            "<name>": {"dtype": "F32", "shape": [d0, d1, ...],
//                       "data_offsets": [begin, end]}, ...}
//   data    tensors, row-major little-endian; offsets are relative to byte 8 + N
// dtypes: F64 F32 F16 BF16 (read, as float32), I64 I32 I16 I8 U8 BOOL ... (skipped).
#include <nlohmann/json.hpp>

#include <string>

#include "io/checkpoint/dtype.h"
#include "io/checkpoint/formats.h"

namespace elite::ckpt {
namespace {

constexpr uint64_t kMaxHeader = 100u << 20;  // the reference implementation's limit

bool parse_dtype(const std::string& s, DType* t) {
  static const struct { const char* name; DType t; } kTypes[] = {
      {"F32", DType::kF32}, {"F64", DType::kF64}, {"F16", DType::kF16}, {"BF16", DType::kBF16},
      {"I64", DType::kI64}, {"U64", DType::kI64}, {"I32", DType::kI32}, {"U32", DType::kI32},
      {"I16", DType::kI16}, {"U16", DType::kI16}, {"I8", DType::kI8},   {"U8", DType::kU8},
      {"BOOL", DType::kBool}, {"F8_E4M3", DType::kOther1}, {"F8_E5M2", DType::kOther1},
      {"C64", DType::kC64},
  };
  for (const auto& e : kTypes) {
    if (s == e.name) {
      *t = e.t;
      return true;
    }
  }
  return false;
}

bool get_u64_array(const nlohmann::json& j, std::vector<uint64_t>* out) {
  if (!j.is_array()) return false;
  out->clear();
  for (const auto& v : j) {
    if (!v.is_number_unsigned()) return false;  // rejects negatives and floats
    out->push_back(v.get<uint64_t>());
  }
  return true;
}

}  // namespace

Result<WeightMap> read_safetensors(const uint8_t* data, size_t size) {
  if (size < 8) return Status::Error("safetensors: file shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int b = 0; b < 8; ++b) n |= static_cast<uint64_t>(data[b]) << (8 * b);
  if (n > kMaxHeader) return Status::Error("safetensors: header length " + std::to_string(n) + " is absurd");
  if (n > size - 8) {
    return Status::Error("safetensors: header length " + std::to_string(n) + " runs past the end of the file (" +
                         std::to_string(size) + " bytes)");
  }
  const nlohmann::json header = nlohmann::json::parse(data + 8, data + 8 + n, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) return Status::Error("safetensors: header is not valid JSON");
  if (!header.is_object()) return Status::Error("safetensors: header is not a JSON object");
  const uint8_t* base = data + 8 + n;
  const uint64_t data_size = size - 8 - n;

  WeightMap out;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = "safetensors: tensor '" + name + "': ";
    if (!info.is_object()) return Status::Error(where + "entry is not an object");
    auto dt = info.find("dtype");
    auto sh = info.find("shape");
    auto off = info.find("data_offsets");
    if (dt == info.end() || !dt->is_string() || sh == info.end() || off == info.end()) {
      return Status::Error(where + "needs dtype, shape and data_offsets");
    }
    DType t;
    if (!parse_dtype(dt->get<std::string>(), &t)) {
      return Status::Error(where + "unknown dtype '" + dt->get<std::string>() + "'");
    }
    std::vector<uint64_t> dims, range;
    if (!get_u64_array(*sh, &dims)) return Status::Error(where + "shape is not a list of non-negative integers");
    if (!get_u64_array(*off, &range) || range.size() != 2) {
      return Status::Error(where + "data_offsets is not [begin, end]");
    }
    if (range[0] > range[1] || range[1] > data_size) {
      return Status::Error(where + "data_offsets [" + std::to_string(range[0]) + ", " + std::to_string(range[1]) +
                           "] lie outside the " + std::to_string(data_size) + " data bytes");
    }
    std::vector<int64_t> shape;
    for (uint64_t d : dims) {
      if (d > static_cast<uint64_t>(INT64_MAX)) return Status::Error(where + "dimension too large");
      shape.push_back(static_cast<int64_t>(d));
    }
    if (shape.size() > 64) return Status::Error(where + "too many dimensions");
    uint64_t numel, nbytes;
    if (!checked_numel(shape, &numel) || __builtin_mul_overflow(numel, static_cast<uint64_t>(dtype_size(t)), &nbytes)) {
      return Status::Error(where + "shape " + shape_to_string(shape) + " overflows");
    }
    if (nbytes != range[1] - range[0]) {
      return Status::Error(where + "shape " + shape_to_string(shape) + " needs " + std::to_string(nbytes) +
                           " bytes but data_offsets span " + std::to_string(range[1] - range[0]));
    }
    if (!dtype_is_float(t)) continue;
    if (numel == 0) {
      FloatTensor empty;
      empty.shape = shape;
      out[name] = std::move(empty);
      continue;
    }
    // Contiguous row-major strides.
    std::vector<int64_t> stride(shape.size());
    int64_t s = 1;
    for (size_t k = shape.size(); k-- > 0;) {
      stride[k] = s;
      s *= shape[k];
    }
    FloatTensor tensor;
    Status st = copy_view_to_float(t, base + range[0], numel, 0, shape, stride, numel, &tensor);
    if (!st.ok()) return st.with_context(where.substr(0, where.size() - 2));
    out[name] = std::move(tensor);
  }
  return out;
}

}  // namespace elite::ckpt
