// The model definition, folding and counting: architecture facts from the official builder,
// exact parameter and multiply-add counts, BN folding against an unfolded computation, and
// the PyTorch key mapping.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "model/config.h"
#include "model/efficientnet.h"
#include "model/fold.h"
#include "model/pytorch_weights.h"
#include "model/stats.h"

namespace elite {
namespace {

struct Expected {
  const char* name;
  int resolution;
  std::vector<int> repeats;
  std::vector<int> widths;
  int64_t madds, trainable, folded;
};

const std::vector<Expected>& expected() {
  static const std::vector<Expected> kExpected = {
      {"efficientnet-lite0", 224, {1, 2, 2, 3, 3, 4, 1}, {16, 24, 40, 80, 112, 192, 320},
       385187552, 4652008, 4631000},
      {"efficientnet-lite1", 240, {1, 3, 3, 4, 4, 5, 1}, {16, 24, 40, 80, 112, 192, 320},
       600185232, 5416680, 5389848},
      {"efficientnet-lite2", 260, {1, 3, 3, 4, 4, 5, 1}, {16, 24, 48, 88, 120, 208, 352},
       859736272, 6092072, 6063024},
      {"efficientnet-lite3", 280, {1, 3, 3, 5, 5, 6, 1}, {24, 32, 48, 96, 136, 232, 384},
       1383321872, 8197096, 8158760},
      {"efficientnet-lite4", 300, {1, 4, 4, 6, 6, 8, 1}, {24, 32, 56, 112, 160, 272, 448},
       2553034336, 13006568, 12950384},
  };
  return kExpected;
}

TEST(ModelConfig, StagesMatchTheOfficialBuilder) {
  for (const Expected& e : expected()) {
    SCOPED_TRACE(e.name);
    auto config = lite_config(e.name);
    ASSERT_TRUE(config.ok());
    EXPECT_EQ(config->resolution, e.resolution);
    std::vector<int> repeats(7, 0), widths(7, 0);
    for (const BlockSpec& b : block_specs(*config)) {
      repeats[b.stage]++;
      widths[b.stage] = b.out_filters;
    }
    EXPECT_EQ(repeats, e.repeats);
    EXPECT_EQ(widths, e.widths);
  }
}

TEST(ModelConfig, RejectsUnknownNamesAndBadClassCounts) {
  EXPECT_FALSE(lite_config("efficientnet-lite5").ok());
  EXPECT_FALSE(lite_config("resnet50").ok());
  EXPECT_FALSE(lite_config("efficientnet-lite0", 0).ok());
  EXPECT_TRUE(lite_config("lite2").ok());
  EXPECT_NE(lite_config("b0").status().message().find("unknown model"), std::string::npos);
}

TEST(ModelStats, CountsMatchIndependentFigures) {
  for (const Expected& e : expected()) {
    SCOPED_TRACE(e.name);
    const EfficientNetLite m = build_efficientnet_lite(*lite_config(e.name));
    EXPECT_EQ(trainable_parameter_count(m), e.trainable);
    const ModelStats s = compute_stats(fold_to_graph(m));
    EXPECT_EQ(s.madds, e.madds);
    EXPECT_EQ(s.params, e.folded);
  }
}

TEST(ModelStats, ClassCountChangesOnlyTheHead) {
  const EfficientNetLite m = build_efficientnet_lite(*lite_config("efficientnet-lite0", 10));
  const ModelStats s = compute_stats(fold_to_graph(m));
  EXPECT_EQ(s.params, 4631000 - 1281 * 1000 + 1281 * 10);
}

TEST(Fold, GraphShapesAndResiduals) {
  const Graph g = fold_to_graph(build_efficientnet_lite(*lite_config("efficientnet-lite0")));
  EXPECT_EQ(g.tensors[g.input].shape, (std::vector<int>{1, 224, 224, 3}));
  EXPECT_EQ(g.tensors[g.output].shape, (std::vector<int>{1, 1000}));
  EXPECT_EQ(g.tensors[g.find_tensor("stem")].shape, (std::vector<int>{1, 112, 112, 32}));
  EXPECT_EQ(g.tensors[g.find_tensor("head")].shape, (std::vector<int>{1, 7, 7, 1280}));
  int adds = 0;
  for (const Op& op : g.ops) adds += op.kind == OpKind::kAdd;
  EXPECT_EQ(adds, 9);  // 16 blocks minus the 7 stage-openers
}

// The folded conv equals conv followed by BN, computed directly at one output position.
TEST(Fold, FoldedWeightsReproduceConvThenBatchNorm) {
  EfficientNetLite m = build_efficientnet_lite(*lite_config("efficientnet-lite0"));
  randomize_weights(m, 7);
  const Graph g = fold_to_graph(m);
  const ConvBnLayer& l = *m.blocks[1].expand;  // 1x1, 16 -> 96
  const Op* op = nullptr;
  for (const Op& o : g.ops)
    if (g.tensors[o.output].name == l.name) op = &o;
  ASSERT_NE(op, nullptr);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> x(l.in_c);
  for (float& v : x) v = u(rng);
  for (int o = 0; o < l.out_c; ++o) {
    double conv = 0, folded = op->bias.data[o];
    for (int i = 0; i < l.in_c; ++i) {
      conv += double{l.weight.data[o * l.in_c + i]} * x[i];
      folded += double{op->weights.data[o * l.in_c + i]} * x[i];
    }
    const double bn = (conv - l.bn.moving_mean[o]) / std::sqrt(l.bn.moving_variance[o] + 1e-3) *
                          l.bn.gamma[o] + l.bn.beta[o];
    EXPECT_NEAR(folded, bn, 1e-5 * (1 + std::fabs(bn))) << "channel " << o;
  }
}

// Turns our layouts back into PyTorch's for a state dict in lukemelas or timm naming.
void put_conv(WeightMap& w, const std::string& key, const ConvBnLayer& l) {
  const int k = l.kernel;
  FloatTensor t(l.depthwise ? std::vector<int64_t>{l.out_c, 1, k, k}
                            : std::vector<int64_t>{l.out_c, l.in_c, k, k});
  for (int o = 0; o < l.out_c; ++o)
    for (int y = 0; y < k; ++y)
      for (int x = 0; x < k; ++x) {
        if (l.depthwise) {
          t.data[(o * k + y) * k + x] = l.weight.data[(y * k + x) * l.out_c + o];
        } else {
          for (int i = 0; i < l.in_c; ++i)
            t.data[((o * l.in_c + i) * k + y) * k + x] =
                l.weight.data[((o * k + y) * k + x) * l.in_c + i];
        }
      }
  w[key] = t;
}
void put_bn(WeightMap& w, const std::string& key, const BatchNorm& b) {
  auto vec = [](const std::vector<float>& v) {
    FloatTensor t({static_cast<int64_t>(v.size())});
    t.data = v;
    return t;
  };
  w[key + ".weight"] = vec(b.gamma);
  w[key + ".bias"] = vec(b.beta);
  w[key + ".running_mean"] = vec(b.moving_mean);
  w[key + ".running_var"] = vec(b.moving_variance);
}

WeightMap to_timm(const EfficientNetLite& m) {
  WeightMap w;
  put_conv(w, "conv_stem.weight", m.stem);
  put_bn(w, "bn1", m.stem.bn);
  int stage = -1, j = 0;
  for (const MBConvBlock& b : m.blocks) {
    j = b.spec.stage == stage ? j + 1 : 0;
    stage = b.spec.stage;
    const std::string p = "blocks." + std::to_string(stage) + "." + std::to_string(j) + ".";
    if (b.expand) {
      put_conv(w, p + "conv_pw.weight", *b.expand);
      put_bn(w, p + "bn1", b.expand->bn);
      put_conv(w, p + "conv_dw.weight", b.depthwise);
      put_bn(w, p + "bn2", b.depthwise.bn);
      put_conv(w, p + "conv_pwl.weight", b.project);
      put_bn(w, p + "bn3", b.project.bn);
    } else {
      put_conv(w, p + "conv_dw.weight", b.depthwise);
      put_bn(w, p + "bn1", b.depthwise.bn);
      put_conv(w, p + "conv_pw.weight", b.project);
      put_bn(w, p + "bn2", b.project.bn);
    }
  }
  put_conv(w, "conv_head.weight", m.head);
  put_bn(w, "bn2", m.head.bn);
  w["classifier.weight"] = m.classifier.weight;
  FloatTensor bias({m.classifier.out});
  bias.data = m.classifier.bias;
  w["classifier.bias"] = bias;
  return w;
}

bool same_weights(const EfficientNetLite& a, const EfficientNetLite& b) {
  const Graph ga = fold_to_graph(a), gb = fold_to_graph(b);
  if (ga.ops.size() != gb.ops.size()) return false;
  for (size_t i = 0; i < ga.ops.size(); ++i)
    if (ga.ops[i].weights.data != gb.ops[i].weights.data ||
        ga.ops[i].bias.data != gb.ops[i].bias.data)
      return false;
  return true;
}

TEST(PytorchWeights, TimmNamesRoundTripAndVariantIsInferred) {
  for (const char* name : {"efficientnet-lite1", "efficientnet-lite4"}) {
    SCOPED_TRACE(name);
    EfficientNetLite m = build_efficientnet_lite(*lite_config(name, 17));
    randomize_weights(m, 3);
    WeightMap w = to_timm(m);
    auto loaded = model_from_pytorch_weights(w, "", "test.pth");
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_EQ(loaded->config.name, name);
    EXPECT_EQ(loaded->config.num_classes, 17);
    EXPECT_TRUE(same_weights(m, *loaded));
    // A "module." wrapper (DataParallel) is understood too.
    WeightMap wrapped;
    for (auto& [k, t] : w) wrapped["module." + k] = t;
    EXPECT_TRUE(model_from_pytorch_weights(wrapped, name, "test.pth").ok());
  }
}

TEST(PytorchWeights, MissingOrMisshapedTensorsAreNamed) {
  EfficientNetLite m = build_efficientnet_lite(*lite_config("efficientnet-lite0"));
  WeightMap w = to_timm(m);
  WeightMap missing = w;
  missing.erase("blocks.3.1.conv_dw.weight");
  auto r = model_from_pytorch_weights(missing, "efficientnet-lite0", "ckpt.pth");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("blocks.3.1.conv_dw.weight"), std::string::npos);
  EXPECT_NE(r.status().message().find("ckpt.pth"), std::string::npos);

  WeightMap bad = w;
  bad["conv_head.weight"] = FloatTensor({1280, 321, 1, 1});
  r = model_from_pytorch_weights(bad, "efficientnet-lite0", "ckpt.pth");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("conv_head.weight"), std::string::npos);

  // lite0 weights are not lite1 weights.
  EXPECT_FALSE(model_from_pytorch_weights(w, "efficientnet-lite1", "ckpt.pth").ok());
  EXPECT_FALSE(model_from_pytorch_weights(WeightMap{}, "", "empty.pth").ok());
}

}  // namespace
}  // namespace elite
