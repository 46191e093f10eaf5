// Test-only program: runs one INT8 reference kernel on a single op described in JSON, for
// tests/python/test_qs8_ops.py, which compares the result with LiteRT (BUILTIN_REF).
//
// Usage: qs8_op_runner IN.json OUT.json
// IN.json (all quantization values as TFLite stores them; floats as decimal doubles that
// round-trip the float32 values exactly):
//   {"op": "conv2d" | "depthwise_conv2d" | "fully_connected" | "add" | "mean" | "softmax"
//          | "quantize" | "dequantize",
//    "input": [...], "input_shape": [1,H,W,C] (or [1,K] / [1,N]), "input_dtype": "int8" |
//    "uint8" | "float32", "input_scale": s, "input_zero_point": z,
//    "output_shape": [...], "output_dtype": ..., "output_scale": s, "output_zero_point": z,
//    conv2d / depthwise_conv2d / fully_connected:
//      "weights": [...], "weight_shape": OHWI | [1,kh,kw,C] | [N,K],
//      "weight_scales": [...], "weight_zero_points": [...], "bias": [...] (may be absent),
//      "stride": [sh, sw], "padding": "SAME" | "VALID", "activation": "NONE"|"RELU"|"RELU6",
//    add: "input2": [...], "input2_scale", "input2_zero_point", "activation",
//    softmax: "beta"}
// OUT.json: {"output": [...]} (ints, or floats for dequantize).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/qs8_kernels.h"
#include "model/graph.h"
#include "quant/requantize.h"

using nlohmann::json;
using namespace elite;

namespace {

Activation parse_activation(const json& j) {
  const std::string a = j.value("activation", "NONE");
  if (a == "NONE") return Activation::kNone;
  if (a == "RELU") return Activation::kRelu;
  if (a == "RELU6") return Activation::kRelu6;
  throw std::runtime_error("unknown activation " + a);
}

template <typename T>
std::vector<T> ints(const json& j, const char* key) {
  std::vector<T> v;
  for (const auto& x : j.at(key)) v.push_back(T(x.get<int64_t>()));
  return v;
}

std::vector<int> shape(const json& j, const char* key) { return j.at(key).get<std::vector<int>>(); }

// Geometry of a conv/depthwise over NHWC input with the filter's kernel size.
ConvGeometry geometry(const json& j, int kernel_h, int kernel_w, int out_c) {
  const std::vector<int> in = shape(j, "input_shape");
  ConvGeometry g;
  g.in_h = in[1];
  g.in_w = in[2];
  g.in_c = in[3];
  g.kernel_h = kernel_h;
  g.kernel_w = kernel_w;
  const std::vector<int> stride = j.at("stride").get<std::vector<int>>();
  g.stride_h = stride[0];
  g.stride_w = stride[1];
  g.out_c = out_c;
  if (j.at("padding").get<std::string>() == "SAME") {
    const SamePadding ph = same_padding(g.in_h, kernel_h, g.stride_h);
    const SamePadding pw = same_padding(g.in_w, kernel_w, g.stride_w);
    g.out_h = ph.out;
    g.out_w = pw.out;
    g.pad_top = ph.before;
    g.pad_left = pw.before;
  } else {
    g.out_h = (g.in_h - kernel_h) / g.stride_h + 1;
    g.out_w = (g.in_w - kernel_w) / g.stride_w + 1;
  }
  const std::vector<int> out = shape(j, "output_shape");
  if (out[1] != g.out_h || out[2] != g.out_w || out[3] != g.out_c)
    throw std::runtime_error("output shape does not match the geometry");
  return g;
}

json run(const json& j) {
  const QS8Kernels& k = qs8_kernels__ref;
  const std::string op = j.at("op");
  const float in_scale = j.value("input_scale", 0.0f);
  const int32_t in_zp = j.value("input_zero_point", 0);
  const float out_scale = j.value("output_scale", 0.0f);
  const int32_t out_zp = j.value("output_zero_point", 0);
  json result;

  if (op == "conv2d" || op == "depthwise_conv2d") {
    const std::vector<int8_t> in = ints<int8_t>(j, "input");
    const std::vector<int8_t> w = ints<int8_t>(j, "weights");
    const std::vector<int> ws = shape(j, "weight_shape");
    const bool dw = op == "depthwise_conv2d";
    const int out_c = dw ? ws[3] : ws[0];
    std::vector<int32_t> bias = j.contains("bias") ? ints<int32_t>(j, "bias")
                                                   : std::vector<int32_t>(size_t(out_c), 0);
    const ConvGeometry g = geometry(j, ws[1], ws[2], out_c);
    std::vector<int32_t> mult, shift;
    qs8_conv_multipliers(in_scale, j.at("weight_scales").get<std::vector<float>>(), out_scale,
                         out_c, &mult, &shift);
    QS8Requant rq;
    rq.input_zero_point = in_zp;
    rq.output_zero_point = out_zp;
    rq.multiplier = mult.data();
    rq.shift = shift.data();
    quantized_activation_range(parse_activation(j), out_scale, out_zp, -128, 127, &rq.out_min,
                               &rq.out_max);
    std::vector<int8_t> out(size_t(g.out_h) * g.out_w * out_c);
    if (dw) {
      std::vector<uint8_t> packed(k.dwconv.packed_bytes(out_c, g.kernel_h, g.kernel_w));
      k.dwconv.pack(out_c, g.kernel_h, g.kernel_w, w.data(), bias.data(), rq, packed.data());
      k.dwconv.run(g, in.data(), packed.data(), out.data(), rq, 0, g.out_h);
    } else if (g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1) {
      // 1x1 stride 1: the GEMM kernel, rows split in two ranges to exercise ranges.
      const int m = g.out_h * g.out_w;
      std::vector<uint8_t> packed(k.gemm.packed_bytes(out_c, g.in_c));
      k.gemm.pack(out_c, g.in_c, w.data(), bias.data(), rq, packed.data());
      k.gemm.run(0, m / 2, 0, out_c, out_c, g.in_c, in.data(), packed.data(), out.data(), rq);
      k.gemm.run(m / 2, m, 0, out_c, out_c, g.in_c, in.data(), packed.data(), out.data(), rq);
    } else {
      std::vector<uint8_t> packed(k.conv.packed_bytes(out_c, g.kernel_h, g.kernel_w, g.in_c));
      k.conv.pack(out_c, g.kernel_h, g.kernel_w, g.in_c, w.data(), bias.data(), packed.data());
      k.conv.run(g, in.data(), packed.data(), out.data(), rq, 0, g.out_h / 2);
      k.conv.run(g, in.data(), packed.data(), out.data(), rq, g.out_h / 2, g.out_h);
    }
    result["output"] = out;
  } else if (op == "fully_connected") {
    const std::vector<int8_t> in = ints<int8_t>(j, "input");
    const std::vector<int8_t> w = ints<int8_t>(j, "weights");
    const std::vector<int> ws = shape(j, "weight_shape");
    const int n = ws[0], kk = ws[1];
    const int m = int(in.size()) / kk;
    std::vector<int32_t> bias = j.contains("bias") ? ints<int32_t>(j, "bias") : std::vector<int32_t>();
    const std::vector<float> wscales = j.at("weight_scales").get<std::vector<float>>();
    const std::vector<double> scales = qs8_fc_scales(in_scale, wscales, out_scale, n);
    QS8FcParams p;
    p.input_zero_point = in_zp;
    // Per-channel FC ignores the weight zero points (TFLite: symmetric by spec).
    p.weight_zero_point = wscales.size() > 1 ? 0 : int32_t(j.at("weight_zero_points")[0].get<int64_t>());
    p.output_zero_point = out_zp;
    p.scale = scales.data();
    quantized_activation_range(parse_activation(j), out_scale, out_zp, -128, 127, &p.out_min,
                               &p.out_max);
    std::vector<int8_t> out(size_t(m) * n);
    k.fc(0, m, n, kk, in.data(), w.data(), bias.empty() ? nullptr : bias.data(), out.data(), p);
    result["output"] = out;
  } else if (op == "add") {
    const std::vector<int8_t> a = ints<int8_t>(j, "input");
    const std::vector<int8_t> b = ints<int8_t>(j, "input2");
    if (a.size() != b.size()) throw std::runtime_error("add: broadcasting is not supported");
    const QS8AddParams p = qs8_add_params(in_scale, in_zp, j.at("input2_scale").get<float>(),
                                          j.at("input2_zero_point").get<int32_t>(), out_scale,
                                          out_zp, parse_activation(j));
    std::vector<int8_t> out(a.size());
    k.add(a.size(), a.data(), b.data(), out.data(), p);
    result["output"] = out;
  } else if (op == "mean") {
    const std::vector<int8_t> in = ints<int8_t>(j, "input");
    const std::vector<int> s = shape(j, "input_shape");
    const int hw = s[1] * s[2], c = s[3];
    const QS8MeanParams p = qs8_mean_params(in_scale, in_zp, out_scale, out_zp);
    std::vector<int8_t> out(static_cast<size_t>(c));
    k.global_mean(hw, c, 0, c / 2, in.data(), out.data(), p);
    k.global_mean(hw, c, c / 2, c, in.data(), out.data(), p);
    result["output"] = out;
  } else if (op == "softmax") {
    const std::vector<int8_t> in = ints<int8_t>(j, "input");
    const std::vector<int> s = shape(j, "input_shape");
    const int n = s.back();
    const QS8SoftmaxParams p = qs8_softmax_params(j.value("beta", 1.0f), in_scale);
    std::vector<int8_t> out(in.size());
    for (size_t r = 0; r < in.size() / size_t(n); ++r)
      k.softmax(n, in.data() + r * n, out.data() + r * n, p);
    result["output"] = out;
  } else if (op == "quantize") {
    const std::string src = j.at("input_dtype"), dst = j.at("output_dtype");
    if (src == "float32") {
      const std::vector<float> in = j.at("input").get<std::vector<float>>();
      if (dst == "int8") {
        std::vector<int8_t> out(in.size());
        k.quantize_f32_s8(in.size(), in.data(), out.data(), out_scale, out_zp);
        result["output"] = out;
      } else {
        std::vector<uint8_t> out(in.size());
        k.quantize_f32_u8(in.size(), in.data(), out.data(), out_scale, out_zp);
        result["output"] = out;
      }
    } else {
      const QS8RequantizeParams p = qs8_requantize_params(in_scale, in_zp, out_scale, out_zp);
      if (src == "int8" && dst == "uint8") {
        const std::vector<int8_t> in = ints<int8_t>(j, "input");
        std::vector<uint8_t> out(in.size());
        k.requantize_s8_u8(in.size(), in.data(), out.data(), p);
        result["output"] = out;
      } else if (src == "uint8" && dst == "int8") {
        const std::vector<uint8_t> in = ints<uint8_t>(j, "input");
        std::vector<int8_t> out(in.size());
        k.requantize_u8_s8(in.size(), in.data(), out.data(), p);
        result["output"] = out;
      } else {
        throw std::runtime_error("quantize: unsupported " + src + " -> " + dst);
      }
    }
  } else if (op == "dequantize") {
    const std::string src = j.at("input_dtype");
    std::vector<float> out;
    if (src == "int8") {
      const std::vector<int8_t> in = ints<int8_t>(j, "input");
      out.resize(in.size());
      k.dequantize_s8_f32(in.size(), in.data(), out.data(), in_scale, in_zp);
    } else {
      const std::vector<uint8_t> in = ints<uint8_t>(j, "input");
      out.resize(in.size());
      k.dequantize_u8_f32(in.size(), in.data(), out.data(), in_scale, in_zp);
    }
    result["output"] = out;
  } else {
    throw std::runtime_error("unknown op " + op);
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s IN.json OUT.json\n", argv[0]);
    return 2;
  }
  try {
    std::ifstream f(argv[1]);
    if (!f) throw std::runtime_error(std::string("cannot open ") + argv[1]);
    const json in = json::parse(f);
    const json out = run(in);
    std::ofstream o(argv[2]);
    // max_digits10 for floats: nlohmann writes doubles with enough digits to round-trip.
    o << out.dump();
    if (!o) throw std::runtime_error(std::string("cannot write ") + argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qs8_op_runner: %s\n", e.what());
    return 1;
  }
  return 0;
}
