// elite classify [-m MODEL] [--top-k K] [--labels FILE] [--threads N] [--json] [--logits] IMAGE...
// IMAGE is a JPEG or PNG file, or a .npy float32 tensor already preprocessed ([1,H,W,3]).
#include <nlohmann/json.hpp>

#include "commands.h"
#include "elite/elite.hpp"
#include "io/npy/npy.h"

namespace elite::cli {
namespace {

struct ClassifyArgs {
  std::string model = kDefaultModel;
  int top_k = 5;
  std::string labels;
  int threads = 1;
  bool json = false;
  bool logits = false;
  std::vector<std::string> images;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<std::vector<float>> classify_one(Classifier& clf, const std::string& path) {
  if (!ends_with(path, ".npy")) return clf.run_file(path);
  ELITE_ASSIGN_OR_RETURN(FloatTensor t, read_npy(path));
  auto probs = clf.run(t.data.data(), t.data.size());
  if (!probs.ok()) return probs.status().with_context(path);
  return probs;
}

int run_classify(const ClassifyArgs& a) {
  if (a.top_k < 1) return fail("--top-k must be at least 1 (got " + std::to_string(a.top_k) + ")");
  if (a.threads < 1 || a.threads > 256)
    return fail("--threads must be between 1 and 256 (got " + std::to_string(a.threads) + ")");
  auto clf = Classifier::load(a.model, {.threads = a.threads});
  if (!clf.ok()) return fail(clf.status());
  if (!a.labels.empty()) {
    auto labels = read_labels_file(a.labels);
    if (!labels.ok()) return fail(labels.status());
    Status s = clf->set_labels(std::move(labels).value());
    if (!s.ok()) return fail(s.with_context(a.labels));
  }
  nlohmann::json out = nlohmann::json::array();
  int errors = 0;
  for (const std::string& path : a.images) {
    auto probs = classify_one(*clf, path);
    if (!probs.ok()) {
      fail(probs.status());
      ++errors;
      continue;
    }
    const auto top = clf->top_k(*probs, a.top_k);
    if (a.json) {
      nlohmann::json entry = {{"image", path}, {"top", nlohmann::json::array()}};
      for (const Prediction& p : top)
        entry["top"].push_back({{"index", p.index}, {"label", p.label}, {"score", p.score}});
      if (a.logits) entry["logits"] = clf->logits();
      out.push_back(std::move(entry));
    } else {
      std::printf("%s\n", path.c_str());
      for (size_t r = 0; r < top.size(); ++r)
        std::printf("  %zu  %.4f  %4d  %s\n", r + 1, top[r].score, top[r].index,
                    top[r].label.c_str());
    }
  }
  if (a.json) std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
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
  cmd->add_flag("--json", args->json, "Print one JSON array");
  cmd->add_flag("--logits", args->logits, "With --json: include the pre-softmax logits");
  cmd->add_option("images", args->images, "Image files")->required();
  cmd->callback([args] { g_exit_code = run_classify(*args); });
}

}  // namespace elite::cli
