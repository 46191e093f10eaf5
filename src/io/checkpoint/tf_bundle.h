// TensorFlow tensor bundles (the V2 checkpoint format written by tf.train.Saver,
// tf.train.Checkpoint and SaveV2): PREFIX.index plus PREFIX.data-SSSSS-of-NNNNN shards
// (tensorflow/core/util/tensor_bundle/tensor_bundle.cc, core/protobuf/tensor_bundle.proto).
//
// PREFIX.index is an SSTable (sstable.h) mapping names to serialized protobufs:
//   ""      -> BundleHeaderProto   {1: num_shards int32, 2: endianness (0 LITTLE, 1 BIG),
//                                   3: version VersionDef {1: producer, 2: min_consumer}}
//   "name"  -> BundleEntryProto    {1: dtype (DataType enum), 2: shape TensorShapeProto
//                                   {2: dim {1: size int64}}, 3: shard_id, 4: offset int64,
//                                   5: size int64, 6: crc32c fixed32, 7: slices}
// Absent fields are zero (proto3). The entry's bytes are data[offset, offset + size) of shard
// shard_id, dense, row-major, in the header's byte order; crc32c is the MASKED CRC-32C
// (crc32c.h) of those bytes (checked against files written by TensorFlow 2.x).
// Float types (DT_FLOAT 1, DT_DOUBLE 2, DT_BFLOAT16 14, DT_HALF 19) become float32; other
// types (int64 global_step, strings such as the object graph of tf.train.Checkpoint, ...)
// are skipped. Partitioned (sliced) float variables and big-endian bundles are refused.
// The protobufs are decoded by hand (wire format: varint, fixed32/64, length-delimited).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/checkpoint/weights.h"

namespace elite::ckpt {

// The tensorflow DataType enum values that matter here.
enum TfDataType : int {
  kTfFloat = 1, kTfDouble = 2, kTfInt32 = 3, kTfString = 7, kTfInt64 = 9,
  kTfBfloat16 = 14, kTfHalf = 19,
};

struct TfBundleHeader {
  int64_t num_shards = 0;
  int64_t endianness = 0;  // 0 little, 1 big
  int64_t producer = 0, min_consumer = 0;
};

struct TfBundleEntry {
  std::string name;
  int64_t dtype = 0;
  std::vector<int64_t> shape;
  int64_t shard_id = 0;
  int64_t offset = 0;
  int64_t size = 0;
  uint32_t masked_crc32c = 0;
  bool sliced = false;  // has `slices`: a partitioned variable, data stored elsewhere
};

struct TfBundleIndex {
  TfBundleHeader header;
  std::vector<TfBundleEntry> entries;  // key order, header excluded
};

// Parses an .index file's bytes. Errors name no file; the caller adds it.
Result<TfBundleIndex> parse_tf_bundle_index(const uint8_t* data, size_t size);

// ".data-00000-of-00001" for shard 0 of 1.
std::string tf_shard_suffix(int64_t shard, int64_t num_shards);

// Which tensors to read (by name); empty = every float tensor. Unread tensors are neither
// loaded nor CRC-checked.
struct TfReadOptions {
  std::function<bool(const std::string& name)> keep;
};

// Where the shard bytes come from.
class TfShardSource {
 public:
  virtual ~TfShardSource() = default;
  // A name for messages, e.g. "dir/model.ckpt.data-00000-of-00001".
  virtual std::string shard_name(int64_t shard) const = 0;
  // The bytes [offset, offset + size) of a shard, either pointing into memory the source
  // owns or copied into *scratch. Errors name the shard file.
  virtual Status read(int64_t shard, uint64_t offset, uint64_t size, const std::string& tensor,
                      std::vector<uint8_t>* scratch, const uint8_t** out) = 0;
  // Set from the header before any read: shard file names depend on it.
  void set_num_shards(int64_t n) { num_shards_ = n; }

 protected:
  int64_t num_shards_ = 1;
};

// Reads the float tensors of a bundle whose index bytes are given; `index_name` names the
// .index file in messages.
Result<WeightMap> read_tf_bundle(const uint8_t* index, size_t index_size,
                                 const std::string& index_name, TfShardSource& shards,
                                 const TfReadOptions& options = {});

// PREFIX.index and its shards on disk.
Result<WeightMap> read_tf_bundle_files(const std::string& prefix, const TfReadOptions& options = {});

// Named files already in memory (e.g. the members of an archive); PREFIX.index and the
// shards are looked up as `prefix + ".index"` and so on. `source` is prepended to the
// names in messages (e.g. "lite0.tar.gz:").
using MemoryFiles = std::map<std::string, std::span<const uint8_t>>;
Result<WeightMap> read_tf_bundle_memory(const MemoryFiles& files, const std::string& prefix,
                                        const std::string& source,
                                        const TfReadOptions& options = {});

}  // namespace elite::ckpt
