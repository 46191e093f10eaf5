#include "runtime/op_profile.h"

#include <algorithm>
#include <chrono>

#include "model/stats.h"

namespace elite {

Result<OpProfile> profile_ops(Executor& executor, const std::vector<float>& input, int warmup,
                              int runs) {
  if (runs < 1) return Status::Error("profiling needs at least one timed run");
  const ModelStats stats = compute_stats(executor.graph());
  const size_t n_ops = stats.layers.size();
  std::vector<std::vector<double>> times(n_ops);
  std::vector<float> output(static_cast<size_t>(executor.output_desc().numel()));
  using Clock = std::chrono::steady_clock;
  for (int r = 0; r < std::max(1, warmup) + runs; ++r) {
    const bool timed = r >= std::max(1, warmup);
    Clock::time_point last = Clock::now();
    ELITE_RETURN_IF_ERROR(executor.run_observed(
        input.data(), input.size(), output.data(), output.size(),
        [&](int op, int, const void*) {
          const Clock::time_point now = Clock::now();
          if (timed && op >= 0 && static_cast<size_t>(op) < n_ops)
            times[op].push_back(std::chrono::duration<double, std::milli>(now - last).count());
          last = now;
        }));
  }
  OpProfile p;
  for (size_t i = 0; i < n_ops; ++i) {
    const LayerStats& l = stats.layers[i];
    OpTiming t;
    t.op = static_cast<int>(i);
    t.kind = l.op;
    t.name = l.name;
    t.output_shape = l.output_shape;
    t.kernel = l.kernel;
    t.stride = l.stride;
    t.madds = l.madds;
    std::vector<double>& v = times[i];
    if (!v.empty()) {
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      t.median_ms = v[v.size() / 2];
    }
    p.total_ms += t.median_ms;
    p.ops.push_back(std::move(t));
  }
  return p;
}

}  // namespace elite
