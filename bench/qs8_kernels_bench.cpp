// INT8 kernel benchmarks on EfficientNet-lite0 layer shapes (the table of
// f32_kernels_bench.cpp), for every ISA in qs8_isa_list.inc that this CPU runs (the others are
// named on stderr and skipped). Names: <kernel>/<isa>/<shape>/<hot|cold>. "cold" rotates input
// and output buffers through more than 64 MiB (past the last-level cache), "hot" reuses one.
// Weights are packed once. Counters: MACS (multiply-adds, as a rate, G = 1e9) and bytes of
// activations moved (BYTES, a rate). Requantization: per-channel multipliers in [2^30, 2^31)
// with shifts around -8, relu6-like clamp. Single-threaded, as the kernels are.
//   qs8_kernels_bench --benchmark_filter='gemm/.*hot' --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/qs8_kernels.h"
#include "kernels/qs8_microkernels.h"

#ifndef ELITE_GIT_COMMIT
#define ELITE_GIT_COMMIT ""
#endif

namespace elite {
namespace {

constexpr size_t kRotateBytes = size_t(64) << 20;

std::vector<int8_t> random_s8(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> v(n);
  for (int8_t& x : v) x = int8_t(d(rng));
  return v;
}

std::vector<int32_t> random_bias(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-20000, 20000);
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int32_t& x : v) x = d(rng);
  return v;
}

struct Requant {
  std::vector<int32_t> multiplier, shift;
  QS8Requant rq;
  explicit Requant(int channels) {
    std::mt19937 rng(3);
    std::uniform_int_distribution<int> m(1 << 30, 0x7fffffff), s(-10, -6);
    for (int c = 0; c < channels; ++c) multiplier.push_back(m(rng)), shift.push_back(s(rng));
    rq.input_zero_point = -5;
    rq.output_zero_point = -128;
    rq.multiplier = multiplier.data();
    rq.shift = shift.data();
    rq.out_min = -128;
    rq.out_max = 40;
  }
};

struct Buffers {
  std::vector<int8_t> in, out;
  size_t in_n, out_n, copies;
  Buffers(size_t in_bytes, size_t out_bytes, bool cold) : in_n(in_bytes), out_n(out_bytes) {
    const size_t bytes = in_bytes + out_bytes;
    copies = cold ? (kRotateBytes + bytes - 1) / bytes : 1;
    in = random_s8(in_n * copies, 7);
    out.assign(out_n * copies, 0);
  }
  const int8_t* in_at(size_t i) const { return in.data() + (i % copies) * in_n; }
  int8_t* out_at(size_t i) { return out.data() + (i % copies) * out_n; }
};

void set_counters(benchmark::State& state, double macs, double bytes) {
  state.counters["MACS"] = benchmark::Counter(macs, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::OneK::kIs1000);
  state.counters["BYTES"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::OneK::kIs1024);
}

// 1x1 convolutions of lite0: pixels x in_c -> out_c (the classifier is FC, not gemm).
struct GemmShape {
  int m, k, n;
};
const GemmShape kGemmShapes[] = {
    {112 * 112, 16, 96}, {56 * 56, 24, 144}, {56 * 56, 144, 24}, {28 * 28, 40, 240},
    {28 * 28, 240, 40},  {14 * 14, 80, 480}, {14 * 14, 480, 80}, {14 * 14, 112, 672},
    {14 * 14, 672, 112}, {7 * 7, 192, 1152}, {7 * 7, 1152, 192}, {7 * 7, 320, 1280},
};

void bench_gemm(benchmark::State& state, const QS8Kernels* t, GemmShape s, bool cold) {
  const auto w = random_s8(size_t(s.n) * s.k, 1);
  const auto bias = random_bias(s.n, 2);
  std::vector<uint8_t> packed(t->gemm.packed_bytes(s.n, s.k));
  const Requant r(s.n);
  t->gemm.pack(s.n, s.k, w.data(), bias.data(), r.rq, packed.data());
  Buffers b(size_t(s.m) * s.k, size_t(s.m) * s.n, cold);
  size_t i = 0;
  for (auto _ : state) {
    t->gemm.run(0, s.m, 0, s.n, s.n, s.k, b.in_at(i), packed.data(), b.out_at(i), r.rq);
    benchmark::ClobberMemory();
    ++i;
  }
  set_counters(state, double(s.m) * s.n * s.k, double(s.m) * s.k + double(s.m) * s.n);
}

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
  return g;
}

void bench_dwconv(benchmark::State& state, const QS8Kernels* t, DwShape s, bool cold) {
  const ConvGeometry g = same(s.h, s.w, s.c, s.c, s.k, s.s);
  const auto w = random_s8(size_t(s.k) * s.k * s.c, 1);
  const auto bias = random_bias(s.c, 2);
  std::vector<uint8_t> packed(t->dwconv.packed_bytes(s.c, s.k, s.k));
  const Requant r(s.c);
  t->dwconv.pack(s.c, s.k, s.k, w.data(), bias.data(), r.rq, packed.data());
  const size_t out_n = size_t(g.out_h) * g.out_w * s.c;
  Buffers b(size_t(s.h) * s.w * s.c, out_n, cold);
  size_t i = 0;
  for (auto _ : state) {
    t->dwconv.run(g, b.in_at(i), packed.data(), b.out_at(i), r.rq, 0, g.out_h);
    benchmark::ClobberMemory();
    ++i;
  }
  set_counters(state, double(out_n) * s.k * s.k, double(b.in_n) + double(out_n));
}

void bench_stem(benchmark::State& state, const QS8Kernels* t, bool cold) {
  const ConvGeometry g = same(224, 224, 3, 32, 3, 2);
  const auto w = random_s8(size_t(32) * 27, 1);
  const auto bias = random_bias(32, 2);
  std::vector<uint8_t> packed(t->conv.packed_bytes(32, 3, 3, 3));
  t->conv.pack(32, 3, 3, 3, w.data(), bias.data(), packed.data());
  const Requant r(32);
  const size_t out_n = size_t(g.out_h) * g.out_w * 32;
  Buffers b(size_t(224) * 224 * 3, out_n, cold);
  size_t i = 0;
  for (auto _ : state) {
    t->conv.run(g, b.in_at(i), packed.data(), b.out_at(i), r.rq, 0, g.out_h);
    benchmark::ClobberMemory();
    ++i;
  }
  set_counters(state, double(out_n) * 27, double(b.in_n) + double(out_n));
}

// With --benchmark_repetitions=N, also report the extremes (see f32_kernels_bench.cpp).
void add(benchmark::internal::Benchmark* b) {
  b->ComputeStatistics(
      "min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
  b->ComputeStatistics(
      "max", [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); });
}

void register_all() {
  std::vector<const char*> isas;
#define ELITE_QS8_ISA(name, supported) isas.push_back(#name);
#include "kernels/qs8_isa_list.inc"
#undef ELITE_QS8_ISA
  for (const char* isa_name : isas) {
    const QS8Kernels* t = qs8_kernels_for(isa_name);
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
    }
  }
}

}  // namespace
}  // namespace elite

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("elite_cpu", elite::cpu_features().describe());
  benchmark::AddCustomContext("elite_default_isa", elite::qs8_kernels().isa);
  benchmark::AddCustomContext("elite_threads", "1 (kernels are single-threaded)");
  benchmark::AddCustomContext("elite_commit", ELITE_GIT_COMMIT);
  elite::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
