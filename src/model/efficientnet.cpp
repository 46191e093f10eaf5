#include "model/efficientnet.h"

#include <cmath>
#include <random>

namespace elite {
namespace {

ConvBnLayer make_conv(std::string name, bool depthwise, int in_c, int out_c, int kernel,
                      int stride, bool relu6, float eps) {
  ConvBnLayer l;
  l.name = std::move(name);
  l.depthwise = depthwise;
  l.in_c = in_c;
  l.out_c = out_c;
  l.kernel = kernel;
  l.stride = stride;
  l.relu6 = relu6;
  l.weight = depthwise ? FloatTensor({1, kernel, kernel, out_c})
                       : FloatTensor({out_c, kernel, kernel, in_c});
  l.bn.gamma.assign(out_c, 1.0f);
  l.bn.beta.assign(out_c, 0.0f);
  l.bn.moving_mean.assign(out_c, 0.0f);
  l.bn.moving_variance.assign(out_c, 1.0f);
  l.bn.epsilon = eps;
  return l;
}

}  // namespace

EfficientNetLite build_efficientnet_lite(const ModelConfig& config) {
  EfficientNetLite m;
  m.config = config;
  const float eps = config.bn_epsilon;
  m.stem = make_conv("stem", false, 3, config.stem_filters, 3, 2, true, eps);
  int channels = config.stem_filters;
  const auto specs = block_specs(config);
  for (size_t i = 0; i < specs.size(); ++i) {
    const BlockSpec& s = specs[i];
    const std::string prefix = "blocks_" + std::to_string(i);
    MBConvBlock b;
    b.spec = s;
    // The expansion width follows the builder (input_filters * expand_ratio); the convs take
    // whatever channel count actually arrives (block 0 may get the unscaled stem's 32).
    int mid = channels;
    if (s.expand_ratio != 1) {
      mid = s.in_filters * s.expand_ratio;
      b.expand = make_conv(prefix + "/expand", false, channels, mid, 1, 1, true, eps);
    }
    b.depthwise = make_conv(prefix + "/depthwise", true, mid, mid, s.kernel, s.stride, true, eps);
    b.project = make_conv(prefix + "/project", false, mid, s.out_filters, 1, 1, false, eps);
    b.residual = s.stride == 1 && s.in_filters == s.out_filters && channels == s.out_filters;
    channels = s.out_filters;
    m.blocks.push_back(std::move(b));
  }
  m.head = make_conv("head", false, channels, config.head_filters, 1, 1, true, eps);
  m.classifier.in = config.head_filters;
  m.classifier.out = config.num_classes;
  m.classifier.weight = FloatTensor({config.num_classes, config.head_filters});
  m.classifier.bias.assign(config.num_classes, 0.0f);
  return m;
}

namespace {

void randomize_layer(ConvBnLayer& l, std::mt19937_64& rng) {
  const int fan_in = l.depthwise ? l.kernel * l.kernel : l.kernel * l.kernel * l.in_c;
  std::normal_distribution<float> w(0.0f, std::sqrt(2.0f / static_cast<float>(fan_in)));
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  std::uniform_real_distribution<float> var(0.5f, 1.5f);
  for (float& v : l.weight.data) v = w(rng);
  for (int c = 0; c < l.out_c; ++c) {
    l.bn.gamma[c] = 1.0f + u(rng);
    l.bn.beta[c] = u(rng);
    l.bn.moving_mean[c] = u(rng);
    l.bn.moving_variance[c] = var(rng);
  }
}

int64_t layer_params(const ConvBnLayer& l) {
  return l.weight.numel() + static_cast<int64_t>(l.bn.gamma.size() + l.bn.beta.size());
}

}  // namespace

void randomize_weights(EfficientNetLite& m, uint64_t seed) {
  std::mt19937_64 rng(seed);
  randomize_layer(m.stem, rng);
  for (auto& b : m.blocks) {
    if (b.expand) randomize_layer(*b.expand, rng);
    randomize_layer(b.depthwise, rng);
    randomize_layer(b.project, rng);
  }
  randomize_layer(m.head, rng);
  std::normal_distribution<float> w(0.0f, std::sqrt(1.0f / static_cast<float>(m.classifier.in)));
  for (float& v : m.classifier.weight.data) v = w(rng);
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  for (float& v : m.classifier.bias) v = u(rng);
}

int64_t trainable_parameter_count(const EfficientNetLite& m) {
  int64_t n = layer_params(m.stem) + layer_params(m.head);
  for (const auto& b : m.blocks) {
    if (b.expand) n += layer_params(*b.expand);
    n += layer_params(b.depthwise) + layer_params(b.project);
  }
  return n + m.classifier.weight.numel() + static_cast<int64_t>(m.classifier.bias.size());
}

}  // namespace elite
