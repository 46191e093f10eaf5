// The runtime end to end on randomly initialised models: every kernel set against the
// reference one, results independent of the thread count, memory plan sanity, lite3/lite4
// through .tflite and back, and malformed graphs rejected.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <random>

#include "core/threadpool.h"
#include "io/tflite/tflite_reader.h"
#include "io/tflite/tflite_writer.h"
#include "model/fold.h"
#include "runtime/executor.h"
#include "runtime/memory_plan.h"
#include "runtime/op_profile.h"

namespace elite {
namespace {

Graph random_graph(const char* name, uint64_t seed, int num_classes = 1000) {
  EfficientNetLite m = build_efficientnet_lite(*lite_config(name, num_classes));
  randomize_weights(m, seed);
  return fold_to_graph(m);
}

std::vector<float> random_input(const Graph& g, uint64_t seed) {
  std::vector<float> x(g.tensors[g.input].numel());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (float& v : x) v = u(rng);
  return x;
}

struct RunResult {
  std::vector<float> probs, logits;
};

RunResult run_graph(const Graph& g, const std::vector<float>& x, int threads,
              const F32Kernels* kernels = nullptr) {
  ExecutorOptions o;
  o.threads = threads;
  o.kernels = kernels;
  auto e = Executor::create(g, o);
  EXPECT_TRUE(e.ok()) << e.status().message();
  RunResult r;
  r.probs.resize(g.tensors[g.output].numel());
  EXPECT_TRUE((*e)->run(x.data(), x.size(), r.probs.data(), r.probs.size()).ok());
  r.logits.assign((*e)->logits(), (*e)->logits() + r.probs.size());
  return r;
}

TEST(Executor, EveryKernelSetMatchesTheReference) {
  const Graph g = random_graph("efficientnet-lite0", 11);
  const auto x = random_input(g, 1);
  const RunResult ref = run_graph(g, x, 1, f32_kernels_for("ref"));
  double sum = 0;
  for (float p : ref.probs) sum += p;
  EXPECT_NEAR(sum, 1.0, 1e-4);
  for (const F32Kernels* k : f32_available_kernels()) {
    SCOPED_TRACE(k->isa);
    const RunResult got = run_graph(g, x, 2, k);
    for (size_t i = 0; i < ref.logits.size(); ++i)
      ASSERT_NEAR(got.logits[i], ref.logits[i], 1e-3 + 1e-4 * std::fabs(ref.logits[i])) << i;
  }
}

TEST(Executor, ResultsDoNotDependOnTheThreadCount) {
  const Graph g = random_graph("efficientnet-lite0", 12);
  const auto x = random_input(g, 2);
  for (const F32Kernels* k : f32_available_kernels()) {
    SCOPED_TRACE(k->isa);
    const RunResult one = run_graph(g, x, 1, k);
    for (int t : {2, 3, 5}) {
      const RunResult many = run_graph(g, x, t, k);
      EXPECT_EQ(one.logits, many.logits) << t << " threads";
      EXPECT_EQ(one.probs, many.probs) << t << " threads";
    }
  }
}

TEST(Executor, RunIsRepeatable) {
  const Graph g = random_graph("efficientnet-lite0", 13);
  auto e = Executor::create(g, {});
  ASSERT_TRUE(e.ok());
  const auto x = random_input(g, 3);
  std::vector<float> a(1000), b(1000);
  ASSERT_TRUE((*e)->run(x.data(), x.size(), a.data(), a.size()).ok());
  ASSERT_TRUE((*e)->run(x.data(), x.size(), b.data(), b.size()).ok());
  EXPECT_EQ(a, b);
  EXPECT_FALSE((*e)->run(x.data(), x.size() - 1, a.data(), a.size()).ok());
  EXPECT_FALSE((*e)->run(x.data(), x.size(), a.data(), 999).ok());
}

TEST(MemoryPlan, LiveTensorsNeverShareBytes) {
  for (const char* name : {"efficientnet-lite0", "efficientnet-lite4"}) {
    SCOPED_TRACE(name);
    const Graph g = random_graph(name, 1);
    const int logits = g.find_tensor("logits");
    const MemoryPlan plan = plan_memory(g, {logits});
    const int n = static_cast<int>(g.tensors.size());
    const int end = static_cast<int>(g.ops.size());
    std::vector<int> first(n, end + 1), last(n, -1);
    first[g.input] = -1;
    last[g.input] = -1;
    for (int i = 0; i < end; ++i) {
      for (int t : g.ops[i].inputs) last[t] = std::max(last[t], i);
      first[g.ops[i].output] = std::min(first[g.ops[i].output], i);
      last[g.ops[i].output] = std::max(last[g.ops[i].output], i);
    }
    last[g.output] = last[logits] = end;
    size_t total = 0;
    for (int a = 0; a < n; ++a) {
      total += g.tensors[a].numel();
      ASSERT_LE(plan.offset[a] + g.tensors[a].numel(), plan.arena_floats);
      for (int b = a + 1; b < n; ++b) {
        const bool live_together = !(last[a] < first[b] || last[b] < first[a]);
        const bool overlap = plan.offset[a] < plan.offset[b] + g.tensors[b].numel() &&
                             plan.offset[b] < plan.offset[a] + g.tensors[a].numel();
        ASSERT_FALSE(live_together && overlap) << g.tensors[a].name << " / " << g.tensors[b].name;
      }
    }
    EXPECT_LT(plan.arena_floats, total / 3);  // reuse actually happens
  }
}

// lite3 and lite4 have no pretrained weights here: random ones through .tflite and back.
TEST(Executor, Lite3AndLite4ThroughTfliteGiveTheSameOutput) {
  for (const char* name : {"efficientnet-lite3", "efficientnet-lite4"}) {
    SCOPED_TRACE(name);
    const Graph g = random_graph(name, 5, 37);
    const std::string path = ::testing::TempDir() + "/elite_exec_" + name + ".tflite";
    ASSERT_TRUE(write_tflite_file(g, path).ok());
    auto back = read_tflite_file(path);
    ASSERT_TRUE(back.ok()) << back.status().message();
    std::remove(path.c_str());
    const auto x = random_input(g, 4);
    const RunResult a = run_graph(g, x, 2), b = run_graph(*back, x, 2);
    EXPECT_EQ(a.probs.size(), 37u);
    EXPECT_EQ(a.probs, b.probs);
  }
}

TEST(Executor, MalformedGraphsAreRejected) {
  Graph g = random_graph("efficientnet-lite0", 6);
  Graph bad = g;
  bad.ops[3].weights.shape[3] += 1;  // weight shape disagrees with the input channels
  auto e = Executor::create(bad, {});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("weights"), std::string::npos) << e.status().message();

  bad = g;
  bad.tensors[bad.ops[0].output].shape[1] = 111;  // output size disagrees with SAME padding
  EXPECT_FALSE(Executor::create(bad, {}).ok());

  bad = g;
  bad.ops[5].inputs = {static_cast<int>(bad.tensors.size()) + 4};
  EXPECT_FALSE(Executor::create(bad, {}).ok());

  ExecutorOptions o;
  o.threads = 0;
  EXPECT_FALSE(Executor::create(g, o).ok());
}

TEST(Executor, ForkSharesWeightsAndGivesTheSameResults) {
  const Graph g = random_graph("efficientnet-lite0", 21, 10);
  const auto x = random_input(g, 4);
  ExecutorOptions o;
  o.threads = 2;
  auto e = Executor::create(g, o);
  ASSERT_TRUE(e.ok()) << e.status().message();
  std::vector<float> want(10), got(10);
  ASSERT_TRUE((*e)->run(x.data(), x.size(), want.data(), want.size()).ok());
  const std::vector<float> want_logits((*e)->logits(), (*e)->logits() + 10);
  std::unique_ptr<Executor> f1 = (*e)->fork(1), f3 = (*e)->fork(3);
  EXPECT_EQ(f1->threads(), 1);
  EXPECT_EQ(f3->threads(), 3);
  e->reset();  // the forks keep the shared steps alive
  for (Executor* f : {f1.get(), f3.get()}) {
    std::fill(got.begin(), got.end(), -1.0f);
    ASSERT_TRUE(f->run(x.data(), x.size(), got.data(), got.size()).ok());
    EXPECT_EQ(got, want);
    EXPECT_EQ(std::vector<float>(f->logits(), f->logits() + 10), want_logits);
  }
}

TEST(OpProfile, OneTimingPerOpWithItsMultiplyAdds) {
  const Graph g = random_graph("efficientnet-lite0", 5, 10);
  const auto x = random_input(g, 2);
  for (int threads : {1, 2}) {
    ExecutorOptions o;
    o.threads = threads;
    auto e = Executor::create(g, o);
    ASSERT_TRUE(e.ok()) << e.status().message();
    auto p = profile_ops(**e, x, 1, 3);
    ASSERT_TRUE(p.ok()) << p.status().message();
    ASSERT_EQ(p->ops.size(), g.ops.size());
    double sum = 0;
    int64_t madds = 0;
    for (size_t i = 0; i < g.ops.size(); ++i) {
      const OpTiming& t = p->ops[i];
      EXPECT_EQ(t.op, static_cast<int>(i));
      EXPECT_EQ(t.kind, op_kind_name(g.ops[i].kind));
      EXPECT_EQ(t.output_shape, g.tensors[g.ops[i].output].shape);
      EXPECT_GE(t.median_ms, 0.0);
      sum += t.median_ms;
      madds += t.madds;
    }
    EXPECT_NEAR(sum, p->total_ms, 1e-9);
    EXPECT_GT(p->total_ms, 0.0);
    // The stem: 112 x 112 pixels x 32 channels x 3x3x3 taps.
    EXPECT_EQ(p->ops[0].madds, int64_t{112} * 112 * 32 * 27);
    EXPECT_GT(madds, 300'000'000);  // lite0 is about 400M multiply-adds
    // Profiling does not disturb the results.
    std::vector<float> a(10), b(10);
    ASSERT_TRUE((*e)->run(x.data(), x.size(), a.data(), a.size()).ok());
    ASSERT_TRUE(profile_ops(**e, x, 0, 1).ok());
    ASSERT_TRUE((*e)->run(x.data(), x.size(), b.data(), b.size()).ok());
    EXPECT_EQ(a, b);
  }
  auto e = Executor::create(g, {});
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(profile_ops(**e, x, 1, 0).ok());
}

TEST(ThreadPool, EveryTaskRunsExactlyOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int round = 0; round < 200; ++round) {
      const int n = 1 + round % 17;
      std::vector<std::atomic<int>> hits(n);
      pool.run(n, [&](int i) { hits[i].fetch_add(1); });
      for (int i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << threads << " " << round;
    }
  }
}

}  // namespace
}  // namespace elite
