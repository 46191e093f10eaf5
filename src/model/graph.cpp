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
  }
  return "?";
}

}  // namespace elite
