// Per-operator timing of a prepared Executor, like TFLite benchmark_model's op profiling:
// where the milliseconds of one inference go, op by op and summed by op kind.
// Wall-clock time between the end of consecutive ops (run_observed), so the figures of a
// multi-threaded run include each op's synchronisation; the sum is within the observer's
// overhead (a clock read per op) of the plain run's latency. The first op's time includes
// copying (or, for INT8 graphs, quantizing) the float input into the arena.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "runtime/executor.h"

namespace elite {

struct OpTiming {
  int op = 0;                // index in the graph
  std::string kind;          // "CONV_2D", ...
  std::string name;          // output tensor name
  std::vector<int> output_shape;
  int kernel = 0, stride = 0;  // convolutions
  int64_t madds = 0;         // multiply-adds (model/stats.h; 0 for data movement)
  double median_ms = 0;      // over the timed runs
};

struct OpProfile {
  std::vector<OpTiming> ops;  // graph order
  double total_ms = 0;        // sum of the per-op medians
};

// Runs `warmup` untimed (at least one) and `runs` timed inferences on `input` and returns each op's median.
Result<OpProfile> profile_ops(Executor& executor, const std::vector<float>& input, int warmup,
                              int runs);

}  // namespace elite
