// PyTorch .pth readers: the zip container (torch >= 1.6) and the legacy stream (< 1.6).
//
// Zip layout (entries usually STORED):
//   <archive>/data.pkl     the pickled object; tensors reference storages by key
//   <archive>/data/<key>   raw little-endian bytes of storage <key>
//   <archive>/version      serialization version; newer torch also writes
//   <archive>/byteorder    "little" or "big" (absent means little)
//
// Legacy layout: five pickles back to back, then raw storage data:
//   pickle 1: magic number 0x1950a86a20f9469cfc6c (a LONG1 of 10 bytes)
//   pickle 2: protocol version (1001)
//   pickle 3: sys info {"protocol_version", "little_endian", "type_sizes"}
//   pickle 4: the object (state dict); storages are persistent ids
//             ('storage', torch.FloatStorage, key, location, numel, view_metadata)
//   pickle 5: list of storage keys, in the order their data follows
//   then per key: int64 LE element count, then count * element_size bytes.
//
// In both, a tensor is torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...).
#include <map>
#include <string>
#include <vector>

#include "io/checkpoint/formats.h"
#include "io/checkpoint/pickle.h"
#include "io/checkpoint/zip.h"

namespace elite::ckpt {
namespace {

struct StorageData {
  DType dtype = DType::kF32;
  const uint8_t* bytes = nullptr;
  uint64_t numel = 0;  // elements available at bytes
};

bool dict_get(const Pickle& p, ObjId dict, const std::string& key, ObjId* value) {
  const std::vector<ObjId>& kv = p.at(dict).items;
  bool found = false;
  for (size_t k = 0; k + 1 < kv.size(); k += 2) {  // last one wins, as in Python
    const PyObj& o = p.at(kv[k]);
    if (o.kind == PyKind::kStr && o.s == key) {
      *value = kv[k + 1];
      found = true;
    }
  }
  return found;
}

// Finds the state dict: the root dict, or one nested under a wrapper key.
Result<ObjId> find_state_dict(const Pickle& p) {
  ObjId d = p.root;
  for (int depth = 0; depth < 4; ++depth) {
    const PyObj& o = p.at(d);
    if (o.kind == PyKind::kOpaque || o.kind == PyKind::kGlobal) {
      return Status::Error("the checkpoint holds an " + describe(p, d) +
                           ", not a state dict; save model.state_dict() instead");
    }
    if (o.kind != PyKind::kDict) return Status::Error("the checkpoint holds a " + describe(p, d) + ", not a state dict");
    // A dict-valued wrapper key means a training checkpoint around the state dict; a real
    // state dict maps names to tensors, never to dicts.
    ObjId inner;
    bool unwrapped = false;
    for (const char* key : {"state_dict", "model_state_dict", "model"}) {
      if (dict_get(p, d, key, &inner)) {
        const PyKind k = p.at(inner).kind;
        if (k == PyKind::kDict || k == PyKind::kOpaque) {
          d = inner;
          unwrapped = true;
          break;
        }
      }
    }
    if (!unwrapped) return d;
  }
  return d;
}

// Converts every float tensor of the state dict; `storage` maps a storage object to bytes.
template <class LookupFn>
Result<WeightMap> convert_state_dict(const Pickle& p, size_t file_size, LookupFn storage) {
  ELITE_ASSIGN_OR_RETURN(ObjId d, find_state_dict(p));
  WeightMap out;
  uint64_t budget = max_total_numel(file_size);
  const std::vector<ObjId>& kv = p.at(d).items;
  for (size_t k = 0; k + 1 < kv.size(); k += 2) {
    const PyObj& key = p.at(kv[k]);
    if (key.kind != PyKind::kStr) continue;  // not a parameter name
    const PyObj& v = p.at(kv[k + 1]);
    if (v.kind == PyKind::kOpaque) {
      return Status::Error("entry '" + key.s + "' is an " + describe(p, kv[k + 1]));
    }
    if (v.kind != PyKind::kTensor) continue;  // plain Python values (e.g. version numbers)
    const PyObj& st = p.at(v.items[0]);
    if (!dtype_is_float(st.dtype)) continue;  // num_batches_tracked and other integer buffers
    StorageData sd;
    Status s = storage(st, &sd);
    if (!s.ok()) return s.with_context("tensor '" + key.s + "'");
    int64_t offset = v.i;
    if (__builtin_add_overflow(offset, st.i2, &offset)) {
      return Status::Error("tensor '" + key.s + "': storage offset overflows");
    }
    FloatTensor t;
    s = copy_view_to_float(sd.dtype, sd.bytes, sd.numel, offset, v.shape, v.stride, budget, &t);
    if (!s.ok()) return s.with_context("tensor '" + key.s + "'");
    budget -= t.data.size();
    out[key.s] = std::move(t);
  }
  return out;
}

}  // namespace

Result<WeightMap> read_pth_zip(const uint8_t* data, size_t size) {
  ELITE_ASSIGN_OR_RETURN(ZipReader zip, ZipReader::open(data, size));
  // The archive folder name is free-form ("archive", the file stem, ...): find data.pkl.
  const ZipEntry* pkl = nullptr;
  for (const ZipEntry& e : zip.entries()) {
    const size_t slash = e.name.find('/');
    if (slash != std::string::npos && e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      pkl = &e;
      break;
    }
  }
  if (!pkl) return Status::Error("zip archive has no <name>/data.pkl entry; not a torch.save file");
  const std::string prefix = pkl->name.substr(0, pkl->name.size() - 8);  // "<name>/"
  if (const ZipEntry* bo = zip.find(prefix + "byteorder")) {
    std::vector<uint8_t> scratch;
    const uint8_t* b;
    size_t n;
    ELITE_RETURN_IF_ERROR(zip.read(*bo, &scratch, &b, &n));
    if (std::string(reinterpret_cast<const char*>(b), n) != "little") {
      return Status::Error("big-endian checkpoints are not supported");
    }
  }
  std::vector<uint8_t> pkl_scratch;
  const uint8_t* pb;
  size_t pn;
  ELITE_RETURN_IF_ERROR(zip.read(*pkl, &pkl_scratch, &pb, &pn));
  Result<Pickle> pickle = load_pickle(pb, pn);
  if (!pickle.ok()) return pickle.status().with_context(pkl->name);
  const Pickle& p = pickle.value();

  // Storages are read once each; deflated ones are kept in `inflated`.
  std::map<std::string, StorageData> cache;
  std::map<std::string, std::vector<uint8_t>> inflated;
  auto lookup = [&](const PyObj& st, StorageData* sd) -> Status {
    auto it = cache.find(st.s);
    if (it == cache.end()) {
      const ZipEntry* e = zip.find(prefix + "data/" + st.s);
      if (!e) return Status::Error("storage '" + st.s + "' is missing from the archive");
      std::vector<uint8_t>& scratch = inflated[st.s];
      const uint8_t* b;
      size_t n;
      ELITE_RETURN_IF_ERROR(zip.read(*e, &scratch, &b, &n));
      StorageData d;
      d.dtype = st.dtype;
      d.bytes = b;
      d.numel = n / dtype_size(st.dtype);
      it = cache.emplace(st.s, d).first;
    }
    if (it->second.dtype != st.dtype) return Status::Error("storage '" + st.s + "' used with two dtypes");
    *sd = it->second;
    return Status::Ok();
  };
  return convert_state_dict(p, size, lookup);
}

Result<WeightMap> read_pth_legacy(const uint8_t* data, size_t size) {
  size_t pos = 0;
  auto next = [&](const char* what) -> Result<Pickle> {
    Result<Pickle> r = load_pickle(data + pos, size - pos);
    if (!r.ok()) return r.status().with_context(std::string("legacy .pth ") + what + " at byte " + std::to_string(pos));
    pos += r.value().consumed;
    return r;
  };
  {
    ELITE_ASSIGN_OR_RETURN(Pickle magic, next("magic number"));
    static const uint8_t kMagic[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
    const PyObj& m = magic.at(magic.root);
    if (m.kind != PyKind::kBigInt || m.s != std::string(reinterpret_cast<const char*>(kMagic), 10)) {
      return Status::Error("legacy .pth: bad magic number (not a torch.save file)");
    }
  }
  {
    ELITE_ASSIGN_OR_RETURN(Pickle version, next("protocol version"));
    const PyObj& v = version.at(version.root);
    if (v.kind != PyKind::kInt || v.i != 1001) {
      return Status::Error("legacy .pth: unsupported protocol version (expected 1001)");
    }
  }
  {
    ELITE_ASSIGN_OR_RETURN(Pickle sys, next("sys info"));
    ObjId le;
    if (sys.at(sys.root).kind == PyKind::kDict && dict_get(sys, sys.root, "little_endian", &le) &&
        sys.at(le).kind == PyKind::kBool && sys.at(le).i == 0) {
      return Status::Error("legacy .pth: big-endian checkpoints are not supported");
    }
  }
  ELITE_ASSIGN_OR_RETURN(Pickle p, next("object"));
  ELITE_ASSIGN_OR_RETURN(Pickle keys, next("storage key list"));

  // dtype of each root storage, from the persistent ids in the object pickle.
  std::map<std::string, DType> dtypes;
  for (const PyObj& o : p.objs) {
    if (o.kind != PyKind::kStorage) continue;
    auto [it, inserted] = dtypes.emplace(o.s, o.dtype);
    if (!inserted && it->second != o.dtype) {
      return Status::Error("legacy .pth: storage '" + o.s + "' used with two dtypes");
    }
  }
  const PyObj& kl = keys.at(keys.root);
  if (kl.kind != PyKind::kList && kl.kind != PyKind::kTuple) {
    return Status::Error("legacy .pth: storage key list is a " + describe(keys, keys.root));
  }
  std::map<std::string, StorageData> storages;
  for (ObjId kid : kl.items) {
    const PyObj& k = keys.at(kid);
    if (k.kind != PyKind::kStr) return Status::Error("legacy .pth: storage key is not a string");
    auto dt = dtypes.find(k.s);
    if (dt == dtypes.end()) return Status::Error("legacy .pth: storage '" + k.s + "' is not used by any tensor");
    if (size - pos < 8) return Status::Error("legacy .pth: truncated before storage '" + k.s + "'");
    uint64_t count = 0;
    for (int b = 0; b < 8; ++b) count |= static_cast<uint64_t>(data[pos + b]) << (8 * b);
    pos += 8;
    uint64_t nbytes;
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(dtype_size(dt->second)), &nbytes) ||
        nbytes > size - pos) {
      return Status::Error("legacy .pth: storage '" + k.s + "' claims " + std::to_string(count) +
                           " elements but only " + std::to_string(size - pos) + " bytes remain");
    }
    storages[k.s] = StorageData{dt->second, data + pos, count};
    pos += nbytes;
  }
  auto lookup = [&](const PyObj& st, StorageData* sd) -> Status {
    auto it = storages.find(st.s);
    if (it == storages.end()) return Status::Error("storage '" + st.s + "' has no data in the file");
    *sd = it->second;
    return Status::Ok();
  };
  return convert_state_dict(p, size, lookup);
}

}  // namespace elite::ckpt
