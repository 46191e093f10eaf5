// The pickle machine described in pickle.h. Every read is bounds-checked against the
// buffer, every pop against the stack and the current mark, every memo fetch against the
// memo; the loop is iterative, so nesting depth cannot overflow the C++ stack.
#include "io/checkpoint/pickle.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <utility>

namespace elite::ckpt {
namespace {

struct GlobalEntry {
  const char* name;
  GlobalTag tag;
  DType dtype;
};

// The whitelist. Names are "module name" as GLOBAL writes them.
constexpr GlobalEntry kGlobals[] = {
    {"collections OrderedDict", GlobalTag::kOrderedDict, DType::kF32},
    {"builtins dict", GlobalTag::kDict, DType::kF32},
    {"__builtin__ dict", GlobalTag::kDict, DType::kF32},
    {"builtins list", GlobalTag::kList, DType::kF32},
    {"__builtin__ list", GlobalTag::kList, DType::kF32},
    {"builtins set", GlobalTag::kSet, DType::kF32},
    {"__builtin__ set", GlobalTag::kSet, DType::kF32},
    {"builtins frozenset", GlobalTag::kFrozenSet, DType::kF32},
    {"__builtin__ frozenset", GlobalTag::kFrozenSet, DType::kF32},
    {"builtins tuple", GlobalTag::kTuple, DType::kF32},
    {"__builtin__ tuple", GlobalTag::kTuple, DType::kF32},
    {"_codecs encode", GlobalTag::kCodecsEncode, DType::kF32},
    {"torch Size", GlobalTag::kTorchSize, DType::kF32},
    {"torch._utils _rebuild_tensor", GlobalTag::kRebuildTensor, DType::kF32},
    {"torch._utils _rebuild_tensor_v2", GlobalTag::kRebuildTensorV2, DType::kF32},
    {"torch._utils _rebuild_parameter", GlobalTag::kRebuildParameter, DType::kF32},
    {"torch._utils _rebuild_parameter_with_state", GlobalTag::kRebuildParameterWithState,
     DType::kF32},
    {"torch._tensor _rebuild_from_type_v2", GlobalTag::kRebuildFromTypeV2, DType::kF32},
    {"torch Tensor", GlobalTag::kTensorType, DType::kF32},
    {"torch.nn.parameter Parameter", GlobalTag::kParameterType, DType::kF32},
    {"torch FloatStorage", GlobalTag::kStorageType, DType::kF32},
    {"torch DoubleStorage", GlobalTag::kStorageType, DType::kF64},
    {"torch HalfStorage", GlobalTag::kStorageType, DType::kF16},
    {"torch BFloat16Storage", GlobalTag::kStorageType, DType::kBF16},
    {"torch LongStorage", GlobalTag::kStorageType, DType::kI64},
    {"torch IntStorage", GlobalTag::kStorageType, DType::kI32},
    {"torch ShortStorage", GlobalTag::kStorageType, DType::kI16},
    {"torch CharStorage", GlobalTag::kStorageType, DType::kI8},
    {"torch ByteStorage", GlobalTag::kStorageType, DType::kU8},
    {"torch BoolStorage", GlobalTag::kStorageType, DType::kBool},
    {"torch ComplexFloatStorage", GlobalTag::kStorageType, DType::kC64},
    {"torch ComplexDoubleStorage", GlobalTag::kStorageType, DType::kC128},
    {"torch QInt8Storage", GlobalTag::kStorageType, DType::kOther1},
    {"torch QUInt8Storage", GlobalTag::kStorageType, DType::kOther1},
    {"torch QInt32Storage", GlobalTag::kStorageType, DType::kI32},
    {"torch UntypedStorage", GlobalTag::kStorageType, DType::kU8},
};

constexpr size_t kMaxObjects = size_t{1} << 24;

class Machine {
 public:
  Machine(const uint8_t* data, size_t size) : p_(data), size_(size) {}

  Result<Pickle> run() {
    while (true) {
      if (pos_ >= size_) return fail("truncated: no STOP opcode before the end of the data");
      op_pos_ = pos_;
      const uint8_t op = p_[pos_++];
      Status st = step(op);
      if (!st.ok()) return st;
      // A state dict needs a few objects per tensor; this only stops hostile inputs from
      // turning each input byte into ~150 bytes of memory without end.
      if (out_.objs.size() > kMaxObjects) return fail("more than 16M objects; refusing");
      if (stopped_) break;
    }
    if (!marks_.empty()) return fail("STOP with an open MARK");
    if (stack_.size() != 1) {
      return fail("STOP with " + std::to_string(stack_.size()) + " values on the stack, expected 1");
    }
    out_.root = stack_.back();
    out_.consumed = pos_;
    return std::move(out_);
  }

 private:
  Status fail(const std::string& what) const {
    return Status::Error("pickle: " + what + " (opcode at byte " + std::to_string(op_pos_) + ")");
  }

  // ---- reading inline arguments ----
  bool need(size_t n) const { return n <= size_ - pos_; }
  Status read_bytes(size_t n, const uint8_t** out) {
    if (!need(n)) return fail("truncated argument (" + std::to_string(n) + " bytes wanted, " +
                              std::to_string(size_ - pos_) + " left)");
    *out = p_ + pos_;
    pos_ += n;
    return Status::Ok();
  }
  Status read_u(size_t n, uint64_t* v) {
    const uint8_t* b;
    ELITE_RETURN_IF_ERROR(read_bytes(n, &b));
    uint64_t x = 0;
    for (size_t k = 0; k < n; ++k) x |= static_cast<uint64_t>(b[k]) << (8 * k);
    *v = x;
    return Status::Ok();
  }
  Status read_line(std::string* line) {
    const void* nl = std::memchr(p_ + pos_, '\n', size_ - pos_);
    if (!nl) return fail("truncated text argument (no newline)");
    const size_t end = static_cast<const uint8_t*>(nl) - p_;
    line->assign(reinterpret_cast<const char*>(p_ + pos_), end - pos_);
    pos_ = end + 1;
    return Status::Ok();
  }

  // ---- objects, stack, memo ----
  ObjId make(PyKind k) {
    out_.objs.emplace_back();
    out_.objs.back().kind = k;
    return static_cast<ObjId>(out_.objs.size() - 1);
  }
  PyObj& obj(ObjId id) { return out_.objs[id]; }
  void push(ObjId id) { stack_.push_back(id); }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  Status pop(ObjId* id) {
    if (stack_.size() <= floor()) return fail("stack underflow");
    *id = stack_.back();
    stack_.pop_back();
    return Status::Ok();
  }
  Status top(ObjId* id) const {
    if (stack_.size() <= floor()) return fail("stack underflow");
    *id = stack_.back();
    return Status::Ok();
  }
  // Pops everything above the innermost MARK, and the mark.
  Status pop_mark(std::vector<ObjId>* items) {
    if (marks_.empty()) return fail("no MARK to pop to");
    const size_t m = marks_.back();
    marks_.pop_back();
    items->assign(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return Status::Ok();
  }
  Status memo_put(uint64_t key) {
    ObjId id = 0;
    ELITE_RETURN_IF_ERROR(top(&id));
    memo_[key] = id;
    return Status::Ok();
  }
  Status memo_get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) return fail("memo key " + std::to_string(key) + " was never stored");
    push(it->second);
    return Status::Ok();
  }
  void push_int(int64_t v) {
    const ObjId id = make(PyKind::kInt);
    obj(id).i = v;
    push(id);
  }
  void push_str(PyKind k, const uint8_t* b, size_t n) {
    const ObjId id = make(k);
    obj(id).s.assign(reinterpret_cast<const char*>(b), n);
    push(id);
  }
  Status push_sized_str(PyKind k, size_t len_bytes) {
    uint64_t n;
    ELITE_RETURN_IF_ERROR(read_u(len_bytes, &n));
    const uint8_t* b;
    ELITE_RETURN_IF_ERROR(read_bytes(n, &b));
    push_str(k, b, n);
    return Status::Ok();
  }
  // Two's-complement little-endian integer of n bytes (LONG1 / LONG4).
  void push_long(const uint8_t* b, size_t n) {
    if (n <= 8) {
      uint64_t x = 0;
      for (size_t k = 0; k < n; ++k) x |= static_cast<uint64_t>(b[k]) << (8 * k);
      if (n > 0 && n < 8 && (b[n - 1] & 0x80)) x |= ~uint64_t{0} << (8 * n);  // sign-extend
      push_int(static_cast<int64_t>(x));
    } else {
      push_str(PyKind::kBigInt, b, n);
    }
  }
  void push_tuple(std::vector<ObjId> items) {
    const ObjId id = make(PyKind::kTuple);
    obj(id).items = std::move(items);
    push(id);
  }

  // By value: callers may pass strings living in objs, which make() can reallocate.
  Status push_global(std::string module, std::string name) {
    const std::string key = module + " " + name;
    const ObjId id = make(PyKind::kGlobal);
    obj(id).s = module + "." + name;
    for (const GlobalEntry& g : kGlobals) {
      if (key == g.name) {
        obj(id).tag = g.tag;
        obj(id).dtype = g.dtype;
        break;
      }
    }
    if (obj(id).tag == GlobalTag::kUnknown && out_.first_unknown_global.empty()) {
      out_.first_unknown_global = obj(id).s;
    }
    push(id);
    return Status::Ok();
  }

  bool is_int(ObjId id) const { return out_.objs[id].kind == PyKind::kInt; }
  bool is_seq(ObjId id) const {
    const PyKind k = out_.objs[id].kind;
    return k == PyKind::kTuple || k == PyKind::kList;
  }
  Status int_tuple(ObjId id, const char* what, std::vector<int64_t>* out) {
    if (!is_seq(id)) return fail(std::string("tensor ") + what + " is not a tuple");
    out->clear();
    for (ObjId e : obj(id).items) {
      if (!is_int(e)) return fail(std::string("tensor ") + what + " holds a non-integer");
      out->push_back(obj(e).i);
    }
    return Status::Ok();
  }

  // Calls a whitelisted global on args (a tuple) without executing anything; depth bounds
  // the one level of indirection _rebuild_from_type_v2 introduces.
  Status apply(ObjId callable, ObjId args, int depth, ObjId* result) {
    if (depth > 2) return fail("nested rebuild calls");
    const PyObj& c = obj(callable);
    if (c.kind == PyKind::kOpaque) {
      const ObjId id = make(PyKind::kOpaque);
      obj(id).s = obj(callable).s;
      *result = id;
      return Status::Ok();
    }
    if (c.kind != PyKind::kGlobal) return fail("call of a non-callable object");
    if (!is_seq(args)) return fail("call arguments are not a tuple");
    const std::vector<ObjId> a = obj(args).items;  // copy: make() may reallocate objs
    const GlobalTag tag = c.tag;
    switch (tag) {
      case GlobalTag::kOrderedDict:
      case GlobalTag::kDict: {
        const ObjId d = make(PyKind::kDict);
        if (!a.empty()) {
          // dict(iterable_of_pairs) or dict(other_dict)
          const PyObj& src = obj(a[0]);
          if (src.kind == PyKind::kDict) {
            std::vector<ObjId> kv = src.items;
            obj(d).items = std::move(kv);
          } else if (src.kind == PyKind::kList || src.kind == PyKind::kTuple) {
            std::vector<ObjId> pairs = src.items;
            for (ObjId pr : pairs) {
              if (!is_seq(pr) || obj(pr).items.size() != 2) return fail("dict() item is not a pair");
              const ObjId k = obj(pr).items[0], v = obj(pr).items[1];
              obj(d).items.push_back(k);
              obj(d).items.push_back(v);
            }
          }
        }
        *result = d;
        return Status::Ok();
      }
      case GlobalTag::kList:
      case GlobalTag::kSet:
      case GlobalTag::kFrozenSet:
      case GlobalTag::kTuple:
      case GlobalTag::kTorchSize: {
        const PyKind k = tag == GlobalTag::kList ? PyKind::kList
                         : (tag == GlobalTag::kSet || tag == GlobalTag::kFrozenSet) ? PyKind::kSet
                                                                                      : PyKind::kTuple;
        const ObjId id = make(k);
        if (!a.empty()) {
          const PyKind sk = obj(a[0]).kind;
          if (sk == PyKind::kList || sk == PyKind::kTuple || sk == PyKind::kSet) {
            std::vector<ObjId> items = obj(a[0]).items;
            obj(id).items = std::move(items);
          }
        }
        *result = id;
        return Status::Ok();
      }
      case GlobalTag::kCodecsEncode: {
        // _codecs.encode(text, "latin1"): how protocol 2 spells bytes under Python 3.
        if (a.empty() || obj(a[0]).kind != PyKind::kStr) return fail("_codecs.encode without text");
        const std::string& t = obj(a[0]).s;
        std::string bytes;
        for (size_t k = 0; k < t.size(); ++k) {
          const uint8_t b = static_cast<uint8_t>(t[k]);
          if (b < 0x80) {
            bytes.push_back(static_cast<char>(b));
          } else if ((b & 0xe0) == 0xc0 && k + 1 < t.size()) {  // U+0080..U+07FF
            bytes.push_back(static_cast<char>(((b & 0x1f) << 6) | (static_cast<uint8_t>(t[k + 1]) & 0x3f)));
            ++k;
          } else {
            return fail("_codecs.encode text is not latin-1");
          }
        }
        const ObjId id = make(PyKind::kBytes);
        obj(id).s = std::move(bytes);
        *result = id;
        return Status::Ok();
      }
      case GlobalTag::kRebuildTensor:
      case GlobalTag::kRebuildTensorV2: {
        // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
        if (a.size() < 4) return fail("_rebuild_tensor with fewer than 4 arguments");
        if (obj(a[0]).kind != PyKind::kStorage) return fail("_rebuild_tensor argument 0 is not a storage");
        if (!is_int(a[1])) return fail("_rebuild_tensor storage offset is not an integer");
        std::vector<int64_t> shape, stride;
        ELITE_RETURN_IF_ERROR(int_tuple(a[2], "size", &shape));
        ELITE_RETURN_IF_ERROR(int_tuple(a[3], "stride", &stride));
        const ObjId t = make(PyKind::kTensor);
        obj(t).items = {a[0]};
        obj(t).i = obj(a[1]).i;
        obj(t).shape = std::move(shape);
        obj(t).stride = std::move(stride);
        *result = t;
        return Status::Ok();
      }
      case GlobalTag::kRebuildParameter:
      case GlobalTag::kRebuildParameterWithState:
        // (data, requires_grad, backward_hooks[, state]): the parameter is its data tensor.
        if (a.empty()) return fail("_rebuild_parameter without arguments");
        *result = a[0];
        return Status::Ok();
      case GlobalTag::kRebuildFromTypeV2: {
        // (func, new_type, args, state): a tensor subclass; rebuild the plain tensor.
        if (a.size() < 3) return fail("_rebuild_from_type_v2 with fewer than 3 arguments");
        return apply(a[0], a[2], depth + 1, result);
      }
      case GlobalTag::kTensorType:
      case GlobalTag::kParameterType:
      case GlobalTag::kStorageType:
      case GlobalTag::kUnknown: {
        const ObjId id = make(PyKind::kOpaque);
        obj(id).s = obj(callable).s;
        *result = id;
        return Status::Ok();
      }
    }
    return fail("unhandled call");
  }

  // ('storage', storage_type, key, location, numel[, view_metadata])
  Status persistent_load(ObjId pid) {
    const PyObj& t = obj(pid);
    if (t.kind != PyKind::kTuple || t.items.size() < 5) return fail("persistent id is not a storage tuple");
    const std::vector<ObjId> a = t.items;
    if (obj(a[0]).kind != PyKind::kStr || obj(a[0]).s != "storage") {
      return fail("unsupported persistent id (not 'storage')");
    }
    const PyObj& type = obj(a[1]);
    if (type.kind != PyKind::kGlobal || type.tag != GlobalTag::kStorageType) {
      return fail("persistent id names unsupported storage type '" +
                  (type.kind == PyKind::kGlobal ? type.s : std::string("?")) + "'");
    }
    if (obj(a[2]).kind != PyKind::kStr) return fail("storage key is not a string");
    if (!is_int(a[4]) || obj(a[4]).i < 0) return fail("storage size is not a non-negative integer");
    const ObjId s = make(PyKind::kStorage);
    obj(s).dtype = obj(a[1]).dtype;
    obj(s).s = obj(a[2]).s;
    obj(s).i = obj(a[4]).i;
    if (a.size() >= 6 && obj(a[5]).kind != PyKind::kNone) {
      // Legacy view_metadata (view_key, offset, view_size): a slice of the root storage.
      const PyObj& vm = obj(a[5]);
      if (!is_seq(a[5]) || vm.items.size() != 3 || !is_int(vm.items[1]) || !is_int(vm.items[2]) ||
          obj(vm.items[1]).i < 0 || obj(vm.items[2]).i < 0) {
        return fail("malformed storage view metadata");
      }
      obj(s).i2 = obj(vm.items[1]).i;
      obj(s).i = obj(vm.items[2]).i;
    }
    push(s);
    return Status::Ok();
  }

  Status step(uint8_t op) {
    uint64_t u = 0;
    ObjId a = 0, b = 0, c = 0;
    std::vector<ObjId> items;
    switch (op) {
      case 0x80: {  // PROTO
        ELITE_RETURN_IF_ERROR(read_u(1, &u));
        if (u > 5) return fail("unsupported pickle protocol " + std::to_string(u));
        return Status::Ok();
      }
      case 0x95:  // FRAME: an 8-byte length hint; frames are just a grouping
        return read_u(8, &u);
      case '.': stopped_ = true; return Status::Ok();  // STOP
      case '(': marks_.push_back(stack_.size()); return Status::Ok();  // MARK
      case '0': return pop(&a);                                         // POP
      case '1': return pop_mark(&items);                                // POP_MARK
      case '2': ELITE_RETURN_IF_ERROR(top(&a)); push(a); return Status::Ok();  // DUP
      case 'N': push(make(PyKind::kNone)); return Status::Ok();
      case 0x88:
      case 0x89: {  // NEWTRUE / NEWFALSE
        const ObjId id = make(PyKind::kBool);
        obj(id).i = op == 0x88;
        push(id);
        return Status::Ok();
      }
      case 'J': {  // BININT: signed 4 bytes
        ELITE_RETURN_IF_ERROR(read_u(4, &u));
        push_int(static_cast<int32_t>(static_cast<uint32_t>(u)));
        return Status::Ok();
      }
      case 'K': ELITE_RETURN_IF_ERROR(read_u(1, &u)); push_int(static_cast<int64_t>(u)); return Status::Ok();
      case 'M': ELITE_RETURN_IF_ERROR(read_u(2, &u)); push_int(static_cast<int64_t>(u)); return Status::Ok();
      case 0x8a:
      case 0x8b: {  // LONG1 / LONG4
        ELITE_RETURN_IF_ERROR(read_u(op == 0x8a ? 1 : 4, &u));
        const uint8_t* bytes;
        ELITE_RETURN_IF_ERROR(read_bytes(u, &bytes));
        push_long(bytes, u);
        return Status::Ok();
      }
      case 'I':
      case 'L': {  // INT / LONG as text ("I01\n" is True)
        std::string line;
        ELITE_RETURN_IF_ERROR(read_line(&line));
        if (!line.empty() && line.back() == 'L') line.pop_back();
        if (op == 'I' && (line == "00" || line == "01")) {
          const ObjId id = make(PyKind::kBool);
          obj(id).i = line == "01";
          push(id);
          return Status::Ok();
        }
        char* end = nullptr;
        errno = 0;
        const long long v = std::strtoll(line.c_str(), &end, 10);
        if (line.empty() || *end != '\0' || errno == ERANGE) return fail("bad integer text '" + line + "'");
        push_int(v);
        return Status::Ok();
      }
      case 'G': {  // BINFLOAT: big-endian double
        const uint8_t* bytes;
        ELITE_RETURN_IF_ERROR(read_bytes(8, &bytes));
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | bytes[k];
        const ObjId id = make(PyKind::kFloat);
        std::memcpy(&obj(id).f, &bits, 8);
        push(id);
        return Status::Ok();
      }
      case 'F': {  // FLOAT as text
        std::string line;
        ELITE_RETURN_IF_ERROR(read_line(&line));
        char* end = nullptr;
        const double v = std::strtod(line.c_str(), &end);
        if (line.empty() || *end != '\0') return fail("bad float text");
        const ObjId id = make(PyKind::kFloat);
        obj(id).f = v;
        push(id);
        return Status::Ok();
      }
      case 'X': return push_sized_str(PyKind::kStr, 4);     // BINUNICODE
      case 0x8c: return push_sized_str(PyKind::kStr, 1);    // SHORT_BINUNICODE
      case 0x8d: return push_sized_str(PyKind::kStr, 8);    // BINUNICODE8
      case 'T': return push_sized_str(PyKind::kStr, 4);     // BINSTRING (py2 str)
      case 'U': return push_sized_str(PyKind::kStr, 1);     // SHORT_BINSTRING
      case 'B': return push_sized_str(PyKind::kBytes, 4);   // BINBYTES
      case 'C': return push_sized_str(PyKind::kBytes, 1);   // SHORT_BINBYTES
      case 0x8e: return push_sized_str(PyKind::kBytes, 8);  // BINBYTES8
      case 0x96: return push_sized_str(PyKind::kBytes, 8);  // BYTEARRAY8
      case ')': push_tuple({}); return Status::Ok();        // EMPTY_TUPLE
      case 't': ELITE_RETURN_IF_ERROR(pop_mark(&items)); push_tuple(std::move(items)); return Status::Ok();
      case 0x85: ELITE_RETURN_IF_ERROR(pop(&a)); push_tuple({a}); return Status::Ok();  // TUPLE1
      case 0x86:  // TUPLE2
        ELITE_RETURN_IF_ERROR(pop(&b));
        ELITE_RETURN_IF_ERROR(pop(&a));
        push_tuple({a, b});
        return Status::Ok();
      case 0x87:  // TUPLE3
        ELITE_RETURN_IF_ERROR(pop(&c));
        ELITE_RETURN_IF_ERROR(pop(&b));
        ELITE_RETURN_IF_ERROR(pop(&a));
        push_tuple({a, b, c});
        return Status::Ok();
      case ']': push(make(PyKind::kList)); return Status::Ok();  // EMPTY_LIST
      case '}': push(make(PyKind::kDict)); return Status::Ok();  // EMPTY_DICT
      case 0x8f: push(make(PyKind::kSet)); return Status::Ok();  // EMPTY_SET
      case 'l':
      case 0x91: {  // LIST / FROZENSET from the marked items
        ELITE_RETURN_IF_ERROR(pop_mark(&items));
        const ObjId id = make(op == 'l' ? PyKind::kList : PyKind::kSet);
        obj(id).items = std::move(items);
        push(id);
        return Status::Ok();
      }
      case 'd': {  // DICT from marked k, v pairs
        ELITE_RETURN_IF_ERROR(pop_mark(&items));
        if (items.size() % 2) return fail("DICT with an odd number of items");
        const ObjId id = make(PyKind::kDict);
        obj(id).items = std::move(items);
        push(id);
        return Status::Ok();
      }
      case 'a':  // APPEND
        ELITE_RETURN_IF_ERROR(pop(&b));
        ELITE_RETURN_IF_ERROR(top(&a));
        return extend(a, {b}, PyKind::kList, "APPEND");
      case 'e':  // APPENDS
        ELITE_RETURN_IF_ERROR(pop_mark(&items));
        ELITE_RETURN_IF_ERROR(top(&a));
        return extend(a, items, PyKind::kList, "APPENDS");
      case 0x90:  // ADDITEMS
        ELITE_RETURN_IF_ERROR(pop_mark(&items));
        ELITE_RETURN_IF_ERROR(top(&a));
        return extend(a, items, PyKind::kSet, "ADDITEMS");
      case 's':  // SETITEM
        ELITE_RETURN_IF_ERROR(pop(&c));
        ELITE_RETURN_IF_ERROR(pop(&b));
        ELITE_RETURN_IF_ERROR(top(&a));
        return extend(a, {b, c}, PyKind::kDict, "SETITEM");
      case 'u':  // SETITEMS
        ELITE_RETURN_IF_ERROR(pop_mark(&items));
        if (items.size() % 2) return fail("SETITEMS with an odd number of items");
        ELITE_RETURN_IF_ERROR(top(&a));
        return extend(a, items, PyKind::kDict, "SETITEMS");
      case 'c': {  // GLOBAL "module\nname\n"
        std::string module, name;
        ELITE_RETURN_IF_ERROR(read_line(&module));
        ELITE_RETURN_IF_ERROR(read_line(&name));
        return push_global(module, name);
      }
      case 0x93: {  // STACK_GLOBAL
        ELITE_RETURN_IF_ERROR(pop(&b));
        ELITE_RETURN_IF_ERROR(pop(&a));
        if (obj(a).kind != PyKind::kStr || obj(b).kind != PyKind::kStr) {
          return fail("STACK_GLOBAL operands are not strings");
        }
        return push_global(obj(a).s, obj(b).s);
      }
      case 'R': {  // REDUCE: callable(*args)
        ELITE_RETURN_IF_ERROR(pop(&b));
        ELITE_RETURN_IF_ERROR(pop(&a));
        ELITE_RETURN_IF_ERROR(apply(a, b, 0, &c));
        push(c);
        return Status::Ok();
      }
      case 0x81: {  // NEWOBJ: cls.__new__(cls, *args)
        ELITE_RETURN_IF_ERROR(pop(&b));
        ELITE_RETURN_IF_ERROR(pop(&a));
        ELITE_RETURN_IF_ERROR(apply(a, b, 0, &c));
        push(c);
        return Status::Ok();
      }
      case 0x92: {  // NEWOBJ_EX: cls, args, kwargs
        ObjId kw;
        ELITE_RETURN_IF_ERROR(pop(&kw));
        ELITE_RETURN_IF_ERROR(pop(&b));
        ELITE_RETURN_IF_ERROR(pop(&a));
        ELITE_RETURN_IF_ERROR(apply(a, b, 0, &c));
        push(c);
        return Status::Ok();
      }
      case 'b':  // BUILD: obj.__setstate__(state). State (e.g. OrderedDict _metadata) is unused.
        ELITE_RETURN_IF_ERROR(pop(&b));
        return top(&a);
      case 'Q':  // BINPERSID
        ELITE_RETURN_IF_ERROR(pop(&a));
        return persistent_load(a);
      case 'q': ELITE_RETURN_IF_ERROR(read_u(1, &u)); return memo_put(u);  // BINPUT
      case 'r': ELITE_RETURN_IF_ERROR(read_u(4, &u)); return memo_put(u);  // LONG_BINPUT
      case 0x94: return memo_put(memo_.size());                            // MEMOIZE
      case 'h': ELITE_RETURN_IF_ERROR(read_u(1, &u)); return memo_get(u);  // BINGET
      case 'j': ELITE_RETURN_IF_ERROR(read_u(4, &u)); return memo_get(u);  // LONG_BINGET
      case 'p':
      case 'g': {  // PUT / GET with a decimal text key
        std::string line;
        ELITE_RETURN_IF_ERROR(read_line(&line));
        char* end = nullptr;
        const unsigned long long k = std::strtoull(line.c_str(), &end, 10);
        if (line.empty() || *end != '\0') return fail("bad memo key text");
        return op == 'p' ? memo_put(k) : memo_get(k);
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        return fail(std::string("unsupported opcode ") + hex);
      }
    }
  }

  // APPEND(S)/SETITEM(S)/ADDITEMS into the container at id. Opaque objects absorb items.
  Status extend(ObjId id, const std::vector<ObjId>& items, PyKind want, const char* opname) {
    PyObj& o = obj(id);
    if (o.kind == PyKind::kOpaque) return Status::Ok();
    if (o.kind != want) return fail(std::string(opname) + " on a " + describe(out_, id));
    o.items.insert(o.items.end(), items.begin(), items.end());
    return Status::Ok();
  }

  const uint8_t* p_;
  size_t size_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  bool stopped_ = false;
  std::vector<ObjId> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, ObjId> memo_;
  Pickle out_;
};

}  // namespace

Result<Pickle> load_pickle(const uint8_t* data, size_t size) {
  Machine m(data, size);
  return m.run();
}

std::string describe(const Pickle& p, ObjId id) {
  const PyObj& o = p.at(id);
  switch (o.kind) {
    case PyKind::kNone: return "None";
    case PyKind::kBool: return "bool";
    case PyKind::kInt: return "int";
    case PyKind::kBigInt: return "big int";
    case PyKind::kFloat: return "float";
    case PyKind::kStr: return "str";
    case PyKind::kBytes: return "bytes";
    case PyKind::kTuple: return "tuple";
    case PyKind::kList: return "list";
    case PyKind::kDict: return "dict";
    case PyKind::kSet: return "set";
    case PyKind::kGlobal: return "global " + o.s;
    case PyKind::kStorage: return "storage";
    case PyKind::kTensor: return "tensor";
    case PyKind::kOpaque: return "object of unsupported global " + o.s;
  }
  return "?";
}

}  // namespace elite::ckpt
