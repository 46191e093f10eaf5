// .tflite reader: flatbuffer -> Graph.
//
// File layout (TFLite schema version 3, see tflite_schema.fbs):
//   bytes 0..3   uint32 offset of the root Model table
//   bytes 4..7   file identifier "TFL3"
//   then the flatbuffer: tables, vectors and strings reached through 32-bit offsets, all
//   little-endian. Model = { version (3), operator_codes[], subgraphs[], description,
//   buffers[], metadata[] }. buffers[0] is an empty sentinel; a constant tensor (weights,
//   bias, reshape shape, mean axes, pad amounts) points at its own non-empty buffer, an
//   activation tensor at buffer 0 or another empty one. Files over 2 GB keep buffer bytes
//   after the flatbuffer (Buffer.offset/size, from the start of the file).
//   Optional trailing data: TFLite Support models append a zip archive (label files); the
//   flatbuffer ignores it.
// Operators reference tensors of subgraph 0 by index and an OperatorCode by index; the
// operator kind is max(deprecated_builtin_code, builtin_code), as the TFLite runtime reads it.
//
// Quantization (INT8 files, TFLite full-integer form): Tensor.quantization holds scale[],
// zero_point[] (as many) and quantized_dimension; real = scale * (q - zero_point). INT8 and
// UINT8 activations carry one scale and zero point (per tensor). INT8 weights are symmetric
// (zero points 0), per tensor or per output channel (CONV_2D and FULLY_CONNECTED axis 0,
// DEPTHWISE_CONV_2D axis 3). Biases are INT32 with scale = input scale * weight scale[c].
// Operators other than QUANTIZE/DEQUANTIZE compute in FLOAT32 or INT8 (input and output of
// the same type); UINT8 appears only at the edges, converted by QUANTIZE. Hybrid
// (dynamic-range) files, with float activations and INT8 weights, are refused.
//
// Validation: the flatbuffers Verifier first (every offset and vector stays inside the
// file), then each operator: tensor indices, types, ranks and sizes, weight shapes against
// input channels, output shapes against what SAME/VALID padding gives, byte counts against
// shapes, and execution order (an operator reads only tensors already produced). A Graph
// that comes out of here is safe for the runtime to plan and run.
#include "io/tflite/tflite_reader.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>

#include "flatbuffers/flatbuffers.h"
#include "io/checkpoint/zip.h"
#include "tflite_schema_generated.h"

namespace elite {
namespace {

namespace fb = ::tflite;

// Bounds that keep a crafted file from asking the runtime for absurd work or memory.
constexpr int64_t kMaxTensorElements = int64_t{1} << 26;  // 256 MiB of float32
constexpr int kMaxDim = 1 << 24;
constexpr int kMaxRank = 4;
constexpr size_t kMaxFileSize = FLATBUFFERS_MAX_BUFFER_SIZE;

std::string shape_str(const std::vector<int>& shape) {
  std::vector<int64_t> s(shape.begin(), shape.end());
  return shape_to_string(s);
}

std::string builtin_name(int code) {
  if (code >= 0 && code <= static_cast<int>(fb::BuiltinOperator::MAX)) {
    const char* name = fb::EnumNameBuiltinOperator(static_cast<fb::BuiltinOperator>(code));
    if (name && *name) return name;
  }
  return "BUILTIN_" + std::to_string(code);
}

std::string type_name(fb::TensorType type) {
  const char* name = fb::EnumNameTensorType(type);
  if (name && *name) return name;
  return "type " + std::to_string(static_cast<int>(type));
}

struct Bytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// A constant int32/int64 tensor (shape, axes, paddings), widened to int64.
struct IntConstant {
  std::vector<int> shape;
  std::vector<int64_t> values;
};

// One operator being mapped: its position, kind and tensor lists.
struct OpContext {
  int index = 0;
  int code = 0;
  std::string name;
  const fb::Operator* op = nullptr;
  std::vector<int> inputs;
  std::vector<int> outputs;
};

// TF SAME/VALID output size along one axis; -1 when VALID does not fit.
int conv_out_size(int in, int kernel, int stride, Padding padding) {
  if (padding == Padding::kSame) return static_cast<int>((int64_t{in} + stride - 1) / stride);
  if (in < kernel) return -1;
  return (in - kernel) / stride + 1;
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, const std::string& file)
      : data_(data), size_(size), file_(file) {}

  Result<Graph> read();

 private:
  Status error(const std::string& message) const {
    return Status::Error(file_ + ": " + message);
  }
  Status op_error(const OpContext& c, const std::string& message) const {
    return error("op " + std::to_string(c.index) + " (" + c.name + "): " + message);
  }

  std::string tensor_label(int index) const {
    const fb::Tensor* t = tensors_->Get(static_cast<flatbuffers::uoffset_t>(index));
    if (t->name() && t->name()->size() > 0) return "'" + t->name()->str() + "'";
    return "#" + std::to_string(index);
  }
  const fb::Tensor* tensor(int index) const {
    return tensors_->Get(static_cast<flatbuffers::uoffset_t>(index));
  }

  Status check_header();
  Status read_structure();
  Status check_tensor_types();
  Result<Bytes> buffer_bytes(uint32_t index) const;
  Result<bool> is_constant(int index) const;
  Result<std::vector<int>> checked_shape(int index, bool activation) const;
  Status check_index(const OpContext& c, int index) const;

  Result<int> activation_input(const OpContext& c, int index);
  Result<int> define_output(const OpContext& c, int index, const std::vector<int>& expected,
                            DType dtype);
  Result<FloatTensor> const_float(const OpContext& c, int index, const char* role) const;
  Result<QuantParams> read_quant(int index) const;
  Result<TensorDesc> activation_desc(int index) const;
  Result<int> compute_input(const OpContext& c, int index);
  Status read_weights(const OpContext& c, int index, DType x_dtype, int channel_axis, Op* op);
  Status read_bias(const OpContext& c, int out_c, DType x_dtype, int x_id, Op* op);
  Result<IntConstant> const_int(const OpContext& c, int index, const char* role) const;
  Result<Activation> activation(const OpContext& c, fb::ActivationFunctionType f) const;

  Status map_op(const OpContext& c);
  Status map_conv(const OpContext& c, bool depthwise);
  Status map_add(const OpContext& c);
  Status map_average_pool(const OpContext& c);
  Status map_mean(const OpContext& c);
  Status map_reshape(const OpContext& c);
  Status map_fully_connected(const OpContext& c);
  Status map_softmax(const OpContext& c);
  Status map_pad(const OpContext& c);
  Status map_quantize(const OpContext& c, bool dequantize);

  Status read_metadata();

  const uint8_t* data_;
  size_t size_;
  std::string file_;
  const fb::Model* model_ = nullptr;
  const fb::SubGraph* subgraph_ = nullptr;
  const flatbuffers::Vector<flatbuffers::Offset<fb::Tensor>>* tensors_ = nullptr;
  std::vector<int> graph_id_;  // TFLite tensor index -> Graph tensor id, -1 until produced
  Graph graph_;
};

Status Reader::check_header() {
  if (size_ == 0) return error("file is empty");
  if (size_ < 8) return error("file is too short to be a .tflite model (" +
                              std::to_string(size_) + " bytes)");
  if (size_ > kMaxFileSize) return error("files over 2 GB are not supported");
  if (!flatbuffers::BufferHasIdentifier(data_, fb::ModelIdentifier())) {
    std::string id;
    for (int i = 4; i < 8; ++i) {
      char ch = static_cast<char>(data_[i]);
      id += (ch >= 32 && ch < 127) ? std::string(1, ch) : "\\x" + std::to_string(data_[i]);
    }
    return error("not a .tflite model: file identifier is \"" + id + "\", expected \"TFL3\"");
  }
  flatbuffers::Verifier verifier(data_, size_);
  if (!fb::VerifyModelBuffer(verifier))
    return error("corrupt or truncated .tflite flatbuffer (verification failed)");
  model_ = fb::GetModel(data_);
  if (model_->version() != 3)
    return error("schema version " + std::to_string(model_->version()) +
                 " is not supported (expected 3)");
  return Status::Ok();
}

Result<Bytes> Reader::buffer_bytes(uint32_t index) const {
  const auto* buffers = model_->buffers();
  if (!buffers || index >= buffers->size())
    return error("buffer index " + std::to_string(index) + " is out of range");
  const fb::Buffer* b = buffers->Get(index);
  if (b->offset() > 1) {
    // Data outside the flatbuffer (models over 2 GB).
    uint64_t off = b->offset(), len = b->size();
    if (off > size_ || len > size_ - off)
      return error("buffer " + std::to_string(index) + " lies outside the file");
    return Bytes{data_ + off, static_cast<size_t>(len)};
  }
  if (!b->data()) return Bytes{};
  return Bytes{b->data()->data(), b->data()->size()};
}

Result<bool> Reader::is_constant(int index) const {
  ELITE_ASSIGN_OR_RETURN(Bytes bytes, buffer_bytes(tensor(index)->buffer()));
  return bytes.size > 0;
}

// Rank 1..4, every dimension >= 1, a bounded element count; activations of rank >= 2 have
// batch 1 (the Graph is single-image).
Result<std::vector<int>> Reader::checked_shape(int index, bool activation) const {
  const fb::Tensor* t = tensor(index);
  std::vector<int> shape;
  if (t->shape()) shape.assign(t->shape()->begin(), t->shape()->end());
  if (shape.empty() || static_cast<int>(shape.size()) > kMaxRank)
    return error("tensor " + tensor_label(index) + " has rank " + std::to_string(shape.size()) +
                 "; expected 1 to 4");
  int64_t n = 1;
  for (int d : shape) {
    if (d < 1 || d > kMaxDim)
      return error("tensor " + tensor_label(index) + " has invalid shape " + shape_str(shape));
    n *= d;
    if (n > kMaxTensorElements)
      return error("tensor " + tensor_label(index) + " is too large " + shape_str(shape));
  }
  if (activation && shape.size() >= 2 && shape[0] != 1)
    return error("tensor " + tensor_label(index) + " has batch " + std::to_string(shape[0]) +
                 "; only batch 1 is supported");
  return shape;
}

Status Reader::check_index(const OpContext& c, int index) const {
  if (index < 0 || static_cast<size_t>(index) >= tensors_->size())
    return op_error(c, "tensor index " + std::to_string(index) + " is out of range");
  return Status::Ok();
}

// Types: activations FLOAT32, INT8 or UINT8; weights FLOAT32 or INT8; biases FLOAT32 or
// INT32; operator parameters (shapes, axes, pad amounts) constant INT32/INT64. Checked up
// front so that a model with other types (FLOAT16, INT16, ...) fails on its first such tensor;
// which type goes where is checked per operator.
Status Reader::check_tensor_types() {
  std::vector<int> referenced;
  if (subgraph_->inputs()) referenced.insert(referenced.end(), subgraph_->inputs()->begin(),
                                             subgraph_->inputs()->end());
  if (subgraph_->outputs()) referenced.insert(referenced.end(), subgraph_->outputs()->begin(),
                                              subgraph_->outputs()->end());
  if (subgraph_->operators()) {
    for (const fb::Operator* op : *subgraph_->operators()) {
      if (op->inputs()) referenced.insert(referenced.end(), op->inputs()->begin(),
                                          op->inputs()->end());
      if (op->outputs()) referenced.insert(referenced.end(), op->outputs()->begin(),
                                           op->outputs()->end());
    }
  }
  for (int index : referenced) {
    if (index < 0 || static_cast<size_t>(index) >= tensors_->size()) continue;  // later
    const fb::Tensor* t = tensor(index);
    if (t->sparsity())
      return error("tensor " + tensor_label(index) + " is sparse; sparse tensors are not supported");
    fb::TensorType type = t->type();
    if (type == fb::TensorType::FLOAT32 || type == fb::TensorType::INT8 ||
        type == fb::TensorType::UINT8)
      continue;
    if (type == fb::TensorType::INT32 || type == fb::TensorType::INT64) {
      ELITE_ASSIGN_OR_RETURN(bool constant, is_constant(index));
      if (constant) continue;
    }
    return error("tensor " + tensor_label(index) + " has type " + type_name(type) +
                 "; only FLOAT32, INT8 and UINT8 models are supported by this build");
  }
  return Status::Ok();
}

Result<int> Reader::activation_input(const OpContext& c, int index) {
  ELITE_RETURN_IF_ERROR(check_index(c, index));
  ELITE_ASSIGN_OR_RETURN(bool constant, is_constant(index));
  if (constant)
    return op_error(c, "input tensor " + tensor_label(index) +
                           " is a constant; this operator needs a computed input here");
  if (graph_id_[index] < 0)
    return op_error(c, "input tensor " + tensor_label(index) +
                           " is neither the model input nor produced by an earlier operator");
  return graph_id_[index];
}

// Declares the operator's output tensor after checking it has the shape the operator
// produces; each tensor is produced once.
Result<int> Reader::define_output(const OpContext& c, int index,
                                  const std::vector<int>& expected, DType dtype) {
  ELITE_RETURN_IF_ERROR(check_index(c, index));
  ELITE_ASSIGN_OR_RETURN(bool constant, is_constant(index));
  if (constant) return op_error(c, "output tensor " + tensor_label(index) + " is a constant");
  if (graph_id_[index] >= 0)
    return op_error(c, "output tensor " + tensor_label(index) + " is already produced");
  ELITE_ASSIGN_OR_RETURN(std::vector<int> shape, checked_shape(index, true));
  if (shape != expected)
    return op_error(c, "output tensor " + tensor_label(index) + " has shape " +
                           shape_str(shape) + "; the operator gives " + shape_str(expected));
  ELITE_ASSIGN_OR_RETURN(TensorDesc desc, activation_desc(index));
  if (desc.dtype != dtype)
    return op_error(c, "output tensor " + tensor_label(index) + " has type " +
                           dtype_name(desc.dtype) + "; the operator gives " + dtype_name(dtype));
  desc.shape = std::move(shape);
  graph_.tensors.push_back(std::move(desc));
  graph_id_[index] = static_cast<int>(graph_.tensors.size()) - 1;
  return graph_id_[index];
}

Result<FloatTensor> Reader::const_float(const OpContext& c, int index, const char* role) const {
  ELITE_RETURN_IF_ERROR(check_index(c, index));
  const fb::Tensor* t = tensor(index);
  ELITE_ASSIGN_OR_RETURN(Bytes bytes, buffer_bytes(t->buffer()));
  if (bytes.size == 0)
    return op_error(c, std::string(role) + " tensor " + tensor_label(index) +
                           " has no constant data");
  if (t->type() != fb::TensorType::FLOAT32)
    return op_error(c, std::string(role) + " tensor " + tensor_label(index) + " has type " +
                           type_name(t->type()) + "; only FLOAT32 is supported by this build");
  ELITE_ASSIGN_OR_RETURN(std::vector<int> shape, checked_shape(index, false));
  // Sizes agree before anything is allocated: a shape alone cannot make us reserve memory.
  const int64_t numel = TensorDesc{"", shape}.numel();
  if (bytes.size != static_cast<size_t>(numel) * sizeof(float))
    return op_error(c, std::string(role) + " tensor " + tensor_label(index) + " of shape " +
                           shape_str(shape) + " has " + std::to_string(bytes.size) +
                           " bytes of data; expected " +
                           std::to_string(static_cast<size_t>(numel) * sizeof(float)));
  FloatTensor out(std::vector<int64_t>(shape.begin(), shape.end()));
  std::memcpy(out.data.data(), bytes.data, bytes.size);  // little-endian hosts only
  for (float v : out.data)
    if (!std::isfinite(v))
      return op_error(c, std::string(role) + " tensor " + tensor_label(index) +
                             " holds a non-finite value");
  return out;
}

// A tensor's quantization parameters, validated as the TFLite runtime does before using
// them: as many zero points as scales, finite positive scales, zero points inside the
// tensor type's range (INT32 biases: 0), quantized_dimension inside the shape, and a
// per-channel scale count equal to the extent of that dimension. No parameters (no table,
// or no scales) give an empty QuantParams.
Result<QuantParams> Reader::read_quant(int index) const {
  const fb::Tensor* t = tensor(index);
  QuantParams q;
  const fb::QuantizationParameters* p = t->quantization();
  if (!p || !p->scale() || p->scale()->size() == 0) return q;
  const std::string label = "tensor " + tensor_label(index);
  if (p->details_type() != fb::QuantizationDetails::NONE)
    return error(label + " uses custom quantization, which is not supported");
  const auto* scales = p->scale();
  const auto* zeros = p->zero_point();
  if (!zeros || zeros->size() != scales->size())
    return error(label + " has " + std::to_string(scales->size()) + " quantization scales and " +
                 std::to_string(zeros ? zeros->size() : 0) + " zero points");
  std::vector<int> shape;
  if (t->shape()) shape.assign(t->shape()->begin(), t->shape()->end());
  const int axis = p->quantized_dimension();
  if (axis < 0 || (axis > 0 && axis >= static_cast<int>(shape.size())))
    return error(label + " has quantized_dimension " + std::to_string(axis) + " outside its " +
                 std::to_string(shape.size()) + "-D shape");
  if (scales->size() > 1 &&
      (axis >= static_cast<int>(shape.size()) || static_cast<int64_t>(scales->size()) !=
                                                     static_cast<int64_t>(shape[axis])))
    return error(label + " of shape " + shape_str(shape) + " has " +
                 std::to_string(scales->size()) + " per-channel scales along dimension " +
                 std::to_string(axis) + "; expected one per channel");
  int64_t zmin = 0, zmax = 0;
  switch (t->type()) {
    case fb::TensorType::INT8: zmin = -128, zmax = 127; break;
    case fb::TensorType::UINT8: zmin = 0, zmax = 255; break;
    case fb::TensorType::INT32: break;
    default:
      return error(label + " of type " + type_name(t->type()) +
                   " has quantization parameters; only INT8, UINT8 and INT32 are quantized");
  }
  q.axis = axis;
  q.scale.assign(scales->begin(), scales->end());
  q.zero_point.assign(zeros->begin(), zeros->end());
  for (float s : q.scale)
    if (!std::isfinite(s) || !(s > 0.0f))
      return error(label + " has quantization scale " + std::to_string(s) +
                   "; scales must be finite and positive");
  for (int64_t z : q.zero_point)
    if (z < zmin || z > zmax)
      return error(label + " has zero point " + std::to_string(z) + ", outside " +
                   std::to_string(zmin) + ".." + std::to_string(zmax) + " for " +
                   type_name(t->type()));
  return q;
}

// Name, type and quantization of an activation tensor (its shape is set by the caller).
// FLOAT32 tensors ignore any quantization parameters, as the TFLite runtime does; INT8 and
// UINT8 ones need exactly one scale and zero point.
Result<TensorDesc> Reader::activation_desc(int index) const {
  const fb::Tensor* t = tensor(index);
  TensorDesc desc;
  desc.name = t->name() && t->name()->size() ? t->name()->str()
                                             : "tensor_" + std::to_string(index);
  switch (t->type()) {
    case fb::TensorType::FLOAT32: return desc;
    case fb::TensorType::INT8: desc.dtype = DType::kInt8; break;
    case fb::TensorType::UINT8: desc.dtype = DType::kUInt8; break;
    default:
      return error("tensor " + tensor_label(index) + " has type " + type_name(t->type()) +
                   "; activations must be FLOAT32, INT8 or UINT8");
  }
  ELITE_ASSIGN_OR_RETURN(desc.quant, read_quant(index));
  if (desc.quant.empty())
    return error("tensor " + tensor_label(index) + " has type " + type_name(t->type()) +
                 " but no quantization parameters");
  if (desc.quant.scale.size() != 1)
    return error("tensor " + tensor_label(index) + " is quantized per channel; activations " +
                 "must be quantized per tensor");
  desc.quant.axis = 0;
  return desc;
}

// The activation input of a computing operator: FLOAT32 or INT8. UINT8 is accepted only at
// the model's edges, where QUANTIZE converts it (TensorFlow's uint8 I/O).
Result<int> Reader::compute_input(const OpContext& c, int index) {
  ELITE_ASSIGN_OR_RETURN(int x, activation_input(c, index));
  const DType dtype = graph_.tensors[x].dtype;
  if (dtype != DType::kFloat32 && dtype != DType::kInt8)
    return op_error(c, "input tensor " + tensor_label(index) + " has type " +
                           dtype_name(dtype) + "; operators compute in FLOAT32 or INT8 (UINT8 " +
                           "is supported only at the model input and output, through QUANTIZE)");
  return x;
}

// Weights of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED. A FLOAT32 operator takes
// FLOAT32 weights (op->weights); an INT8 operator takes INT8 weights, symmetric, per tensor
// or per channel along `channel_axis` (op->qweights, op->weight_quant; op->weights gets the
// shape and no data).
Status Reader::read_weights(const OpContext& c, int index, DType x_dtype, int channel_axis,
                            Op* op) {
  ELITE_RETURN_IF_ERROR(check_index(c, index));
  const fb::Tensor* t = tensor(index);
  const bool int_weights = t->type() == fb::TensorType::INT8 || t->type() == fb::TensorType::UINT8;
  if (x_dtype == DType::kFloat32) {
    if (int_weights)
      return op_error(c, "weight tensor " + tensor_label(index) + " is " + type_name(t->type()) +
                             " while the activations are FLOAT32: hybrid (dynamic-range) " +
                             "quantized models are not supported; use a float model or a " +
                             "full-integer INT8 one");
    ELITE_ASSIGN_OR_RETURN(op->weights, const_float(c, index, "weight"));
    return Status::Ok();
  }
  if (t->type() != fb::TensorType::INT8)
    return op_error(c, "weight tensor " + tensor_label(index) + " has type " +
                           type_name(t->type()) + "; an INT8 operator needs INT8 weights");
  ELITE_ASSIGN_OR_RETURN(Bytes bytes, buffer_bytes(t->buffer()));
  if (bytes.size == 0)
    return op_error(c, "weight tensor " + tensor_label(index) + " has no constant data");
  ELITE_ASSIGN_OR_RETURN(std::vector<int> shape, checked_shape(index, false));
  const int64_t numel = TensorDesc{"", shape}.numel();
  if (bytes.size != static_cast<size_t>(numel))
    return op_error(c, "weight tensor " + tensor_label(index) + " of shape " + shape_str(shape) +
                           " has " + std::to_string(bytes.size) + " bytes of data; expected " +
                           std::to_string(numel));
  ELITE_ASSIGN_OR_RETURN(QuantParams q, read_quant(index));
  if (q.empty())
    return op_error(c, "INT8 weight tensor " + tensor_label(index) +
                           " has no quantization parameters");
  if (q.scale.size() > 1 && q.axis != channel_axis)
    return op_error(c, "weight tensor " + tensor_label(index) +
                           " is quantized per channel along dimension " +
                           std::to_string(q.axis) + "; expected the output-channel dimension " +
                           std::to_string(channel_axis));
  for (int64_t z : q.zero_point)
    if (z != 0)
      return op_error(c, "weight tensor " + tensor_label(index) + " has zero point " +
                             std::to_string(z) + "; INT8 weights must be symmetric (0)");
  if (q.scale.size() == 1) q.axis = channel_axis;
  op->weights = FloatTensor();
  op->weights.shape.assign(shape.begin(), shape.end());
  op->qweights.resize(bytes.size);
  std::memcpy(op->qweights.data(), bytes.data, bytes.size);
  op->weight_quant = std::move(q);
  return Status::Ok();
}

// The optional bias (input 2) of [out_c]: FLOAT32 for a FLOAT32 operator, INT32 for an
// INT8 one, whose scale must be input scale * weight scale (to TFLite's tolerance, a
// relative 1e-6). An absent bias reads as zeros.
Status Reader::read_bias(const OpContext& c, int out_c, DType x_dtype, int x_id, Op* op) {
  const bool present = c.inputs.size() == 3 && c.inputs[2] >= 0;
  if (x_dtype == DType::kFloat32) {
    if (!present) {
      op->bias = FloatTensor({out_c});
      return Status::Ok();
    }
    ELITE_ASSIGN_OR_RETURN(op->bias, const_float(c, c.inputs[2], "bias"));
    if (op->bias.shape != std::vector<int64_t>{out_c})
      return op_error(c, "bias shape " + shape_to_string(op->bias.shape) + "; expected [" +
                             std::to_string(out_c) + "]");
    return Status::Ok();
  }
  op->bias = FloatTensor();
  op->bias.shape = {out_c};
  if (!present) {
    op->qbias.assign(static_cast<size_t>(out_c), 0);
    return Status::Ok();
  }
  const int index = c.inputs[2];
  ELITE_RETURN_IF_ERROR(check_index(c, index));
  const fb::Tensor* t = tensor(index);
  if (t->type() != fb::TensorType::INT32)
    return op_error(c, "bias tensor " + tensor_label(index) + " has type " +
                           type_name(t->type()) + "; an INT8 operator needs an INT32 bias");
  ELITE_ASSIGN_OR_RETURN(Bytes bytes, buffer_bytes(t->buffer()));
  ELITE_ASSIGN_OR_RETURN(std::vector<int> shape, checked_shape(index, false));
  if (shape != std::vector<int>{out_c})
    return op_error(c, "bias shape " + shape_str(shape) + "; expected [" +
                           std::to_string(out_c) + "]");
  if (bytes.size != static_cast<size_t>(out_c) * sizeof(int32_t))
    return op_error(c, "bias tensor " + tensor_label(index) + " has " +
                           std::to_string(bytes.size) + " bytes of data; expected " +
                           std::to_string(out_c * sizeof(int32_t)));
  ELITE_ASSIGN_OR_RETURN(QuantParams q, read_quant(index));
  if (!q.empty()) {
    if (q.scale.size() != 1 && q.scale.size() != static_cast<size_t>(out_c))
      return op_error(c, "bias tensor " + tensor_label(index) + " has " +
                             std::to_string(q.scale.size()) + " scales; expected 1 or " +
                             std::to_string(out_c));
    const double in_scale = graph_.tensors[x_id].quant.scale[0];
    const std::vector<float>& ws = op->weight_quant.scale;
    for (int ch = 0; ch < out_c; ++ch) {
      const double want = in_scale * ws[ws.size() == 1 ? 0 : static_cast<size_t>(ch)];
      const double got = q.scale[q.scale.size() == 1 ? 0 : static_cast<size_t>(ch)];
      if (std::abs(want - got) > 1e-6 * std::min(want, got))
        return op_error(c, "bias tensor " + tensor_label(index) + " has scale " +
                               std::to_string(got) + " for channel " + std::to_string(ch) +
                               "; expected input scale * weight scale = " +
                               std::to_string(want));
    }
  }
  op->qbias.resize(static_cast<size_t>(out_c));
  std::memcpy(op->qbias.data(), bytes.data, bytes.size);
  return Status::Ok();
}

Result<IntConstant> Reader::const_int(const OpContext& c, int index, const char* role) const {
  ELITE_RETURN_IF_ERROR(check_index(c, index));
  const fb::Tensor* t = tensor(index);
  ELITE_ASSIGN_OR_RETURN(Bytes bytes, buffer_bytes(t->buffer()));
  if (bytes.size == 0)
    return op_error(c, std::string(role) + " tensor " + tensor_label(index) +
                           " must be a constant");
  size_t width = 0;
  if (t->type() == fb::TensorType::INT32) width = 4;
  if (t->type() == fb::TensorType::INT64) width = 8;
  if (width == 0)
    return op_error(c, std::string(role) + " tensor " + tensor_label(index) + " has type " +
                           type_name(t->type()) + "; expected INT32");
  ELITE_ASSIGN_OR_RETURN(std::vector<int> shape, checked_shape(index, false));
  IntConstant out;
  int64_t n = 1;
  for (int d : shape) n *= d;
  if (n > 64 || bytes.size != static_cast<size_t>(n) * width)
    return op_error(c, std::string(role) + " tensor " + tensor_label(index) +
                           " has a size that does not match its shape " + shape_str(shape));
  out.shape = shape;
  out.values.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (width == 4) {
      int32_t v;
      std::memcpy(&v, bytes.data + i * 4, 4);
      out.values[i] = v;
    } else {
      std::memcpy(&out.values[i], bytes.data + i * 8, 8);
    }
  }
  return out;
}

Result<Activation> Reader::activation(const OpContext& c, fb::ActivationFunctionType f) const {
  switch (f) {
    case fb::ActivationFunctionType::NONE: return Activation::kNone;
    case fb::ActivationFunctionType::RELU: return Activation::kRelu;
    case fb::ActivationFunctionType::RELU6: return Activation::kRelu6;
    default: break;
  }
  const char* name = fb::EnumNameActivationFunctionType(f);
  return op_error(c, std::string("fused activation ") +
                         (name && *name ? name : std::to_string(static_cast<int>(f)).c_str()) +
                         " is not supported (only NONE, RELU, RELU6)");
}

Status Reader::map_conv(const OpContext& c, bool depthwise) {
  if (c.inputs.size() < 2 || c.inputs.size() > 3 || c.outputs.size() != 1)
    return op_error(c, "expected 2 or 3 inputs and 1 output");
  Op op;
  op.kind = depthwise ? OpKind::kDepthwiseConv2D : OpKind::kConv2D;
  fb::Padding padding;
  fb::ActivationFunctionType act;
  int dilation_w, dilation_h;
  if (depthwise) {
    const fb::DepthwiseConv2DOptions* o = c.op->builtin_options_as_DepthwiseConv2DOptions();
    if (!o) return op_error(c, "missing DepthwiseConv2DOptions");
    padding = o->padding();
    op.stride_h = o->stride_h();
    op.stride_w = o->stride_w();
    act = o->fused_activation_function();
    dilation_w = o->dilation_w_factor();
    dilation_h = o->dilation_h_factor();
  } else {
    const fb::Conv2DOptions* o = c.op->builtin_options_as_Conv2DOptions();
    if (!o) return op_error(c, "missing Conv2DOptions");
    padding = o->padding();
    op.stride_h = o->stride_h();
    op.stride_w = o->stride_w();
    act = o->fused_activation_function();
    dilation_w = o->dilation_w_factor();
    dilation_h = o->dilation_h_factor();
  }
  if (dilation_w != 1 || dilation_h != 1)
    return op_error(c, "dilation " + std::to_string(dilation_h) + "x" +
                           std::to_string(dilation_w) + " is not supported (only 1)");
  if (op.stride_h < 1 || op.stride_w < 1 || op.stride_h > 64 || op.stride_w > 64)
    return op_error(c, "invalid stride " + std::to_string(op.stride_h) + "x" +
                           std::to_string(op.stride_w));
  if (padding == fb::Padding::SAME) op.padding = Padding::kSame;
  else if (padding == fb::Padding::VALID) op.padding = Padding::kValid;
  else return op_error(c, "unknown padding " + std::to_string(static_cast<int>(padding)));
  ELITE_ASSIGN_OR_RETURN(op.activation, activation(c, act));

  ELITE_ASSIGN_OR_RETURN(int x, compute_input(c, c.inputs[0]));
  const std::vector<int> in = graph_.tensors[x].shape;
  const DType dtype = graph_.tensors[x].dtype;
  if (in.size() != 4) return op_error(c, "input must be 4-D NHWC, got " + shape_str(in));
  ELITE_RETURN_IF_ERROR(read_weights(c, c.inputs[1], dtype, depthwise ? 3 : 0, &op));
  const std::vector<int64_t>& w = op.weights.shape;
  if (w.size() != 4) return op_error(c, "weights must be 4-D, got " + shape_to_string(w));
  int out_c;
  if (depthwise) {
    // [1, kh, kw, channels]; channels = in_c * multiplier.
    if (w[0] != 1 || w[3] % in[3] != 0)
      return op_error(c, "weights " + shape_to_string(w) + " do not fit input " +
                             shape_str(in) + " (expected [1, kh, kw, " +
                             std::to_string(in[3]) + "])");
    if (w[3] != in[3])
      return op_error(c, "depth multiplier " + std::to_string(w[3] / in[3]) +
                             " is not supported (only 1)");
    out_c = in[3];
  } else {
    // [out_c, kh, kw, in_c]
    if (w[3] != in[3])
      return op_error(c, "weights " + shape_to_string(w) + " expect " + std::to_string(w[3]) +
                             " input channels; input is " + shape_str(in));
    out_c = static_cast<int>(w[0]);
  }
  op.kernel_h = static_cast<int>(w[1]);
  op.kernel_w = static_cast<int>(w[2]);
  ELITE_RETURN_IF_ERROR(read_bias(c, out_c, dtype, x, &op));
  int oh = conv_out_size(in[1], op.kernel_h, op.stride_h, op.padding);
  int ow = conv_out_size(in[2], op.kernel_w, op.stride_w, op.padding);
  if (oh < 1 || ow < 1)
    return op_error(c, "kernel " + std::to_string(op.kernel_h) + "x" +
                           std::to_string(op.kernel_w) + " is larger than the input " +
                           shape_str(in) + " with VALID padding");
  ELITE_ASSIGN_OR_RETURN(op.output,
                         define_output(c, c.outputs[0], {1, oh, ow, out_c}, dtype));
  op.inputs = {x};
  graph_.ops.push_back(std::move(op));
  return Status::Ok();
}

Status Reader::map_add(const OpContext& c) {
  if (c.inputs.size() != 2 || c.outputs.size() != 1)
    return op_error(c, "expected 2 inputs and 1 output");
  Op op;
  op.kind = OpKind::kAdd;
  if (const fb::AddOptions* o = c.op->builtin_options_as_AddOptions()) {
    ELITE_ASSIGN_OR_RETURN(op.activation, activation(c, o->fused_activation_function()));
  }
  ELITE_ASSIGN_OR_RETURN(int a, compute_input(c, c.inputs[0]));
  ELITE_ASSIGN_OR_RETURN(int b, compute_input(c, c.inputs[1]));
  if (graph_.tensors[a].dtype != graph_.tensors[b].dtype)
    return op_error(c, std::string("inputs have different types ") +
                           dtype_name(graph_.tensors[a].dtype) + " and " +
                           dtype_name(graph_.tensors[b].dtype));
  if (graph_.tensors[a].shape != graph_.tensors[b].shape)
    return op_error(c, "inputs have different shapes " + shape_str(graph_.tensors[a].shape) +
                           " and " + shape_str(graph_.tensors[b].shape) +
                           " (broadcasting is not supported)");
  std::vector<int> shape = graph_.tensors[a].shape;
  ELITE_ASSIGN_OR_RETURN(op.output,
                         define_output(c, c.outputs[0], shape, graph_.tensors[a].dtype));
  op.inputs = {a, b};
  graph_.ops.push_back(std::move(op));
  return Status::Ok();
}

// Only the global form: the filter covers the whole input, giving [1, 1, 1, C].
Status Reader::map_average_pool(const OpContext& c) {
  if (c.inputs.size() != 1 || c.outputs.size() != 1)
    return op_error(c, "expected 1 input and 1 output");
  const fb::Pool2DOptions* o = c.op->builtin_options_as_Pool2DOptions();
  if (!o) return op_error(c, "missing Pool2DOptions");
  ELITE_ASSIGN_OR_RETURN(Activation act, activation(c, o->fused_activation_function()));
  if (act != Activation::kNone) return op_error(c, "a fused activation is not supported here");
  ELITE_ASSIGN_OR_RETURN(int x, compute_input(c, c.inputs[0]));
  const std::vector<int> in = graph_.tensors[x].shape;
  if (in.size() != 4) return op_error(c, "input must be 4-D NHWC, got " + shape_str(in));
  if (o->filter_height() != in[1] || o->filter_width() != in[2] || o->stride_h() < 1 ||
      o->stride_w() < 1)
    return op_error(c, "only a global average pool (filter = input H x W) is supported; "
                       "filter is " + std::to_string(o->filter_height()) + "x" +
                       std::to_string(o->filter_width()) + " on input " + shape_str(in));
  Padding padding = o->padding() == fb::Padding::VALID ? Padding::kValid : Padding::kSame;
  if (conv_out_size(in[1], in[1], o->stride_h(), padding) != 1 ||
      conv_out_size(in[2], in[2], o->stride_w(), padding) != 1)
    return op_error(c, "only a global average pool (one output position) is supported");
  Op op;
  op.kind = OpKind::kMean;
  ELITE_ASSIGN_OR_RETURN(op.output,
                         define_output(c, c.outputs[0], {1, 1, 1, in[3]}, graph_.tensors[x].dtype));
  op.inputs = {x};
  graph_.ops.push_back(std::move(op));
  return Status::Ok();
}

// MEAN over axes {1, 2} of a 4-D input: [1, C], or [1, 1, 1, C] with keep_dims.
Status Reader::map_mean(const OpContext& c) {
  if (c.inputs.size() != 2 || c.outputs.size() != 1)
    return op_error(c, "expected 2 inputs and 1 output");
  ELITE_ASSIGN_OR_RETURN(int x, compute_input(c, c.inputs[0]));
  const std::vector<int> in = graph_.tensors[x].shape;
  if (in.size() != 4) return op_error(c, "input must be 4-D NHWC, got " + shape_str(in));
  ELITE_ASSIGN_OR_RETURN(IntConstant axes, const_int(c, c.inputs[1], "axes"));
  std::set<int64_t> axis_set;
  for (int64_t a : axes.values) axis_set.insert(a < 0 ? a + 4 : a);
  if (axis_set != std::set<int64_t>{1, 2})
    return op_error(c, "only a mean over axes {1, 2} (H and W) is supported");
  bool keep_dims = false;
  if (const fb::ReducerOptions* o = c.op->builtin_options_as_ReducerOptions())
    keep_dims = o->keep_dims();
  Op op;
  op.kind = OpKind::kMean;
  std::vector<int> expected = keep_dims ? std::vector<int>{1, 1, 1, in[3]}
                                        : std::vector<int>{1, in[3]};
  ELITE_ASSIGN_OR_RETURN(op.output,
                         define_output(c, c.outputs[0], expected, graph_.tensors[x].dtype));
  op.inputs = {x};
  graph_.ops.push_back(std::move(op));
  return Status::Ok();
}

Status Reader::map_reshape(const OpContext& c) {
  if (c.inputs.empty() || c.inputs.size() > 2 || c.outputs.size() != 1)
    return op_error(c, "expected 1 or 2 inputs and 1 output");
  ELITE_ASSIGN_OR_RETURN(int x, compute_input(c, c.inputs[0]));
  if (c.inputs.size() == 2 && c.inputs[1] >= 0) {
    // The new shape must be known when the file is read; the output tensor carries it.
    ELITE_ASSIGN_OR_RETURN(IntConstant new_shape, const_int(c, c.inputs[1], "shape"));
    (void)new_shape;
  }
  ELITE_RETURN_IF_ERROR(check_index(c, c.outputs[0]));
  ELITE_ASSIGN_OR_RETURN(std::vector<int> out, checked_shape(c.outputs[0], true));
  if (graph_.tensors[x].numel() != TensorDesc{"", out}.numel())
    return op_error(c, "cannot reshape " + shape_str(graph_.tensors[x].shape) + " to " +
                           shape_str(out));
  Op op;
  op.kind = OpKind::kReshape;
  ELITE_ASSIGN_OR_RETURN(op.output,
                         define_output(c, c.outputs[0], out, graph_.tensors[x].dtype));
  op.inputs = {x};
  graph_.ops.push_back(std::move(op));
  return Status::Ok();
}

Status Reader::map_fully_connected(const OpContext& c) {
  if (c.inputs.size() < 2 || c.inputs.size() > 3 || c.outputs.size() != 1)
    return op_error(c, "expected 2 or 3 inputs and 1 output");
  Op op;
  op.kind = OpKind::kFullyConnected;
  if (const fb::FullyConnectedOptions* o = c.op->builtin_options_as_FullyConnectedOptions()) {
    if (o->weights_format() != fb::FullyConnectedOptionsWeightsFormat::DEFAULT)
      return op_error(c, "shuffled weights are not supported");
    ELITE_ASSIGN_OR_RETURN(op.activation, activation(c, o->fused_activation_function()));
  }
  ELITE_ASSIGN_OR_RETURN(int x, compute_input(c, c.inputs[0]));
  const DType dtype = graph_.tensors[x].dtype;
  ELITE_RETURN_IF_ERROR(read_weights(c, c.inputs[1], dtype, 0, &op));
  const std::vector<int64_t>& w = op.weights.shape;  // [out, in]
  if (w.size() != 2) return op_error(c, "weights must be 2-D, got " + shape_to_string(w));
  if (graph_.tensors[x].numel() != w[1])
    return op_error(c, "weights " + shape_to_string(w) + " do not fit input " +
                           shape_str(graph_.tensors[x].shape));
  const int out_n = static_cast<int>(w[0]);
  ELITE_RETURN_IF_ERROR(read_bias(c, out_n, dtype, x, &op));
  ELITE_ASSIGN_OR_RETURN(op.output, define_output(c, c.outputs[0], {1, out_n}, dtype));
  op.inputs = {x};
  graph_.ops.push_back(std::move(op));
  return Status::Ok();
}

Status Reader::map_softmax(const OpContext& c) {
  if (c.inputs.size() != 1 || c.outputs.size() != 1)
    return op_error(c, "expected 1 input and 1 output");
  const fb::SoftmaxOptions* o = c.op->builtin_options_as_SoftmaxOptions();
  if (!o) return op_error(c, "missing SoftmaxOptions");
  Op op;
  op.kind = OpKind::kSoftmax;
  op.beta = o->beta();
  if (!std::isfinite(op.beta)) return op_error(c, "beta is not finite");
  ELITE_ASSIGN_OR_RETURN(int x, compute_input(c, c.inputs[0]));
  std::vector<int> shape = graph_.tensors[x].shape;
  ELITE_ASSIGN_OR_RETURN(op.output,
                         define_output(c, c.outputs[0], shape, graph_.tensors[x].dtype));
  op.inputs = {x};
  graph_.ops.push_back(std::move(op));
  return Status::Ok();
}

// PAD with paddings [[0, 0], [top, bottom], [left, right], [0, 0]], zeros.
Status Reader::map_pad(const OpContext& c) {
  if (c.inputs.size() != 2 || c.outputs.size() != 1)
    return op_error(c, "expected 2 inputs and 1 output");
  ELITE_ASSIGN_OR_RETURN(int x, compute_input(c, c.inputs[0]));
  const std::vector<int> in = graph_.tensors[x].shape;
  if (in.size() != 4) return op_error(c, "input must be 4-D NHWC, got " + shape_str(in));
  ELITE_ASSIGN_OR_RETURN(IntConstant p, const_int(c, c.inputs[1], "paddings"));
  if (p.shape != std::vector<int>{4, 2}) return op_error(c, "paddings must be [4, 2]");
  if (p.values[0] || p.values[1] || p.values[6] || p.values[7])
    return op_error(c, "only padding of H and W is supported");
  Op op;
  op.kind = OpKind::kPad;
  const int64_t amounts[4] = {p.values[2], p.values[3], p.values[4], p.values[5]};
  for (int i = 0; i < 4; ++i) {
    if (amounts[i] < 0 || amounts[i] > 1024)
      return op_error(c, "invalid padding amount " + std::to_string(amounts[i]));
    op.pads[i] = static_cast<int>(amounts[i]);
  }
  std::vector<int> out = {1, in[1] + op.pads[0] + op.pads[1], in[2] + op.pads[2] + op.pads[3],
                          in[3]};
  ELITE_ASSIGN_OR_RETURN(op.output,
                         define_output(c, c.outputs[0], out, graph_.tensors[x].dtype));
  op.inputs = {x};
  graph_.ops.push_back(std::move(op));
  return Status::Ok();
}

// QUANTIZE: FLOAT32 -> INT8/UINT8, or a requantization between INT8 and UINT8 (TensorFlow's
// uint8 model input and output). DEQUANTIZE: INT8/UINT8 -> FLOAT32. Same shape.
Status Reader::map_quantize(const OpContext& c, bool dequantize) {
  if (c.inputs.size() != 1 || c.outputs.size() != 1)
    return op_error(c, "expected 1 input and 1 output");
  ELITE_RETURN_IF_ERROR(check_index(c, c.inputs[0]));
  ELITE_ASSIGN_OR_RETURN(bool constant, is_constant(c.inputs[0]));
  if (constant)
    return op_error(c, "dequantizes the constant tensor " + tensor_label(c.inputs[0]) +
                           " (weights stored quantized for float computation, as in " +
                           "dynamic-range quantized models); such models are not supported");
  ELITE_ASSIGN_OR_RETURN(int x, activation_input(c, c.inputs[0]));
  const DType in = graph_.tensors[x].dtype;
  ELITE_RETURN_IF_ERROR(check_index(c, c.outputs[0]));
  ELITE_ASSIGN_OR_RETURN(TensorDesc out, activation_desc(c.outputs[0]));
  const bool in_ok = dequantize ? in != DType::kFloat32 : true;
  const bool out_ok = dequantize ? out.dtype == DType::kFloat32 : out.dtype != DType::kFloat32;
  if (!in_ok || !out_ok)
    return op_error(c, std::string("cannot convert ") + dtype_name(in) + " to " +
                           dtype_name(out.dtype));
  Op op;
  op.kind = dequantize ? OpKind::kDequantize : OpKind::kQuantize;
  const std::vector<int> shape = graph_.tensors[x].shape;
  ELITE_ASSIGN_OR_RETURN(op.output, define_output(c, c.outputs[0], shape, out.dtype));
  op.inputs = {x};
  graph_.ops.push_back(std::move(op));
  return Status::Ok();
}

Status Reader::map_op(const OpContext& c) {
  switch (static_cast<fb::BuiltinOperator>(c.code)) {
    case fb::BuiltinOperator::CONV_2D: return map_conv(c, false);
    case fb::BuiltinOperator::DEPTHWISE_CONV_2D: return map_conv(c, true);
    case fb::BuiltinOperator::ADD: return map_add(c);
    case fb::BuiltinOperator::AVERAGE_POOL_2D: return map_average_pool(c);
    case fb::BuiltinOperator::MEAN: return map_mean(c);
    case fb::BuiltinOperator::RESHAPE: return map_reshape(c);
    case fb::BuiltinOperator::FULLY_CONNECTED: return map_fully_connected(c);
    case fb::BuiltinOperator::SOFTMAX: return map_softmax(c);
    case fb::BuiltinOperator::PAD: return map_pad(c);
    case fb::BuiltinOperator::QUANTIZE: return map_quantize(c, false);
    case fb::BuiltinOperator::DEQUANTIZE: return map_quantize(c, true);
    default: break;
  }
  return error("unsupported operator " + c.name + " (op " + std::to_string(c.index) +
               ", builtin code " + std::to_string(c.code) + ")");
}

Status Reader::read_structure() {
  const auto* subgraphs = model_->subgraphs();
  if (!subgraphs || subgraphs->size() != 1)
    return error("expected exactly one subgraph, found " +
                 std::to_string(subgraphs ? subgraphs->size() : 0));
  subgraph_ = subgraphs->Get(0);
  tensors_ = subgraph_->tensors();
  if (!tensors_ || tensors_->size() == 0) return error("the subgraph has no tensors");
  if (!subgraph_->inputs() || subgraph_->inputs()->size() != 1)
    return error("expected exactly one model input, found " +
                 std::to_string(subgraph_->inputs() ? subgraph_->inputs()->size() : 0));
  if (!subgraph_->outputs() || subgraph_->outputs()->size() != 1)
    return error("expected exactly one model output, found " +
                 std::to_string(subgraph_->outputs() ? subgraph_->outputs()->size() : 0));
  ELITE_RETURN_IF_ERROR(check_tensor_types());

  graph_id_.assign(tensors_->size(), -1);
  const int input = subgraph_->inputs()->Get(0);
  if (input < 0 || static_cast<size_t>(input) >= tensors_->size())
    return error("model input tensor index " + std::to_string(input) + " is out of range");
  ELITE_ASSIGN_OR_RETURN(bool input_constant, is_constant(input));
  if (input_constant) return error("model input tensor " + tensor_label(input) + " is a constant");
  ELITE_ASSIGN_OR_RETURN(std::vector<int> input_shape, checked_shape(input, true));
  const fb::Tensor* in_t = tensor(input);
  ELITE_ASSIGN_OR_RETURN(TensorDesc input_desc, activation_desc(input));
  if (!in_t->name() || in_t->name()->size() == 0) input_desc.name = "input";
  input_desc.shape = std::move(input_shape);
  graph_.tensors.push_back(std::move(input_desc));
  graph_id_[input] = static_cast<int>(graph_.tensors.size()) - 1;
  graph_.input = graph_id_[input];

  const auto* codes = model_->operator_codes();
  const auto* ops = subgraph_->operators();
  if (!ops || ops->size() == 0) return error("the subgraph has no operators");
  for (flatbuffers::uoffset_t i = 0; i < ops->size(); ++i) {
    OpContext c;
    c.index = static_cast<int>(i);
    c.op = ops->Get(i);
    if (!codes || c.op->opcode_index() >= codes->size())
      return error("op " + std::to_string(i) + " has an operator code index out of range");
    const fb::OperatorCode* code = codes->Get(c.op->opcode_index());
    c.code = std::max<int>(code->deprecated_builtin_code(),
                           static_cast<int>(code->builtin_code()));
    c.name = builtin_name(c.code);
    if (static_cast<fb::BuiltinOperator>(c.code) == fb::BuiltinOperator::CUSTOM) {
      std::string custom = code->custom_code() ? code->custom_code()->str() : "";
      return error("unsupported custom operator '" + custom + "' (op " + std::to_string(i) + ")");
    }
    if (c.op->inputs()) c.inputs.assign(c.op->inputs()->begin(), c.op->inputs()->end());
    if (c.op->outputs()) c.outputs.assign(c.op->outputs()->begin(), c.op->outputs()->end());
    ELITE_RETURN_IF_ERROR(map_op(c));
  }

  const int output = subgraph_->outputs()->Get(0);
  if (output < 0 || static_cast<size_t>(output) >= tensors_->size() || graph_id_[output] < 0)
    return error("model output tensor " + std::to_string(output) +
                 " is not produced by any operator");
  graph_.output = graph_id_[output];
  return Status::Ok();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

// TFLite Support / MediaPipe models carry "TFLITE_METADATA" and append a zip archive of
// associated files to the flatbuffer; its offsets count from the start of the file. The
// labels are the first .txt entry (one whose name mentions "label" preferred). Best effort:
// a damaged archive leaves the labels empty rather than failing the model.
std::vector<std::string> labels_from_appended_zip(const uint8_t* data, size_t size) {
  Result<ckpt::ZipReader> zip = ckpt::ZipReader::open(data, size);
  if (!zip.ok()) return {};
  const ckpt::ZipEntry* pick = nullptr;
  for (const ckpt::ZipEntry& e : zip->entries()) {
    const std::string& n = e.name;
    if (n.size() < 4 || n.compare(n.size() - 4, 4, ".txt") != 0) continue;
    if (!pick || (n.find("label") != std::string::npos &&
                  pick->name.find("label") == std::string::npos))
      pick = &e;
  }
  if (!pick || pick->uncompressed_size > (size_t{64} << 20)) return {};
  std::vector<uint8_t> scratch;
  const uint8_t* bytes = nullptr;
  size_t n = 0;
  if (!zip->read(*pick, &scratch, &bytes, &n).ok()) return {};
  std::vector<std::string> labels =
      split_lines(std::string(reinterpret_cast<const char*>(bytes), n));
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  return labels;
}

// Our own metadata: "elite_labels" (one class name per line) and "elite_model" (the name);
// else labels from TFLite Support metadata, and a name from the description.
Status Reader::read_metadata() {
  bool has_labels = false, has_support_metadata = false;
  if (const auto* metadata = model_->metadata()) {
    for (const fb::Metadata* m : *metadata) {
      if (!m->name()) continue;
      const std::string name = m->name()->str();
      if (name == "TFLITE_METADATA") has_support_metadata = true;
      if (name != "elite_labels" && name != "elite_model") continue;
      ELITE_ASSIGN_OR_RETURN(Bytes bytes, buffer_bytes(m->buffer()));
      std::string text(reinterpret_cast<const char*>(bytes.data), bytes.size);
      if (name == "elite_model") {
        graph_.name = text;
        continue;
      }
      graph_.labels = split_lines(text);
      has_labels = true;
    }
  }
  if (!has_labels && has_support_metadata) graph_.labels = labels_from_appended_zip(data_, size_);
  if (graph_.name.empty() && model_->description()) {
    // e.g. a description mentioning "efficientnet-lite0" or "EfficientNet_Lite4".
    std::string d = model_->description()->str();
    std::transform(d.begin(), d.end(), d.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    for (const char* stem : {"efficientnet-lite", "efficientnet_lite"}) {
      size_t pos = d.find(stem);
      size_t digit = pos + std::strlen(stem);
      if (pos != std::string::npos && digit < d.size() && d[digit] >= '0' && d[digit] <= '4') {
        graph_.name = std::string("efficientnet-lite") + d[digit];
        break;
      }
    }
  }
  return Status::Ok();
}

Result<Graph> Reader::read() {
  ELITE_RETURN_IF_ERROR(check_header());
  ELITE_RETURN_IF_ERROR(read_structure());
  ELITE_RETURN_IF_ERROR(read_metadata());
  return std::move(graph_);
}

}  // namespace

Result<Graph> read_tflite_memory(const uint8_t* data, size_t size,
                                 const std::string& name_for_errors) {
  if (!data && size > 0) return Status::Error(name_for_errors + ": no data");
  // Flatbuffer accessors load scalars in place; give them an aligned copy if needed.
  std::vector<uint8_t> aligned;
  if (reinterpret_cast<uintptr_t>(data) % 16 != 0) {
    aligned.assign(data, data + size);
    data = aligned.data();
  }
  Reader reader(data, size, name_for_errors);
  return reader.read();
}

Result<Graph> read_tflite_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return Status::Error("cannot open " + path + ": " + std::strerror(errno));
  std::streamoff end = f.tellg();
  if (end < 0) return Status::Error("cannot read " + path);
  if (static_cast<uint64_t>(end) > kMaxFileSize)
    return Status::Error(path + ": files over 2 GB are not supported");
  std::vector<uint8_t> bytes(static_cast<size_t>(end));
  f.seekg(0);
  if (!bytes.empty() && !f.read(reinterpret_cast<char*>(bytes.data()), end))
    return Status::Error("cannot read " + path + ": read failed");
  return read_tflite_memory(bytes.data(), bytes.size(), path);
}

}  // namespace elite
