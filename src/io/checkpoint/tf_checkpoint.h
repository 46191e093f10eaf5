// Finding and reading a TensorFlow checkpoint given as any of:
//   - a prefix:             dir/model.ckpt        (dir/model.ckpt.index must exist)
//   - the index or a shard: dir/model.ckpt.index, dir/model.ckpt.data-00000-of-00001
//   - a directory:          the prefix named by its `checkpoint` file (model_checkpoint_path,
//                           taken relative to the directory when it is not found as
//                           written), else its only *.index file
//   - a .tar.gz (or .tar):  the official release tarballs efficientnet-liteN.tar.gz hold
//                           efficientnet-liteN/{checkpoint, model.ckpt.index,
//                           model.ckpt.data-00000-of-00001, model.ckpt.meta, *.tflite};
//                           members are read into memory, the checkpoint found as in a
//                           directory (a `checkpoint` member, else the only .index)
// The bundle itself is read by tf_bundle.h.
#pragma once

#include <string>

#include "core/status.h"
#include "io/checkpoint/tf_bundle.h"
#include "io/checkpoint/weights.h"

namespace elite::ckpt {

struct TfCheckpoint {
  std::string source;  // the prefix read, e.g. "dir/model.ckpt" or "x.tar.gz:lite0/model.ckpt"
  WeightMap weights;
};

// True when PATH names a TensorFlow checkpoint in one of the forms above (by its name, its
// first bytes, or an existing PATH.index), as opposed to a PyTorch or safetensors file.
bool is_tf_checkpoint_path(const std::string& path);

Result<TfCheckpoint> read_tf_checkpoint(const std::string& path_or_prefix,
                                        const TfReadOptions& options = {});

// The checkpoint among named files in memory (e.g. archive members). `source` names the
// archive in messages.
Result<TfCheckpoint> read_tf_checkpoint_memory(const MemoryFiles& files, const std::string& source,
                                               const TfReadOptions& options = {});

// The value of model_checkpoint_path in the text of a `checkpoint` file, or "".
std::string parse_checkpoint_state(const std::string& text);

}  // namespace elite::ckpt
