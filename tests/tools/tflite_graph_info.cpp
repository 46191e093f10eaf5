// Test-only: reads a .tflite with read_tflite_file and prints the Graph as JSON.
//   tflite_graph_info MODEL.tflite                 -> JSON on stdout
//   tflite_graph_info MODEL.tflite --run IN OUT    -> also runs it with elite::Executor:
//        IN holds the input as raw float32 (NHWC), OUT receives the output as raw float32
//   tflite_graph_info MODEL.tflite --write OUT     -> also writes the Graph back out with
//        write_tflite_file (so the TFLite runtime can check our writer on foreign graphs)
//   tflite_graph_info MODEL.tflite --values        -> also prints INT8 ops' qweights and qbias
// Tensors carry "dtype" and, when quantized, "quant": {scale, zero_point, axis}; INT8 ops
// carry "weight_quant" (and with --values "qweights", "qbias").
// Exit code 1 and the reader's message on stderr when the file is rejected.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/tflite/tflite_reader.h"
#include "io/tflite/tflite_writer.h"
#include "runtime/executor.h"

using namespace elite;

namespace {

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kRelu: return "RELU";
    case Activation::kRelu6: return "RELU6";
    case Activation::kNone: break;
  }
  return "NONE";
}

nlohmann::json quant_json(const QuantParams& q) {
  // Scales go out as doubles holding the float exactly: a reader can compare bit for bit.
  std::vector<double> scale(q.scale.begin(), q.scale.end());
  return {{"scale", scale}, {"zero_point", q.zero_point}, {"axis", q.axis}};
}

nlohmann::json to_json(const Graph& g, bool values) {
  nlohmann::json j;
  j["name"] = g.name;
  j["labels"] = g.labels;
  j["input"] = g.input;
  j["output"] = g.output;
  j["tensors"] = nlohmann::json::array();
  for (const TensorDesc& t : g.tensors) {
    nlohmann::json tj = {{"name", t.name}, {"shape", t.shape}, {"dtype", dtype_name(t.dtype)}};
    if (!t.quant.empty()) tj["quant"] = quant_json(t.quant);
    j["tensors"].push_back(tj);
  }
  j["ops"] = nlohmann::json::array();
  for (const Op& op : g.ops) {
    nlohmann::json o = {{"kind", op_kind_name(op.kind)}, {"inputs", op.inputs},
                        {"output", op.output}, {"activation", activation_name(op.activation)}};
    if (op.kind == OpKind::kConv2D || op.kind == OpKind::kDepthwiseConv2D) {
      o["kernel"] = {op.kernel_h, op.kernel_w};
      o["stride"] = {op.stride_h, op.stride_w};
      o["padding"] = op.padding == Padding::kSame ? "SAME" : "VALID";
    }
    if (!op.weights.shape.empty()) o["weights_shape"] = op.weights.shape;
    if (!op.bias.shape.empty()) o["bias_shape"] = op.bias.shape;
    if (!op.weight_quant.empty()) o["weight_quant"] = quant_json(op.weight_quant);
    if (values && !op.qweights.empty()) o["qweights"] = op.qweights;
    if (values && !op.qbias.empty()) o["qbias"] = op.qbias;
    if (op.kind == OpKind::kSoftmax) o["beta"] = op.beta;
    if (op.kind == OpKind::kPad) o["pads"] = {op.pads[0], op.pads[1], op.pads[2], op.pads[3]};
    j["ops"].push_back(o);
  }
  return j;
}

int run(const Graph& g, const std::string& in_path, const std::string& out_path) {
  const size_t in_n = static_cast<size_t>(g.tensors[g.input].numel());
  const size_t out_n = static_cast<size_t>(g.tensors[g.output].numel());
  std::vector<float> in(in_n), out(out_n);
  std::ifstream f(in_path, std::ios::binary);
  if (!f.read(reinterpret_cast<char*>(in.data()), static_cast<std::streamsize>(in_n * 4))) {
    std::fprintf(stderr, "tflite_graph_info: cannot read %zu floats from %s\n", in_n, in_path.c_str());
    return 1;
  }
  auto exec = Executor::create(g, ExecutorOptions{});
  if (!exec.ok()) {
    std::fprintf(stderr, "tflite_graph_info: %s\n", exec.status().message().c_str());
    return 1;
  }
  Status s = exec.value()->run(in.data(), in.size(), out.data(), out.size());
  if (!s.ok()) {
    std::fprintf(stderr, "tflite_graph_info: %s\n", s.message().c_str());
    return 1;
  }
  std::ofstream o(out_path, std::ios::binary | std::ios::trunc);
  o.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out_n * 4));
  return o ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, run_in, run_out, write_out;
  bool bad = false, values = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--run") && i + 2 < argc) {
      run_in = argv[++i];
      run_out = argv[++i];
    } else if (!std::strcmp(argv[i], "--write") && i + 1 < argc) {
      write_out = argv[++i];
    } else if (!std::strcmp(argv[i], "--values")) {
      values = true;
    } else if (model.empty() && argv[i][0] != '-') {
      model = argv[i];
    } else {
      bad = true;
    }
  }
  if (bad || model.empty()) {
    std::fprintf(stderr,
                 "usage: tflite_graph_info MODEL.tflite [--run IN.f32 OUT.f32] [--write OUT] "
                 "[--values]\n");
    return 2;
  }
  Result<Graph> g = read_tflite_file(model);
  if (!g.ok()) {
    std::fprintf(stderr, "%s\n", g.status().message().c_str());
    return 1;
  }
  if (!write_out.empty()) {
    Status s = write_tflite_file(g.value(), write_out);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return 1;
    }
  }
  if (!run_in.empty()) {
    int rc = run(g.value(), run_in, run_out);
    if (rc) return rc;
  }
  std::cout << to_json(g.value(), values).dump(1) << "\n";
  return 0;
}
