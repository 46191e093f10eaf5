#include "model/graph.h"

namespace elite {

const char* op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::kConv2D: return "CONV_2D";
    case OpKind::kDepthwiseConv2D: return "DEPTHWISE_CONV_2D";
    case OpKind::kAdd: return "ADD";
    case OpKind::kMean: return "MEAN";
    case OpKind::kFullyConnected: return "FULLY_CONNECTED";
    case OpKind::kSoftmax: return "SOFTMAX";
    case OpKind::kReshape: return "RESHAPE";
    case OpKind::kPad: return "PAD";
    case OpKind::kQuantize: return "QUANTIZE";
    case OpKind::kDequantize: return "DEQUANTIZE";
  }
  return "?";
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "FLOAT32";
    case DType::kInt8: return "INT8";
    case DType::kUInt8: return "UINT8";
    case DType::kInt32: return "INT32";
  }
  return "?";
}

}  // namespace elite
