#include "model/pytorch_weights.h"

#include <functional>
#include <set>

#include "model/weight_lookup.h"

namespace elite {
namespace {

// Key names of one naming scheme.
struct Naming {
  std::string stem_conv, stem_bn, head_conv, head_bn, fc;
  // Per block (index in execution order, stage, index within the stage).
  std::function<std::string(int, int, int)> block_prefix;
  std::string expand_conv, expand_bn, dw_conv, dw_bn, project_conv, project_bn;
  std::string dw_bn_no_expand, project_conv_no_expand, project_bn_no_expand;
};

Naming lukemelas_naming() {
  Naming n;
  n.stem_conv = "_conv_stem.weight";
  n.stem_bn = "_bn0";
  n.head_conv = "_conv_head.weight";
  n.head_bn = "_bn1";
  n.fc = "_fc";
  n.block_prefix = [](int k, int, int) { return "_blocks." + std::to_string(k) + "."; };
  n.expand_conv = "_expand_conv.weight";
  n.expand_bn = "_bn0";
  n.dw_conv = "_depthwise_conv.weight";
  n.dw_bn = n.dw_bn_no_expand = "_bn1";
  n.project_conv = n.project_conv_no_expand = "_project_conv.weight";
  n.project_bn = n.project_bn_no_expand = "_bn2";
  return n;
}

Naming timm_naming() {
  Naming n;
  n.stem_conv = "conv_stem.weight";
  n.stem_bn = "bn1";
  n.head_conv = "conv_head.weight";
  n.head_bn = "bn2";
  n.fc = "classifier";
  n.block_prefix = [](int, int s, int j) {
    return "blocks." + std::to_string(s) + "." + std::to_string(j) + ".";
  };
  n.expand_conv = "conv_pw.weight";
  n.expand_bn = "bn1";
  n.dw_conv = "conv_dw.weight";
  n.dw_bn = "bn2";
  n.project_conv = "conv_pwl.weight";
  n.project_bn = "bn3";
  // Stage 0 is a depthwise-separable block: conv_dw, bn1, conv_pw, bn2.
  n.dw_bn_no_expand = "bn1";
  n.project_conv_no_expand = "conv_pw.weight";
  n.project_bn_no_expand = "bn2";
  return n;
}

class Loader {
 public:
  Loader(const WeightMap& w, std::string prefix, std::string source)
      : w_(w), prefix_(std::move(prefix)), source_(std::move(source)) {}

  Result<const FloatTensor*> get(const std::string& key, const std::vector<int64_t>& shape) {
    const std::string name = prefix_ + key;
    ELITE_ASSIGN_OR_RETURN(const FloatTensor* t, lookup_weight(w_, name, shape, source_, "tensor"));
    used_.insert(name);
    return t;
  }

  // OIHW / [C,1,k,k] -> OHWI / [1,k,k,C].
  Status conv(const std::string& key, ConvBnLayer& l) {
    const int k = l.kernel;
    if (l.depthwise) {
      ELITE_ASSIGN_OR_RETURN(const FloatTensor* t, get(key, {l.out_c, 1, k, k}));
      for (int c = 0; c < l.out_c; ++c)
        for (int i = 0; i < k * k; ++i) l.weight.data[i * l.out_c + c] = t->data[c * k * k + i];
    } else {
      ELITE_ASSIGN_OR_RETURN(const FloatTensor* t, get(key, {l.out_c, l.in_c, k, k}));
      for (int o = 0; o < l.out_c; ++o)
        for (int i = 0; i < l.in_c; ++i)
          for (int y = 0; y < k; ++y)
            for (int x = 0; x < k; ++x)
              l.weight.data[((o * k + y) * k + x) * l.in_c + i] =
                  t->data[((o * l.in_c + i) * k + y) * k + x];
    }
    return Status::Ok();
  }

  // Every tensor under the prefix must have been used: leftovers mean another architecture.
  Status check_all_used() const {
    for (const auto& [key, t] : w_) {
      if (key.compare(0, prefix_.size(), prefix_) == 0 && !used_.count(key))
        return Status::Error(source_ + ": unexpected tensor '" + key + "' " +
                             shape_to_string(t.shape));
    }
    return Status::Ok();
  }

  Status bn(const std::string& key, BatchNorm& b) {
    return load_batch_norm(b, key, {".weight", ".bias", ".running_mean", ".running_var"},
                           [this](const std::string& name, const std::vector<int64_t>& shape) {
                             return get(name, shape);
                           });
  }

 private:
  const WeightMap& w_;
  std::set<std::string> used_;
  std::string prefix_;
  std::string source_;
};

// Common wrappers: DataParallel's "module.", timm's "model." and the like.
std::string find_prefix(const WeightMap& w, const std::string& stem_key) {
  for (const auto& [key, t] : w) {
    const size_t pos = key.size() >= stem_key.size() ? key.size() - stem_key.size() : 0;
    if (key.size() >= stem_key.size() && key.compare(pos, std::string::npos, stem_key) == 0 &&
        (pos == 0 || key[pos - 1] == '.'))
      return key.substr(0, pos);
  }
  return "";
}

}  // namespace

Status load_pytorch_weights(EfficientNetLite& m, const WeightMap& weights,
                            const std::string& source) {
  Naming n;
  std::string prefix;
  if (weights.count(find_prefix(weights, "_conv_stem.weight") + "_conv_stem.weight")) {
    n = lukemelas_naming();
    prefix = find_prefix(weights, "_conv_stem.weight");
  } else if (weights.count(find_prefix(weights, "conv_stem.weight") + "conv_stem.weight")) {
    n = timm_naming();
    prefix = find_prefix(weights, "conv_stem.weight");
  } else {
    return Status::Error(source +
                         ": not an EfficientNet-lite state dict (no '_conv_stem.weight' or "
                         "'conv_stem.weight' tensor)");
  }
  Loader ld(weights, prefix, source);
  ELITE_RETURN_IF_ERROR(ld.conv(n.stem_conv, m.stem));
  ELITE_RETURN_IF_ERROR(ld.bn(n.stem_bn, m.stem.bn));
  int stage = -1, within = 0;
  for (size_t k = 0; k < m.blocks.size(); ++k) {
    MBConvBlock& b = m.blocks[k];
    within = b.spec.stage == stage ? within + 1 : 0;
    stage = b.spec.stage;
    const std::string p = n.block_prefix(static_cast<int>(k), stage, within);
    if (b.expand) {
      ELITE_RETURN_IF_ERROR(ld.conv(p + n.expand_conv, *b.expand));
      ELITE_RETURN_IF_ERROR(ld.bn(p + n.expand_bn, b.expand->bn));
      ELITE_RETURN_IF_ERROR(ld.conv(p + n.dw_conv, b.depthwise));
      ELITE_RETURN_IF_ERROR(ld.bn(p + n.dw_bn, b.depthwise.bn));
      ELITE_RETURN_IF_ERROR(ld.conv(p + n.project_conv, b.project));
      ELITE_RETURN_IF_ERROR(ld.bn(p + n.project_bn, b.project.bn));
    } else {
      ELITE_RETURN_IF_ERROR(ld.conv(p + n.dw_conv, b.depthwise));
      ELITE_RETURN_IF_ERROR(ld.bn(p + n.dw_bn_no_expand, b.depthwise.bn));
      ELITE_RETURN_IF_ERROR(ld.conv(p + n.project_conv_no_expand, b.project));
      ELITE_RETURN_IF_ERROR(ld.bn(p + n.project_bn_no_expand, b.project.bn));
    }
  }
  ELITE_RETURN_IF_ERROR(ld.conv(n.head_conv, m.head));
  ELITE_RETURN_IF_ERROR(ld.bn(n.head_bn, m.head.bn));
  ELITE_ASSIGN_OR_RETURN(const FloatTensor* fw,
                         ld.get(n.fc + ".weight", {m.classifier.out, m.classifier.in}));
  ELITE_ASSIGN_OR_RETURN(const FloatTensor* fb, ld.get(n.fc + ".bias", {m.classifier.out}));
  m.classifier.weight.data = fw->data;
  m.classifier.bias = fb->data;
  return ld.check_all_used();
}

Result<EfficientNetLite> model_from_pytorch_weights(const WeightMap& weights,
                                                    const std::string& model_name,
                                                    const std::string& source) {
  // num_classes from the classifier's weight: [num_classes, 1280].
  int num_classes = 1000;
  for (const char* key : {"_fc.weight", "classifier.weight"}) {
    const std::string full = find_prefix(weights, key) + key;
    auto it = weights.find(full);
    if (it != weights.end() && it->second.shape.size() == 2 && it->second.shape[0] > 0 &&
        it->second.shape[0] < (1 << 24))
      num_classes = static_cast<int>(it->second.shape[0]);
  }
  if (!model_name.empty()) {
    ELITE_ASSIGN_OR_RETURN(ModelConfig config, lite_config(model_name, num_classes));
    EfficientNetLite m = build_efficientnet_lite(config);
    ELITE_RETURN_IF_ERROR(load_pytorch_weights(m, weights, source));
    return m;
  }
  Status first_error;
  for (const std::string& name : lite_model_names()) {
    EfficientNetLite m = build_efficientnet_lite(lite_config(name, num_classes).value());
    Status s = load_pytorch_weights(m, weights, source);
    if (s.ok()) return m;
    if (first_error.ok()) first_error = s;
  }
  return Status::Error(first_error.message() +
                       " (the weights match none of efficientnet-lite0..lite4; pass --model)");
}

}  // namespace elite
