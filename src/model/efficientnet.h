// The model definition: EfficientNet-lite with BatchNorm unfolded, as trained.
//
//   stem   conv 3x3/2 (3 -> 32) + BN + ReLU6
//   blocks MBConv: [expand 1x1 + BN + ReLU6] -> depthwise kxk/s + BN + ReLU6 -> project 1x1 + BN
//          (+ input when stride 1 and in == out)
//   head   conv 1x1 (-> 1280) + BN + ReLU6 -> global average pool -> dense (-> num_classes)
//
// Weights are stored in the Graph layouts (conv OHWI, depthwise [1,k,k,C], dense [out,in]) so
// folding is a per-channel scale. Inference folds this into a Graph (fold.h); training
// (later) works on this form directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "model/config.h"

namespace elite {

struct BatchNorm {
  std::vector<float> gamma, beta, moving_mean, moving_variance;
  float epsilon = 1e-3f;
};

// A bias-free convolution followed by BatchNorm and optionally ReLU6.
struct ConvBnLayer {
  std::string name;  // e.g. "blocks_3/expand", used in layer tables and tensor names
  bool depthwise = false;
  int in_c = 0, out_c = 0, kernel = 1, stride = 1;
  bool relu6 = true;
  FloatTensor weight;  // conv [out_c, k, k, in_c]; depthwise [1, k, k, c]
  BatchNorm bn;
};

struct MBConvBlock {
  BlockSpec spec;
  std::optional<ConvBnLayer> expand;  // absent when expand_ratio == 1
  ConvBnLayer depthwise;
  ConvBnLayer project;  // no activation
  bool residual = false;
};

struct DenseLayer {
  int in = 0, out = 0;
  FloatTensor weight;  // [out, in]
  std::vector<float> bias;
};

struct EfficientNetLite {
  ModelConfig config;
  ConvBnLayer stem;
  std::vector<MBConvBlock> blocks;
  ConvBnLayer head;
  DenseLayer classifier;
};

// Builds the architecture with every weight allocated: convs zero, BN identity.
EfficientNetLite build_efficientnet_lite(const ModelConfig& config);

// Fills every weight with deterministic random values of a plausible scale (He-style convs,
// BN statistics near 1 and 0), for tests and for lite3/lite4 where no weights exist here.
void randomize_weights(EfficientNetLite& model, uint64_t seed);

// Trainable parameter count: conv/depthwise/dense weights, dense bias and BN gamma/beta.
int64_t trainable_parameter_count(const EfficientNetLite& model);

}  // namespace elite
