// Protocol Buffers wire format, the writing half only: enough to emit ONNX's messages by
// hand, without libprotobuf. A message is a sequence of fields, each a key then a payload:
//   key        varint (field_number << 3) | wire_type
//   varint     base-128, least significant 7 bits first, high bit set on all but the last
//              byte; int32/int64/enum/bool all use it, a negative int64 as its 64-bit two's
//              complement (10 bytes)
//   wire type 0  VARINT  payload: one varint
//   wire type 2  LEN     payload: varint byte count, then the bytes (string, bytes, a nested
//                        message, a packed repeated field)
//   wire type 5  I32     payload: 4 bytes little endian (float, fixed32)
// A repeated field is its key and payload written once per element (the proto2 default,
// which ONNX's onnx.proto uses; every parser also accepts the packed form). A nested message
// is built in its own ProtoWriter, then added as a LEN field of its parent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace elite {

class ProtoWriter {
 public:
  void add_varint(int field, uint64_t value);
  void add_int64(int field, int64_t value) { add_varint(field, static_cast<uint64_t>(value)); }
  void add_float(int field, float value);
  void add_bytes(int field, const void* data, size_t size);
  void add_string(int field, std::string_view s) { add_bytes(field, s.data(), s.size()); }
  void add_message(int field, const ProtoWriter& message) {
    add_bytes(field, message.buf_.data(), message.buf_.size());
  }
  // Appends another writer's fields as they are: a message's fields may come in any order
  // and a repeated field's elements need not be adjacent, so fields built apart concatenate.
  void append_fields(const ProtoWriter& other) {
    buf_.insert(buf_.end(), other.buf_.begin(), other.buf_.end());
  }
  // A LEN field holding `count` floats as little-endian bytes (TensorProto.raw_data).
  void add_floats_le(int field, const float* values, size_t count);

  size_t size() const { return buf_.size(); }
  const std::vector<uint8_t>& bytes() const { return buf_; }
  std::vector<uint8_t> release() { return std::move(buf_); }

  // The encoding of one varint, for tests and size calculations.
  static std::vector<uint8_t> encode_varint(uint64_t value);

 private:
  void put_varint(uint64_t value);
  void put_key(int field, int wire_type) {
    put_varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
  }
  std::vector<uint8_t> buf_;
};

}  // namespace elite
