// elite bench -m MODEL [--threads N] [--warmup N] [--runs N] [--batch N] [--profile] [--json]
// Times full inference on a preprocessed input: load, first run, then median/p10/p90.
// --batch N > 1 times Classifier::run_batch on N random inputs (per call; plus images/s).
// --profile then times every op (runtime/op_profile.h), like TFLite benchmark_model's op
// profiling: a table in graph order and the sums by op kind.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "commands.h"
#include "elite/elite.hpp"
#include "io/tflite/tflite_reader.h"
#include "runtime/executor.h"
#include "runtime/op_profile.h"

namespace elite::cli {
namespace {

struct BenchArgs {
  std::string model = kDefaultModel;
  int threads = 1;
  std::string precision = "fp32";
  int warmup = 5;
  int runs = 50;
  int batch = 1;
  bool profile = false;
  bool json = false;
};

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

std::string shape_text(const std::vector<int>& shape) {
  std::string s;
  for (size_t i = 1; i < shape.size(); ++i) {
    if (i > 1) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

// Per-op medians of the same model on its own Executor (same thread count).
Result<OpProfile> profile_model(const BenchArgs& a, const std::vector<float>& input) {
  auto graph = read_tflite_file(a.model);
  if (!graph.ok()) return graph.status();
  ExecutorOptions o;
  o.threads = a.threads;
  auto precision = parse_precision(a.precision);
  if (!precision.ok()) return precision.status();
  o.precision = *precision;
  auto e = Executor::create(std::move(*graph), o);
  if (!e.ok()) return e.status();
  return profile_ops(**e, input, a.warmup, a.runs);
}

nlohmann::json profile_json(const OpProfile& p) {
  nlohmann::json ops = nlohmann::json::array();
  for (const OpTiming& t : p.ops)
    ops.push_back({{"op", t.op}, {"kind", t.kind}, {"name", t.name}, {"shape", t.output_shape},
                   {"kernel", t.kernel}, {"stride", t.stride}, {"madds", t.madds},
                   {"median_ms", t.median_ms}});
  return {{"total_ms", p.total_ms}, {"ops", ops}};
}

void print_profile(const OpProfile& p) {
  std::printf("\nper op (median ms over the timed runs; sum %.3f ms)\n", p.total_ms);
  std::printf("%4s  %-18s %-16s %-6s %9s %6s %10s\n", "op", "kind", "output", "k/s", "ms", "%",
              "GMAC/s");
  std::map<std::string, std::pair<double, int64_t>> by_kind;
  for (const OpTiming& t : p.ops) {
    const std::string ks =
        t.kernel ? std::to_string(t.kernel) + "/" + std::to_string(t.stride) : "";
    const double share = p.total_ms > 0 ? 100.0 * t.median_ms / p.total_ms : 0.0;
    char rate[32] = "";
    if (t.madds > 0 && t.median_ms > 0)
      std::snprintf(rate, sizeof(rate), "%.1f", double(t.madds) / t.median_ms * 1e-6);
    std::printf("%4d  %-18s %-16s %-6s %9.3f %6.1f %10s\n", t.op, t.kind.c_str(),
                shape_text(t.output_shape).c_str(), ks.c_str(), t.median_ms, share, rate);
    by_kind[t.kind].first += t.median_ms;
    by_kind[t.kind].second += t.madds;
  }
  std::printf("\nby kind\n");
  for (const auto& [kind, v] : by_kind)
    std::printf("  %-18s %9.3f ms %6.1f%%\n", kind.c_str(), v.first,
                p.total_ms > 0 ? 100.0 * v.first / p.total_ms : 0.0);
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double pos = p * (v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

int run_bench(const BenchArgs& a) {
  if (a.threads < 1 || a.threads > 256)
    return fail("--threads must be between 1 and 256 (got " + std::to_string(a.threads) + ")");
  if (a.warmup < 0) return fail("--warmup must be at least 0");
  if (a.runs < 1) return fail("--runs must be at least 1");
  if (a.batch < 1 || a.batch > 1024)
    return fail("--batch must be between 1 and 1024 (got " + std::to_string(a.batch) + ")");
  if (a.profile && a.batch != 1) return fail("--profile times one image per run: drop --batch");
  const double t0 = now_ms();
  auto precision = parse_precision(a.precision);
  if (!precision.ok()) return fail(precision.status().with_context("--precision"));
  auto clf = Classifier::load(a.model, {.threads = a.threads, .precision = *precision});
  if (!clf.ok()) return fail(clf.status());
  warn_if_slow_fp16(a.precision.c_str(), clf->isa());
  const double load_ms = now_ms() - t0;
  const size_t per_image = size_t{1} * clf->input_height() * clf->input_width() * 3;
  std::vector<float> input(per_image * a.batch);
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (float& v : input) v = u(rng);
  auto timed_run = [&]() -> Result<double> {
    const double s = now_ms();
    auto r = a.batch == 1 ? clf->run(input.data(), input.size())
                          : clf->run_batch(input.data(), a.batch, per_image);
    if (!r.ok()) return r.status();
    return now_ms() - s;
  };
  auto first = timed_run();
  if (!first.ok()) return fail(first.status());
  for (int i = 0; i < a.warmup; ++i) (void)timed_run();
  std::vector<double> times;
  for (int i = 0; i < a.runs; ++i) times.push_back(*timed_run());
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double peak_mb = ru.ru_maxrss / 1024.0;
  const double median = percentile(times, 0.5), p10 = percentile(times, 0.1),
               p90 = percentile(times, 0.9);
  const double images_per_s = 1000.0 * a.batch / median;
  Result<OpProfile> profile = OpProfile{};
  if (a.profile) {
    profile = profile_model(a, input);
    if (!profile.ok()) return fail(profile.status());
  }
  if (a.json) {
    nlohmann::json j = {{"model", a.model},     {"isa", clf->isa()},      {"threads", a.threads},
                        {"precision", a.precision},
                        {"runs", a.runs},       {"median_ms", median},    {"p10_ms", p10},
                        {"p90_ms", p90},        {"load_ms", load_ms},     {"first_ms", *first},
                        {"peak_rss_mb", peak_mb}};
    if (a.batch != 1) {
      j["batch"] = a.batch;
      j["images_per_s"] = images_per_s;
    }
    if (a.profile) j["profile"] = profile_json(*profile);
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("model      %s\n", a.model.c_str());
    std::printf("kernels    %s, %d thread(s)\n", clf->isa(), a.threads);
    std::printf("load       %.2f ms\n", load_ms);
    std::printf("first run  %.2f ms\n", *first);
    if (a.batch == 1) {
      std::printf("median     %.3f ms (p10 %.3f, p90 %.3f, %d runs after %d warm-up)\n", median,
                  p10, p90, a.runs, a.warmup);
    } else {
      std::printf("batch      %d images per run\n", a.batch);
      std::printf("median     %.3f ms per batch (p10 %.3f, p90 %.3f, %d runs after %d warm-up)\n",
                  median, p10, p90, a.runs, a.warmup);
      std::printf("throughput %.1f images/s\n", images_per_s);
    }
    std::printf("peak RSS   %.1f MB\n", peak_mb);
    if (a.profile) print_profile(*profile);
  }
  return 0;
}

}  // namespace

void register_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd =
      app.add_subcommand("bench", "Latency of full inference on one input (or --batch N inputs)");
  cmd->add_option("-m,--model", args->model, "Model (.tflite, float or INT8)")
      ->capture_default_str();
  cmd->add_option("-t,--threads", args->threads, "Threads")->capture_default_str();
  cmd->add_option("--precision", args->precision,
                  "fp32, or fp16 (float models; fast with AVX512-FP16)")
      ->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "Warm-up runs")->capture_default_str();
  cmd->add_option("--runs", args->runs, "Timed runs")->capture_default_str();
  cmd->add_option("--batch", args->batch,
                  "Images per timed run (1..1024); above 1, one image per thread at a time")
      ->capture_default_str();
  cmd->add_flag("--profile", args->profile,
                "Then time every op (median ms, share, GMAC/s) and sum by op kind");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args] { g_exit_code = run_bench(*args); });
}

}  // namespace elite::cli
