// Reads a float32 .tflite flatbuffer into the inference Graph (see model/graph.h).
// Every problem with the file (corrupt, truncated, an operator or tensor type this build
// cannot run, inconsistent shapes) comes back as an error Status that names the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/status.h"
#include "model/graph.h"

namespace elite {

// Reads and validates `path`.
Result<Graph> read_tflite_file(const std::string& path);

// Same, from memory; `name_for_errors` stands for the file in messages. `data` need not be
// aligned and must stay valid only for the call (nothing in the Graph points into it).
Result<Graph> read_tflite_memory(const uint8_t* data, size_t size,
                                 const std::string& name_for_errors);

}  // namespace elite
