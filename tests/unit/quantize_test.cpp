// Post-training quantization (src/quant/ptq, calibrate) and INT8 execution (runtime):
// parameter arithmetic, weight round trips, bias scales, a random-weight lite0 quantized
// and run in INT8 against FP32, thread independence, .tflite round trip, bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "io/tflite/tflite_reader.h"
#include "io/tflite/tflite_writer.h"
#include "model/fold.h"
#include "quant/calibrate.h"
#include "quant/ptq.h"
#include "runtime/executor.h"

namespace elite {
namespace {

Graph random_lite0(uint64_t seed) {
  EfficientNetLite m = build_efficientnet_lite(*lite_config("efficientnet-lite0", 1000));
  randomize_weights(m, seed);
  return fold_to_graph(m);
}

std::vector<float> random_image(const Graph& g, uint64_t seed) {
  std::vector<float> x(static_cast<size_t>(g.tensors[g.input].numel()));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> u(0, 255);
  for (float& v : x) v = (static_cast<float>(u(rng)) - 127.0f) / 128.0f;
  return x;
}

// Min-max ranges of every op output over a few inputs (what calibrate() records).
std::vector<TensorRange> ranges_of(const Graph& g, int images) {
  ExecutorOptions eo;
  auto e = Executor::create(g, eo);
  EXPECT_TRUE(e.ok());
  std::vector<TensorRange> r(g.tensors.size());
  std::vector<float> out(1000);
  for (int i = 0; i < images; ++i) {
    const auto x = random_image(g, 100 + i);
    EXPECT_TRUE((*e)->run_observed(x.data(), x.size(), out.data(), out.size(),
                                   [&](int, int t, const void* d) {
                                     const float* f = static_cast<const float*>(d);
                                     for (int64_t k = 0; k < g.tensors[t].numel(); ++k) {
                                       r[t].min = r[t].seen ? std::min(r[t].min, f[k]) : f[k];
                                       r[t].max = r[t].seen ? std::max(r[t].max, f[k]) : f[k];
                                       r[t].seen = true;
                                     }
                                   })
                    .ok());
  }
  return r;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

TEST(Ptq, AsymmetricParamsNudgeZero) {
  QuantParams q = asymmetric_int8_params(-127.0f / 128, 1.0f);  // the preprocessed input
  EXPECT_EQ(q.scale[0], 1.0f / 128);
  EXPECT_EQ(q.zero_point[0], -1);
  q = asymmetric_int8_params(0.0f, 6.0f);  // ReLU6
  EXPECT_FLOAT_EQ(q.scale[0], 6.0f / 255);
  EXPECT_EQ(q.zero_point[0], -128);
  q = asymmetric_int8_params(0.5f, 2.0f);  // widened to include 0
  EXPECT_FLOAT_EQ(q.scale[0], 2.0f / 255);
  EXPECT_EQ(q.zero_point[0], -128);
  q = asymmetric_int8_params(-3.0f, -1.0f);
  EXPECT_EQ(q.zero_point[0], 127);
  q = asymmetric_int8_params(-1.3f, 2.9f);
  // 0 is exactly representable: real(zp) == 0 and zp is an integer in range.
  EXPECT_GE(q.zero_point[0], -128);
  EXPECT_LE(q.zero_point[0], 127);
  EXPECT_NEAR(q.zero_point[0], -128 + 1.3f / q.scale[0], 0.5f);
  q = asymmetric_int8_params(0.0f, 0.0f);
  EXPECT_GT(q.scale[0], 0.0f);
}

TEST(Ptq, WeightsPerChannelRoundTrip) {
  FloatTensor w({4, 3, 3, 5});
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0.0f, 1.0f);
  for (size_t i = 0; i < w.data.size(); ++i) w.data[i] = n(rng) * float(1 + (i / 45) * 10);
  std::vector<int8_t> q;
  QuantParams p;
  quantize_weights_per_channel(w, 0, &q, &p);
  ASSERT_EQ(p.scale.size(), 4u);
  for (int c = 0; c < 4; ++c) {
    float amax = 0;
    for (int i = 0; i < 45; ++i) amax = std::max(amax, std::fabs(w.data[c * 45 + i]));
    EXPECT_FLOAT_EQ(p.scale[c], amax / 127);
    for (int i = 0; i < 45; ++i) {
      EXPECT_LE(std::abs(q[c * 45 + i]), 127);
      EXPECT_LE(std::fabs(q[c * 45 + i] * p.scale[c] - w.data[c * 45 + i]), 0.5f * p.scale[c] * 1.0001f);
    }
  }
  // Depthwise layout [1, kh, kw, C]: channel is the last axis.
  FloatTensor d({1, 3, 3, 4});
  for (size_t i = 0; i < d.data.size(); ++i) d.data[i] = float(i % 4 + 1) * ((i & 1) ? -1.0f : 0.5f);
  quantize_weights_per_channel(d, 3, &q, &p);
  ASSERT_EQ(p.scale.size(), 4u);
  EXPECT_EQ(p.axis, 3);
  // channel c holds (c + 1) * 0.5 (even c) or -(c + 1) (odd c)
  for (int c = 0; c < 4; ++c)
    EXPECT_FLOAT_EQ(p.scale[c], float(c + 1) * (c % 2 ? 1.0f : 0.5f) / 127);
}

TEST(Ptq, Lite0Int8CloseToFp32) {
  const Graph g = random_lite0(5);
  const auto ranges = ranges_of(g, 3);
  auto q = quantize_graph(g, ranges, QuantIO::kUInt8);
  ASSERT_TRUE(q.ok()) << q.status().message();
  // Bias scales = input scale * weight scale[c]; nudged activations; edges.
  for (const Op& op : q->ops) {
    if (op.kind == OpKind::kConv2D || op.kind == OpKind::kDepthwiseConv2D ||
        op.kind == OpKind::kFullyConnected) {
      EXPECT_EQ(op.qbias.size(), op.weight_quant.scale.size());
      EXPECT_TRUE(op.weights.data.empty());
      for (const TensorDesc* t : {&q->tensors[op.inputs[0]], &q->tensors[op.output]}) {
        EXPECT_EQ(t->dtype, DType::kInt8);
        EXPECT_GE(t->quant.zero_point[0], -128);
        EXPECT_LE(t->quant.zero_point[0], 127);
      }
    }
  }
  EXPECT_EQ(q->tensors[q->input].dtype, DType::kUInt8);
  EXPECT_EQ(q->tensors[q->input].quant.zero_point[0], 127);
  EXPECT_EQ(q->tensors[q->output].dtype, DType::kUInt8);
  EXPECT_EQ(q->tensors[q->output].quant.scale[0], 1.0f / 256);

  ExecutorOptions eo;
  auto ef = Executor::create(g, eo);
  auto eq = Executor::create(*q, eo);
  ASSERT_TRUE(ef.ok() && eq.ok()) << eq.status().message();
  EXPECT_TRUE((*eq)->quantized());
  std::vector<float> pf(1000), pq(1000);
  const auto x = random_image(g, 7);
  ASSERT_TRUE((*ef)->run(x.data(), x.size(), pf.data(), pf.size()).ok());
  ASSERT_TRUE((*eq)->run(x.data(), x.size(), pq.data(), pq.size()).ok());
  const std::vector<float> lf((*ef)->logits(), (*ef)->logits() + 1000);
  const std::vector<float> lq((*eq)->logits(), (*eq)->logits() + 1000);
  EXPECT_GT(cosine(pf, pq), 0.9);
  EXPECT_GT(cosine(lf, lq), 0.9);

  // Thread count does not change a byte; run_raw agrees with run.
  eo.threads = 3;
  auto e3 = Executor::create(*q, eo);
  ASSERT_TRUE(e3.ok());
  std::vector<float> p3(1000);
  ASSERT_TRUE((*e3)->run(x.data(), x.size(), p3.data(), p3.size()).ok());
  EXPECT_EQ(pq, p3);
  std::vector<uint8_t> xin(x.size()), yout(1000);
  for (size_t i = 0; i < x.size(); ++i) xin[i] = static_cast<uint8_t>(std::lround(x[i] * 128 + 127));
  ASSERT_TRUE((*e3)->run_raw(xin.data(), xin.size(), yout.data(), yout.size()).ok());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(yout[i] / 256.0f, pq[i]);
  EXPECT_FALSE((*e3)->run_raw(xin.data(), xin.size() - 1, yout.data(), yout.size()).ok());

  // Through a .tflite file and back: same outputs; quantizing it again is refused.
  auto bytes = serialize_tflite(*q);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto back = read_tflite_memory(bytes->data(), bytes->size(), "int8");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_FALSE(check_float_graph(*back).ok());
  auto eb = Executor::create(*back, ExecutorOptions{});
  ASSERT_TRUE(eb.ok());
  std::vector<float> pb(1000);
  ASSERT_TRUE((*eb)->run(x.data(), x.size(), pb.data(), pb.size()).ok());
  EXPECT_EQ(pq, pb);

  for (QuantIO io : {QuantIO::kInt8, QuantIO::kFloat}) {
    auto qi = quantize_graph(g, ranges, io);
    ASSERT_TRUE(qi.ok());
    auto ei = Executor::create(*qi, ExecutorOptions{});
    ASSERT_TRUE(ei.ok()) << ei.status().message();
    std::vector<float> pi(1000);
    ASSERT_TRUE((*ei)->run(x.data(), x.size(), pi.data(), pi.size()).ok());
    for (int i = 0; i < 1000; ++i) EXPECT_NEAR(pi[i], pq[i], 1e-6) << quant_io_name(io);
  }
}

TEST(Ptq, BadInput) {
  EXPECT_FALSE(parse_quant_io("int4").ok());
  EXPECT_FALSE(parse_calibration_method("kl").ok());
  EXPECT_TRUE(parse_calibration_method("percentile").ok());
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "elite_quantize_test";
  fs::remove_all(dir);
  EXPECT_FALSE(list_calibration_images(dir.string(), 10).ok());  // missing
  fs::create_directories(dir);
  EXPECT_FALSE(list_calibration_images(dir.string(), 10).ok());  // empty
  std::ofstream(dir / "broken.jpg") << "not a jpeg";
  auto files = list_calibration_images(dir.string(), 10);
  ASSERT_TRUE(files.ok());
  const Graph g = random_lite0(1);
  CalibrationOptions co;
  auto r = calibrate(g, *files, co);
  EXPECT_FALSE(r.ok());  // no usable image
  const fs::path panda = fs::path(ELITE_SOURCE_DIR) / ".." / "shared" / "data" / "panda.jpg";
  if (fs::exists(panda)) {
    fs::copy_file(panda, dir / "panda.jpg");
    files = list_calibration_images(dir.string(), 10);
    co.threads = 2;
    r = calibrate(g, *files, co);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->images_used, 1);
    ASSERT_EQ(r->skipped.size(), 1u);
    EXPECT_NE(r->skipped[0].path.find("broken.jpg"), std::string::npos);
  }
  fs::remove_all(dir);
  std::vector<TensorRange> none(g.tensors.size());
  EXPECT_FALSE(quantize_graph(g, none, QuantIO::kUInt8).ok());
}

}  // namespace
}  // namespace elite
