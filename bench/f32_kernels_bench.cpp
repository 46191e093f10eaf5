// FP32 kernel benchmarks on EfficientNet-lite0 layer shapes, for every ISA in
// f32_isa_list.inc that this CPU runs (the others are named on stderr and skipped). Names:
// <kernel>/<isa>/<shape>/<hot|cold>. "cold" rotates input and output buffers through more than 64
// MiB (past the last-level cache), as a layer sees them in the full model; "hot" reuses one buffer.
// Weights are packed once. Counters: FLOPS (2 per multiply-add, reported as a rate, G = 1e9) and
// bytes of activations moved (BYTES, a rate). Single-threaded, as the kernels are.
//   f32_kernels_bench --benchmark_filter='gemm/avx2/.*hot' --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/f32_kernels.h"
#include "kernels/f32_microkernels.h"

#ifndef ELITE_GIT_COMMIT
#define ELITE_GIT_COMMIT ""
#endif

namespace elite {
namespace {

constexpr size_t kRotateBytes = size_t(64) << 20;

std::vector<float> random_floats(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// `copies` back-to-back copies of in and room for as many outputs: enough copies to pass
// kRotateBytes when cold, one when hot.
struct Buffers {
  std::vector<float> in, out;
  size_t in_n, out_n, copies;
  Buffers(size_t in_floats, size_t out_floats, bool cold) : in_n(in_floats), out_n(out_floats) {
    const size_t bytes = (in_floats + out_floats) * sizeof(float);
    copies = cold ? (kRotateBytes + bytes - 1) / bytes : 1;
    in = random_floats(in_n * copies, 7);
    out.assign(out_n * copies, 0.0f);
  }
  const float* in_at(size_t i) const { return in.data() + (i % copies) * in_n; }
  float* out_at(size_t i) { return out.data() + (i % copies) * out_n; }
};

void set_counters(benchmark::State& state, double flops, double bytes) {
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::OneK::kIs1000);
  state.counters["BYTES"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::OneK::kIs1024);
}

// 1x1 convolutions: pixels x in_c -> out_c; the last one is the classifier.
struct GemmShape {
  int m, k, n;
};
const GemmShape kGemmShapes[] = {
    {112 * 112, 16, 96}, {56 * 56, 24, 144}, {56 * 56, 144, 24}, {28 * 28, 40, 240},
    {28 * 28, 240, 40},  {14 * 14, 80, 480}, {14 * 14, 480, 80}, {14 * 14, 112, 672},
    {14 * 14, 672, 112}, {7 * 7, 192, 1152}, {7 * 7, 1152, 192}, {7 * 7, 320, 1280},
    {1, 1280, 1000},
};

void bench_gemm(benchmark::State& state, const F32Kernels* t, GemmShape s, bool cold) {
  const auto w = random_floats(size_t(s.n) * s.k, 1), bias = random_floats(s.n, 2);
  std::vector<float> packed(t->gemm.packed_floats(s.n, s.k));
  t->gemm.pack(s.n, s.k, w.data(), bias.data(), packed.data());
  Buffers b(size_t(s.m) * s.k, size_t(s.m) * s.n, cold);
  size_t i = 0;
  for (auto _ : state) {
    t->gemm.run(0, s.m, 0, s.n, s.n, s.k, b.in_at(i), packed.data(), b.out_at(i), 0.0f, 6.0f);
    benchmark::ClobberMemory();
    ++i;
  }
  set_counters(state, 2.0 * s.m * s.n * s.k, 4.0 * (double(s.m) * s.k + double(s.m) * s.n));
}

// Depthwise: input h x w x c, kernel, stride, SAME padding.
struct DwShape {
  int h, w, c, k, s;
};
const DwShape kDwShapes[] = {
    {112, 112, 32, 3, 1}, {112, 112, 96, 3, 2}, {56, 56, 144, 3, 1}, {56, 56, 144, 5, 2},
    {28, 28, 240, 5, 1},  {28, 28, 240, 3, 2},  {14, 14, 480, 3, 1}, {14, 14, 672, 5, 1},
    {14, 14, 672, 5, 2},  {7, 7, 1152, 5, 1},   {7, 7, 1152, 3, 1},
};

ConvGeometry same(int h, int w, int in_c, int out_c, int k, int s) {
  ConvGeometry g;
  g.in_h = h, g.in_w = w, g.in_c = in_c, g.out_c = out_c, g.kernel_h = g.kernel_w = k;
  g.stride_h = g.stride_w = s;
  g.out_h = (h + s - 1) / s, g.out_w = (w + s - 1) / s;
  const int ph = (g.out_h - 1) * s + k - h, pw = (g.out_w - 1) * s + k - w;
  g.pad_top = ph > 0 ? ph / 2 : 0, g.pad_left = pw > 0 ? pw / 2 : 0;
  g.out_min = 0.0f, g.out_max = 6.0f;
  return g;
}

void bench_dwconv(benchmark::State& state, const F32Kernels* t, DwShape s, bool cold) {
  const ConvGeometry g = same(s.h, s.w, s.c, s.c, s.k, s.s);
  const auto w = random_floats(size_t(s.k) * s.k * s.c, 1), bias = random_floats(s.c, 2);
  std::vector<float> packed(t->dwconv.packed_floats(s.c, s.k, s.k));
  t->dwconv.pack(s.c, s.k, s.k, w.data(), bias.data(), packed.data());
  const size_t out_n = size_t(g.out_h) * g.out_w * s.c;
  Buffers b(size_t(s.h) * s.w * s.c, out_n, cold);
  size_t i = 0;
  for (auto _ : state) {
    t->dwconv.run(g, b.in_at(i), packed.data(), b.out_at(i), 0, g.out_h);
    benchmark::ClobberMemory();
    ++i;
  }
  set_counters(state, 2.0 * out_n * s.k * s.k, 4.0 * (double(b.in_n) + double(out_n)));
}

void bench_stem(benchmark::State& state, const F32Kernels* t, bool cold) {
  const ConvGeometry g = same(224, 224, 3, 32, 3, 2);
  const auto w = random_floats(size_t(32) * 27, 1), bias = random_floats(32, 2);
  std::vector<float> packed(t->conv.packed_floats(32, 3, 3, 3));
  t->conv.pack(32, 3, 3, 3, w.data(), bias.data(), packed.data());
  const size_t out_n = size_t(g.out_h) * g.out_w * 32;
  Buffers b(size_t(224) * 224 * 3, out_n, cold);
  size_t i = 0;
  for (auto _ : state) {
    t->conv.run(g, b.in_at(i), packed.data(), b.out_at(i), 0, g.out_h);
    benchmark::ClobberMemory();
    ++i;
  }
  set_counters(state, 2.0 * out_n * 27, 4.0 * (double(b.in_n) + double(out_n)));
}

void bench_add(benchmark::State& state, const F32Kernels* t, size_t n, bool cold) {
  Buffers b(2 * n, n, cold);
  size_t i = 0;
  for (auto _ : state) {
    const float* a = b.in_at(i);
    t->add(n, a, a + n, b.out_at(i), -3.4e38f, 3.4e38f);
    benchmark::ClobberMemory();
    ++i;
  }
  set_counters(state, double(n), 12.0 * n);
}

void bench_mean(benchmark::State& state, const F32Kernels* t, int hw, int c, bool cold) {
  Buffers b(size_t(hw) * c, c, cold);
  size_t i = 0;
  for (auto _ : state) {
    t->global_mean(hw, c, b.in_at(i), b.out_at(i));
    benchmark::ClobberMemory();
    ++i;
  }
  set_counters(state, double(hw) * c, 4.0 * (double(hw) * c + c));
}

// With --benchmark_repetitions=N, also report the extremes: on a shared machine the least
// disturbed repetition is the "min" row for times and the "max" row for the rate counters
// (a statistic applies to both).
void add(benchmark::internal::Benchmark* b) {
  b->ComputeStatistics(
      "min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
  b->ComputeStatistics(
      "max", [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); });
}

void register_all() {
  std::vector<const char*> isas;
#define ELITE_F32_ISA(name, supported) isas.push_back(#name);
#include "kernels/f32_isa_list.inc"
#undef ELITE_F32_ISA
  for (const char* isa_name : isas) {
    const F32Kernels* t = f32_kernels_for(isa_name);
    if (t == nullptr) {
      std::fprintf(stderr, "skipping %s: compiled in, but this CPU cannot run it\n", isa_name);
      continue;
    }
    const std::string isa = t->isa;
    for (bool cold : {false, true}) {
      const std::string tail = cold ? "/cold" : "/hot";
      for (const GemmShape& s : kGemmShapes) {
        const std::string name = "gemm/" + isa + "/m" + std::to_string(s.m) + "_k" +
                                 std::to_string(s.k) + "_n" + std::to_string(s.n) + tail;
        add(benchmark::RegisterBenchmark(name.c_str(), bench_gemm, t, s, cold));
      }
      for (const DwShape& s : kDwShapes) {
        const std::string name = "dwconv/" + isa + "/" + std::to_string(s.h) + "x" +
                                 std::to_string(s.w) + "x" + std::to_string(s.c) + "_k" +
                                 std::to_string(s.k) + "_s" + std::to_string(s.s) + tail;
        add(benchmark::RegisterBenchmark(name.c_str(), bench_dwconv, t, s, cold));
      }
      add(benchmark::RegisterBenchmark(("conv/" + isa + "/stem_224x224x3_k3_s2_32" + tail).c_str(),
                                       bench_stem, t, cold));
      add(benchmark::RegisterBenchmark(("add/" + isa + "/56x56x24" + tail).c_str(), bench_add, t,
                                       size_t(56) * 56 * 24, cold));
      add(benchmark::RegisterBenchmark(("global_mean/" + isa + "/7x7x1280" + tail).c_str(),
                                       bench_mean, t, 49, 1280, cold));
    }
  }
}

}  // namespace
}  // namespace elite

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("elite_cpu", elite::cpu_features().describe());
  benchmark::AddCustomContext("elite_default_isa", elite::f32_kernels().isa);
  benchmark::AddCustomContext("elite_threads", "1 (kernels are single-threaded)");
  benchmark::AddCustomContext("elite_commit", ELITE_GIT_COMMIT);
  elite::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
