// Official TF checkpoint names and layouts -> EfficientNetLite; see tf_checkpoint_weights.h.
#include "model/tf_checkpoint_weights.h"

#include <set>

#include "model/weight_lookup.h"

namespace elite {
namespace {

const char kEma[] = "/ExponentialMovingAverage";
constexpr size_t kEmaLen = sizeof(kEma) - 1;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string last_component(const std::string& name) {
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

// The leaf names of the variables this architecture has.
bool is_model_variable(const std::string& name) {
  static const std::set<std::string> kLeaves = {"kernel",      "depthwise_kernel", "gamma",
                                                "beta",        "moving_mean",      "moving_variance",
                                                "bias"};
  return kLeaves.count(last_component(name)) > 0;
}

class Loader {
 public:
  Loader(const WeightMap& w, std::string scope, bool ema, std::string source)
      : w_(w), scope_(std::move(scope)), ema_(ema), source_(std::move(source)) {}

  // The tensor for variable `var` (relative to the scope), EMA shadow or raw, in TF layout.
  Result<const FloatTensor*> get(const std::string& var, const std::vector<int64_t>& shape) {
    const std::string raw = scope_ + var;
    used_.insert(raw);
    if (!ema_) return lookup_weight(w_, raw, shape, source_, "variable");
    return lookup_weight(w_, raw + kEma, shape, source_, "variable",
                         w_.count(raw) ? " (the checkpoint has moving averages for other variables; "
                                         "--no-ema uses the raw ones)"
                                       : "");
  }

  // HWIO [k,k,in,out] -> OHWI; depthwise [k,k,C,1] -> [1,k,k,C] (the same order).
  Status conv(const std::string& var, ConvBnLayer& l) {
    const int k = l.kernel;
    if (l.depthwise) {
      ELITE_ASSIGN_OR_RETURN(const FloatTensor* t, get(var, {k, k, l.out_c, 1}));
      l.weight.data = t->data;
      return Status::Ok();
    }
    ELITE_ASSIGN_OR_RETURN(const FloatTensor* t, get(var, {k, k, l.in_c, l.out_c}));
    for (int y = 0; y < k; ++y)
      for (int x = 0; x < k; ++x)
        for (int i = 0; i < l.in_c; ++i)
          for (int o = 0; o < l.out_c; ++o)
            l.weight.data[((o * k + y) * k + x) * l.in_c + i] =
                t->data[((y * k + x) * l.in_c + i) * l.out_c + o];
    return Status::Ok();
  }

  Status bn(const std::string& scope, BatchNorm& b) {
    return load_batch_norm(b, scope, {"/gamma", "/beta", "/moving_mean", "/moving_variance"},
                           [this](const std::string& var, const std::vector<int64_t>& shape) {
                             return get(var, shape);
                           });
  }

  // A model variable under the scope that was not asked for means another architecture.
  Status check_all_used() const {
    for (const auto& [key, t] : w_) {
      if (key.compare(0, scope_.size(), scope_) != 0) continue;
      const std::string base = ends_with(key, kEma) ? key.substr(0, key.size() - kEmaLen) : key;
      if (is_model_variable(base) && !used_.count(base))
        return Status::Error(source_ + ": unexpected variable '" + key + "' " + shape_to_string(t.shape) +
                             " (not part of " + scope_name() + ")");
    }
    return Status::Ok();
  }

 private:
  std::string scope_name() const { return scope_.empty() ? "the model" : scope_.substr(0, scope_.size() - 1); }
  const WeightMap& w_;
  std::string scope_;
  bool ema_;
  std::string source_;
  std::set<std::string> used_;
};

// The scope holding stem/conv2d/kernel (raw or shadow), with its trailing '/'; false if none.
bool find_scope(const WeightMap& w, std::string* scope) {
  const std::string stem = "stem/conv2d/kernel";
  for (const auto& [key, t] : w) {
    const std::string base = ends_with(key, kEma) ? key.substr(0, key.size() - kEmaLen) : key;
    if (base == stem || ends_with(base, "/" + stem)) {
      *scope = base.substr(0, base.size() - stem.size());
      return true;
    }
  }
  return false;
}

bool has_any_shadow(const WeightMap& w, const std::string& scope) {
  for (const auto& [key, t] : w)
    if (key.compare(0, scope.size(), scope) == 0 && ends_with(key, kEma)) return true;
  return false;
}

}  // namespace

bool is_tf_model_tensor(const std::string& name) {
  return is_model_variable(ends_with(name, kEma) ? name.substr(0, name.size() - kEmaLen) : name);
}

Status load_tf_checkpoint_weights(EfficientNetLite& m, const WeightMap& weights,
                                  const std::string& scope, bool use_ema,
                                  const std::string& source, bool* used_ema) {
  const bool ema = use_ema && has_any_shadow(weights, scope);
  *used_ema = ema;
  Loader ld(weights, scope, ema, source);
  ELITE_RETURN_IF_ERROR(ld.conv("stem/conv2d/kernel", m.stem));
  ELITE_RETURN_IF_ERROR(ld.bn("stem/tpu_batch_normalization", m.stem.bn));
  for (size_t k = 0; k < m.blocks.size(); ++k) {
    MBConvBlock& b = m.blocks[k];
    const std::string p = "blocks_" + std::to_string(k) + "/";
    // Without expansion the layer names shift down by one (conv2d is the projection).
    int bn_index = 0;
    auto next_bn = [&] {
      std::string name = p + "tpu_batch_normalization";
      if (const int i = bn_index++; i > 0) name += '_' + std::to_string(i);
      return name;
    };
    if (b.expand) {
      ELITE_RETURN_IF_ERROR(ld.conv(p + "conv2d/kernel", *b.expand));
      ELITE_RETURN_IF_ERROR(ld.bn(next_bn(), b.expand->bn));
    }
    ELITE_RETURN_IF_ERROR(ld.conv(p + "depthwise_conv2d/depthwise_kernel", b.depthwise));
    ELITE_RETURN_IF_ERROR(ld.bn(next_bn(), b.depthwise.bn));
    ELITE_RETURN_IF_ERROR(ld.conv(p + (b.expand ? "conv2d_1/kernel" : "conv2d/kernel"), b.project));
    ELITE_RETURN_IF_ERROR(ld.bn(next_bn(), b.project.bn));
  }
  ELITE_RETURN_IF_ERROR(ld.conv("head/conv2d/kernel", m.head));
  ELITE_RETURN_IF_ERROR(ld.bn("head/tpu_batch_normalization", m.head.bn));
  const int in = m.classifier.in, out = m.classifier.out;
  ELITE_ASSIGN_OR_RETURN(const FloatTensor* fw, ld.get("head/dense/kernel", {in, out}));
  ELITE_ASSIGN_OR_RETURN(const FloatTensor* fb, ld.get("head/dense/bias", {out}));
  for (int i = 0; i < in; ++i)
    for (int o = 0; o < out; ++o) m.classifier.weight.data[o * in + i] = fw->data[i * out + o];
  m.classifier.bias = fb->data;
  return ld.check_all_used();
}

Result<TfModel> model_from_tf_checkpoint(const WeightMap& weights, const std::string& model_name,
                                         bool use_ema, const std::string& source) {
  std::string scope;
  if (!find_scope(weights, &scope))
    return Status::Error(source + ": not an EfficientNet-lite checkpoint (no variable "
                         "'<model>/stem/conv2d/kernel')");
  // num_classes from head/dense/kernel [1280, num_classes] (either copy; shapes agree).
  int num_classes = 1000;
  for (const std::string& key : {scope + "head/dense/kernel" + kEma, scope + "head/dense/kernel"}) {
    auto it = weights.find(key);
    if (it != weights.end() && it->second.shape.size() == 2 && it->second.shape[1] > 0 &&
        it->second.shape[1] < (1 << 24)) {
      num_classes = static_cast<int>(it->second.shape[1]);
      break;
    }
  }
  const std::string scope_name = scope.empty() ? "" : last_component(scope.substr(0, scope.size() - 1));
  auto build_and_load = [&](const std::string& name) -> Result<TfModel> {
    ELITE_ASSIGN_OR_RETURN(ModelConfig config, lite_config(name, num_classes));
    TfModel r{build_efficientnet_lite(config), false};
    ELITE_RETURN_IF_ERROR(load_tf_checkpoint_weights(r.model, weights, scope, use_ema, source, &r.used_ema));
    return r;
  };
  Result<ModelConfig> from_scope = lite_config(scope_name, num_classes);
  if (from_scope.ok() && scope_name.rfind("efficientnet-lite", 0) == 0) {
    if (!model_name.empty()) {
      ELITE_ASSIGN_OR_RETURN(ModelConfig given, lite_config(model_name, num_classes));
      if (given.name != from_scope->name)
        return Status::Error(source + ": --model " + model_name + " disagrees with the checkpoint, whose variables are under '" +
                             scope + "'");
    }
    return build_and_load(from_scope->name);
  }
  if (!model_name.empty()) return build_and_load(model_name);
  Status first_error;
  for (const std::string& name : lite_model_names()) {
    Result<TfModel> r = build_and_load(name);
    if (r.ok()) return r;
    if (first_error.ok()) first_error = r.status();
  }
  return Status::Error(first_error.message() + " (the variables under '" + scope +
                       "' match none of efficientnet-lite0..lite4; pass --model)");
}

}  // namespace elite
