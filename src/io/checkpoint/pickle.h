// A small pickle virtual machine for what torch.save writes. It never imports or calls
// anything: GLOBAL names are looked up in a whitelist of the few callables a state dict
// needs (collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.*Storage, ...),
// and REDUCE on those builds plain data. Any other global becomes an inert "opaque" object
// that only turns into an error if the caller needs its value.
//
// Byte layout of a pickle: a stream of one-byte opcodes, each followed by its inline
// argument (little-endian integers, length-prefixed strings, or a text line for the old
// protocol-0 opcodes), ending at STOP ('.'). The machine has a value stack, a mark stack
// (MARK '(' pushes the stack height; TUPLE/SETITEMS/APPENDS pop back to it) and a memo
// (BINPUT/MEMOIZE store, BINGET fetch). BINPERSID pops a tuple naming an out-of-band
// storage: ('storage', torch.FloatStorage, key, location, numel[, view_metadata]).
//
// Objects live in one arena and refer to each other by index, so shared and cyclic
// references need no ownership and nothing is destroyed recursively.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/checkpoint/dtype.h"

namespace elite::ckpt {

using ObjId = uint32_t;

enum class PyKind : uint8_t {
  kNone, kBool, kInt, kBigInt, kFloat, kStr, kBytes,
  kTuple, kList, kDict, kSet,
  kGlobal,   // a whitelisted or unknown module.name; s holds "module.name"
  kStorage,  // a persistent-id storage reference
  kTensor,   // result of _rebuild_tensor(_v2): items[0] = storage, i = offset
  kOpaque,   // result of calling an unknown global; s holds its name
};

enum class GlobalTag : uint8_t {
  kUnknown, kOrderedDict, kDict, kList, kSet, kFrozenSet, kTuple,
  kRebuildTensor, kRebuildTensorV2, kRebuildParameter, kRebuildParameterWithState,
  kRebuildFromTypeV2, kTensorType, kParameterType, kStorageType, kCodecsEncode, kTorchSize,
};

struct PyObj {
  PyKind kind = PyKind::kNone;
  GlobalTag tag = GlobalTag::kUnknown;  // kGlobal
  DType dtype = DType::kF32;            // kGlobal with kStorageType, kStorage
  int64_t i = 0;       // kBool/kInt value; kTensor storage offset; kStorage numel
  int64_t i2 = 0;      // kStorage: element offset into the root storage (legacy views)
  double f = 0.0;      // kFloat
  std::string s;       // kStr/kBytes data; kBigInt raw LE bytes; kGlobal/kOpaque name; kStorage key
  std::vector<ObjId> items;  // tuple/list/set items; dict as k0,v0,k1,v1,...; tensor: {storage}
  std::vector<int64_t> shape, stride;  // kTensor
};

struct Pickle {
  std::vector<PyObj> objs;
  ObjId root = 0;
  size_t consumed = 0;            // bytes up to and including STOP
  std::string first_unknown_global;  // for error messages, "" if none
  const PyObj& at(ObjId id) const { return objs[id]; }
};

// Runs the pickle at data[0..size). Errors say what went wrong and at which byte offset.
Result<Pickle> load_pickle(const uint8_t* data, size_t size);

// "dict", "OrderedDict-like dict", "opaque numpy.core.multiarray.scalar", ...
std::string describe(const Pickle& p, ObjId id);

}  // namespace elite::ckpt
