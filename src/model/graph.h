// Graph: the inference form of a model, the common ground of every path in and out.
//   model definition (BN unfolded) --fold--> Graph --> runtime (packs, plans, runs)
//   .tflite file ------------------read----> Graph --write--> .tflite file
// Tensors are float32. 4-D activations are NHWC with N = 1. Weights use TFLite's layouts:
//   CONV_2D            [out_c, kernel_h, kernel_w, in_c]   (OHWI)
//   DEPTHWISE_CONV_2D  [1, kernel_h, kernel_w, channels]   (depth multiplier 1)
//   FULLY_CONNECTED    [out, in]
// BatchNorm is already folded into weights and bias; activations are fused into the op.
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"

namespace elite {

enum class OpKind {
  kConv2D,
  kDepthwiseConv2D,
  kAdd,             // elementwise, same shapes
  kMean,            // global average over H and W: [1,H,W,C] -> [1,C] (or [1,1,1,C])
  kFullyConnected,  // [1,in] -> [1,out]
  kSoftmax,         // over the last dimension
  kReshape,         // a view; no data moves
  kPad,             // zero padding of H and W, pads = {top, bottom, left, right}
  kQuantize,        // float -> int8/uint8, or int8 <-> uint8 requantization (graph edges)
  kDequantize,      // int8/uint8 -> float
};

// Element type of an activation tensor. FP32 graphs use kFloat32 throughout; INT8 graphs
// (TFLite full-integer quantization) use kInt8 inside and kUInt8/kInt8/kFloat32 at the edges.
enum class DType { kFloat32, kInt8, kUInt8, kInt32 };
const char* dtype_name(DType dtype);

// TFLite affine quantization: real = scale * (q - zero_point). Per tensor (one scale) or per
// channel along `axis` (weights: the output-channel axis, zero points all 0).
struct QuantParams {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int axis = 0;
  bool empty() const { return scale.empty(); }
};

enum class Activation { kNone, kRelu, kRelu6 };
enum class Padding { kSame, kValid };

const char* op_kind_name(OpKind kind);

struct TensorDesc {
  std::string name;
  std::vector<int> shape;  // NHWC for activations
  DType dtype = DType::kFloat32;
  QuantParams quant;       // set for kInt8 / kUInt8 tensors
  int64_t numel() const {
    int64_t n = 1;
    for (int d : shape) n *= d;
    return n;
  }
};

struct Op {
  OpKind kind = OpKind::kConv2D;
  std::vector<int> inputs;  // activation tensor ids (weights are held below)
  int output = -1;
  // kConv2D / kDepthwiseConv2D
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  Padding padding = Padding::kSame;
  Activation activation = Activation::kNone;  // also used by kAdd and kFullyConnected
  FloatTensor weights;                        // layouts in the file comment
  FloatTensor bias;                           // [out_c]
  // INT8 ops (input tensor of dtype kInt8): the same layouts, quantized; weights.shape and
  // bias.shape still give the shapes, with weights.data and bias.data left empty.
  std::vector<int8_t> qweights;               // symmetric, zero point 0
  QuantParams weight_quant;                   // per output channel (conv: axis 0, dw: axis 3)
  std::vector<int32_t> qbias;                 // scale = input scale * weight scale[c]
  // kSoftmax
  float beta = 1.0f;
  // kPad: top, bottom, left, right
  int pads[4] = {0, 0, 0, 0};
};

struct Graph {
  std::string name;  // e.g. "efficientnet-lite0"; may be empty for foreign files
  std::vector<TensorDesc> tensors;
  std::vector<Op> ops;  // in execution order
  int input = -1;       // [1, H, W, 3], values (x - 127) / 128
  int output = -1;      // [1, num_classes] probabilities
  std::vector<std::string> labels;  // empty when unknown

  int add_tensor(std::string tensor_name, std::vector<int> shape) {
    TensorDesc t;
    t.name = std::move(tensor_name);
    t.shape = std::move(shape);
    tensors.push_back(std::move(t));
    return static_cast<int>(tensors.size()) - 1;
  }
  int find_tensor(const std::string& tensor_name) const {
    for (size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].name == tensor_name) return static_cast<int>(i);
    return -1;
  }
};

// TF "SAME" padding along one axis: total = max((out-1)*stride + k - in, 0), the smaller
// half before (top/left) and the extra one after (bottom/right).
struct SamePadding {
  int out;
  int before;
  int after;
};
inline SamePadding same_padding(int in, int kernel, int stride) {
  int out = (in + stride - 1) / stride;
  int total = (out - 1) * stride + kernel - in;
  if (total < 0) total = 0;
  return {out, total / 2, total - total / 2};
}

}  // namespace elite
