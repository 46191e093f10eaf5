// Named-tensor lookup shared by the weight loaders (pytorch_weights.cpp,
// tf_checkpoint_weights.cpp): find a tensor by name, check its shape, and fill a BatchNorm
// from its four per-channel tensors. Each loader keeps its own naming and bookkeeping.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/checkpoint/weights.h"
#include "model/efficientnet.h"

namespace elite {

// The tensor `key` of `weights`, which must have `shape`. `source` (the file or checkpoint)
// starts every message and `kind` names what an entry is ("tensor", "variable"):
//   "<source>: missing <kind> '<key>'" followed by `missing_hint` (may be empty);
//   "<source>: <kind> '<key>' has shape [a, b], expected [c, d]".
Result<const FloatTensor*> lookup_weight(const WeightMap& weights, const std::string& key,
                                         const std::vector<int64_t>& shape,
                                         const std::string& source, const std::string& kind,
                                         const std::string& missing_hint = {});

// Looks up one tensor by a loader's own (relative) name with the expected shape.
using WeightGetter = std::function<Result<const FloatTensor*>(const std::string& name,
                                                              const std::vector<int64_t>& shape)>;

// Fills gamma, beta, moving_mean and moving_variance of `bn` (its size gives the channel
// count) from `get(scope + leaves[i], {channels})`, the leaves in that order.
Status load_batch_norm(BatchNorm& bn, const std::string& scope,
                       const std::array<const char*, 4>& leaves, const WeightGetter& get);

}  // namespace elite
