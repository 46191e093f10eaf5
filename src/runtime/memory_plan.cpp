#include "runtime/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace elite {
namespace {
constexpr size_t kAlignBytes = 64;
size_t round_up(size_t n) { return (n + kAlignBytes - 1) / kAlignBytes * kAlignBytes; }
size_t tensor_bytes(const TensorDesc& t) {
  return static_cast<size_t>(t.numel()) * dtype_size(t.dtype);
}
}  // namespace

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kInt8:
    case DType::kUInt8: return 1;
    case DType::kFloat32:
    case DType::kInt32: return 4;
  }
  return 4;
}

MemoryPlan plan_memory(const Graph& g, const std::vector<int>& keep) {
  const int n = static_cast<int>(g.tensors.size());
  const int end = static_cast<int>(g.ops.size());
  // Reshape outputs share their input's storage: plan on the root tensor.
  std::vector<int> root(n);
  std::iota(root.begin(), root.end(), 0);
  for (const Op& op : g.ops)
    if (op.kind == OpKind::kReshape) root[op.output] = root[op.inputs[0]];

  std::vector<int> first(n, end + 1), last(n, -1);
  auto touch = [&](int t, int step) {
    const int r = root[t];
    first[r] = std::min(first[r], step);
    last[r] = std::max(last[r], step);
  };
  touch(g.input, -1);
  for (int i = 0; i < end; ++i) {
    for (int t : g.ops[i].inputs) touch(t, i);
    touch(g.ops[i].output, i);
  }
  touch(g.output, end);
  for (int t : keep) touch(t, end);

  std::vector<int> order;
  for (int t = 0; t < n; ++t)
    if (root[t] == t && last[t] >= 0) order.push_back(t);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return tensor_bytes(g.tensors[a]) > tensor_bytes(g.tensors[b]);
  });

  MemoryPlan plan;
  plan.offset_bytes.assign(n, 0);
  struct Placed {
    size_t begin, end;
    int first, last;
  };
  std::vector<Placed> placed;
  for (int t : order) {
    const size_t size = round_up(tensor_bytes(g.tensors[t]));
    // Candidate offsets: 0 and the end of every live-overlapping placed tensor.
    std::vector<Placed> clashes;
    for (const Placed& p : placed)
      if (!(p.last < first[t] || last[t] < p.first)) clashes.push_back(p);
    std::sort(clashes.begin(), clashes.end(),
              [](const Placed& a, const Placed& b) { return a.begin < b.begin; });
    size_t at = 0;
    for (const Placed& p : clashes) {
      if (at + size <= p.begin) break;
      at = std::max(at, p.end);
    }
    plan.offset_bytes[t] = at;
    placed.push_back({at, at + size, first[t], last[t]});
    plan.arena_bytes = std::max(plan.arena_bytes, at + size);
  }
  plan.offset.assign(n, 0);
  for (int t = 0; t < n; ++t) {
    plan.offset_bytes[t] = plan.offset_bytes[root[t]];
    plan.offset[t] = plan.offset_bytes[t] / sizeof(float);
  }
  plan.arena_floats = plan.arena_bytes / sizeof(float);
  return plan;
}

}  // namespace elite
