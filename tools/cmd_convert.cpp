// elite convert WEIGHTS [--model efficientnet-liteN] [--labels FILE] -o OUT.tflite
// WEIGHTS: PyTorch .pth (zip or legacy) or .safetensors with lukemelas or timm key names.
#include "commands.h"
#include "elite/elite.hpp"
#include "io/checkpoint/weights.h"
#include "io/tflite/tflite_writer.h"
#include "model/fold.h"
#include "model/pytorch_weights.h"

namespace elite::cli {
namespace {

struct ConvertArgs {
  std::string weights;
  std::string model;
  std::string labels;
  std::string output;
};

int run_convert(const ConvertArgs& a) {
  if (!a.model.empty()) {
    auto config = lite_config(a.model);
    if (!config.ok()) return fail(config.status());
  }
  auto weights = read_weights_file(a.weights);
  if (!weights.ok()) return fail(weights.status());
  auto model = model_from_pytorch_weights(*weights, a.model, a.weights);
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
  std::fprintf(stderr, "wrote %s (%s, %d classes%s)\n", a.output.c_str(), graph.name.c_str(),
               model->config.num_classes, graph.labels.empty() ? ", no labels" : ", with labels");
  return 0;
}

}  // namespace

void register_convert(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand("convert", "PyTorch/safetensors weights -> float .tflite");
  cmd->add_option("weights", args->weights, ".pth or .safetensors file")->required();
  cmd->add_option("--model", args->model, "efficientnet-lite0..lite4 (default: from the shapes)");
  cmd->add_option("--labels", args->labels, "Label names, one per line, stored in the file");
  cmd->add_option("-o,--output", args->output, "Output .tflite")->required();
  cmd->callback([args] { g_exit_code = run_convert(*args); });
}

}  // namespace elite::cli
