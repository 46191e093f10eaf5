// elite eval -m MODEL --images DIR [--ground-truth FILE] [--synsets FILE] [--num-images N]
//            [--threads N] [--decode-threads N] [--preprocess NAME] [--json OUT]
//            [--per-class OUT.csv]
// ImageNet-style top-1 / top-5 accuracy. Labels come from a ground-truth file, synset
// sub-folders or synset file-name prefixes (src/eval/dataset.h). Decoding and
// preprocessing run on --decode-threads worker threads ahead of the model
// (src/eval/prefetch.h); each image's result is independent of both thread counts.
// An unreadable image is counted and listed, not fatal.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "elite/elite.hpp"
#include "eval/accuracy.h"
#include "eval/dataset.h"
#include "eval/prefetch.h"

namespace elite::cli {
namespace {

struct EvalArgs {
  std::string model = kDefaultModel;
  std::string images;
  std::string ground_truth;
  std::string synsets = "models/imagenet_synsets.txt";
  int num_images = 0;
  int threads = 1;
  std::string precision = "fp32";
  int decode_threads = 0;  // 0: default, max(1, threads - 1)
  std::string preprocess = "official";
  std::string json;
  std::string per_class;
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Prepared {
  Result<std::vector<float>> tensor = Status::Error("not run");
  double seconds = 0;
};

void progress(size_t done, size_t total, double elapsed) {
  constexpr int kWidth = 30;
  const int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
  std::fprintf(stderr, "\r[%.*s%*s] %zu/%zu  %.1f img/s ", filled,
               "##############################", kWidth - filled, "", done, total,
               elapsed > 0 ? done / elapsed : 0.0);
  std::fflush(stderr);
}

int run_eval(const EvalArgs& a) {
  if (a.threads < 1 || a.threads > 256)
    return fail("--threads must be between 1 and 256 (got " + std::to_string(a.threads) + ")");
  if (a.decode_threads < 0 || a.decode_threads > 256)
    return fail("--decode-threads must be between 1 and 256 (got " +
                std::to_string(a.decode_threads) + ")");
  if (a.num_images < 0)
    return fail("--num-images must be positive (got " + std::to_string(a.num_images) + ")");
  auto pp = parse_preprocess(a.preprocess);
  if (!pp.ok()) return fail(pp.status().with_context("--preprocess"));
  auto precision = parse_precision(a.precision);
  if (!precision.ok()) return fail(precision.status().with_context("--precision"));
  auto clf = Classifier::load(a.model, {.threads = a.threads, .precision = *precision});
  if (!clf.ok()) return fail(clf.status());
  warn_if_slow_fp16(a.precision.c_str(), clf->isa());
  auto synsets = read_synsets_file(a.synsets);
  if (!synsets.ok()) return fail(synsets.status());
  if (static_cast<int>(synsets->size()) != clf->num_classes())
    return fail(a.synsets + ": " + std::to_string(synsets->size()) + " synsets, but " + a.model +
                " has " + std::to_string(clf->num_classes()) + " classes");
  auto ds = resolve_dataset(a.images, a.ground_truth, *synsets, clf->num_classes());
  if (!ds.ok()) return fail(ds.status());
  std::vector<LabeledImage> images = std::move(ds->images);
  if (a.num_images > 0 && static_cast<size_t>(a.num_images) < images.size())
    images.resize(a.num_images);

  // With --json -, stdout carries only the JSON; the summary goes to stderr.
  FILE* out = a.json == "-" ? stderr : stdout;
  const int decoders = a.decode_threads > 0 ? a.decode_threads : std::max(1, a.threads - 1);
  std::fprintf(out, "model       %s (%s, %dx%d, %s, %d inference threads)\n", a.model.c_str(),
              clf->model_name().empty() ? "unnamed" : clf->model_name().c_str(),
              clf->input_height(), clf->input_width(), clf->isa(), clf->threads());
  std::fprintf(out, "images      %s: %zu, labels from %s\n", a.images.c_str(), images.size(),
              label_source_name(ds->source));
  std::fprintf(out, "preprocess  %s (%s), %d decode threads\n", preprocess_name(*pp),
              preprocess_description(*pp), decoders);
  std::fflush(out);

  const Classifier& cclf = *clf;
  const Preprocess preprocess = *pp;
  const bool tty = isatty(fileno(stderr));
  AccuracyCounter acc(clf->num_classes());
  std::vector<std::pair<std::string, std::string>> unreadable;
  double pre_s = 0, infer_s = 0;
  const Clock::time_point t0 = Clock::now();
  {
    OrderedPrefetch<Prepared> queue(images.size(), decoders, size_t(2) * decoders + 2,
                                    [&](size_t i) {
                                      Prepared p;
                                      const Clock::time_point s = Clock::now();
                                      p.tensor = cclf.preprocess_file(images[i].path, preprocess);
                                      p.seconds = seconds_since(s);
                                      return p;
                                    });
    for (size_t i = 0; i < images.size(); ++i) {
      Prepared p = queue.take(i);
      pre_s += p.seconds;
      if (!p.tensor.ok()) {
        unreadable.emplace_back(images[i].path, p.tensor.status().message());
      } else {
        const Clock::time_point s = Clock::now();
        auto probs = clf->run(p.tensor->data(), p.tensor->size());
        infer_s += seconds_since(s);
        if (!probs.ok())
          unreadable.emplace_back(images[i].path, probs.status().message());
        else
          acc.add(images[i].label, *probs);
      }
      if (tty && (i % 4 == 3 || i + 1 == images.size()))
        progress(i + 1, images.size(), seconds_since(t0));
    }
  }
  const double wall = seconds_since(t0);
  if (tty) std::fprintf(stderr, "\n");

  for (const auto& [path, message] : unreadable)
    std::fprintf(stderr, "elite: warning: skipped %s\n", message.c_str());
  const int64_t n = acc.count();
  const double ips = wall > 0 ? n / wall : 0.0;
  std::fprintf(out, "top-1       %.2f%%  (%lld/%lld)\n", 100 * acc.top1(),
              static_cast<long long>(acc.top1_correct()), static_cast<long long>(n));
  std::fprintf(out, "top-5       %.2f%%  (%lld/%lld)\n", 100 * acc.top5(),
              static_cast<long long>(acc.top5_correct()), static_cast<long long>(n));
  std::fprintf(out, "unreadable  %zu\n", unreadable.size());
  for (const auto& u : unreadable) std::fprintf(out, "  %s\n", u.first.c_str());
  std::fprintf(out, "speed       %.1f images/s; mean preprocessing %.1f ms, inference %.1f ms\n", ips,
              images.empty() ? 0.0 : 1e3 * pre_s / images.size(), n ? 1e3 * infer_s / n : 0.0);
  std::fflush(out);

  if (!a.json.empty()) {
    nlohmann::json j = {{"top1", acc.top1()},
                        {"top5", acc.top5()},
                        {"n", n},
                        {"top1_correct", acc.top1_correct()},
                        {"top5_correct", acc.top5_correct()},
                        {"model", a.model},
                        {"model_name", clf->model_name()},
                        {"images", a.images},
                        {"label_source", label_source_name(ds->source)},
                        {"preprocess", preprocess_name(preprocess)},
                        {"threads", clf->threads()},
                        {"precision", a.precision},
                        {"isa", clf->isa()},
                        {"decode_threads", decoders},
                        {"images_per_s", ips},
                        {"mean_preprocess_ms", images.empty() ? 0.0 : 1e3 * pre_s / images.size()},
                        {"mean_inference_ms", n ? 1e3 * infer_s / n : 0.0},
                        {"unreadable", nlohmann::json::array()}};
    for (const auto& [path, message] : unreadable)
      j["unreadable"].push_back({{"image", path}, {"error", message}});
    const std::string text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    if (a.json == "-") {
      std::printf("%s\n", text.c_str());
    } else {
      std::ofstream f(a.json);
      f << text << "\n";
      f.close();
      if (!f) return fail(a.json + ": cannot write file");
    }
  }
  if (!a.per_class.empty()) {
    Status s = acc.write_per_class_csv(a.per_class, *synsets, clf->labels());
    if (!s.ok()) return fail(s);
  }
  if (n == 0) return fail(a.images + ": none of the " + std::to_string(images.size()) +
                          " images could be read");
  return 0;
}

}  // namespace

void register_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Top-1 / top-5 accuracy on a labelled image folder");
  cmd->add_option("-m,--model", args->model, "Float .tflite model")->capture_default_str();
  cmd->add_option("--images", args->images,
                  "Image folder: synset sub-folders, or files named <synset>_*.JPEG, or "
                  "any names with --ground-truth")
      ->required();
  cmd->add_option("--ground-truth", args->ground_truth,
                  "Labels: one class index or synset per line for the images in sorted "
                  "order, or a CSV of file,label");
  cmd->add_option("--synsets", args->synsets, "The synsets in class order, one per line")
      ->capture_default_str();
  cmd->add_option("-n,--num-images", args->num_images, "Only the first N images (0: all)");
  cmd->add_option("-t,--threads", args->threads, "Inference threads")->capture_default_str();
  cmd->add_option("--precision", args->precision,
                  "fp32, or fp16 (float models; fast with AVX512-FP16)")
      ->capture_default_str();
  cmd->add_option("--decode-threads", args->decode_threads,
                  "Decode/preprocess threads (default: max(1, threads - 1))");
  cmd->add_option("--preprocess", args->preprocess, "official, tflite-eval or mediapipe")
      ->capture_default_str();
  cmd->add_option("--json", args->json, "Write the results as JSON to this file ('-': stdout)");
  cmd->add_option("--per-class", args->per_class, "Write per-class accuracy as CSV");
  cmd->callback([args] { g_exit_code = run_eval(*args); });
}

}  // namespace elite::cli
