// Folding: the model definition (BN unfolded) -> the inference Graph.
// BatchNorm becomes a per-output-channel scale of the weights plus a bias, ReLU6 is fused
// into the op, and the graph ends in softmax (as the official .tflite export does):
//   input [1,R,R,3] -> conv/dwconv ops -> MEAN [1,1280] -> FULLY_CONNECTED "logits" -> SOFTMAX
#pragma once

#include "model/efficientnet.h"
#include "model/graph.h"

namespace elite {

Graph fold_to_graph(const EfficientNetLite& model);

}  // namespace elite
