#include "io/file_bytes.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

namespace elite {

Result<std::vector<uint8_t>> read_file_bytes(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::Error(path + ": cannot open file: " + std::strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
    std::fclose(f);
    return Status::Error(path + ": is a directory, not a file");
  }
  std::vector<uint8_t> bytes;
  bool failed = false;
  try {
    if (S_ISREG(st.st_mode)) {
      bytes.resize(static_cast<size_t>(st.st_size));
      const size_t got = bytes.empty() ? 0 : std::fread(bytes.data(), 1, bytes.size(), f);
      failed = got != bytes.size();
    } else {
      // A pipe or device (e.g. /dev/stdin): its size is unknown, read it in chunks.
      uint8_t buf[1 << 16];
      for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.insert(bytes.end(), buf, buf + n);
    }
  } catch (const std::bad_alloc&) {
    std::fclose(f);
    return Status::Error(path + ": out of memory reading the file");
  }
  failed = failed || std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Status::Error(path + ": read error");
  return bytes;
}

Status write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return Status::Error("cannot write " + path + ": " + std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  int saved = errno;
  if (std::fflush(f) != 0 && ok) ok = false, saved = errno;
  if (std::fclose(f) != 0 && ok) ok = false, saved = errno;
  if (!ok) {
    std::remove(tmp.c_str());
    return Status::Error("cannot write " + path + ": " + std::strerror(saved));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    saved = errno;
    std::remove(tmp.c_str());
    return Status::Error("cannot write " + path + ": " + std::strerror(saved));
  }
  return Status::Ok();
}

}  // namespace elite
