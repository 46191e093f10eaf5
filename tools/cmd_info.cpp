// elite info NAME|FILE.tflite [--layers] [--json]: input size, parameters, multiply-adds.
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "io/tflite/tflite_reader.h"
#include "model/config.h"
#include "model/efficientnet.h"
#include "model/fold.h"
#include "model/stats.h"

namespace elite::cli {
namespace {

struct InfoArgs {
  std::string model;
  bool layers = false;
  bool json = false;
};

std::string dims(const std::vector<int>& s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "x" : "") + std::to_string(s[i]);
  return r;
}

// "NHWC float32, (x - 127) / 128" or "NHWC uint8, real = 0.0078125 * (q - 127)".
std::string lower_dtype(DType d) {
  std::string r = dtype_name(d);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::string tensor_form(const TensorDesc& t, bool is_input) {
  std::string r = std::string(t.shape.size() == 4 ? "NHWC " : "") + lower_dtype(t.dtype);
  if (t.dtype == DType::kFloat32) return r + (is_input ? ", (x - 127) / 128" : "");
  if (t.quant.scale.size() == 1 && t.quant.zero_point.size() == 1) {
    char buf[96];
    std::snprintf(buf, sizeof buf, ", real = %.9g * (q - %lld)", t.quant.scale[0],
                  static_cast<long long>(t.quant.zero_point[0]));
    r += buf;
  }
  return r;
}

// The arithmetic the file runs in: int8 when any op carries quantized weights.
const char* precision_of(const Graph& g) {
  for (const Op& op : g.ops)
    if (!op.qweights.empty()) return "int8";
  return "float32";
}

// 385187552 -> "385,187,552"
std::string grouped(int64_t v) {
  std::string s = std::to_string(v), r;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) r += ',';
    r += s[i];
  }
  return r;
}

int run_info(const InfoArgs& a) {
  Graph graph;
  int64_t trainable = -1;  // known only when built from the definition
  if (std::filesystem::exists(a.model) || a.model.find(".tflite") != std::string::npos) {
    auto g = read_tflite_file(a.model);
    if (!g.ok()) return fail(g.status());
    graph = std::move(g).value();
  } else {
    auto config = lite_config(a.model);
    if (!config.ok()) return fail(config.status());
    const EfficientNetLite model = build_efficientnet_lite(*config);
    trainable = trainable_parameter_count(model);
    graph = fold_to_graph(model);
  }
  const ModelStats st = compute_stats(graph);
  const auto& in = graph.tensors[graph.input].shape;
  const int input_size = in.size() == 4 ? in[1] : 0;
  const std::string name = graph.name.empty() ? a.model : graph.name;
  if (a.json) {
    nlohmann::json j = {{"model", name},
                        {"input_size", input_size},
                        {"input_dtype", lower_dtype(graph.tensors[graph.input].dtype)},
                        {"output_dtype", lower_dtype(graph.tensors[graph.output].dtype)},
                        {"precision", precision_of(graph)},
                        {"params", st.params},
                        {"madds", st.madds}};
    if (trainable >= 0) j["trainable_params"] = trainable;
    if (a.layers) {
      j["layers"] = nlohmann::json::array();
      for (const LayerStats& l : st.layers)
        j["layers"].push_back({{"op", l.op}, {"name", l.name}, {"input", l.input_shape},
                               {"output", l.output_shape}, {"params", l.params},
                               {"madds", l.madds}});
    }
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("model:        %s\n", name.c_str());
  std::printf("precision:    %s\n", precision_of(graph));
  std::printf("input:        %s (%s)\n", dims(in).c_str(),
              tensor_form(graph.tensors[graph.input], true).c_str());
  std::printf("output:       %s (%s)\n", dims(graph.tensors[graph.output].shape).c_str(),
              tensor_form(graph.tensors[graph.output], false).c_str());
  std::printf("classes:      %lld\n",
              static_cast<long long>(graph.tensors[graph.output].numel()));
  std::printf("params:       %s (BN folded, as in .tflite)\n", grouped(st.params).c_str());
  if (trainable >= 0)
    std::printf("trainable:    %s (BN gamma/beta unfolded)\n", grouped(trainable).c_str());
  std::printf("multiply-adds: %s (conv, depthwise, fully connected)\n", grouped(st.madds).c_str());
  if (a.layers) {
    std::printf("\n%-4s %-18s %-22s %-14s %-14s %3s %3s %12s %15s\n", "#", "op", "name", "input",
                "output", "k", "s", "params", "madds");
    for (size_t i = 0; i < st.layers.size(); ++i) {
      const LayerStats& l = st.layers[i];
      std::printf("%-4zu %-18s %-22s %-14s %-14s %3s %3s %12s %15s\n", i, l.op.c_str(),
                  l.name.c_str(), dims(l.input_shape).c_str(), dims(l.output_shape).c_str(),
                  l.kernel ? std::to_string(l.kernel).c_str() : "",
                  l.stride ? std::to_string(l.stride).c_str() : "", grouped(l.params).c_str(),
                  grouped(l.madds).c_str());
    }
  }
  return 0;
}

}  // namespace

void register_info(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand("info", "Input size, parameters and multiply-adds of a model");
  cmd->add_option("model", args->model, "efficientnet-lite0..lite4 or a .tflite file")->required();
  cmd->add_flag("--layers", args->layers, "Print a table per layer");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args] { g_exit_code = run_info(*args); });
}

}  // namespace elite::cli
