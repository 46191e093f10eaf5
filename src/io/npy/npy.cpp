// .npy reader and writer for float32 arrays.
//
// Byte layout (NumPy format spec, numpy/lib/format.py):
//   offset 0   6 bytes  magic "\x93NUMPY"
//   offset 6   1 byte   major version (1, 2 or 3), then 1 byte minor version (0)
//   offset 8   uint16 little-endian header length N (version 1.0), or
//              uint32 little-endian N at offset 8 (versions 2.0 and 3.0)
//   then       N bytes of header: a Python dict literal in ASCII (UTF-8 in 3.0), e.g.
//              {'descr': '<f4', 'fortran_order': False, 'shape': (1, 224, 224, 3), }
//              padded with spaces and ending in '\n' so that the data starts at a
//              multiple of 64 bytes (16 in old files; any alignment is accepted here)
//   then       the data: prod(shape) float32 values, little-endian, C order (last
//              dimension fastest). shape () is a scalar with one value.
// Only '<f4' in C order is accepted; the file size must match the shape exactly.
#include "io/npy/npy.h"

#include <bit>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

static_assert(std::endian::native == std::endian::little, "npy I/O assumes little endian");

namespace elite {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

constexpr char kMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

// A tiny cursor over the header dict text.
struct Parser {
  const std::string& s;
  size_t i = 0;
  void skip_ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  bool eat(char c) {
    skip_ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  bool string_literal(std::string* out) {
    skip_ws();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) return false;
    const char q = s[i++];
    size_t end = s.find(q, i);
    if (end == std::string::npos) return false;
    *out = s.substr(i, end - i);
    i = end + 1;
    return true;
  }
  bool word(std::string* out) {
    skip_ws();
    size_t start = i;
    while (i < s.size() && std::isalnum(static_cast<unsigned char>(s[i]))) ++i;
    *out = s.substr(start, i - start);
    return !out->empty();
  }
  bool integer(int64_t* out) {
    skip_ws();
    size_t start = i;
    int64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (v > (int64_t{1} << 50)) return false;
      v = v * 10 + (s[i++] - '0');
    }
    if (i < s.size() && s[i] == 'L') ++i;  // Python 2 longs
    *out = v;
    return i > start;
  }
};

Status parse_header(const std::string& text, std::vector<int64_t>* shape) {
  Parser p{text};
  bool have_descr = false, have_order = false, have_shape = false;
  if (!p.eat('{')) return Status::Error("header is not a dict");
  while (!p.eat('}')) {
    std::string key;
    if (!p.string_literal(&key) || !p.eat(':')) return Status::Error("malformed header dict");
    if (key == "descr") {
      std::string descr;
      if (!p.string_literal(&descr)) return Status::Error("malformed 'descr'");
      if (descr != "<f4") {
        return Status::Error("unsupported dtype '" + descr + "' (only '<f4' float32)");
      }
      have_descr = true;
    } else if (key == "fortran_order") {
      std::string value;
      if (!p.word(&value) || (value != "False" && value != "True")) {
        return Status::Error("malformed 'fortran_order'");
      }
      if (value == "True") return Status::Error("fortran_order arrays are not supported");
      have_order = true;
    } else if (key == "shape") {
      if (!p.eat('(')) return Status::Error("malformed 'shape'");
      shape->clear();
      while (!p.eat(')')) {
        int64_t d;
        if (!p.integer(&d)) return Status::Error("malformed 'shape'");
        shape->push_back(d);
        if (!p.eat(',')) {
          if (!p.eat(')')) return Status::Error("malformed 'shape'");
          break;
        }
      }
      have_shape = true;
    } else {
      return Status::Error("unexpected header key '" + key + "'");
    }
    if (!p.eat(',')) {
      if (!p.eat('}')) return Status::Error("malformed header dict");
      break;
    }
  }
  if (!have_descr || !have_order || !have_shape) {
    return Status::Error("header lacks 'descr', 'fortran_order' or 'shape'");
  }
  return Status::Ok();
}

}  // namespace

Result<FloatTensor> read_npy(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::Error(path + ": cannot open: " + std::strerror(errno));
  if (std::fseek(f.get(), 0, SEEK_END) != 0) return Status::Error(path + ": cannot seek");
  const long file_size = std::ftell(f.get());
  std::rewind(f.get());
  if (file_size < 0) return Status::Error(path + ": cannot determine file size");

  uint8_t pre[12];
  if (file_size < 10 || std::fread(pre, 1, 10, f.get()) != 10) {
    return Status::Error(path + ": not a .npy file (too short)");
  }
  if (std::memcmp(pre, kMagic, 6) != 0) return Status::Error(path + ": not a .npy file (bad magic)");
  const int major = pre[6];
  size_t header_len = 0, prefix = 0;
  if (major == 1) {
    header_len = size_t(pre[8]) | size_t(pre[9]) << 8;
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (std::fread(pre + 10, 1, 2, f.get()) != 2) {
      return Status::Error(path + ": truncated .npy preamble");
    }
    header_len = size_t(pre[8]) | size_t(pre[9]) << 8 | size_t(pre[10]) << 16 |
                 size_t(pre[11]) << 24;
    prefix = 12;
  } else {
    return Status::Error(path + ": unsupported .npy version " + std::to_string(major) + "." +
                         std::to_string(pre[7]));
  }
  if (prefix + header_len > size_t(file_size)) {
    return Status::Error(path + ": truncated .npy header");
  }
  std::string header(header_len, '\0');
  if (std::fread(header.data(), 1, header_len, f.get()) != header_len) {
    return Status::Error(path + ": truncated .npy header");
  }
  FloatTensor t;
  Status st = parse_header(header, &t.shape);
  if (!st.ok()) return st.with_context(path);
  int64_t numel = 1;
  for (int64_t d : t.shape) {
    if (d < 0 || (d > 0 && numel > (int64_t{1} << 40) / d)) {
      return Status::Error(path + ": implausible shape " + shape_to_string(t.shape));
    }
    numel *= d;
  }
  const int64_t data_bytes = int64_t(file_size) - int64_t(prefix + header_len);
  if (data_bytes != numel * 4) {
    return Status::Error(path + ": " + (data_bytes < numel * 4 ? "truncated" : "trailing") +
                         " data: shape " + shape_to_string(t.shape) + " needs " +
                         std::to_string(numel * 4) + " bytes, file has " +
                         std::to_string(data_bytes));
  }
  t.data.resize(size_t(numel));
  if (numel > 0 && std::fread(t.data.data(), 4, size_t(numel), f.get()) != size_t(numel)) {
    return Status::Error(path + ": read error in data");
  }
  return t;
}

Status write_npy(const std::string& path, const FloatTensor& tensor) {
  int64_t numel = 1;
  for (int64_t d : tensor.shape) {
    if (d < 0) return Status::Error(path + ": negative dimension in " + shape_to_string(tensor.shape));
    numel *= d;
  }
  if (numel != int64_t(tensor.data.size())) {
    return Status::Error(path + ": shape " + shape_to_string(tensor.shape) + " has " +
                         std::to_string(numel) + " elements but data has " +
                         std::to_string(tensor.data.size()));
  }
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < tensor.shape.size(); ++i) {
    dict += std::to_string(tensor.shape[i]);
    dict += (tensor.shape.size() == 1 || i + 1 < tensor.shape.size()) ? "," : "";
    if (i + 1 < tensor.shape.size()) dict += " ";
  }
  dict += "), }";
  // Pad with spaces plus a final '\n' so that the data starts at a multiple of 64.
  const bool v2 = dict.size() + 1 + 10 > 65535;
  const size_t prefix = v2 ? 12 : 10;
  const size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  std::string pre(kMagic, 6);
  pre += static_cast<char>(v2 ? 2 : 1);
  pre += '\0';
  const size_t n = dict.size();
  pre += static_cast<char>(n & 0xFF);
  pre += static_cast<char>((n >> 8) & 0xFF);
  if (v2) {
    pre += static_cast<char>((n >> 16) & 0xFF);
    pre += static_cast<char>((n >> 24) & 0xFF);
  }
  File f(std::fopen(path.c_str(), "wb"));
  if (!f) return Status::Error(path + ": cannot create: " + std::strerror(errno));
  bool ok = std::fwrite(pre.data(), 1, pre.size(), f.get()) == pre.size() &&
            std::fwrite(dict.data(), 1, dict.size(), f.get()) == dict.size();
  if (ok && numel > 0) {
    ok = std::fwrite(tensor.data.data(), 4, size_t(numel), f.get()) == size_t(numel);
  }
  FILE* raw = f.release();
  if (std::fclose(raw) != 0) ok = false;
  if (!ok) return Status::Error(path + ": write failed: " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace elite
