// Whole-file reads and atomic writes shared by the model and checkpoint readers and writers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace elite {

// Reads a file (or a pipe) into memory. Errors name the file: cannot open, a directory, out
// of memory, read error. An empty file is returned as empty bytes; callers decide.
Result<std::vector<uint8_t>> read_file_bytes(const std::string& path);

// Writes next to `path` and renames, so a reader never sees a half-written file and a failed
// write leaves an existing `path` untouched.
Status write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace elite
