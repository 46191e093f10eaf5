// Writes a Graph as a float32 .tflite flatbuffer that the TFLite runtime (LiteRT) runs.
// Layout written: schema version 3, description "elite", buffers[0] empty, one buffer per
// constant tensor (weights, bias, and the int32 parameter tensors of MEAN, RESHAPE, PAD),
// activation tensors first in Graph order (TFLite tensor i == Graph tensor i), then the
// constants. Metadata "elite_model" (Graph::name) and "elite_labels" (one label per line).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/graph.h"

namespace elite {

// The file's bytes; an error if the Graph is inconsistent (bad tensor ids, weight sizes).
Result<std::vector<uint8_t>> serialize_tflite(const Graph& graph);

// Serializes and writes atomically (a temporary file next to `path`, then rename).
Status write_tflite_file(const Graph& graph, const std::string& path);

}  // namespace elite
