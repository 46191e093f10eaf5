#include "io/onnx/protobuf_writer.h"

#include <bit>
#include <cstring>

namespace elite {

namespace {
constexpr int kWireVarint = 0;
constexpr int kWireLen = 2;
constexpr int kWireI32 = 5;
}  // namespace

void ProtoWriter::put_varint(uint64_t value) {
  while (value >= 0x80) {
    buf_.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  buf_.push_back(static_cast<uint8_t>(value));
}

std::vector<uint8_t> ProtoWriter::encode_varint(uint64_t value) {
  ProtoWriter w;
  w.put_varint(value);
  return w.release();
}

void ProtoWriter::add_varint(int field, uint64_t value) {
  put_key(field, kWireVarint);
  put_varint(value);
}

void ProtoWriter::add_float(int field, float value) {
  put_key(field, kWireI32);
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  for (int i = 0; i < 4; ++i) buf_.push_back(static_cast<uint8_t>(bits >> (8 * i)));
}

void ProtoWriter::add_bytes(int field, const void* data, size_t size) {
  put_key(field, kWireLen);
  put_varint(size);
  const auto* p = static_cast<const uint8_t*>(data);
  buf_.insert(buf_.end(), p, p + size);
}

void ProtoWriter::add_floats_le(int field, const float* values, size_t count) {
  put_key(field, kWireLen);
  put_varint(count * 4);
  const size_t at = buf_.size();
  buf_.resize(at + count * 4);
  if constexpr (std::endian::native == std::endian::little) {
    if (count) std::memcpy(buf_.data() + at, values, count * 4);
  } else {
    for (size_t i = 0; i < count; ++i) {
      const uint32_t bits = std::bit_cast<uint32_t>(values[i]);
      for (int b = 0; b < 4; ++b) buf_[at + 4 * i + b] = static_cast<uint8_t>(bits >> (8 * b));
    }
  }
}

}  // namespace elite
