// elite classify [-m MODEL] [--top-k K] [--labels FILE] [--threads N] [--preprocess NAME]
//                [--score-threshold X] [--allow NAMES | --deny NAMES] [--batch N]
//                [--json [--logits] | --ndjson] INPUT...
// INPUT is a JPEG or PNG file, a .npy float32 tensor already preprocessed ([1,H,W,3]), a
// directory (its .jpg .jpeg .png .npy files, any case, sorted, not recursive), or `-`
// (paths on stdin, one per line). With --batch N, N images are decoded in parallel and
// then run one by one: the same results as --batch 1.
//
// --allow / --deny take comma-separated class names (repeatable). A name selects every
// class whose label, or one of the label's comma-separated aliases, equals it ignoring
// case and surrounding spaces ("panda" selects both "giant panda, panda, ..." and "lesser
// panda, red panda, panda, ..."). An unknown name is an error. The filter applies before
// top-k and --score-threshold (which drops scores below X), as in MediaPipe.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "commands.h"
#include "elite/elite.hpp"
#include "eval/dataset.h"
#include "eval/prefetch.h"
#include "io/npy/npy.h"

namespace elite::cli {
namespace {

struct ClassifyArgs {
  std::string model = kDefaultModel;
  int top_k = 5;
  std::string labels;
  int threads = 1;
  std::string precision = "fp32";
  std::string preprocess = "official";
  float score_threshold = -1.0f;  // below 0: keep everything
  std::vector<std::string> allow, deny;
  int batch = 1;
  bool json = false;
  bool ndjson = false;
  bool logits = false;
  std::vector<std::string> images;
};

bool ends_with_ci(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i])
      return false;
  return true;
}

std::string normalize(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  std::string out = s.substr(b, e - b);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = s.find(',', start);
    const std::string part = normalize(s.substr(start, comma - start));
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

// Classes selected by the names in `lists` (see the file comment); error for an unknown name.
Result<std::vector<bool>> select_classes(const std::vector<std::string>& lists,
                                         const std::vector<std::string>& labels, int classes,
                                         const char* option) {
  std::vector<bool> selected(classes, false);
  for (const std::string& list : lists) {
    for (const std::string& name : split_commas(list)) {
      bool found = false;
      for (int c = 0; c < classes && c < static_cast<int>(labels.size()); ++c) {
        const std::vector<std::string> aliases = split_commas(labels[c]);
        if (normalize(labels[c]) == name ||
            std::find(aliases.begin(), aliases.end(), name) != aliases.end()) {
          selected[c] = true;
          found = true;
        }
      }
      if (!found)
        return Status::Error(std::string(option) + ": no class is named '" + name + "'" +
                             (labels.empty() ? " (the model has no label names)" : ""));
    }
  }
  return selected;
}

// Expands directories and `-`; problems (an empty directory) are reported and counted.
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs, int& errors) {
  static const std::vector<std::string> kExts = {".jpg", ".jpeg", ".png", ".npy"};
  std::vector<std::string> paths;
  for (const std::string& in : inputs) {
    if (in == "-") {
      std::string line;
      while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) paths.push_back(line);
      }
      continue;
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(in, ec)) {
      paths.push_back(in);
      continue;
    }
    auto files = list_files_with_ext(in, kExts);
    if (!files.ok()) {
      fail(files.status());
      ++errors;
    } else if (files->empty()) {
      fail(in + ": no images in the directory (.jpg, .jpeg, .png, .npy)");
      ++errors;
    } else {
      for (const std::string& f : *files) paths.push_back((std::filesystem::path(in) / f).string());
    }
  }
  return paths;
}

Result<std::vector<float>> load_input(const Classifier& clf, const std::string& path,
                                      Preprocess preprocess) {
  if (!ends_with_ci(path, ".npy")) return clf.preprocess_file(path, preprocess);
  ELITE_ASSIGN_OR_RETURN(FloatTensor t, read_npy(path));
  return std::move(t.data);
}

int run_classify(const ClassifyArgs& a) {
  if (a.top_k < 1) return fail("--top-k must be at least 1 (got " + std::to_string(a.top_k) + ")");
  if (a.threads < 1 || a.threads > 256)
    return fail("--threads must be between 1 and 256 (got " + std::to_string(a.threads) + ")");
  if (a.batch < 1 || a.batch > 4096)
    return fail("--batch must be between 1 and 4096 (got " + std::to_string(a.batch) + ")");
  auto pp = parse_preprocess(a.preprocess);
  if (!pp.ok()) return fail(pp.status().with_context("--preprocess"));
  auto precision = parse_precision(a.precision);
  if (!precision.ok()) return fail(precision.status().with_context("--precision"));
  auto clf = Classifier::load(a.model, {.threads = a.threads, .precision = *precision});
  if (!clf.ok()) return fail(clf.status());
  warn_if_slow_fp16(a.precision.c_str(), clf->isa());
  if (!a.labels.empty()) {
    auto labels = read_labels_file(a.labels);
    if (!labels.ok()) return fail(labels.status());
    Status s = clf->set_labels(std::move(labels).value());
    if (!s.ok()) return fail(s.with_context(a.labels));
  }
  // keep[c]: class c may be reported.
  std::vector<bool> keep(clf->num_classes(), true);
  if (!a.allow.empty() || !a.deny.empty()) {
    const bool allow = !a.allow.empty();
    auto sel = select_classes(allow ? a.allow : a.deny, clf->labels(), clf->num_classes(),
                              allow ? "--allow" : "--deny");
    if (!sel.ok()) return fail(sel.status());
    for (int c = 0; c < clf->num_classes(); ++c) keep[c] = allow ? (*sel)[c] : !(*sel)[c];
  }

  int errors = 0;
  const std::vector<std::string> paths = expand_inputs(a.images, errors);
  const Classifier& cclf = *clf;
  const Preprocess preprocess = *pp;
  const int workers =
      std::min(a.batch, std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  nlohmann::json out = nlohmann::json::array();
  const auto dump = [](const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  for (size_t begin = 0; begin < paths.size(); begin += a.batch) {
    const size_t n = std::min(paths.size() - begin, static_cast<size_t>(a.batch));
    OrderedPrefetch<Result<std::vector<float>>> batch(
        n, workers, n, [&](size_t i) { return load_input(cclf, paths[begin + i], preprocess); });
    for (size_t i = 0; i < n; ++i) {
      const std::string& path = paths[begin + i];
      Result<std::vector<float>> x = batch.take(i);
      if (!x.ok()) {
        fail(x.status());
        ++errors;
        continue;
      }
      auto probs = clf->run(x->data(), x->size());
      if (!probs.ok()) {
        fail(probs.status().with_context(path));
        ++errors;
        continue;
      }
      std::vector<Prediction> top;
      for (Prediction& p : clf->top_k(*probs, clf->num_classes())) {
        if (static_cast<int>(top.size()) == a.top_k) break;
        if (keep[p.index] && p.score >= a.score_threshold) top.push_back(std::move(p));
      }
      if (a.json || a.ndjson) {
        nlohmann::json entry = {{"image", path}, {"top", nlohmann::json::array()}};
        for (const Prediction& p : top)
          entry["top"].push_back({{"index", p.index}, {"label", p.label}, {"score", p.score}});
        if (a.logits) entry["logits"] = clf->logits();
        if (a.ndjson) {
          std::printf("%s\n", dump(entry).c_str());
          std::fflush(stdout);
        } else {
          out.push_back(std::move(entry));
        }
      } else {
        std::printf("%s\n", path.c_str());
        for (size_t r = 0; r < top.size(); ++r)
          std::printf("  %zu  %.4f  %4d  %s\n", r + 1, top[r].score, top[r].index,
                      top[r].label.c_str());
      }
    }
  }
  if (a.json) std::printf("%s\n", dump(out).c_str());
  if (paths.empty() && errors == 0) return fail("no images given (stdin was empty)");
  return errors ? 1 : 0;
}

}  // namespace

void register_classify(CLI::App& app) {
  auto args = std::make_shared<ClassifyArgs>();
  CLI::App* cmd = app.add_subcommand("classify", "Top-k classes of images (JPEG, PNG or .npy)");
  cmd->add_option("-m,--model", args->model, "Float .tflite model")->capture_default_str();
  cmd->add_option("-k,--top-k", args->top_k, "How many classes to print")->capture_default_str();
  cmd->add_option("--labels", args->labels, "Label names, one per line (overrides the model's)");
  cmd->add_option("-t,--threads", args->threads, "Threads")->capture_default_str();
  cmd->add_option("--precision", args->precision,
                  "fp32, or fp16 (float models; fast with AVX512-FP16)")
      ->capture_default_str();
  cmd->add_option("--preprocess", args->preprocess, "official, tflite-eval or mediapipe")
      ->capture_default_str();
  cmd->add_option("--score-threshold", args->score_threshold,
                  "Drop predictions scoring below this");
  auto* allow = cmd->add_option("--allow", args->allow,
                                "Only these classes (comma-separated label names or aliases)");
  auto* deny = cmd->add_option("--deny", args->deny,
                               "Never these classes (comma-separated label names or aliases)");
  allow->excludes(deny);
  deny->excludes(allow);
  cmd->add_option("--batch", args->batch, "Decode N images in parallel")->capture_default_str();
  auto* json = cmd->add_flag("--json", args->json, "Print one JSON array");
  auto* ndjson = cmd->add_flag("--ndjson", args->ndjson, "Print one JSON object per line per image");
  json->excludes(ndjson);
  ndjson->excludes(json);
  cmd->add_flag("--logits", args->logits, "With --json/--ndjson: include the pre-softmax logits");
  cmd->add_option("images", args->images,
                  "Image files, .npy tensors, directories, or - (paths on stdin)")
      ->required();
  cmd->callback([args] { g_exit_code = run_classify(*args); });
}

}  // namespace elite::cli
