#include "io/onnx/onnx_writer.h"


#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>

#include "io/file_bytes.h"
#include "io/onnx/protobuf_writer.h"

namespace elite {

namespace {

// Field numbers of onnx.proto (package onnx, proto2).
namespace model_f {
constexpr int kIrVersion = 1, kProducerName = 2, kProducerVersion = 3, kGraph = 7, kOpsetImport = 8,
              kMetadataProps = 14;
}
namespace opset_f {
constexpr int kDomain = 1, kVersion = 2;
}
namespace entry_f {  // StringStringEntryProto
constexpr int kKey = 1, kValue = 2;
}
namespace graph_f {
constexpr int kNode = 1, kName = 2, kInitializer = 5, kInput = 11, kOutput = 12;
}
namespace node_f {
constexpr int kInput = 1, kOutput = 2, kName = 3, kOpType = 4, kAttribute = 5;
}
namespace attr_f {
constexpr int kName = 1, kI = 3, kInts = 8, kType = 20;
constexpr int kTypeInt = 2, kTypeInts = 7;  // AttributeProto.AttributeType
}  // namespace attr_f
namespace tensor_f {
constexpr int kDims = 1, kDataType = 2, kName = 8, kRawData = 9;
constexpr int kFloat = 1, kInt64 = 7;  // TensorProto.DataType
}  // namespace tensor_f
namespace value_f {  // ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto(.Dimension)
constexpr int kName = 1, kType = 2;
constexpr int kTensorType = 1;
constexpr int kElemType = 1, kShape = 2;
constexpr int kDim = 1;
constexpr int kDimValue = 1, kDimParam = 2;
}  // namespace value_f

constexpr const char* kProducerVersion = "0.1.0";
constexpr const char* kBatchParam = "N";

ProtoWriter attr_int(const char* name, int64_t v) {
  ProtoWriter a;
  a.add_string(attr_f::kName, name);
  a.add_int64(attr_f::kI, v);
  a.add_varint(attr_f::kType, attr_f::kTypeInt);
  return a;
}

ProtoWriter attr_ints(const char* name, const std::vector<int64_t>& v) {
  ProtoWriter a;
  a.add_string(attr_f::kName, name);
  for (int64_t x : v) a.add_int64(attr_f::kInts, x);
  a.add_varint(attr_f::kType, attr_f::kTypeInts);
  return a;
}

std::string shape_str(const std::vector<int>& s) {
  return shape_to_string(std::vector<int64_t>(s.begin(), s.end()));
}

class Exporter {
 public:
  Exporter(const Graph& g, const OnnxExportOptions& o) : g_(g), opt_(o) {}

  Result<std::vector<uint8_t>> run() {
    ELITE_RETURN_IF_ERROR(check_graph());
    name_tensors();
    emit_input();
    for (size_t i = 0; i < g_.ops.size(); ++i) {
      const Op& op = g_.ops[i];
      const std::string where = std::string(op_kind_name(op.kind)) + " op " + std::to_string(i) +
                                " ('" + g_.tensors[op.output].name + "')";
      Status s = emit_op(op, where);
      if (!s.ok()) return s;
    }
    emit_output();
    return assemble();
  }

 private:
  const TensorDesc& t(int id) const { return g_.tensors[id]; }

  Status check_graph() const {
    if (opt_.opset < kOnnxMinOpset || opt_.opset > kOnnxMaxOpset)
      return Status::Error("ONNX opset must be between " + std::to_string(kOnnxMinOpset) + " and " +
                           std::to_string(kOnnxMaxOpset) + ", got " + std::to_string(opt_.opset));
    if (opt_.batch < 0) return Status::Error("batch size must be positive, or 0 for symbolic");
    const int nt = static_cast<int>(g_.tensors.size());
    auto valid = [&](int id) { return id >= 0 && id < nt; };
    bool quantized = false;
    for (const TensorDesc& d : g_.tensors) quantized = quantized || d.dtype != DType::kFloat32;
    for (const Op& op : g_.ops)
      quantized = quantized || op.kind == OpKind::kQuantize || op.kind == OpKind::kDequantize ||
                  !op.qweights.empty();
    if (quantized)
      return Status::Error(
          "the model is quantized (INT8); export writes float ONNX: give the float .tflite");
    if (!valid(g_.input) || !valid(g_.output)) return Status::Error("graph has no input or output");
    if (g_.ops.empty()) return Status::Error("graph has no operators");
    const TensorDesc& in = t(g_.input);
    if (in.shape.size() != 4 || in.shape[0] != 1)
      return Status::Error("input '" + in.name + "' is " + shape_str(in.shape) +
                           ", expected [1, H, W, C]");
    const TensorDesc& out = t(g_.output);
    if (out.shape.empty() || out.shape[0] != 1)
      return Status::Error("output '" + out.name + "' is " + shape_str(out.shape) +
                           ", expected batch 1 first");
    // ONNX wants every value defined once, before its use: the ops must be in execution order.
    std::vector<bool> written(g_.tensors.size(), false);
    written[g_.input] = true;
    for (size_t i = 0; i < g_.ops.size(); ++i) {
      const Op& op = g_.ops[i];
      const std::string where = std::string(op_kind_name(op.kind)) + " op " + std::to_string(i);
      bool ok = !op.inputs.empty() && valid(op.output);
      for (int id : op.inputs) ok = ok && valid(id);
      if (!ok) return Status::Error(where + ": bad input or output tensor index");
      for (int id : op.inputs)
        if (!written[id])
          return Status::Error(where + " reads '" + t(id).name + "' before any op writes it");
      if (written[op.output])
        return Status::Error(where + " writes '" + t(op.output).name + "' a second time");
      written[op.output] = true;
    }
    if (!written[g_.output])
      return Status::Error("no op writes the output '" + t(g_.output).name + "'");
    return Status::Ok();
  }

  // A name no other tensor or node output has yet.
  std::string fresh(const std::string& base) {
    std::string n = base;
    for (int k = 1; used_.count(n); ++k) n = base + "_" + std::to_string(k);
    used_.insert(n);
    return n;
  }

  // Graph tensor names (made unique, empty ones filled) first, so helpers never take them.
  void name_tensors() {
    names_.resize(g_.tensors.size());
    for (size_t i = 0; i < g_.tensors.size(); ++i)
      names_[i] =
          fresh(g_.tensors[i].name.empty() ? "tensor_" + std::to_string(i) : g_.tensors[i].name);
    native_ = names_;
    // The NHWC input and a 4-D output keep their names at the graph's edge; inside, the NCHW
    // copies get new ones.
    if (opt_.layout == OnnxLayout::kNhwc) native_[g_.input] = fresh(names_[g_.input] + "/nchw");
    if (t(g_.output).shape.size() == 4) native_[g_.output] = fresh(names_[g_.output] + "/nchw");
  }

  void node(const char* op_type, const std::vector<std::string>& inputs, const std::string& output,
            std::vector<ProtoWriter> attrs = {}) {
    ProtoWriter n;
    for (const std::string& s : inputs) n.add_string(node_f::kInput, s);
    n.add_string(node_f::kOutput, output);
    n.add_string(node_f::kName, output + "/" + op_type);
    n.add_string(node_f::kOpType, op_type);
    for (const ProtoWriter& a : attrs) n.add_message(node_f::kAttribute, a);
    nodes_.add_message(graph_f::kNode, n);
  }

  std::string initializer(const std::string& base, const std::vector<int64_t>& dims,
                          const float* data) {
    const std::string name = fresh(base);
    ProtoWriter tp;
    for (int64_t d : dims) tp.add_int64(tensor_f::kDims, d);
    tp.add_varint(tensor_f::kDataType, tensor_f::kFloat);
    tp.add_string(tensor_f::kName, name);
    tp.add_floats_le(tensor_f::kRawData, data, static_cast<size_t>(FloatTensor::numel_of(dims)));
    inits_.add_message(graph_f::kInitializer, tp);
    return name;
  }

  std::string initializer_i64(const std::string& base, const std::vector<int64_t>& values) {
    const std::string name = fresh(base);
    ProtoWriter tp;
    tp.add_int64(tensor_f::kDims, static_cast<int64_t>(values.size()));
    tp.add_varint(tensor_f::kDataType, tensor_f::kInt64);
    tp.add_string(tensor_f::kName, name);
    std::vector<uint8_t> raw;
    for (int64_t v : values)
      for (int b = 0; b < 8; ++b)
        raw.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * b)));
    tp.add_bytes(tensor_f::kRawData, raw.data(), raw.size());
    inits_.add_message(graph_f::kInitializer, tp);
    return name;
  }

  // ValueInfoProto: float tensor with the batch dimension first, then `dims`.
  ProtoWriter value_info(const std::string& name, const std::vector<int>& dims) {
    ProtoWriter shape;
    for (size_t i = 0; i < dims.size(); ++i) {
      ProtoWriter d;
      if (i == 0 && opt_.batch == 0)
        d.add_string(value_f::kDimParam, kBatchParam);
      else
        d.add_int64(value_f::kDimValue, i == 0 ? opt_.batch : dims[i]);
      shape.add_message(value_f::kDim, d);
    }
    ProtoWriter tensor;
    tensor.add_varint(value_f::kElemType, tensor_f::kFloat);
    tensor.add_message(value_f::kShape, shape);
    ProtoWriter type;
    type.add_message(value_f::kTensorType, tensor);
    ProtoWriter vi;
    vi.add_string(value_f::kName, name);
    vi.add_message(value_f::kType, type);
    return vi;
  }

  void emit_input() {
    const std::vector<int>& s = t(g_.input).shape;  // [1, H, W, C]
    if (opt_.layout == OnnxLayout::kNhwc) {
      io_.add_message(graph_f::kInput, value_info(names_[g_.input], s));
      transpose(names_[g_.input], native_[g_.input], {0, 3, 1, 2});
    } else {
      io_.add_message(graph_f::kInput, value_info(names_[g_.input], {s[0], s[3], s[1], s[2]}));
    }
  }

  void transpose(const std::string& in, const std::string& out, std::vector<int64_t> perm) {
    std::vector<ProtoWriter> attrs;
    attrs.push_back(attr_ints("perm", perm));
    node("Transpose", {in}, out, std::move(attrs));
  }

  void emit_output() {
    const TensorDesc& out = t(g_.output);
    if (out.shape.size() == 4) {
      transpose(native_[g_.output], names_[g_.output], {0, 2, 3, 1});
    }
    io_.add_message(graph_f::kOutput, value_info(names_[g_.output], out.shape));
  }

  // The ONNX name of tensor `id`'s data in the Graph's own (NHWC) element order: 4-D tensors
  // live as NCHW here, so they are transposed back, except where H = W = 1 and both orders
  // are the same.
  std::string nhwc_view(int id) {
    const std::vector<int>& s = t(id).shape;
    if (s.size() != 4 || (s[1] == 1 && s[2] == 1)) return native_[id];
    const std::string n = fresh(native_[id] + "/nhwc");
    transpose(native_[id], n, {0, 2, 3, 1});
    return n;
  }

  // Writes the op's result `pre` (before its fused activation) to the output's native name.
  std::string pre_activation_name(const Op& op) {
    return op.activation == Activation::kNone ? native_[op.output]
                                              : fresh(native_[op.output] + "/linear");
  }
  void emit_activation(const Op& op, const std::string& pre) {
    if (op.activation == Activation::kRelu) {
      node("Relu", {pre}, native_[op.output]);
    } else if (op.activation == Activation::kRelu6) {
      if (clip_min_.empty()) {
        const float lo = 0.0f, hi = 6.0f;
        clip_min_ = initializer("relu6/min", {}, &lo);
        clip_max_ = initializer("relu6/max", {}, &hi);
      }
      node("Clip", {pre, clip_min_, clip_max_}, native_[op.output]);
    }
  }

  Status check_weights(const Op& op, const std::vector<int64_t>& wshape, int64_t bias_n,
                       const std::string& where) {
    if (op.weights.shape != wshape ||
        static_cast<int64_t>(op.weights.data.size()) != op.weights.numel())
      return Status::Error(where + ": weights " + shape_to_string(op.weights.shape) + " with " +
                           std::to_string(op.weights.data.size()) + " values, expected " +
                           shape_to_string(wshape));
    if (op.bias.numel() != bias_n || static_cast<int64_t>(op.bias.data.size()) != bias_n)
      return Status::Error(where + ": bias has " + std::to_string(op.bias.data.size()) +
                           " values, expected " + std::to_string(bias_n));
    return Status::Ok();
  }

  Status emit_op(const Op& op, const std::string& where) {
    const TensorDesc& in = t(op.inputs[0]);
    const TensorDesc& out = t(op.output);
    auto bad = [&](const std::string& what) {
      return Status::Error(where + ": " + what + " (input " + shape_str(in.shape) + ", output " +
                           shape_str(out.shape) + ")");
    };
    switch (op.kind) {
      case OpKind::kConv2D:
      case OpKind::kDepthwiseConv2D:
        return emit_conv(op, where, bad);
      case OpKind::kAdd: {
        if (op.inputs.size() != 2 || t(op.inputs[1]).shape != in.shape || out.shape != in.shape)
          return bad("ADD needs two inputs of the output's shape");
        if (in.shape.empty() || in.shape[0] != 1) return bad("ADD needs batch 1 tensors");
        const std::string pre = pre_activation_name(op);
        node("Add", {native_[op.inputs[0]], native_[op.inputs[1]]}, pre);
        emit_activation(op, pre);
        return Status::Ok();
      }
      case OpKind::kMean: {
        const bool flat = out.shape.size() == 2;
        if (in.shape.size() != 4 || in.shape[0] != 1 || out.shape[0] != 1 ||
            out.numel() != in.shape[3] || !(flat || out.shape.size() == 4))
          return bad("MEAN reduces a [1,H,W,C] tensor to [1,C] or [1,1,1,C]");
        if (op.activation != Activation::kNone) return bad("MEAN with a fused activation");
        // GlobalAveragePool gives [N,C,1,1], which is already the NCHW form of [1,1,1,C].
        if (!flat) {
          node("GlobalAveragePool", {native_[op.inputs[0]]}, native_[op.output]);
        } else {
          const std::string pooled = fresh(native_[op.output] + "/pool");
          node("GlobalAveragePool", {native_[op.inputs[0]]}, pooled);
          node("Flatten", {pooled}, native_[op.output], attrs1(attr_int("axis", 1)));
        }
        return Status::Ok();
      }
      case OpKind::kFullyConnected: {
        if (op.weights.shape.size() != 2) return bad("weights must be [out, in]");
        const int64_t n_out = op.weights.shape[0], n_in = op.weights.shape[1];
        if (in.shape.empty() || in.shape[0] != 1 || in.numel() != n_in)
          return bad("input must be batch 1 with " + std::to_string(n_in) + " values");
        if (out.shape.size() != 2 || out.shape[0] != 1 || out.shape[1] != n_out)
          return bad("output must be [1, " + std::to_string(n_out) + "]");
        const bool has_bias = !op.bias.shape.empty();
        ELITE_RETURN_IF_ERROR(check_weights(op, op.weights.shape, has_bias ? n_out : 0, where));
        std::string x = in.shape.size() == 2 ? native_[op.inputs[0]] : nhwc_view(op.inputs[0]);
        if (in.shape.size() != 2) {
          const std::string flat = fresh(native_[op.inputs[0]] + "/flat");
          node("Flatten", {x}, flat, attrs1(attr_int("axis", 1)));
          x = flat;
        }
        std::vector<std::string> ins = {x, initializer(names_[op.output] + "/weights",
                                                       op.weights.shape, op.weights.data.data())};
        if (has_bias)
          ins.push_back(initializer(names_[op.output] + "/bias", {n_out}, op.bias.data.data()));
        const std::string pre = pre_activation_name(op);
        node("Gemm", ins, pre, attrs1(attr_int("transB", 1)));
        emit_activation(op, pre);
        return Status::Ok();
      }
      case OpKind::kSoftmax: {
        if (in.shape != out.shape || in.shape.empty() || in.shape[0] != 1)
          return bad("SOFTMAX keeps its batch-1 input's shape");
        std::string x = native_[op.inputs[0]];
        if (op.beta != 1.0f) {
          const std::string scaled = fresh(native_[op.output] + "/scaled");
          node("Mul", {x, initializer(names_[op.output] + "/beta", {}, &op.beta)}, scaled);
          x = scaled;
        }
        // TFLite's softmax runs over the last (NHWC) axis: channels, axis 1 in NCHW.
        node("Softmax", {x}, native_[op.output],
             attrs1(attr_int("axis", in.shape.size() == 4 ? 1 : -1)));
        return Status::Ok();
      }
      case OpKind::kReshape: {
        if (in.numel() != out.numel()) return bad("RESHAPE changes the element count");
        if (in.shape.empty() || out.shape.empty() || in.shape[0] != 1 || out.shape[0] != 1)
          return bad("RESHAPE must keep the batch-1 dimension first");
        const std::string x = nhwc_view(op.inputs[0]);
        // Target in NHWC element order, batch rows kept apart by the leading -1. A 4-D result
        // with H = W = 1 is reshaped straight to its NCHW form [N,C,1,1] (same order).
        std::vector<int64_t> target = {-1};
        const bool to4 = out.shape.size() == 4;
        const bool to4_direct = to4 && out.shape[1] == 1 && out.shape[2] == 1;
        if (to4_direct)
          target.insert(target.end(), {out.shape[3], 1, 1});
        else
          target.insert(target.end(), out.shape.begin() + 1, out.shape.end());
        const std::string shape = initializer_i64(names_[op.output] + "/shape", target);
        if (!to4 || to4_direct) {
          node("Reshape", {x, shape}, native_[op.output]);
        } else {
          const std::string r = fresh(native_[op.output] + "/nhwc");
          node("Reshape", {x, shape}, r);
          transpose(r, native_[op.output], {0, 3, 1, 2});
        }
        return Status::Ok();
      }
      case OpKind::kPad: {
        const int* p = op.pads;  // top, bottom, left, right
        if (in.shape.size() != 4 || out.shape.size() != 4 || in.shape[0] != 1 ||
            out.shape[0] != 1 || out.shape[1] != in.shape[1] + p[0] + p[1] ||
            out.shape[2] != in.shape[2] + p[2] + p[3] || out.shape[3] != in.shape[3] ||
            std::min({p[0], p[1], p[2], p[3]}) < 0)
          return bad("PAD shapes do not match its paddings");
        // ONNX pads: the starts of every axis (N,C,H,W), then the ends.
        const std::string pads =
            initializer_i64(names_[op.output] + "/pads", {0, 0, p[0], p[2], 0, 0, p[1], p[3]});
        node("Pad", {native_[op.inputs[0]], pads}, native_[op.output]);
        return Status::Ok();
      }
      case OpKind::kQuantize:
      case OpKind::kDequantize:
        break;
    }
    return bad("no ONNX form for this operator");
  }

  template <typename Bad>
  Status emit_conv(const Op& op, const std::string& where, Bad bad) {
    const bool dw = op.kind == OpKind::kDepthwiseConv2D;
    const TensorDesc& in = t(op.inputs[0]);
    const TensorDesc& out = t(op.output);
    if (in.shape.size() != 4 || out.shape.size() != 4 || in.shape[0] != 1 || out.shape[0] != 1)
      return bad("expects 4-D NHWC tensors with batch 1");
    const int ih = in.shape[1], iw = in.shape[2], ic = in.shape[3];
    const int oh = out.shape[1], ow = out.shape[2], oc = out.shape[3];
    const int kh = op.kernel_h, kw = op.kernel_w, sh = op.stride_h, sw = op.stride_w;
    if (kh < 1 || kw < 1 || sh < 1 || sw < 1) return bad("kernel and stride must be positive");
    int pads[4] = {0, 0, 0, 0};  // ONNX order: top, left, bottom, right
    int eh, ew;
    if (op.padding == Padding::kSame) {
      const SamePadding ph = same_padding(ih, kh, sh), pw = same_padding(iw, kw, sw);
      eh = ph.out, ew = pw.out;
      pads[0] = ph.before, pads[1] = pw.before, pads[2] = ph.after, pads[3] = pw.after;
    } else {
      if (ih < kh || iw < kw) return bad("VALID convolution larger than its input");
      eh = (ih - kh) / sh + 1;
      ew = (iw - kw) / sw + 1;
    }
    if (eh != oh || ew != ow) return bad("output size does not match padding");
    if (dw && ic != oc) return bad("depth multiplier must be 1");
    const std::vector<int64_t> wshape =
        dw ? std::vector<int64_t>{1, kh, kw, oc} : std::vector<int64_t>{oc, kh, kw, ic};
    ELITE_RETURN_IF_ERROR(check_weights(op, wshape, oc, where));

    // OHWI -> OIHW; depthwise [1,kh,kw,C] -> [C,1,kh,kw].
    const int wic = dw ? 1 : ic;
    std::vector<float> w(static_cast<size_t>(oc) * wic * kh * kw);
    const float* src = op.weights.data.data();
    for (int o = 0; o < oc; ++o)
      for (int y = 0; y < kh; ++y)
        for (int x = 0; x < kw; ++x)
          for (int i = 0; i < wic; ++i) {
            const size_t from = dw ? (static_cast<size_t>(y) * kw + x) * oc + o
                                   : ((static_cast<size_t>(o) * kh + y) * kw + x) * ic + i;
            w[((static_cast<size_t>(o) * wic + i) * kh + y) * kw + x] = src[from];
          }
    const std::string wname =
        initializer(names_[op.output] + "/weights", {oc, wic, kh, kw}, w.data());
    const std::string bname = initializer(names_[op.output] + "/bias", {oc}, op.bias.data.data());
    std::vector<ProtoWriter> attrs;
    attrs.push_back(attr_ints("kernel_shape", {kh, kw}));
    attrs.push_back(attr_ints("strides", {sh, sw}));
    attrs.push_back(attr_ints("pads", {pads[0], pads[1], pads[2], pads[3]}));
    attrs.push_back(attr_ints("dilations", {1, 1}));
    attrs.push_back(attr_int("group", dw ? oc : 1));
    const std::string pre = pre_activation_name(op);
    node("Conv", {native_[op.inputs[0]], wname, bname}, pre, std::move(attrs));
    emit_activation(op, pre);
    return Status::Ok();
  }

  static std::vector<ProtoWriter> attrs1(ProtoWriter a) {
    std::vector<ProtoWriter> v;
    v.push_back(std::move(a));
    return v;
  }

  std::vector<uint8_t> assemble() {
    ProtoWriter graph;
    graph.append_fields(nodes_);
    graph.add_string(graph_f::kName, g_.name.empty() ? "elite" : g_.name);
    graph.append_fields(inits_);
    graph.append_fields(io_);
    nodes_ = inits_ = ProtoWriter();  // the weights' copies now live in `graph`

    ProtoWriter model;
    model.add_int64(model_f::kIrVersion, onnx_ir_version_for_opset(opt_.opset));
    model.add_string(model_f::kProducerName, "elite");
    model.add_string(model_f::kProducerVersion, kProducerVersion);
    model.add_message(model_f::kGraph, graph);
    ProtoWriter opset;
    opset.add_string(opset_f::kDomain, "");
    opset.add_int64(opset_f::kVersion, opt_.opset);
    model.add_message(model_f::kOpsetImport, opset);
    auto meta = [&](const char* key, const std::string& value) {
      ProtoWriter e;
      e.add_string(entry_f::kKey, key);
      e.add_string(entry_f::kValue, value);
      model.add_message(model_f::kMetadataProps, e);
    };
    if (!g_.name.empty()) meta("model", g_.name);
    meta("layout", opt_.layout == OnnxLayout::kNhwc ? "nhwc" : "nchw");
    if (!g_.labels.empty()) {
      std::string joined;
      for (size_t i = 0; i < g_.labels.size(); ++i) joined += (i ? "\n" : "") + g_.labels[i];
      meta("labels", joined);
    }
    return model.release();
  }

  const Graph& g_;
  const OnnxExportOptions& opt_;
  std::set<std::string> used_;
  std::vector<std::string> names_;   // graph tensor -> its name at the graph's edge
  std::vector<std::string> native_;  // graph tensor -> the name of its NCHW (4-D) form inside
  std::string clip_min_, clip_max_;
  ProtoWriter nodes_, inits_, io_;
};

}  // namespace

int64_t onnx_ir_version_for_opset(int opset) {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  if (opset == 23) return 11;
  if (opset == 24) return 12;
  return 13;
}

Result<std::vector<uint8_t>> serialize_onnx(const Graph& graph, const OnnxExportOptions& options) {
  Exporter e(graph, options);
  return e.run();
}

Status write_onnx_file(const Graph& graph, const std::string& path,
                       const OnnxExportOptions& options) {
  ELITE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, serialize_onnx(graph, options));
  return write_file_atomically(path, bytes);
}

}  // namespace elite
