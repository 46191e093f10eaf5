#include "model/weight_lookup.h"

namespace elite {

Result<const FloatTensor*> lookup_weight(const WeightMap& weights, const std::string& key,
                                         const std::vector<int64_t>& shape,
                                         const std::string& source, const std::string& kind,
                                         const std::string& missing_hint) {
  auto it = weights.find(key);
  if (it == weights.end())
    return Status::Error(source + ": missing " + kind + " '" + key + "'" + missing_hint);
  if (it->second.shape != shape)
    return Status::Error(source + ": " + kind + " '" + key + "' has shape " +
                         shape_to_string(it->second.shape) + ", expected " +
                         shape_to_string(shape));
  return &it->second;
}

Status load_batch_norm(BatchNorm& bn, const std::string& scope,
                       const std::array<const char*, 4>& leaves, const WeightGetter& get) {
  const int64_t c = static_cast<int64_t>(bn.gamma.size());
  std::vector<float>* dst[] = {&bn.gamma, &bn.beta, &bn.moving_mean, &bn.moving_variance};
  for (size_t i = 0; i < leaves.size(); ++i) {
    ELITE_ASSIGN_OR_RETURN(const FloatTensor* t, get(scope + leaves[i], {c}));
    *dst[i] = t->data;
  }
  return Status::Ok();
}

}  // namespace elite
