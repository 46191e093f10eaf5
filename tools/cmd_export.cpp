// elite export -m MODEL.tflite -o MODEL.onnx [--layout nhwc|nchw] [--opset N] [--batch N]
// Float .tflite -> float ONNX (io/onnx/onnx_writer.h): same input and output names, the
// input [N,H,W,3] (nhwc, transposed inside) or [N,3,H,W] (nchw), the output the softmax
// probabilities [N,classes]; N symbolic unless --batch fixes it.
#include <chrono>
#include <filesystem>

#include "commands.h"
#include "io/onnx/onnx_writer.h"
#include "io/tflite/tflite_reader.h"

namespace elite::cli {
namespace {

struct ExportArgs {
  std::string model = kDefaultModel;
  std::string output;
  std::string layout = "nhwc";
  int opset = kOnnxMinOpset;
  int batch = 0;
};

int run_export(const ExportArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  OnnxExportOptions opt;
  if (a.layout == "nhwc")
    opt.layout = OnnxLayout::kNhwc;
  else if (a.layout == "nchw")
    opt.layout = OnnxLayout::kNchw;
  else
    return fail("--layout must be nhwc or nchw, got '" + a.layout + "'");
  if (a.opset < kOnnxMinOpset || a.opset > kOnnxMaxOpset)
    return fail("--opset must be between " + std::to_string(kOnnxMinOpset) + " and " +
                std::to_string(kOnnxMaxOpset) + ", got " + std::to_string(a.opset));
  if (a.batch < 0) return fail("--batch must be 0 (symbolic N) or a positive batch size");
  opt.opset = a.opset;
  opt.batch = a.batch;
  std::error_code ec;
  if (std::filesystem::equivalent(a.model, a.output, ec))
    return fail(a.output + ": is the input model; refusing to overwrite it");

  auto graph = read_tflite_file(a.model);
  if (!graph.ok()) return fail(graph.status());
  Status s = write_onnx_file(*graph, a.output, opt);
  if (!s.ok()) {
    // Problems of the graph itself are about the model file; write errors name the output.
    const std::string& m = s.message();
    return fail(m.rfind("cannot write ", 0) == 0 ? m : a.model + ": " + m);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::vector<int>& in = graph->tensors[graph->input].shape;  // [1,H,W,C]
  const std::string n = opt.batch ? std::to_string(opt.batch) : "N";
  const std::string h = std::to_string(in[1]), w = std::to_string(in[2]), c = std::to_string(in[3]);
  const std::string shape = opt.layout == OnnxLayout::kNhwc
                                ? "[" + n + "," + h + "," + w + "," + c + "]"
                                : "[" + n + "," + c + "," + h + "," + w + "]";
  std::fprintf(stderr, "wrote %s (%s, input '%s' %s %s, opset %d, %.1f MB%s) in %.2f s\n",
               a.output.c_str(), graph->name.empty() ? "unnamed graph" : graph->name.c_str(),
               graph->tensors[graph->input].name.c_str(), a.layout.c_str(), shape.c_str(),
               opt.opset, std::filesystem::file_size(a.output, ec) / 1e6,
               graph->labels.empty() ? ", no labels" : ", with labels", secs);
  return 0;
}

}  // namespace

void register_export(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand("export", "Float .tflite -> float ONNX");
  cmd->add_option("-m,--model", args->model, "Float .tflite model")->capture_default_str();
  cmd->add_option("-o,--output", args->output, "Output .onnx")->required();
  cmd->add_option("--layout", args->layout,
                  "Input layout: nhwc ([N,H,W,3], transposed inside) or nchw ([N,3,H,W])")
      ->capture_default_str();
  cmd->add_option(
         "--opset", args->opset,
         "ONNX opset, " + std::to_string(kOnnxMinOpset) + ".." + std::to_string(kOnnxMaxOpset))
      ->capture_default_str();
  cmd->add_option("--batch", args->batch, "Fixed batch size (default 0: symbolic N)")
      ->capture_default_str();
  cmd->callback([args] { g_exit_code = run_export(*args); });
}

}  // namespace elite::cli
