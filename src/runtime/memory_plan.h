// Activation memory planning: every activation tensor gets an offset in one arena, decided
// before the first run. Tensors whose lifetimes (producer .. last consumer) overlap never
// share bytes; RESHAPE outputs alias their input. Greedy by size, first fit.
// Sizes are in bytes, by element type (FLOAT32/INT32 4, INT8/UINT8 1), each tensor rounded
// up to 64 bytes. For all-float graphs `offset`/`arena_floats` give the same plan in floats.
#pragma once

#include <cstddef>
#include <vector>

#include "model/graph.h"

namespace elite {

struct MemoryPlan {
  std::vector<size_t> offset_bytes;  // per tensor; only meaningful for activations
  size_t arena_bytes = 0;
  std::vector<size_t> offset;  // offset_bytes / 4 (float graphs)
  size_t arena_floats = 0;     // arena_bytes / 4
};

// Bytes per element of a dtype.
size_t dtype_size(DType dtype);

// `keep` lists tensors that must stay readable after the run (e.g. the logits).
MemoryPlan plan_memory(const Graph& graph, const std::vector<int>& keep);

}  // namespace elite
