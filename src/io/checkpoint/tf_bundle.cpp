// Tensor bundle reader: hand-decoded BundleHeaderProto / BundleEntryProto, shard access
// from files or memory, CRC-32C checks. See tf_bundle.h for the layout.
#include "io/checkpoint/tf_bundle.h"

#include <sys/stat.h>

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <new>

#include "io/checkpoint/crc32c.h"
#include "io/checkpoint/dtype.h"
#include "io/checkpoint/formats.h"
#include "io/checkpoint/sstable.h"
#include "io/file_bytes.h"
#include "io/checkpoint/varint.h"

namespace elite::ckpt {
namespace {

// ---- protobuf wire format ----
// A field is (tag << 3 | wire type) as a varint, then its payload: 0 varint, 1 fixed64,
// 2 varint length + bytes, 5 fixed32. Groups (3, 4) are obsolete and refused.
struct Field {
  uint64_t number = 0;
  int wire = 0;
  uint64_t varint = 0;          // wire 0, 1 and 5 (fixed values widened)
  const uint8_t* bytes = nullptr;  // wire 2
  uint64_t len = 0;
};

class ProtoReader {
 public:
  ProtoReader(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}
  bool done() const { return p_ >= end_; }
  // False on malformed input; *what says why.
  bool next(Field* f, std::string* what) {
    uint64_t key;
    if (!read_varint64(&p_, end_, &key)) return fail(what, "truncated field key");
    f->number = key >> 3;
    f->wire = static_cast<int>(key & 7);
    if (f->number == 0) return fail(what, "field number 0");
    switch (f->wire) {
      case 0:
        if (!read_varint64(&p_, end_, &f->varint)) return fail(what, "truncated varint");
        return true;
      case 1:
        if (end_ - p_ < 8) return fail(what, "truncated fixed64");
        f->varint = load_le64(p_);
        p_ += 8;
        return true;
      case 5:
        if (end_ - p_ < 4) return fail(what, "truncated fixed32");
        f->varint = load_le32(p_);
        p_ += 4;
        return true;
      case 2:
        if (!read_varint64(&p_, end_, &f->len) || f->len > static_cast<uint64_t>(end_ - p_))
          return fail(what, "length-delimited field runs past the message");
        f->bytes = p_;
        p_ += f->len;
        return true;
      default:
        return fail(what, "unsupported wire type " + std::to_string(f->wire));
    }
  }

 private:
  static bool fail(std::string* what, const std::string& w) {
    *what = w;
    return false;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

bool expect_wire(const Field& f, int wire, const char* field, std::string* what) {
  if (f.wire == wire) return true;
  *what = std::string("field ") + field + " has wire type " + std::to_string(f.wire) +
          ", expected " + std::to_string(wire);
  return false;
}

const uint8_t* bytes_of(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

bool parse_header(const std::string& v, TfBundleHeader* h, std::string* what) {
  ProtoReader r(bytes_of(v), bytes_of(v) + v.size());
  Field f;
  while (!r.done()) {
    if (!r.next(&f, what)) return false;
    if (f.number == 1) {
      if (!expect_wire(f, 0, "num_shards", what)) return false;
      h->num_shards = static_cast<int64_t>(f.varint);
    } else if (f.number == 2) {
      if (!expect_wire(f, 0, "endianness", what)) return false;
      h->endianness = static_cast<int64_t>(f.varint);
    } else if (f.number == 3) {
      if (!expect_wire(f, 2, "version", what)) return false;
      ProtoReader vr(f.bytes, f.bytes + f.len);
      Field g;
      while (!vr.done()) {
        if (!vr.next(&g, what)) return false;
        if (g.number == 1 && g.wire == 0) h->producer = static_cast<int64_t>(g.varint);
        if (g.number == 2 && g.wire == 0) h->min_consumer = static_cast<int64_t>(g.varint);
      }
    }
  }
  return true;
}

constexpr size_t kMaxRank = 64;

bool parse_shape(const uint8_t* p, uint64_t n, std::vector<int64_t>* shape, std::string* what) {
  ProtoReader r(p, p + n);
  Field f;
  while (!r.done()) {
    if (!r.next(&f, what)) return false;
    if (f.number == 3 && f.wire == 0 && f.varint != 0) {
      *what = "shape has unknown rank";
      return false;
    }
    if (f.number != 2) continue;
    if (!expect_wire(f, 2, "shape.dim", what)) return false;
    if (shape->size() >= kMaxRank) {
      *what = "shape has more than " + std::to_string(kMaxRank) + " dimensions";
      return false;
    }
    ProtoReader dr(f.bytes, f.bytes + f.len);
    Field g;
    int64_t size = 0;
    while (!dr.done()) {
      if (!dr.next(&g, what)) return false;
      if (g.number == 1) {
        if (!expect_wire(g, 0, "shape.dim.size", what)) return false;
        size = static_cast<int64_t>(g.varint);
      }
    }
    if (size < 0) {
      *what = "shape has a negative dimension " + std::to_string(size);
      return false;
    }
    shape->push_back(size);
  }
  return true;
}

bool parse_entry(const std::string& v, TfBundleEntry* e, std::string* what) {
  ProtoReader r(bytes_of(v), bytes_of(v) + v.size());
  Field f;
  while (!r.done()) {
    if (!r.next(&f, what)) return false;
    switch (f.number) {
      case 1:
        if (!expect_wire(f, 0, "dtype", what)) return false;
        e->dtype = static_cast<int64_t>(f.varint);
        break;
      case 2:
        if (!expect_wire(f, 2, "shape", what)) return false;
        e->shape.clear();  // protobuf would merge a repeated singular message; TF writes one
        if (!parse_shape(f.bytes, f.len, &e->shape, what)) return false;
        break;
      case 3:
        if (!expect_wire(f, 0, "shard_id", what)) return false;
        e->shard_id = static_cast<int64_t>(f.varint);
        break;
      case 4:
        if (!expect_wire(f, 0, "offset", what)) return false;
        e->offset = static_cast<int64_t>(f.varint);
        break;
      case 5:
        if (!expect_wire(f, 0, "size", what)) return false;
        e->size = static_cast<int64_t>(f.varint);
        break;
      case 6:
        if (!expect_wire(f, 5, "crc32c", what)) return false;
        e->masked_crc32c = static_cast<uint32_t>(f.varint);
        break;
      case 7:
        e->sliced = true;
        break;
      default:
        break;  // unknown fields are skipped, as protobuf does
    }
  }
  if (e->offset < 0 || e->size < 0 || e->shard_id < 0) {
    *what = "negative offset, size or shard id";
    return false;
  }
  return true;
}

// The float DType for a TF dtype, or false for types that are skipped.
bool float_dtype(int64_t tf, DType* t) {
  switch (tf) {
    case kTfFloat: *t = DType::kF32; return true;
    case kTfDouble: *t = DType::kF64; return true;
    case kTfBfloat16: *t = DType::kBF16; return true;
    case kTfHalf: *t = DType::kF16; return true;
    default: return false;
  }
}

}  // namespace

std::string tf_shard_suffix(int64_t shard, int64_t num_shards) {
  char buf[64];
  std::snprintf(buf, sizeof buf, ".data-%05" PRId64 "-of-%05" PRId64, shard, num_shards);
  return buf;
}

Result<TfBundleIndex> parse_tf_bundle_index(const uint8_t* data, size_t size) {
  ELITE_ASSIGN_OR_RETURN(std::vector<SsTableEntry> kv, read_sstable(data, size));
  if (kv.empty() || !kv[0].key.empty())
    return Status::Error("no bundle header (the entry with the empty key); not a tensor bundle index");
  TfBundleIndex index;
  std::string what;
  if (!parse_header(kv[0].value, &index.header, &what))
    return Status::Error("bundle header: " + what);
  const TfBundleHeader& h = index.header;
  if (h.num_shards < 1 || h.num_shards > 99999)
    return Status::Error("bundle header: num_shards " + std::to_string(h.num_shards) + " out of range");
  if (h.endianness != 0)
    return Status::Error("bundle header: big-endian checkpoints are not supported");
  // TensorFlow writes version {producer: 1}; min_consumer > 1 means a newer format.
  if (h.min_consumer > 1)
    return Status::Error("bundle header: needs a reader of version " + std::to_string(h.min_consumer) +
                         " (this reader knows version 1)");
  index.entries.reserve(kv.size() - 1);
  for (size_t i = 1; i < kv.size(); ++i) {
    TfBundleEntry e;
    e.name = std::move(kv[i].key);
    if (!parse_entry(kv[i].value, &e, &what))
      return Status::Error("entry '" + e.name + "': " + what);
    if (e.shard_id >= h.num_shards)
      return Status::Error("entry '" + e.name + "': shard " + std::to_string(e.shard_id) +
                           " but the bundle has " + std::to_string(h.num_shards));
    index.entries.push_back(std::move(e));
  }
  return index;
}

Result<WeightMap> read_tf_bundle(const uint8_t* index_data, size_t index_size,
                                 const std::string& index_name, TfShardSource& shards,
                                 const TfReadOptions& options) {
  try {
    Result<TfBundleIndex> index = parse_tf_bundle_index(index_data, index_size);
    if (!index.ok()) return index.status().with_context(index_name);
    shards.set_num_shards(index->header.num_shards);
    WeightMap out;
    std::vector<uint8_t> scratch;
    for (const TfBundleEntry& e : index->entries) {
      DType t;
      // Keys starting with a 0 byte are the slices of partitioned variables.
      if (e.name.empty() || e.name[0] == '\0' || !float_dtype(e.dtype, &t)) continue;
      if (options.keep && !options.keep(e.name)) continue;
      if (e.sliced)
        return Status::Error(index_name + ": tensor '" + e.name +
                             "' is a partitioned variable (saved as slices); not supported");
      uint64_t numel;
      if (!checked_numel(e.shape, &numel) || numel > (UINT64_MAX >> 4))
        return Status::Error(index_name + ": tensor '" + e.name + "' has an invalid shape " + shape_to_string(e.shape));
      const uint64_t want = numel * dtype_size(t);
      if (want != static_cast<uint64_t>(e.size))
        return Status::Error(index_name + ": tensor '" + e.name + "' of shape " + shape_to_string(e.shape) +
                             " and type " + dtype_name(t) + " should take " + std::to_string(want) +
                             " bytes, but its entry says " + std::to_string(e.size));
      const uint8_t* bytes = nullptr;
      ELITE_RETURN_IF_ERROR(shards.read(e.shard_id, static_cast<uint64_t>(e.offset),
                                        static_cast<uint64_t>(e.size), e.name, &scratch, &bytes));
      const uint32_t actual = crc32c(bytes, static_cast<size_t>(e.size));
      const uint32_t stored = crc32c_unmask(e.masked_crc32c);
      if (actual != stored) {
        char buf[96];
        std::snprintf(buf, sizeof buf, " (stored %08x, computed %08x; file corrupted)", stored, actual);
        return Status::Error(shards.shard_name(e.shard_id) + ": tensor '" + e.name +
                             "': CRC-32C mismatch" + buf);
      }
      FloatTensor ft;
      std::vector<int64_t> stride(e.shape.size(), 1);
      for (size_t k = e.shape.size(); k-- > 1;) stride[k - 1] = stride[k] * e.shape[k];
      Status s = copy_view_to_float(t, bytes, numel, 0, e.shape, stride, numel, &ft);
      if (!s.ok()) return s.with_context(shards.shard_name(e.shard_id) + ": tensor '" + e.name + "'");
      out.emplace(e.name, std::move(ft));
    }
    return out;
  } catch (const std::bad_alloc&) {
    return Status::Error(index_name + ": out of memory while reading the checkpoint");
  }
}

// ---- shard sources ----
namespace {

std::string truncated(const std::string& shard, const std::string& tensor, uint64_t offset,
                      uint64_t size, uint64_t have) {
  return shard + ": tensor '" + tensor + "' needs bytes [" + std::to_string(offset) + ", " +
         std::to_string(offset + size) + ") but the shard has only " + std::to_string(have) +
         " bytes (truncated file?)";
}

class FileShards : public TfShardSource {
 public:
  explicit FileShards(std::string prefix) : prefix_(std::move(prefix)) {}
  ~FileShards() override {
    for (auto& [k, f] : files_)
      if (f.file) std::fclose(f.file);
  }
  std::string shard_name(int64_t shard) const override {
    return prefix_ + tf_shard_suffix(shard, num_shards_);
  }
  Status read(int64_t shard, uint64_t offset, uint64_t size, const std::string& tensor,
              std::vector<uint8_t>* scratch, const uint8_t** out) override {
    auto it = files_.find(shard);
    if (it == files_.end()) {
      Open o;
      const std::string name = shard_name(shard);
      o.file = std::fopen(name.c_str(), "rb");
      if (!o.file) return Status::Error(name + ": cannot open the data shard (missing file?)");
      struct stat st;
      if (fstat(fileno(o.file), &st) != 0 || !S_ISREG(st.st_mode)) {
        std::fclose(o.file);
        return Status::Error(name + ": not a regular file");
      }
      o.size = static_cast<uint64_t>(st.st_size);
      it = files_.emplace(shard, o).first;
    }
    const Open& o = it->second;
    if (offset > o.size || size > o.size - offset)
      return Status::Error(truncated(shard_name(shard), tensor, offset, size, o.size));
    scratch->resize(size);
    if (fseeko(o.file, static_cast<off_t>(offset), SEEK_SET) != 0 ||
        (size && std::fread(scratch->data(), 1, size, o.file) != size))
      return Status::Error(shard_name(shard) + ": read error at offset " + std::to_string(offset));
    *out = scratch->data();
    return Status::Ok();
  }

 private:
  struct Open {
    std::FILE* file = nullptr;
    uint64_t size = 0;
  };
  std::string prefix_;
  std::map<int64_t, Open> files_;
};

class MemoryShards : public TfShardSource {
 public:
  MemoryShards(const MemoryFiles& files, std::string prefix, std::string source)
      : files_(files), prefix_(std::move(prefix)), source_(std::move(source)) {}
  std::string shard_name(int64_t shard) const override {
    return source_ + prefix_ + tf_shard_suffix(shard, num_shards_);
  }
  Status read(int64_t shard, uint64_t offset, uint64_t size, const std::string& tensor,
              std::vector<uint8_t>*, const uint8_t** out) override {
    auto it = files_.find(prefix_ + tf_shard_suffix(shard, num_shards_));
    if (it == files_.end()) return Status::Error(shard_name(shard) + ": data shard missing");
    const std::span<const uint8_t> b = it->second;
    if (offset > b.size() || size > b.size() - offset)
      return Status::Error(truncated(shard_name(shard), tensor, offset, size, b.size()));
    *out = b.data() + offset;
    return Status::Ok();
  }

 private:
  const MemoryFiles& files_;
  std::string prefix_, source_;
};

}  // namespace

Result<WeightMap> read_tf_bundle_files(const std::string& prefix, const TfReadOptions& options) {
  const std::string index_name = prefix + ".index";
  ELITE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file_bytes(index_name));
  if (bytes.empty()) return Status::Error(index_name + ": file is empty");
  FileShards shards(prefix);
  return read_tf_bundle(bytes.data(), bytes.size(), index_name, shards, options);
}

Result<WeightMap> read_tf_bundle_memory(const MemoryFiles& files, const std::string& prefix,
                                        const std::string& source, const TfReadOptions& options) {
  const std::string index_key = prefix + ".index";
  auto it = files.find(index_key);
  if (it == files.end()) return Status::Error(source + index_key + ": missing");
  const std::span<const uint8_t> index = it->second;
  if (index.empty()) return Status::Error(source + index_key + ": file is empty");
  MemoryShards shards(files, prefix, source);
  return read_tf_bundle(index.data(), index.size(), source + index_key, shards, options);
}

}  // namespace elite::ckpt
