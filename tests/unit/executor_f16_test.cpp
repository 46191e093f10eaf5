// The runtime in half precision (ExecutorOptions::precision = kFloat16): every F16 table
// gives the reference table's outputs bit for bit on small graphs that hold every op kind,
// results do not depend on the thread count, a random lite0 in FP16 stays close to FP32,
// and FP16 on an INT8 graph is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "../common/test_graphs.h"
#include "model/fold.h"
#include "quant/ptq.h"
#include "runtime/executor.h"

namespace elite {
namespace {

std::vector<float> random_input(const Graph& g, uint64_t seed) {
  std::vector<float> x(g.tensors[g.input].numel());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (float& v : x) v = u(rng);
  return x;
}

struct Out {
  std::vector<float> values, logits;
};

Out run(const Graph& g, const std::vector<float>& x, Precision p, int threads,
        const F16Kernels* f16 = nullptr) {
  ExecutorOptions o;
  o.threads = threads;
  o.precision = p;
  o.f16_kernels = f16;
  auto e = Executor::create(g, o);
  EXPECT_TRUE(e.ok()) << e.status().message();
  Out r;
  if (!e.ok()) return r;
  EXPECT_EQ((*e)->half_precision(), p == Precision::kFloat16);
  r.values.resize(g.tensors[g.output].numel());
  EXPECT_TRUE((*e)->run(x.data(), x.size(), r.values.data(), r.values.size()).ok());
  if ((*e)->logits()) r.logits.assign((*e)->logits(), (*e)->logits() + r.values.size());
  return r;
}

TEST(ExecutorF16, EveryTableEqualsTheReferenceOnEveryOpKind) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    for (const Graph& g : {test::make_block_graph(seed), test::make_pad_graph(seed)}) {
      const auto x = random_input(g, seed);
      const Out ref = run(g, x, Precision::kFloat16, 1, f16_kernels_for("ref"));
      const Out f32 = run(g, x, Precision::kFloat32, 1);
      ASSERT_EQ(ref.values.size(), f32.values.size());
      for (size_t i = 0; i < ref.values.size(); ++i)  // and close to FP32
        EXPECT_NEAR(ref.values[i], f32.values[i], 0.02 + 0.01 * std::fabs(f32.values[i])) << i;
      for (const F16Kernels* k : f16_available_kernels()) {
        SCOPED_TRACE(k->isa);
        const Out got = run(g, x, Precision::kFloat16, 2, k);
        EXPECT_EQ(got.values, ref.values);
        EXPECT_EQ(got.logits, ref.logits);
      }
    }
  }
}

TEST(ExecutorF16, Lite0IsCloseToFp32AndThreadIndependent) {
  EfficientNetLite m = build_efficientnet_lite(*lite_config("efficientnet-lite0", 1000));
  randomize_weights(m, 21);
  const Graph g = fold_to_graph(m);
  const auto x = random_input(g, 4);
  const Out f32 = run(g, x, Precision::kFloat32, 1);
  const Out one = run(g, x, Precision::kFloat16, 1);
  ASSERT_EQ(one.logits.size(), f32.logits.size());
  float scale = 0, worst = 0;
  for (size_t i = 0; i < f32.logits.size(); ++i) {
    scale = std::max(scale, std::fabs(f32.logits[i]));
    worst = std::max(worst, std::fabs(one.logits[i] - f32.logits[i]));
  }
  EXPECT_GT(scale, 0.0f);
  EXPECT_LT(worst, 0.02f * scale) << "largest |fp16 - fp32| logit difference";
  auto top1 = [](const std::vector<float>& v) {
    return std::max_element(v.begin(), v.end()) - v.begin();
  };
  EXPECT_EQ(top1(one.logits), top1(f32.logits));
  for (int t : {2, 3}) {
    const Out many = run(g, x, Precision::kFloat16, t);
    EXPECT_EQ(many.logits, one.logits) << t << " threads";
    EXPECT_EQ(many.values, one.values) << t << " threads";
  }
}

TEST(ExecutorF16, QuantizedGraphsRefuseFp16) {
  const Graph g = test::make_block_graph(5);
  std::vector<TensorRange> ranges(g.tensors.size());
  for (TensorRange& r : ranges) r.min = -6.0f, r.max = 6.0f, r.seen = true;
  auto q = quantize_graph(g, ranges, QuantIO::kUInt8);
  ASSERT_TRUE(q.ok()) << q.status().message();
  ExecutorOptions o;
  o.precision = Precision::kFloat16;
  auto e = Executor::create(*q, o);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("fp16"), std::string::npos) << e.status().message();
}

TEST(ExecutorF16, PrecisionNamesParse) {
  EXPECT_EQ(*parse_precision("fp16"), Precision::kFloat16);
  EXPECT_EQ(*parse_precision("fp32"), Precision::kFloat32);
  EXPECT_STREQ(precision_name(Precision::kFloat16), "fp16");
  auto bad = parse_precision("bf16");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("fp32 or fp16"), std::string::npos);
}

}  // namespace
}  // namespace elite
