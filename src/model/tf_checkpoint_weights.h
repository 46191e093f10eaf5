// Loading the official TensorFlow EfficientNet-lite checkpoints (tensorflow/tpu
// models/official/efficientnet, lite builder) into the model definition.
//
// Variables, under a scope named after the model ("efficientnet-lite0/"):
//   stem/conv2d/kernel [3,3,3,32] HWIO, stem/tpu_batch_normalization/{gamma,beta,
//   moving_mean,moving_variance}
//   blocks_0 (no expansion): depthwise_conv2d/depthwise_kernel [k,k,C,1],
//     tpu_batch_normalization, conv2d/kernel (project), tpu_batch_normalization_1
//   blocks_K, K >= 1: conv2d/kernel (expand), tpu_batch_normalization,
//     depthwise_conv2d/depthwise_kernel, tpu_batch_normalization_1, conv2d_1/kernel
//     (project), tpu_batch_normalization_2
//   head/conv2d/kernel, head/tpu_batch_normalization, head/dense/kernel [in,out],
//   head/dense/bias
// Layouts become ours: conv HWIO -> OHWI, depthwise [k,k,C,1] -> [1,k,k,C] (same bytes),
// dense [in,out] -> [out,in].
//
// Exponential moving averages: training keeps a shadow `<var>/ExponentialMovingAverage`
// of every trainable variable and BN moving statistic, and the official eval and export
// restore the shadows (eval_ckpt_main.py, via ExponentialMovingAverage.variables_to_restore).
// As there, with use_ema every variable must have its shadow: a checkpoint with shadows for
// some variables but not others is an error naming the missing one (pass use_ema = false).
// A checkpoint with no shadows at all (saved without EMA) uses the raw variables, and
// TfModel::used_ema says so. Optimizer slots (`<var>/RMSProp`, ...) and global_step are
// ignored; any other model variable under the scope that the architecture does not use is
// an error (it means a different architecture).
#pragma once

#include <string>

#include "core/status.h"
#include "io/checkpoint/weights.h"
#include "model/efficientnet.h"

namespace elite {

struct TfModel {
  EfficientNetLite model;
  bool used_ema = false;  // false with use_ema when the checkpoint has no EMA shadows
};

// True for tensors the loader may use (model variables and their EMA shadows), false for
// optimizer slots and the like; a read filter that skips loading what is never used.
bool is_tf_model_tensor(const std::string& name);

// Fills every weight of `model` from the variables under `scope` (e.g. "efficientnet-lite0/").
// Sets *used_ema. `source` names the checkpoint in error messages.
Status load_tf_checkpoint_weights(EfficientNetLite& model, const WeightMap& weights,
                                  const std::string& scope, bool use_ema,
                                  const std::string& source, bool* used_ema);

// Builds the model named by the variable scope (an explicit model_name must agree with it;
// when the scope is not a lite name, model_name or else the shapes decide) with
// num_classes from head/dense/kernel, and loads the weights.
Result<TfModel> model_from_tf_checkpoint(const WeightMap& weights, const std::string& model_name,
                                         bool use_ema, const std::string& source);

}  // namespace elite
