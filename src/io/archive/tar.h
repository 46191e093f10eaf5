// tar archives in memory: ustar (POSIX.1-1988), GNU and pax (POSIX.1-2001) headers.
//
// An archive is a sequence of 512-byte blocks: a header block, then the member's data
// padded to a multiple of 512; two zero blocks (or the end of the data) end it.
// Header fields (ASCII, NUL- or space-terminated; numbers in octal):
//   0 name[100]  100 mode[8]  108 uid[8]  116 gid[8]  124 size[12]  136 mtime[12]
//   148 chksum[8] (sum of all 512 bytes, taking these 8 as spaces)  156 typeflag
//   157 linkname[100]  257 magic[6] ("ustar\0" POSIX, "ustar " GNU)  263 version[2]
//   265 uname[32]  297 gname[32]  329 devmajor[8]  337 devminor[8]
//   345 prefix[155] (POSIX only: the name is prefix + "/" + name)
// Numbers too big for octal use GNU's base-256 form (first byte 0x80, then big-endian).
// Long names: GNU 'L' members hold the next member's name; pax 'x' members hold
// "LEN key=value\n" records, of which `path` and `size` are used.
// Typeflags '0', '\0' and '7' are regular files; directories, links and the rest are
// listed nowhere. Nothing is written to disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace elite::archive {

struct TarMember {
  std::string name;  // leading "./" removed
  uint64_t offset = 0;  // of the data, in the archive bytes
  uint64_t size = 0;
};

// The regular files of the archive in data[0..size), in archive order. Checks header
// checksums, sizes against the data, and limits (at most max_members files, names up to
// 64 KiB). Errors name no file.
Result<std::vector<TarMember>> read_tar(const uint8_t* data, size_t size,
                                        size_t max_members = size_t{1} << 20);

// True when the 512 bytes at data look like a tar header (ustar magic and a valid checksum).
bool looks_like_tar(const uint8_t* data, size_t size);

// A .tar or .tar.gz file read into memory, with its regular files by name (a later member
// of the same name replaces an earlier one, as extraction would).
struct Archive {
  std::vector<uint8_t> bytes;  // the (decompressed) tar
  std::vector<TarMember> members;
  std::map<std::string, std::span<const uint8_t>> files() const;
};

// Reads PATH (gzip-compressed or plain tar). max_size caps the decompressed size.
Result<Archive> read_tar_gz_file(const std::string& path, uint64_t max_size = 8ull << 30);
// The same for bytes in memory; `name` is used in messages.
Result<Archive> read_tar_gz_memory(const uint8_t* data, size_t size, const std::string& name,
                                   uint64_t max_size = 8ull << 30);

}  // namespace elite::archive
