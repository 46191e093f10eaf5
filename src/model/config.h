// EfficientNet-lite0..lite4 hyper-parameters, as the official builder defines them
// (tensorflow/tpu models/official/efficientnet/lite/efficientnet_lite_builder.py).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace elite {

// One stage of the base network, e.g. "r2_k3_s22_e6_i16_o24" before width/depth scaling.
struct StageArgs {
  int repeats;
  int kernel;
  int stride;
  int expand_ratio;
  int in_filters;
  int out_filters;
};

struct ModelConfig {
  std::string name;  // "efficientnet-lite0"
  double width = 1.0;
  double depth = 1.0;
  int resolution = 224;
  double dropout = 0.2;  // training only
  int num_classes = 1000;
  int stem_filters = 32;   // not scaled in lite (fix_head_stem)
  int head_filters = 1280; // not scaled in lite
  float bn_epsilon = 1e-3f;
  float bn_momentum = 0.99f;
};

// The seven stages of the B0 base network (shared by every lite model).
const std::vector<StageArgs>& base_stages();

// "efficientnet-lite0" .. "efficientnet-lite4" (also accepts "lite0".."lite4").
Result<ModelConfig> lite_config(const std::string& name, int num_classes = 1000);
std::vector<std::string> lite_model_names();

// round_filters: scale by width, round to a multiple of 8, never lose more than 10%.
int round_filters(int filters, double width);
// round_repeats: ceil(depth * repeats).
int round_repeats(int repeats, double depth);

// One MBConv block after scaling, in execution order.
struct BlockSpec {
  int stage;         // 0..6
  int kernel;
  int stride;
  int expand_ratio;
  int in_filters;    // as the builder computes it (for block 0 this can differ from the
                     // stem's 32 channels; the depthwise conv takes what arrives)
  int out_filters;
};
std::vector<BlockSpec> block_specs(const ModelConfig& config);

}  // namespace elite
