// ustar / GNU / pax tar reader over memory; see tar.h for the header layout.
#include "io/archive/tar.h"


#include <algorithm>
#include <cstdio>
#include <new>

#include "io/file_bytes.h"
#include "io/archive/gzip.h"

namespace elite::archive {
namespace {

constexpr size_t kBlock = 512;
constexpr size_t kMaxName = 65536;

Status err(const std::string& what) { return Status::Error("tar: " + what); }

// A NUL-terminated field of at most n bytes.
std::string field(const uint8_t* h, size_t off, size_t n) {
  const char* p = reinterpret_cast<const char*>(h + off);
  return std::string(p, std::find(p, p + n, '\0'));
}

// Octal (spaces/NULs around it allowed) or GNU base-256. False when malformed or negative.
bool number(const uint8_t* p, size_t n, uint64_t* out) {
  if (p[0] & 0x80) {
    if (p[0] != 0x80) return false;  // 0xff: negative; others: not a form GNU writes
    uint64_t v = 0;
    for (size_t i = 1; i < n; ++i) {
      if (v >> 56) return false;
      v = v << 8 | p[i];
    }
    *out = v;
    return true;
  }
  size_t i = 0;
  while (i < n && p[i] == ' ') ++i;
  uint64_t v = 0;  // an all-blank field reads as 0
  for (; i < n && p[i] >= '0' && p[i] <= '7'; ++i) {
    if (v >> 60) return false;
    v = v * 8 + (p[i] - '0');
  }
  for (; i < n; ++i)
    if (p[i] != ' ' && p[i] != '\0') return false;
  *out = v;
  return true;
}

bool checksum_ok(const uint8_t* h) {
  uint64_t stored;
  if (!number(h + 148, 8, &stored)) return false;
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;  // some old tars summed signed chars
  for (size_t i = 0; i < kBlock; ++i) {
    const uint8_t b = (i >= 148 && i < 156) ? ' ' : h[i];
    unsigned_sum += b;
    signed_sum += static_cast<int8_t>(b);
  }
  return stored == unsigned_sum || static_cast<int64_t>(stored) == signed_sum;
}

bool all_zero(const uint8_t* h) { return std::all_of(h, h + kBlock, [](uint8_t b) { return b == 0; }); }

std::string clean_name(std::string n) {
  while (n.size() >= 2 && n[0] == '.' && n[1] == '/') n.erase(0, 2);
  return n;
}

// pax extended header records: "LEN key=value\n", LEN counting the whole record.
Status parse_pax(const uint8_t* p, uint64_t n, std::string* path, uint64_t* size, bool* has_size) {
  uint64_t i = 0;
  while (i < n) {
    if (p[i] == '\0') break;  // padding
    uint64_t len = 0, j = i;
    while (j < n && p[j] >= '0' && p[j] <= '9' && len < n) len = len * 10 + (p[j++] - '0');
    if (j >= n || p[j] != ' ' || len <= j - i + 1 || len > n - i || p[i + len - 1] != '\n')
      return err("malformed pax extended header record at byte " + std::to_string(i));
    const std::string rec(reinterpret_cast<const char*>(p + j + 1), len - (j - i) - 2);
    const size_t eq = rec.find('=');
    if (eq == std::string::npos) return err("pax record without '='");
    const std::string key = rec.substr(0, eq), value = rec.substr(eq + 1);
    if (key == "path") {
      if (value.size() > kMaxName) return err("pax path longer than " + std::to_string(kMaxName) + " bytes");
      *path = value;
    } else if (key == "size") {
      uint64_t v = 0;
      if (value.empty() || value.size() > 19 || value.find_first_not_of("0123456789") != std::string::npos)
        return err("pax size '" + value + "' is not a number");
      for (char c : value) v = v * 10 + (c - '0');
      *size = v;
      *has_size = true;
    }
    i += len;
  }
  return Status::Ok();
}

}  // namespace

bool looks_like_tar(const uint8_t* data, size_t size) {
  return size >= kBlock && std::equal(data + 257, data + 262, "ustar") && checksum_ok(data);
}

Result<std::vector<TarMember>> read_tar(const uint8_t* data, size_t size, size_t max_members) {
  std::vector<TarMember> out;
  std::string next_name;        // from a GNU 'L' or pax 'x' member, for the next header
  uint64_t next_size = 0;
  bool has_next_size = false;
  uint64_t pos = 0;
  while (pos < size) {
    if (size - pos < kBlock) return err("truncated header at offset " + std::to_string(pos));
    const uint8_t* h = data + pos;
    if (all_zero(h)) break;  // end of archive (the second zero block is not required)
    if (!checksum_ok(h)) return err("bad header checksum at offset " + std::to_string(pos) + " (not a tar file, or corrupted)");
    uint64_t msize;
    if (!number(h + 124, 12, &msize)) return err("bad size field in the header at offset " + std::to_string(pos));
    const char type = static_cast<char>(h[156]);
    if (has_next_size && type != 'L' && type != 'x' && type != 'g' && type != 'K') msize = next_size;
    const uint64_t data_off = pos + kBlock;
    std::string name = field(h, 0, 100);
    if (std::equal(h + 257, h + 263, "ustar\0") && h[345] != 0) name = field(h, 345, 155) + "/" + name;
    if (msize > size - data_off)
      return err("member '" + (next_name.empty() ? name : next_name) + "' (" + std::to_string(msize) +
                 " bytes at offset " + std::to_string(data_off) + ") runs past the end of the archive (" +
                 std::to_string(size) + " bytes; truncated?)");
    const uint64_t padded = (msize + kBlock - 1) / kBlock * kBlock;
    if (type == 'L') {
      if (msize > kMaxName) return err("GNU long name longer than " + std::to_string(kMaxName) + " bytes");
      next_name = field(data + data_off, 0, msize);
    } else if (type == 'x') {
      ELITE_RETURN_IF_ERROR(parse_pax(data + data_off, msize, &next_name, &next_size, &has_next_size));
    } else if (type == 'g' || type == 'K') {
      // pax global headers and GNU long link names do not affect file names or sizes.
    } else {
      if (type == '0' || type == '\0' || type == '7') {
        if (out.size() >= max_members) return err("more than " + std::to_string(max_members) + " members");
        out.push_back({clean_name(next_name.empty() ? name : next_name), data_off, msize});
      }
      next_name.clear();
      has_next_size = false;
    }
    // Directories and links carry no data, whatever their size field says.
    const bool has_data = !(type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6');
    pos = data_off + (has_data ? std::min<uint64_t>(padded, size - data_off) : 0);
  }
  return out;
}

std::map<std::string, std::span<const uint8_t>> Archive::files() const {
  std::map<std::string, std::span<const uint8_t>> m;
  for (const TarMember& t : members) m[t.name] = std::span<const uint8_t>(bytes.data() + t.offset, t.size);
  return m;
}

Result<Archive> read_tar_gz_memory(const uint8_t* data, size_t size, const std::string& name,
                                   uint64_t max_size) {
  Archive a;
  try {
    if (is_gzip(data, size)) {
      Result<std::vector<uint8_t>> raw = gunzip(data, size, max_size);
      if (!raw.ok()) return raw.status().with_context(name);
      a.bytes = std::move(raw).value();
    } else if (looks_like_tar(data, size)) {
      a.bytes.assign(data, data + size);
    } else {
      return Status::Error(name + ": not a .tar.gz or .tar file");
    }
    Result<std::vector<TarMember>> m = read_tar(a.bytes.data(), a.bytes.size());
    if (!m.ok()) return m.status().with_context(name);
    a.members = std::move(m).value();
  } catch (const std::bad_alloc&) {
    return Status::Error(name + ": out of memory while reading the archive");
  }
  return a;
}

Result<Archive> read_tar_gz_file(const std::string& path, uint64_t max_size) {
  ELITE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file_bytes(path));
  if (bytes.empty()) return Status::Error(path + ": file is empty");
  return read_tar_gz_memory(bytes.data(), bytes.size(), path, max_size);
}

}  // namespace elite::archive
