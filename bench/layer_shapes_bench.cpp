// Per-kernel benchmarks on the real layer shapes of efficientnet-lite0..lite4, FP32 and INT8,
// with the kernel table the runtime uses on this CPU (lowered by ELITE_ISA like the runtime).
// The shapes are not a table: each model is built from its config (src/model/config.h) and
// folded into the inference Graph (fold_to_graph), and every CONV_2D, DEPTHWISE_CONV_2D,
// FULLY_CONNECTED, ADD and MEAN of that graph becomes a benchmark, one per distinct shape.
// Names: <model>/<f32|qs8>/<kernel>/<shape>, kernel one of
//   gemm    1x1 stride-1 conv: m pixels x k in -> n out (FP32 FC is gemm with m = 1)
//   conv    any other conv (the stem): HxWxC_kK_sS_oO
//   dwconv  depthwise HxWxC_kK_sS
//   fc      INT8 FULLY_CONNECTED 1 x k -> n
//   add     residual add of n elements;   mean  global average pool hw x c
// Counters: FLOPS (FP32, 2 per multiply-add) or MACS (INT8 multiply-adds), both rates with
// G = 1e9; BYTES, the activations read and written per call, as a rate (memory-bound ops: add,
// mean, and the depthwise convs in practice); `count`, how many layers of the model have this
// shape (sum count x time over a model's rows for its kernel time); `madds`, multiply-adds
// per call. Buffers are reused ("hot", as when the model runs in a loop); weights packed once.
// Single-threaded, as the kernels are.
//   layer_shapes_bench --benchmark_filter='lite0/f32/' --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/f32_kernels.h"
#include "kernels/qs8_kernels.h"
#include "model/config.h"
#include "model/efficientnet.h"
#include "model/fold.h"
#include "model/graph.h"

#ifndef ELITE_GIT_COMMIT
#define ELITE_GIT_COMMIT ""
#endif

namespace elite {
namespace {

// One layer as the kernels see it (batch 1, NHWC).
struct Layer {
  enum Kind { kGemm, kConv, kDwconv, kFc, kAdd, kMean } kind;
  ConvGeometry g;   // conv, dwconv; gemm/fc use in_c (k) and out_c (n), in_h*in_w (m)
  size_t elements;  // add
  std::string shape_name() const {
    const auto s = [](int v) { return std::to_string(v); };
    switch (kind) {
      case kGemm:
        return "m" + s(g.in_h * g.in_w) + "_k" + s(g.in_c) + "_n" + s(g.out_c);
      case kFc:
        return "k" + s(g.in_c) + "_n" + s(g.out_c);
      case kConv:
        return s(g.in_h) + "x" + s(g.in_w) + "x" + s(g.in_c) + "_k" + s(g.kernel_h) + "_s" +
               s(g.stride_h) + "_o" + s(g.out_c);
      case kDwconv:
        return s(g.in_h) + "x" + s(g.in_w) + "x" + s(g.in_c) + "_k" + s(g.kernel_h) + "_s" +
               s(g.stride_h);
      case kAdd:
        return s(static_cast<int>(elements));
      case kMean:
        return s(g.in_h * g.in_w) + "x" + s(g.in_c);
    }
    return "";
  }
  const char* kind_name() const {
    static const char* names[] = {"gemm", "conv", "dwconv", "fc", "add", "mean"};
    return names[kind];
  }
  double madds() const {
    switch (kind) {
      case kGemm:
        return double(g.in_h) * g.in_w * g.in_c * g.out_c;
      case kFc:
        return double(g.in_c) * g.out_c;
      case kConv:
        return double(g.out_h) * g.out_w * g.out_c * g.kernel_h * g.kernel_w * g.in_c;
      case kDwconv:
        return double(g.out_h) * g.out_w * g.out_c * g.kernel_h * g.kernel_w;
      case kAdd:
        return double(elements);
      case kMean:
        return double(g.in_h) * g.in_w * g.in_c;
    }
    return 0;
  }
  // Activation elements read and written per call (weights not counted).
  double elements_moved() const {
    switch (kind) {
      case kAdd:
        return 3.0 * double(elements);
      case kMean:
        return double(g.in_h) * g.in_w * g.in_c + g.in_c;
      case kFc:
        return double(g.in_c) + g.out_c;
      default:
        return double(g.in_h) * g.in_w * g.in_c + double(g.out_h) * g.out_w * g.out_c;
    }
  }
};

// The layers of one model, from its config, in execution order.
std::vector<Layer> model_layers(const std::string& name) {
  auto config = lite_config(name);
  if (!config.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), config.status().message().c_str());
    return {};
  }
  const Graph graph = fold_to_graph(build_efficientnet_lite(*config));
  std::vector<Layer> layers;
  for (const Op& op : graph.ops) {
    const std::vector<int>& in = graph.tensors[op.inputs[0]].shape;
    const std::vector<int>& out = graph.tensors[op.output].shape;
    Layer l{};
    if (op.kind == OpKind::kConv2D || op.kind == OpKind::kDepthwiseConv2D) {
      ConvGeometry& g = l.g;
      g.in_h = in[1], g.in_w = in[2], g.in_c = in[3];
      g.out_h = out[1], g.out_w = out[2], g.out_c = out[3];
      g.kernel_h = op.kernel_h, g.kernel_w = op.kernel_w;
      g.stride_h = op.stride_h, g.stride_w = op.stride_w;
      if (op.padding == Padding::kSame) {
        g.pad_top = same_padding(g.in_h, g.kernel_h, g.stride_h).before;
        g.pad_left = same_padding(g.in_w, g.kernel_w, g.stride_w).before;
      }
      g.out_min = 0.0f, g.out_max = 6.0f;
      const bool pointwise = op.kernel_h == 1 && op.kernel_w == 1 && op.stride_h == 1 &&
                             op.stride_w == 1;
      l.kind = op.kind == OpKind::kDepthwiseConv2D ? Layer::kDwconv
               : pointwise                          ? Layer::kGemm
                                                    : Layer::kConv;
    } else if (op.kind == OpKind::kFullyConnected) {
      l.kind = Layer::kFc;
      l.g.in_h = l.g.in_w = l.g.out_h = l.g.out_w = 1;
      l.g.in_c = in.back(), l.g.out_c = out.back();
    } else if (op.kind == OpKind::kAdd) {
      l.kind = Layer::kAdd;
      l.elements = static_cast<size_t>(graph.tensors[op.output].numel());
    } else if (op.kind == OpKind::kMean) {
      l.kind = Layer::kMean;
      l.g.in_h = in[1], l.g.in_w = in[2], l.g.in_c = in[3];
    } else {
      continue;  // softmax, reshape: negligible
    }
    layers.push_back(l);
  }
  return layers;
}

std::vector<float> random_floats(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

std::vector<int8_t> random_s8(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> v(n);
  for (int8_t& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}

std::vector<int32_t> random_bias(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-20000, 20000);
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int32_t& x : v) x = d(rng);
  return v;
}

size_t in_elements(const Layer& l) {
  return l.kind == Layer::kAdd ? 2 * l.elements : size_t(l.g.in_h) * l.g.in_w * l.g.in_c;
}
size_t out_elements(const Layer& l) {
  switch (l.kind) {
    case Layer::kAdd:
      return l.elements;
    case Layer::kMean:
    case Layer::kFc:
      return size_t(l.g.out_c ? l.g.out_c : l.g.in_c);
    case Layer::kGemm:
      return size_t(l.g.in_h) * l.g.in_w * l.g.out_c;
    default:
      return size_t(l.g.out_h) * l.g.out_w * l.g.out_c;
  }
}

void set_counters(benchmark::State& state, const Layer& l, int count, const char* work_name,
                  double work_per_madd, double bytes_per_element) {
  using C = benchmark::Counter;
  state.counters[work_name] =
      C(l.madds() * work_per_madd, C::kIsIterationInvariantRate, C::OneK::kIs1000);
  state.counters["BYTES"] =
      C(l.elements_moved() * bytes_per_element, C::kIsIterationInvariantRate, C::OneK::kIs1024);
  state.counters["count"] = count;
  state.counters["madds"] = l.madds();
}

void bench_f32(benchmark::State& state, const F32Kernels* t, Layer l, int count) {
  const ConvGeometry& g = l.g;
  std::vector<float> in = random_floats(in_elements(l), 7), out(out_elements(l));
  std::vector<float> packed;
  const int k = g.kernel_h;
  switch (l.kind) {
    case Layer::kGemm:
    case Layer::kFc: {
      const auto w = random_floats(size_t(g.out_c) * g.in_c, 1), b = random_floats(g.out_c, 2);
      packed.resize(t->gemm.packed_floats(g.out_c, g.in_c));
      t->gemm.pack(g.out_c, g.in_c, w.data(), b.data(), packed.data());
      break;
    }
    case Layer::kConv: {
      const auto w = random_floats(size_t(g.out_c) * k * k * g.in_c, 1);
      const auto b = random_floats(g.out_c, 2);
      packed.resize(t->conv.packed_floats(g.out_c, k, k, g.in_c));
      t->conv.pack(g.out_c, k, k, g.in_c, w.data(), b.data(), packed.data());
      break;
    }
    case Layer::kDwconv: {
      const auto w = random_floats(size_t(k) * k * g.in_c, 1), b = random_floats(g.in_c, 2);
      packed.resize(t->dwconv.packed_floats(g.in_c, k, k));
      t->dwconv.pack(g.in_c, k, k, w.data(), b.data(), packed.data());
      break;
    }
    default:
      break;
  }
  const int m = g.in_h * g.in_w;
  for (auto _ : state) {
    switch (l.kind) {
      case Layer::kGemm:
      case Layer::kFc:
        t->gemm.run(0, m, 0, g.out_c, g.out_c, g.in_c, in.data(), packed.data(), out.data(),
                    0.0f, 6.0f);
        break;
      case Layer::kConv:
        t->conv.run(g, in.data(), packed.data(), out.data(), 0, g.out_h);
        break;
      case Layer::kDwconv:
        t->dwconv.run(g, in.data(), packed.data(), out.data(), 0, g.out_h);
        break;
      case Layer::kAdd:
        t->add(l.elements, in.data(), in.data() + l.elements, out.data(), -3.4e38f, 3.4e38f);
        break;
      case Layer::kMean:
        t->global_mean(m, g.in_c, in.data(), out.data());
        break;
    }
    benchmark::ClobberMemory();
  }
  set_counters(state, l, count, "FLOPS", 2.0, 4.0);
}

// Requantization parameters of plausible magnitude (per-channel multipliers in [2^30, 2^31),
// right shifts of 6..10) and a ReLU6-like clamp, as in qs8_kernels_bench.cpp.
struct Requant {
  std::vector<int32_t> multiplier, shift;
  std::vector<double> fc_scale;
  QS8Requant rq;
  explicit Requant(int channels) {
    std::mt19937 rng(3);
    std::uniform_int_distribution<int> m(1 << 30, 0x7fffffff), s(-10, -6);
    for (int c = 0; c < channels; ++c) {
      multiplier.push_back(m(rng)), shift.push_back(s(rng));
      fc_scale.push_back(1.0 / 4096);
    }
    rq.input_zero_point = -5, rq.output_zero_point = -128;
    rq.multiplier = multiplier.data(), rq.shift = shift.data();
    rq.out_min = -128, rq.out_max = 40;
  }
};

void bench_qs8(benchmark::State& state, const QS8Kernels* t, Layer l, int count) {
  const ConvGeometry& g = l.g;
  std::vector<int8_t> in = random_s8(in_elements(l), 7), out(out_elements(l));
  std::vector<uint8_t> packed;
  const int k = g.kernel_h;
  const Requant r(std::max(g.out_c, g.in_c));
  const auto w_fc = random_s8(size_t(g.out_c) * g.in_c, 1);
  const auto b_fc = random_bias(g.out_c, 2);
  switch (l.kind) {
    case Layer::kGemm: {
      packed.resize(t->gemm.packed_bytes(g.out_c, g.in_c));
      t->gemm.pack(g.out_c, g.in_c, w_fc.data(), b_fc.data(), r.rq, packed.data());
      break;
    }
    case Layer::kConv: {
      const auto w = random_s8(size_t(g.out_c) * k * k * g.in_c, 1);
      const auto b = random_bias(g.out_c, 2);
      packed.resize(t->conv.packed_bytes(g.out_c, k, k, g.in_c));
      t->conv.pack(g.out_c, k, k, g.in_c, w.data(), b.data(), packed.data());
      break;
    }
    case Layer::kDwconv: {
      const auto w = random_s8(size_t(k) * k * g.in_c, 1);
      const auto b = random_bias(g.in_c, 2);
      packed.resize(t->dwconv.packed_bytes(g.in_c, k, k));
      t->dwconv.pack(g.in_c, k, k, w.data(), b.data(), r.rq, packed.data());
      break;
    }
    default:
      break;
  }
  QS8FcParams fc;
  fc.input_zero_point = -5, fc.output_zero_point = 0, fc.scale = r.fc_scale.data();
  QS8AddParams add;  // 2 * max scale common scale: multipliers just under 1/2, as TFLite gets
  add.a_zero_point = 3, add.b_zero_point = -7, add.output_zero_point = -2;
  add.a_multiplier = add.b_multiplier = 1 << 30, add.a_shift = add.b_shift = -1;
  add.output_multiplier = 1 << 30, add.output_shift = -18;
  QS8MeanParams mean;
  mean.input_zero_point = -5, mean.output_zero_point = -3;
  mean.multiplier = 1 << 30, mean.shift = 0;
  const int m = g.in_h * g.in_w;
  for (auto _ : state) {
    switch (l.kind) {
      case Layer::kGemm:
        t->gemm.run(0, m, 0, g.out_c, g.out_c, g.in_c, in.data(), packed.data(), out.data(),
                    r.rq);
        break;
      case Layer::kFc:
        t->fc(0, 1, g.out_c, g.in_c, in.data(), w_fc.data(), b_fc.data(), out.data(), fc);
        break;
      case Layer::kConv:
        t->conv.run(g, in.data(), packed.data(), out.data(), r.rq, 0, g.out_h);
        break;
      case Layer::kDwconv:
        t->dwconv.run(g, in.data(), packed.data(), out.data(), r.rq, 0, g.out_h);
        break;
      case Layer::kAdd:
        t->add(l.elements, in.data(), in.data() + l.elements, out.data(), add);
        break;
      case Layer::kMean:
        t->global_mean(m, g.in_c, 0, g.in_c, in.data(), out.data(), mean);
        break;
    }
    benchmark::ClobberMemory();
  }
  set_counters(state, l, count, "MACS", 1.0, 1.0);
}

void register_all() {
  const F32Kernels* f32 = &f32_kernels();
  const QS8Kernels* qs8 = &qs8_kernels();
  for (const std::string& model : lite_model_names()) {
    const std::string short_name = model.substr(model.find("lite"));
    // Distinct shapes in first-seen order, with how often each occurs.
    std::vector<std::pair<std::string, Layer>> order;
    std::map<std::string, int> count;
    for (const Layer& l : model_layers(model)) {
      const std::string key = std::string(l.kind_name()) + "/" + l.shape_name();
      if (count[key]++ == 0) order.emplace_back(key, l);
    }
    for (const auto& [key, l] : order) {
      const int n = count[key];
      // FP32 runs the classifier as a gemm with m = 1.
      const std::string f32_key = l.kind == Layer::kFc ? "gemm/m1_" + l.shape_name() : key;
      benchmark::RegisterBenchmark((short_name + "/f32/" + f32_key).c_str(), bench_f32, f32, l,
                                   n);
      benchmark::RegisterBenchmark((short_name + "/qs8/" + key).c_str(), bench_qs8, qs8, l, n);
    }
  }
}

}  // namespace
}  // namespace elite

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("elite_cpu", elite::cpu_features().describe());
  benchmark::AddCustomContext("elite_f32_isa", elite::f32_kernels().isa);
  benchmark::AddCustomContext("elite_qs8_isa", elite::qs8_kernels().isa);
  benchmark::AddCustomContext("elite_threads", "1 (kernels are single-threaded)");
  benchmark::AddCustomContext("elite_commit", ELITE_GIT_COMMIT);
  elite::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
