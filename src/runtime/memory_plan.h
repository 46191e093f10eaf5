// Activation memory planning: every activation tensor gets an offset in one arena, decided
// before the first run. Tensors whose lifetimes (producer .. last consumer) overlap never
// share bytes; RESHAPE outputs alias their input. Greedy by size, first fit.
#pragma once

#include <cstddef>
#include <vector>

#include "model/graph.h"

namespace elite {

struct MemoryPlan {
  std::vector<size_t> offset;  // per tensor, in floats; only meaningful for activations
  size_t arena_floats = 0;
};

// `keep` lists tensors that must stay readable after the run (e.g. the logits).
MemoryPlan plan_memory(const Graph& graph, const std::vector<int>& keep);

}  // namespace elite
