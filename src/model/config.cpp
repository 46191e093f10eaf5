#include "model/config.h"

#include <cmath>

namespace elite {

const std::vector<StageArgs>& base_stages() {
  // r1_k3_s11_e1_i32_o16, r2_k3_s22_e6_i16_o24, r2_k5_s22_e6_i24_o40, r3_k3_s22_e6_i40_o80,
  // r3_k5_s11_e6_i80_o112, r4_k5_s22_e6_i112_o192, r1_k3_s11_e6_i192_o320
  static const std::vector<StageArgs> kStages = {
      {1, 3, 1, 1, 32, 16},  {2, 3, 2, 6, 16, 24},   {2, 5, 2, 6, 24, 40},
      {3, 3, 2, 6, 40, 80},  {3, 5, 1, 6, 80, 112},  {4, 5, 2, 6, 112, 192},
      {1, 3, 1, 6, 192, 320},
  };
  return kStages;
}

std::vector<std::string> lite_model_names() {
  return {"efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2", "efficientnet-lite3",
          "efficientnet-lite4"};
}

Result<ModelConfig> lite_config(const std::string& name, int num_classes) {
  struct Params {
    double width, depth;
    int resolution;
    double dropout;
  };
  static const Params kParams[] = {
      {1.0, 1.0, 224, 0.2}, {1.0, 1.1, 240, 0.2}, {1.1, 1.2, 260, 0.3},
      {1.2, 1.4, 280, 0.3}, {1.4, 1.8, 300, 0.3},
  };
  std::string n = name;
  if (n.rfind("efficientnet-", 0) != 0) n = "efficientnet-" + n;
  const auto names = lite_model_names();
  for (size_t i = 0; i < names.size(); ++i) {
    if (n != names[i]) continue;
    if (num_classes < 1) {
      return Status::Error("num_classes must be at least 1, got " + std::to_string(num_classes));
    }
    ModelConfig c;
    c.name = names[i];
    c.width = kParams[i].width;
    c.depth = kParams[i].depth;
    c.resolution = kParams[i].resolution;
    c.dropout = kParams[i].dropout;
    c.num_classes = num_classes;
    return c;
  }
  return Status::Error("unknown model '" + name +
                       "' (expected efficientnet-lite0 .. efficientnet-lite4)");
}

int round_filters(int filters, double width) {
  const int divisor = 8;
  const double scaled = filters * width;
  int rounded = std::max(divisor, static_cast<int>(scaled + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * scaled) rounded += divisor;
  return rounded;
}

int round_repeats(int repeats, double depth) {
  return static_cast<int>(std::ceil(depth * repeats));
}

std::vector<BlockSpec> block_specs(const ModelConfig& config) {
  std::vector<BlockSpec> blocks;
  const auto& stages = base_stages();
  for (size_t s = 0; s < stages.size(); ++s) {
    const StageArgs& a = stages[s];
    // fix_head_stem: the first and last stages keep their repeat count.
    const bool fixed = s == 0 || s + 1 == stages.size();
    const int repeats = fixed ? a.repeats : round_repeats(a.repeats, config.depth);
    const int in_f = round_filters(a.in_filters, config.width);
    const int out_f = round_filters(a.out_filters, config.width);
    for (int r = 0; r < repeats; ++r) {
      BlockSpec b;
      b.stage = static_cast<int>(s);
      b.kernel = a.kernel;
      b.stride = r == 0 ? a.stride : 1;
      b.expand_ratio = a.expand_ratio;
      b.in_filters = r == 0 ? in_f : out_f;
      b.out_filters = out_f;
      blocks.push_back(b);
    }
  }
  return blocks;
}

}  // namespace elite
