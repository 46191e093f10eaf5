// elite bench -m MODEL [--threads N] [--warmup N] [--runs N] [--json]
// Times full inference on a preprocessed input: load, first run, then median/p10/p90.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>

#include "commands.h"
#include "elite/elite.hpp"

namespace elite::cli {
namespace {

struct BenchArgs {
  std::string model = kDefaultModel;
  int threads = 1;
  int warmup = 5;
  int runs = 50;
  bool json = false;
};

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
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
  const double t0 = now_ms();
  auto clf = Classifier::load(a.model, {.threads = a.threads});
  if (!clf.ok()) return fail(clf.status());
  const double load_ms = now_ms() - t0;
  std::vector<float> input(size_t{1} * clf->input_height() * clf->input_width() * 3);
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (float& v : input) v = u(rng);
  auto timed_run = [&]() -> Result<double> {
    const double s = now_ms();
    auto r = clf->run(input.data(), input.size());
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
  if (a.json) {
    nlohmann::json j = {{"model", a.model},     {"isa", clf->isa()},      {"threads", a.threads},
                        {"runs", a.runs},       {"median_ms", median},    {"p10_ms", p10},
                        {"p90_ms", p90},        {"load_ms", load_ms},     {"first_ms", *first},
                        {"peak_rss_mb", peak_mb}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("model      %s\n", a.model.c_str());
    std::printf("kernels    %s, %d thread(s)\n", clf->isa(), a.threads);
    std::printf("load       %.2f ms\n", load_ms);
    std::printf("first run  %.2f ms\n", *first);
    std::printf("median     %.3f ms (p10 %.3f, p90 %.3f, %d runs after %d warm-up)\n", median,
                p10, p90, a.runs, a.warmup);
    std::printf("peak RSS   %.1f MB\n", peak_mb);
  }
  return 0;
}

}  // namespace

void register_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Latency of full inference on one input");
  cmd->add_option("-m,--model", args->model, "Float .tflite model")->capture_default_str();
  cmd->add_option("-t,--threads", args->threads, "Threads")->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "Warm-up runs")->capture_default_str();
  cmd->add_option("--runs", args->runs, "Timed runs")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args] { g_exit_code = run_bench(*args); });
}

}  // namespace elite::cli
