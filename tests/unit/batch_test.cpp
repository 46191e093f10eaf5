// Classifier::run_batch: bit for bit the results of run() on each image alone, for FP32
// lite0 and an INT8 lite0 (quantized here), with 1 to 3 threads and batches of 1, 2, 3, 8
// (the image-parallel path and the one-by-one path), also once the model file is gone;
// bad arguments are errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <utility>

#include "elite/elite.hpp"
#include "io/tflite/tflite_reader.h"
#include "io/tflite/tflite_writer.h"
#include "quant/calibrate.h"
#include "quant/ptq.h"
#include "runtime/executor.h"

namespace elite {
namespace {

const std::string kLite0 = std::string(ELITE_SOURCE_DIR) + "/models/efficientnet-lite0.tflite";

std::vector<float> random_inputs(size_t n, uint64_t seed) {
  std::vector<float> x(n);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> u(0, 255);
  for (float& v : x) v = (static_cast<float>(u(rng)) - 127.0f) / 128.0f;
  return x;
}

bool same_bits(const float* a, const float* b, size_t n) {
  return std::memcmp(a, b, n * sizeof(float)) == 0;
}

// Checks run_batch against run() image by image (the reference computed with one thread).
void check_model(const std::string& path) {
  constexpr int kMax = 8;
  auto ref_clf = Classifier::load(path, {.threads = 1});
  ASSERT_TRUE(ref_clf.ok()) << ref_clf.status().message();
  const size_t per = size_t{1} * ref_clf->input_height() * ref_clf->input_width() * 3;
  const size_t classes = ref_clf->num_classes();
  const std::vector<float> x = random_inputs(per * kMax, 7);
  std::vector<float> ref;
  for (int i = 0; i < kMax; ++i) {
    auto p = ref_clf->run(x.data() + i * per, per);
    ASSERT_TRUE(p.ok()) << p.status().message();
    ref.insert(ref.end(), p->begin(), p->end());
  }
  // The images must differ, or a mix-up of their order would go unnoticed.
  EXPECT_FALSE(same_bits(ref.data(), ref.data() + classes, classes));
  // Later calls reuse the workers that the first parallel call made.
  const std::vector<std::pair<int, std::vector<int>>> cases = {
      {1, {1, 3, 8}}, {2, {1, 3, 8, 8}}, {3, {2, 8}}};
  for (const auto& [threads, batches] : cases) {
    auto clf = Classifier::load(path, {.threads = threads});
    ASSERT_TRUE(clf.ok()) << clf.status().message();
    for (int batch : batches) {
      auto p = clf->run_batch(x.data(), batch, per);
      ASSERT_TRUE(p.ok()) << p.status().message();
      ASSERT_EQ(p->size(), batch * classes);
      EXPECT_TRUE(same_bits(p->data(), ref.data(), batch * classes))
          << path << ": threads " << threads << ", batch " << batch;
    }
    // run() still works after run_batch and gives the same result.
    auto one = clf->run(x.data() + 5 * per, per);
    ASSERT_TRUE(one.ok());
    EXPECT_TRUE(same_bits(one->data(), ref.data() + 5 * classes, classes));
  }
}

TEST(RunBatch, Fp32MatchesRunExactly) {
  if (!std::filesystem::exists(kLite0)) GTEST_SKIP() << kLite0 << " not present";
  check_model(kLite0);
}

TEST(RunBatch, Int8MatchesRunExactly) {
  if (!std::filesystem::exists(kLite0)) GTEST_SKIP() << kLite0 << " not present";
  auto g = read_tflite_file(kLite0);
  ASSERT_TRUE(g.ok()) << g.status().message();
  // Min-max ranges from two random inputs: enough for a valid INT8 graph.
  std::vector<TensorRange> ranges(g->tensors.size());
  {
    auto e = Executor::create(*g, {});
    ASSERT_TRUE(e.ok());
    std::vector<float> out(g->tensors[g->output].numel());
    for (int i = 0; i < 2; ++i) {
      const auto x = random_inputs(g->tensors[g->input].numel(), 100 + i);
      ASSERT_TRUE((*e)->run_observed(x.data(), x.size(), out.data(), out.size(),
                                     [&](int, int t, const void* d) {
                                       const float* f = static_cast<const float*>(d);
                                       TensorRange& r = ranges[t];
                                       for (int64_t k = 0; k < g->tensors[t].numel(); ++k) {
                                         r.min = r.seen ? std::min(r.min, f[k]) : f[k];
                                         r.max = r.seen ? std::max(r.max, f[k]) : f[k];
                                         r.seen = true;
                                       }
                                     })
                      .ok());
    }
  }
  auto q = quantize_graph(*g, ranges, QuantIO::kUInt8);
  ASSERT_TRUE(q.ok()) << q.status().message();
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("elite_batch_test_" + std::to_string(::getpid()) + ".tflite"))
                               .string();
  ASSERT_TRUE(write_tflite_file(*q, path).ok());
  check_model(path);
  // The image-parallel path forks the loaded executors: the file is not needed after load().
  auto clf = Classifier::load(path, {.threads = 2});
  ASSERT_TRUE(clf.ok());
  std::filesystem::remove(path);
  const size_t per = size_t{1} * clf->input_height() * clf->input_width() * 3;
  const std::vector<float> x = random_inputs(per * 2, 9);
  auto r = clf->run_batch(x.data(), 2, per);
  ASSERT_TRUE(r.ok()) << r.status().message();
  for (int i = 0; i < 2; ++i) {
    auto one = clf->run(x.data() + i * per, per);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(0, std::memcmp(one->data(), r->data() + i * one->size(), one->size() * sizeof(float)))
        << "image " << i;
  }
}

TEST(RunBatch, BadArguments) {
  if (!std::filesystem::exists(kLite0)) GTEST_SKIP() << kLite0 << " not present";
  auto clf = Classifier::load(kLite0, {.threads = 2});
  ASSERT_TRUE(clf.ok());
  const size_t per = size_t{1} * clf->input_height() * clf->input_width() * 3;
  std::vector<float> x(per * 2, 0.0f);
  EXPECT_FALSE(clf->run_batch(x.data(), 0, per).ok());
  EXPECT_FALSE(clf->run_batch(x.data(), -1, per).ok());
  EXPECT_FALSE(clf->run_batch(x.data(), 2, per - 1).ok());
  EXPECT_FALSE(clf->run_batch(nullptr, 2, per).ok());
}

}  // namespace
}  // namespace elite
