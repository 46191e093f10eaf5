// .tflite writer: Graph -> flatbuffer (layout in tflite_writer.h).
// Operator mapping:
//   kConv2D          CONV_2D            [x, weights OHWI, bias]      Conv2DOptions, dilation 1
//   kDepthwiseConv2D DEPTHWISE_CONV_2D  [x, weights 1HWC, bias]      depth_multiplier 1
//   kAdd             ADD                [a, b]                       AddOptions
//   kMean, out [1,C]        MEAN        [x, axes int32 [2] = {1, 2}] keep_dims false
//   kMean, out [1,1,1,C]    AVERAGE_POOL_2D filter H x W, VALID, stride 1
//   kFullyConnected  FULLY_CONNECTED    [x, weights [out,in], bias]  keep_num_dims false
//   kSoftmax         SOFTMAX            [x]                          beta
//   kReshape         RESHAPE            [x, shape int32]             ReshapeOptions new_shape
//   kPad             PAD                [x, paddings int32 [4,2]]
//   kQuantize        QUANTIZE           [x]   float/int8/uint8 -> int8/uint8
//   kDequantize      DEQUANTIZE         [x]   int8/uint8 -> float
// Float graphs are written with every operator at version 1 and no quantization tables.
// INT8 graphs take the form TensorFlow's converter gives full-integer models: every INT8 and
// UINT8 tensor carries its scale and zero point; weights are INT8, symmetric, per channel
// (quantized_dimension 0 for CONV_2D and FULLY_CONNECTED, 3 for DEPTHWISE_CONV_2D) or per
// tensor; biases are INT32 with scale = input scale * weight scale[c], zero point 0; the
// operator versions are those the converter writes for INT8 inputs (CONV_2D 3,
// DEPTHWISE_CONV_2D 3, FULLY_CONNECTED 4, ADD/MEAN/AVERAGE_POOL_2D/SOFTMAX/PAD 2,
// DEQUANTIZE 2, QUANTIZE and RESHAPE 1).
#include "io/tflite/tflite_writer.h"


#include <cstdio>
#include <cstring>
#include <cmath>
#include <map>

#include "flatbuffers/flatbuffers.h"
#include "io/file_bytes.h"
#include "tflite_schema_generated.h"

namespace elite {
namespace {

namespace fb = ::tflite;
using flatbuffers::Offset;

fb::ActivationFunctionType to_fb(Activation a) {
  switch (a) {
    case Activation::kRelu: return fb::ActivationFunctionType::RELU;
    case Activation::kRelu6: return fb::ActivationFunctionType::RELU6;
    case Activation::kNone: break;
  }
  return fb::ActivationFunctionType::NONE;
}

fb::Padding to_fb(Padding p) { return p == Padding::kValid ? fb::Padding::VALID : fb::Padding::SAME; }

fb::TensorType to_fb(DType d) {
  switch (d) {
    case DType::kInt8: return fb::TensorType::INT8;
    case DType::kUInt8: return fb::TensorType::UINT8;
    case DType::kInt32: return fb::TensorType::INT32;
    case DType::kFloat32: break;
  }
  return fb::TensorType::FLOAT32;
}

// The builtin operator that stands for `op` (`out` is its output tensor).
fb::BuiltinOperator builtin_code(const Op& op, const TensorDesc& out) {
  switch (op.kind) {
    case OpKind::kConv2D: return fb::BuiltinOperator::CONV_2D;
    case OpKind::kDepthwiseConv2D: return fb::BuiltinOperator::DEPTHWISE_CONV_2D;
    case OpKind::kAdd: return fb::BuiltinOperator::ADD;
    case OpKind::kMean:
      return out.shape.size() == 4 ? fb::BuiltinOperator::AVERAGE_POOL_2D
                                   : fb::BuiltinOperator::MEAN;
    case OpKind::kFullyConnected: return fb::BuiltinOperator::FULLY_CONNECTED;
    case OpKind::kSoftmax: return fb::BuiltinOperator::SOFTMAX;
    case OpKind::kReshape: return fb::BuiltinOperator::RESHAPE;
    case OpKind::kPad: return fb::BuiltinOperator::PAD;
    case OpKind::kQuantize: return fb::BuiltinOperator::QUANTIZE;
    case OpKind::kDequantize: return fb::BuiltinOperator::DEQUANTIZE;
  }
  return fb::BuiltinOperator::ADD;
}

// The operator version TensorFlow's converter writes for this input type (TFLite
// tools/versioning/op_version.cc); float forms are all version 1.
int builtin_version(const Op& op, DType in) {
  const bool int8 = in == DType::kInt8;
  switch (op.kind) {
    case OpKind::kConv2D:
    case OpKind::kDepthwiseConv2D: return int8 ? 3 : 1;
    case OpKind::kFullyConnected: return int8 ? 4 : 1;
    case OpKind::kAdd:
    case OpKind::kMean:
    case OpKind::kSoftmax:
    case OpKind::kPad:
    case OpKind::kDequantize: return int8 ? 2 : 1;
    case OpKind::kReshape:
    case OpKind::kQuantize: break;
  }
  return 1;
}

bool is_quantized(DType d) { return d == DType::kInt8 || d == DType::kUInt8; }

class Writer {
 public:
  explicit Writer(const Graph& g) : g_(g), fbb_(1 << 20) {}
  Result<std::vector<uint8_t>> run();

 private:
  Status error(const std::string& message) const {
    return Status::Error("writing .tflite: " + message);
  }
  Status check_graph() const;
  Status check_const(size_t op_index, const char* role, const FloatTensor& t,
                     size_t rank) const;
  Status check_quant_tensor(const TensorDesc& t) const;
  Status check_int8_weights(size_t op_index, const Op& op, size_t rank, int channel_axis) const;
  Offset<fb::QuantizationParameters> quantization(const QuantParams& q);
  int add_int8_weights(const std::string& name, const Op& op);
  int add_int32_bias(const std::string& name, const Op& op, const TensorDesc& x, int64_t n);

  int add_buffer(const void* data, size_t size);
  int add_const(const std::string& name, const std::vector<int64_t>& shape, fb::TensorType type,
                const void* data, size_t size,
                Offset<fb::QuantizationParameters> quant = Offset<fb::QuantizationParameters>());
  int add_float_const(const std::string& name, const FloatTensor& t) {
    return add_const(name, t.shape, fb::TensorType::FLOAT32, t.data.data(),
                     t.data.size() * sizeof(float));
  }
  int add_int32_const(const std::string& name, const std::vector<int64_t>& shape,
                      const std::vector<int32_t>& values) {
    return add_const(name, shape, fb::TensorType::INT32, values.data(),
                     values.size() * sizeof(int32_t));
  }
  uint32_t opcode(fb::BuiltinOperator code);
  Offset<fb::Operator> write_op(const Op& op);

  const Graph& g_;
  flatbuffers::FlatBufferBuilder fbb_;
  std::vector<Offset<fb::Buffer>> buffers_;
  std::vector<Offset<fb::Tensor>> tensors_;
  std::vector<Offset<fb::OperatorCode>> codes_;
  std::map<int, uint32_t> code_index_;
  std::map<int, int> code_version_;  // the highest version any operator of the code needs
};

Status Writer::check_const(size_t op_index, const char* role, const FloatTensor& t,
                           size_t rank) const {
  if (t.shape.size() != rank || static_cast<int64_t>(t.data.size()) != t.numel())
    return error("op " + std::to_string(op_index) + ": " + role + " tensor of shape " +
                 shape_to_string(t.shape) + " with " + std::to_string(t.data.size()) +
                 " values is inconsistent");
  return Status::Ok();
}

// An INT8/UINT8 activation: one finite positive scale, a zero point in the type's range.
Status Writer::check_quant_tensor(const TensorDesc& t) const {
  if (t.dtype == DType::kFloat32) return Status::Ok();
  if (!is_quantized(t.dtype))
    return error("tensor '" + t.name + "' has type " + dtype_name(t.dtype) +
                 "; activations are FLOAT32, INT8 or UINT8");
  const QuantParams& q = t.quant;
  if (q.scale.size() != 1 || q.zero_point.size() != 1)
    return error("tensor '" + t.name + "' (" + dtype_name(t.dtype) +
                 ") needs one scale and one zero point");
  const int64_t zmin = t.dtype == DType::kInt8 ? -128 : 0;
  const int64_t zmax = t.dtype == DType::kInt8 ? 127 : 255;
  if (!std::isfinite(q.scale[0]) || !(q.scale[0] > 0.0f) || q.zero_point[0] < zmin ||
      q.zero_point[0] > zmax)
    return error("tensor '" + t.name + "' has invalid quantization (scale " +
                 std::to_string(q.scale[0]) + ", zero point " +
                 std::to_string(q.zero_point[0]) + ")");
  return Status::Ok();
}

// INT8 weights: the shape's element count of qweights, one scale per output channel (along
// `channel_axis`) or one in all, finite positive scales, zero points absent or all 0, and
// qbias with one value per output channel (or empty: zeros).
Status Writer::check_int8_weights(size_t op_index, const Op& op, size_t rank,
                                  int channel_axis) const {
  const std::string at = "op " + std::to_string(op_index) + ": ";
  const std::vector<int64_t>& shape = op.weights.shape;
  if (shape.size() != rank || static_cast<int64_t>(op.qweights.size()) != op.weights.numel())
    return error(at + "INT8 weights of shape " + shape_to_string(shape) + " with " +
                 std::to_string(op.qweights.size()) + " values are inconsistent");
  const QuantParams& q = op.weight_quant;
  const int64_t channels = shape[static_cast<size_t>(channel_axis)];
  if (q.scale.empty() ||
      (q.scale.size() != 1 && static_cast<int64_t>(q.scale.size()) != channels))
    return error(at + "INT8 weights have " + std::to_string(q.scale.size()) +
                 " scales; expected 1 or " + std::to_string(channels));
  if (q.scale.size() > 1 && q.axis != channel_axis)
    return error(at + "INT8 weights are quantized along dimension " + std::to_string(q.axis) +
                 "; expected " + std::to_string(channel_axis));
  if (!q.zero_point.empty() && q.zero_point.size() != q.scale.size())
    return error(at + "INT8 weights have " + std::to_string(q.zero_point.size()) +
                 " zero points for " + std::to_string(q.scale.size()) + " scales");
  for (int64_t z : q.zero_point)
    if (z != 0) return error(at + "INT8 weights must have zero point 0");
  for (float s : q.scale)
    if (!std::isfinite(s) || !(s > 0.0f)) return error(at + "INT8 weights have an invalid scale");
  if (!op.qbias.empty() && static_cast<int64_t>(op.qbias.size()) != channels)
    return error(at + "INT32 bias has " + std::to_string(op.qbias.size()) + " values; expected " +
                 std::to_string(channels));
  return Status::Ok();
}

// Enough checking that serialization cannot index out of bounds or write a file whose
// constants disagree with their shapes; shape semantics are the reader's business.
Status Writer::check_graph() const {
  const int n = static_cast<int>(g_.tensors.size());
  auto valid = [n](int id) { return id >= 0 && id < n; };
  if (!valid(g_.input)) return error("graph input tensor id " + std::to_string(g_.input) +
                                     " is invalid");
  if (!valid(g_.output)) return error("graph output tensor id " + std::to_string(g_.output) +
                                      " is invalid");
  for (const TensorDesc& t : g_.tensors) {
    for (int d : t.shape)
      if (d < 1) return error("tensor '" + t.name + "' has a non-positive dimension");
    ELITE_RETURN_IF_ERROR(check_quant_tensor(t));
  }
  for (size_t i = 0; i < g_.ops.size(); ++i) {
    const Op& op = g_.ops[i];
    if (!valid(op.output)) return error("op " + std::to_string(i) + " has an invalid output");
    for (int in : op.inputs)
      if (!valid(in)) return error("op " + std::to_string(i) + " has an invalid input");
    const size_t want_inputs = op.kind == OpKind::kAdd ? 2 : 1;
    if (op.inputs.size() != want_inputs)
      return error("op " + std::to_string(i) + " has " + std::to_string(op.inputs.size()) +
                   " inputs; expected " + std::to_string(want_inputs));
    const TensorDesc& x = g_.tensors[op.inputs[0]];
    const TensorDesc& y = g_.tensors[op.output];
    const std::string at = "op " + std::to_string(i) + " (" + op_kind_name(op.kind) + "): ";
    if (op.kind == OpKind::kQuantize) {
      if (!is_quantized(y.dtype))
        return error(at + "output must be INT8 or UINT8, not " + dtype_name(y.dtype));
    } else if (op.kind == OpKind::kDequantize) {
      if (!is_quantized(x.dtype) || y.dtype != DType::kFloat32)
        return error(at + "converts INT8/UINT8 to FLOAT32, not " + dtype_name(x.dtype) +
                     " to " + dtype_name(y.dtype));
    } else {
      for (int in : op.inputs)
        if (g_.tensors[in].dtype != x.dtype || (x.dtype != DType::kFloat32 &&
                                                x.dtype != DType::kInt8))
          return error(at + "inputs must all be FLOAT32 or all INT8");
      if (y.dtype != x.dtype)
        return error(at + "output is " + dtype_name(y.dtype) + ", input " +
                     dtype_name(x.dtype));
    }
    const bool int8 = x.dtype == DType::kInt8;
    switch (op.kind) {
      case OpKind::kConv2D:
      case OpKind::kDepthwiseConv2D:
        if (int8) {
          ELITE_RETURN_IF_ERROR(
              check_int8_weights(i, op, 4, op.kind == OpKind::kConv2D ? 0 : 3));
          break;
        }
        ELITE_RETURN_IF_ERROR(check_const(i, "weight", op.weights, 4));
        if (!op.bias.data.empty()) ELITE_RETURN_IF_ERROR(check_const(i, "bias", op.bias, 1));
        break;
      case OpKind::kFullyConnected:
        if (int8) {
          ELITE_RETURN_IF_ERROR(check_int8_weights(i, op, 2, 0));
          break;
        }
        ELITE_RETURN_IF_ERROR(check_const(i, "weight", op.weights, 2));
        if (!op.bias.data.empty()) ELITE_RETURN_IF_ERROR(check_const(i, "bias", op.bias, 1));
        break;
      case OpKind::kMean:
        if (x.shape.size() != 4 || (y.shape.size() != 2 && y.shape.size() != 4))
          return error("op " + std::to_string(i) + " (mean) needs a 4-D input and a 2-D or "
                       "4-D output");
        break;
      case OpKind::kPad:
        if (x.shape.size() != 4) return error("op " + std::to_string(i) + " (pad) needs a 4-D input");
        break;
      default:
        break;
    }
  }
  for (const std::string& label : g_.labels)
    if (label.find('\n') != std::string::npos)
      return error("label '" + label + "' contains a newline");
  return Status::Ok();
}

int Writer::add_buffer(const void* data, size_t size) {
  // Constant data is 16-byte aligned in the file (force_align in the schema), so a mapped
  // model can be read in place with vector loads.
  fbb_.ForceVectorAlignment(size, sizeof(uint8_t), 16);
  auto bytes = fbb_.CreateVector(static_cast<const uint8_t*>(data), size);
  buffers_.push_back(fb::CreateBuffer(fbb_, bytes));
  return static_cast<int>(buffers_.size()) - 1;
}

int Writer::add_const(const std::string& name, const std::vector<int64_t>& shape,
                      fb::TensorType type, const void* data, size_t size,
                      Offset<fb::QuantizationParameters> quant) {
  const int buffer = add_buffer(data, size);
  std::vector<int32_t> dims(shape.begin(), shape.end());
  auto t = fb::CreateTensorDirect(fbb_, &dims, type, static_cast<uint32_t>(buffer),
                                  name.c_str(), quant);
  tensors_.push_back(t);
  return static_cast<int>(tensors_.size()) - 1;
}

Offset<fb::QuantizationParameters> Writer::quantization(const QuantParams& q) {
  std::vector<int64_t> zeros = q.zero_point;
  zeros.resize(q.scale.size(), 0);
  return fb::CreateQuantizationParametersDirect(fbb_, nullptr, nullptr, &q.scale, &zeros,
                                                fb::QuantizationDetails::NONE, 0, q.axis);
}

int Writer::add_int8_weights(const std::string& name, const Op& op) {
  return add_const(name, op.weights.shape, fb::TensorType::INT8, op.qweights.data(),
                   op.qweights.size(), quantization(op.weight_quant));
}

// INT32 bias [n] with scale[c] = input scale * weight scale[c] (one scale when the weights
// have one), zero point 0; zeros when the op has none.
int Writer::add_int32_bias(const std::string& name, const Op& op, const TensorDesc& x,
                           int64_t n) {
  std::vector<int32_t> values = op.qbias;
  values.resize(static_cast<size_t>(n), 0);
  QuantParams q;
  for (float ws : op.weight_quant.scale)
    q.scale.push_back(static_cast<float>(static_cast<double>(x.quant.scale[0]) * ws));
  q.zero_point.assign(q.scale.size(), 0);
  q.axis = 0;
  return add_const(name, {n}, fb::TensorType::INT32, values.data(),
                   values.size() * sizeof(int32_t), quantization(q));
}

uint32_t Writer::opcode(fb::BuiltinOperator code) {
  const int c = static_cast<int>(code);
  auto it = code_index_.find(c);
  if (it != code_index_.end()) return it->second;
  // deprecated_builtin_code is an int8: codes past 127 store the placeholder there.
  const int8_t deprecated = static_cast<int8_t>(c < 127 ? c : 127);
  codes_.push_back(fb::CreateOperatorCode(fbb_, deprecated, 0, code_version_[c], code));
  const uint32_t index = static_cast<uint32_t>(codes_.size()) - 1;
  code_index_[c] = index;
  return index;
}

Offset<fb::Operator> Writer::write_op(const Op& op) {
  const TensorDesc& x = g_.tensors[op.inputs[0]];
  const TensorDesc& y = g_.tensors[op.output];
  const std::string& base = y.name;
  std::vector<int32_t> inputs(op.inputs.begin(), op.inputs.end());
  std::vector<int32_t> outputs = {op.output};
  fb::BuiltinOperator code = fb::BuiltinOperator::ADD;
  fb::BuiltinOptions options_type = fb::BuiltinOptions::NONE;
  Offset<void> options;

  const bool int8 = x.dtype == DType::kInt8 && op.kind != OpKind::kQuantize &&
                    op.kind != OpKind::kDequantize;
  auto add_weights = [&]() {
    if (int8) return add_int8_weights(base + "/weights", op);
    return add_float_const(base + "/weights", op.weights);
  };
  auto add_bias = [&](int64_t n) {
    if (int8) return add_int32_bias(base + "/bias", op, x, n);
    if (!op.bias.data.empty()) return add_float_const(base + "/bias", op.bias);
    return add_float_const(base + "/bias", FloatTensor({n}));
  };

  switch (op.kind) {
    case OpKind::kConv2D: {
      code = fb::BuiltinOperator::CONV_2D;
      inputs.push_back(add_weights());
      inputs.push_back(add_bias(op.weights.shape[0]));
      options_type = fb::BuiltinOptions::Conv2DOptions;
      options = fb::CreateConv2DOptions(fbb_, to_fb(op.padding), op.stride_w, op.stride_h,
                                        to_fb(op.activation), 1, 1)
                    .Union();
      break;
    }
    case OpKind::kDepthwiseConv2D: {
      code = fb::BuiltinOperator::DEPTHWISE_CONV_2D;
      inputs.push_back(add_weights());
      inputs.push_back(add_bias(op.weights.shape[3]));
      options_type = fb::BuiltinOptions::DepthwiseConv2DOptions;
      options = fb::CreateDepthwiseConv2DOptions(fbb_, to_fb(op.padding), op.stride_w,
                                                 op.stride_h, /*depth_multiplier=*/1,
                                                 to_fb(op.activation), 1, 1)
                    .Union();
      break;
    }
    case OpKind::kAdd: {
      code = fb::BuiltinOperator::ADD;
      options_type = fb::BuiltinOptions::AddOptions;
      options = fb::CreateAddOptions(fbb_, to_fb(op.activation)).Union();
      break;
    }
    case OpKind::kMean: {
      if (y.shape.size() == 4) {
        code = fb::BuiltinOperator::AVERAGE_POOL_2D;
        options_type = fb::BuiltinOptions::Pool2DOptions;
        options = fb::CreatePool2DOptions(fbb_, fb::Padding::VALID, 1, 1, x.shape[2], x.shape[1],
                                          fb::ActivationFunctionType::NONE)
                      .Union();
      } else {
        code = fb::BuiltinOperator::MEAN;
        inputs.push_back(add_int32_const(base + "/axes", {2}, {1, 2}));
        options_type = fb::BuiltinOptions::ReducerOptions;
        options = fb::CreateReducerOptions(fbb_, /*keep_dims=*/false).Union();
      }
      break;
    }
    case OpKind::kFullyConnected: {
      code = fb::BuiltinOperator::FULLY_CONNECTED;
      inputs.push_back(add_weights());
      inputs.push_back(add_bias(op.weights.shape[0]));
      options_type = fb::BuiltinOptions::FullyConnectedOptions;
      options = fb::CreateFullyConnectedOptions(fbb_, to_fb(op.activation),
                                                fb::FullyConnectedOptionsWeightsFormat::DEFAULT,
                                                /*keep_num_dims=*/false)
                    .Union();
      break;
    }
    case OpKind::kSoftmax: {
      code = fb::BuiltinOperator::SOFTMAX;
      options_type = fb::BuiltinOptions::SoftmaxOptions;
      options = fb::CreateSoftmaxOptions(fbb_, op.beta).Union();
      break;
    }
    case OpKind::kReshape: {
      code = fb::BuiltinOperator::RESHAPE;
      std::vector<int32_t> shape(y.shape.begin(), y.shape.end());
      inputs.push_back(add_int32_const(base + "/shape", {static_cast<int64_t>(shape.size())},
                                       shape));
      options_type = fb::BuiltinOptions::ReshapeOptions;
      options = fb::CreateReshapeOptionsDirect(fbb_, &shape).Union();
      break;
    }
    case OpKind::kQuantize:  // no options, as the converter writes them
      code = fb::BuiltinOperator::QUANTIZE;
      break;
    case OpKind::kDequantize:
      code = fb::BuiltinOperator::DEQUANTIZE;
      break;
    case OpKind::kPad: {
      code = fb::BuiltinOperator::PAD;
      inputs.push_back(add_int32_const(
          base + "/paddings", {4, 2},
          {0, 0, op.pads[0], op.pads[1], op.pads[2], op.pads[3], 0, 0}));
      options_type = fb::BuiltinOptions::PadOptions;
      options = fb::CreatePadOptions(fbb_).Union();
      break;
    }
  }
  return fb::CreateOperatorDirect(fbb_, opcode(code), &inputs, &outputs, options_type, options);
}

Result<std::vector<uint8_t>> Writer::run() {
  ELITE_RETURN_IF_ERROR(check_graph());
  buffers_.push_back(fb::CreateBuffer(fbb_));  // the empty sentinel

  for (const Op& op : g_.ops) {
    const int c = static_cast<int>(builtin_code(op, g_.tensors[op.output]));
    code_version_[c] = std::max(code_version_[c],
                                builtin_version(op, g_.tensors[op.inputs[0]].dtype));
  }
  // Activations: TFLite tensor i is Graph tensor i, all on the empty buffer 0.
  for (const TensorDesc& t : g_.tensors) {
    std::vector<int32_t> dims(t.shape.begin(), t.shape.end());
    Offset<fb::QuantizationParameters> quant;
    if (is_quantized(t.dtype)) quant = quantization(t.quant);
    tensors_.push_back(fb::CreateTensorDirect(fbb_, &dims, to_fb(t.dtype), 0, t.name.c_str(),
                                              quant));
  }
  std::vector<Offset<fb::Operator>> ops;
  for (const Op& op : g_.ops) ops.push_back(write_op(op));

  std::vector<int32_t> inputs = {g_.input}, outputs = {g_.output};
  auto subgraph = fb::CreateSubGraphDirect(fbb_, &tensors_, &inputs, &outputs, &ops, "main");
  std::vector<Offset<fb::SubGraph>> subgraphs = {subgraph};

  std::vector<Offset<fb::Metadata>> metadata;
  auto add_text = [&](const char* name, const std::string& text) {
    const int buffer = add_buffer(text.data(), text.size());
    metadata.push_back(fb::CreateMetadataDirect(fbb_, name, static_cast<uint32_t>(buffer)));
  };
  if (!g_.name.empty()) add_text("elite_model", g_.name);
  if (!g_.labels.empty()) {
    std::string text;
    for (const std::string& label : g_.labels) text += label + "\n";
    add_text("elite_labels", text);
  }

  auto model = fb::CreateModelDirect(fbb_, /*version=*/3, &codes_, &subgraphs, "elite",
                                     &buffers_, nullptr, metadata.empty() ? nullptr : &metadata);
  fb::FinishModelBuffer(fbb_, model);
  const uint8_t* p = fbb_.GetBufferPointer();
  return std::vector<uint8_t>(p, p + fbb_.GetSize());
}

}  // namespace

Result<std::vector<uint8_t>> serialize_tflite(const Graph& graph) {
  Writer writer(graph);
  return writer.run();
}

Status write_tflite_file(const Graph& graph, const std::string& path) {
  ELITE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, serialize_tflite(graph));
  return write_file_atomically(path, bytes);
}

}  // namespace elite
