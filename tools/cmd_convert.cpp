// elite convert WEIGHTS [--model efficientnet-liteN] [--no-ema] [--labels FILE] -o OUT.tflite
// WEIGHTS: PyTorch .pth (zip or legacy) or .safetensors with lukemelas or timm key names, or
// an official TensorFlow checkpoint: a prefix (dir/model.ckpt), its .index or a data shard,
// a directory holding one, or the release efficientnet-liteN.tar.gz.
#include <filesystem>
#include <system_error>

#include "commands.h"
#include "elite/elite.hpp"
#include "io/checkpoint/tf_checkpoint.h"
#include "io/checkpoint/weights.h"
#include "io/tflite/tflite_writer.h"
#include "model/fold.h"
#include "model/pytorch_weights.h"
#include "model/tf_checkpoint_weights.h"

namespace elite::cli {
namespace {

struct ConvertArgs {
  std::string weights;
  std::string model;
  std::string labels;
  std::string output;
  bool no_ema = false;
};

// The model and a note on which weights were used ("" for PyTorch files).
Result<EfficientNetLite> load_model(const ConvertArgs& a, std::string* note) {
  std::error_code ec;
  if (!std::filesystem::exists(a.weights, ec) && !std::filesystem::exists(a.weights + ".index", ec))
    return Status::Error(a.weights + ": no such file or directory");
  if (ckpt::is_tf_checkpoint_path(a.weights)) {
    ckpt::TfReadOptions opts;
    opts.keep = is_tf_model_tensor;  // optimizer slots are never read
    ELITE_ASSIGN_OR_RETURN(ckpt::TfCheckpoint ck, ckpt::read_tf_checkpoint(a.weights, opts));
    ELITE_ASSIGN_OR_RETURN(TfModel m, model_from_tf_checkpoint(ck.weights, a.model, !a.no_ema, ck.source));
    *note = m.used_ema ? ", moving-average weights"
            : a.no_ema ? ", raw weights"
                       : ", raw weights: the checkpoint has no moving averages";
    return std::move(m.model);
  }
  if (a.no_ema)
    return Status::Error(a.weights + ": --no-ema applies to TensorFlow checkpoints only");
  ELITE_ASSIGN_OR_RETURN(WeightMap weights, read_weights_file(a.weights));
  return model_from_pytorch_weights(weights, a.model, a.weights);
}

int run_convert(const ConvertArgs& a) {
  if (!a.model.empty()) {
    auto config = lite_config(a.model);
    if (!config.ok()) return fail(config.status());
  }
  std::string note;
  auto model = load_model(a, &note);
  if (!model.ok()) return fail(model.status());
  Graph graph = fold_to_graph(*model);
  if (!a.labels.empty()) {
    auto labels = read_labels_file(a.labels);
    if (!labels.ok()) return fail(labels.status());
    if (static_cast<int>(labels->size()) != model->config.num_classes)
      return fail(a.labels + ": " + std::to_string(labels->size()) + " labels, but the model has " +
                  std::to_string(model->config.num_classes) + " classes");
    graph.labels = std::move(labels).value();
  }
  Status s = write_tflite_file(graph, a.output);
  if (!s.ok()) return fail(s);
  std::fprintf(stderr, "wrote %s (%s, %d classes%s%s)\n", a.output.c_str(), graph.name.c_str(),
               model->config.num_classes, graph.labels.empty() ? ", no labels" : ", with labels",
               note.c_str());
  return 0;
}

}  // namespace

void register_convert(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "PyTorch/safetensors weights or a TensorFlow checkpoint -> float .tflite");
  cmd->add_option("weights", args->weights,
                  ".pth or .safetensors file; or a TensorFlow checkpoint: prefix (dir/model.ckpt), "
                  "its .index, a directory holding one, or the release efficientnet-liteN.tar.gz")
      ->required();
  cmd->add_option("--model", args->model,
                  "efficientnet-lite0..lite4 (default: a TF checkpoint's variable scope, else the "
                  "shapes; must agree with the scope)");
  cmd->add_flag("--no-ema", args->no_ema,
                "TF checkpoints: use the raw variables instead of their moving averages "
                "(ExponentialMovingAverage shadows, used by default as the official eval does)");
  cmd->add_option("--labels", args->labels, "Label names, one per line, stored in the file");
  cmd->add_option("-o,--output", args->output, "Output .tflite")->required();
  cmd->callback([args] { g_exit_code = run_convert(*args); });
}

}  // namespace elite::cli
