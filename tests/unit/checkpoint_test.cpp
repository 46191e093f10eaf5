// Checkpoint readers (src/io/checkpoint): tiny safetensors, zip .pth and legacy .pth files
// assembled byte by byte here, then the same files cut short, bit-flipped and lying about
// sizes. Bad input must give an error naming the file, never a crash or a hang.
// ELITE_TEST_PTH=/path/to/efficientnet-lite0-*.pth also checks a real checkpoint.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "io/checkpoint/pickle.h"
#include "io/checkpoint/weights.h"
#include "io/checkpoint/zip.h"

namespace elite {
namespace {

using Bytes = std::vector<uint8_t>;

void put_le(Bytes* b, uint64_t v, int n) {
  for (int k = 0; k < n; ++k) b->push_back(static_cast<uint8_t>(v >> (8 * k)));
}
void put_str(Bytes* b, const std::string& s) { b->insert(b->end(), s.begin(), s.end()); }
void put_f32(Bytes* b, float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  put_le(b, u, 4);
}

Result<WeightMap> read(const Bytes& b, const std::string& name = "test.bin") {
  return read_weights_memory(b.data(), b.size(), name);
}

// ---- safetensors ----
Bytes safetensors(const std::string& header, const Bytes& data) {
  Bytes b;
  put_le(&b, header.size(), 8);
  put_str(&b, header);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

Bytes tiny_safetensors() {
  Bytes data;
  for (int i = 0; i < 6; ++i) put_f32(&data, static_cast<float>(i) - 2.5f);  // w: [2,3] f32
  put_le(&data, 0x3c00, 2);                                                 // h: [2] f16 1, -2
  put_le(&data, 0xc000, 2);
  put_le(&data, 7, 8);                                                      // n: [] i64, skipped
  put_le(&data, 0x3fc0, 2);                                                 // bf: [1] bf16 1.5
  return safetensors(
      R"({"__metadata__":{"format":"pt"},)"
      R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("h":{"dtype":"F16","shape":[2],"data_offsets":[24,28]},)"
      R"("n":{"dtype":"I64","shape":[],"data_offsets":[28,36]},)"
      R"("bf":{"dtype":"BF16","shape":[1],"data_offsets":[36,38]}})",
      data);
}

TEST(Safetensors, ReadsFloatTypesAndSkipsIntegers) {
  auto r = read(tiny_safetensors());
  ASSERT_TRUE(r.ok()) << r.status().message();
  const WeightMap& m = r.value();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m.at("w").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(m.at("w").data, (std::vector<float>{-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}));
  EXPECT_EQ(m.at("h").data, (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(m.at("bf").data, (std::vector<float>{1.5f}));
  EXPECT_EQ(m.count("n"), 0u);
}

TEST(Safetensors, RejectsOffsetsBeyondTheFile) {
  Bytes data(8, 0);
  auto r = read(safetensors(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", data), "big.safetensors");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("big.safetensors"), std::string::npos);
  EXPECT_NE(r.status().message().find("data_offsets"), std::string::npos) << r.status().message();
}

TEST(Safetensors, RejectsShapeThatDisagreesWithOffsets) {
  Bytes data(16, 0);
  auto r = read(safetensors(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", data));
  ASSERT_FALSE(r.ok());
  // Overflowing shape product.
  r = read(safetensors(
      R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,16]}})", data));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("overflows"), std::string::npos) << r.status().message();
}

TEST(Safetensors, RejectsAbsurdHeaderLength) {
  Bytes b = tiny_safetensors();
  for (uint64_t n : {uint64_t{1} << 62, ~uint64_t{0}, uint64_t{b.size()}}) {
    Bytes c = b;
    for (int k = 0; k < 8; ++k) c[k] = static_cast<uint8_t>(n >> (8 * k));
    auto r = read(c, "absurd.safetensors");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("absurd.safetensors"), std::string::npos);
    EXPECT_NE(r.status().message().find("header length"), std::string::npos) << r.status().message();
  }
}

TEST(Safetensors, RejectsBadJson) {
  EXPECT_FALSE(read(safetensors("{not json", {})).ok());
  EXPECT_FALSE(read(safetensors(R"({"w": 3})", {})).ok());
  EXPECT_FALSE(read(safetensors(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", {})).ok());
  EXPECT_FALSE(read(safetensors(R"({"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}})", Bytes(4))).ok());
  // Deep nesting must not blow the stack.
  EXPECT_FALSE(read(safetensors("{\"a\":" + std::string(100000, '[') + "}", {})).ok());
}

// ---- pickle ----
class PickleWriter {
 public:
  PickleWriter& proto() { return op(0x80).byte(2); }
  PickleWriter& op(uint8_t o) { b.push_back(o); return *this; }
  PickleWriter& byte(uint8_t v) { b.push_back(v); return *this; }
  PickleWriter& global(const std::string& module, const std::string& name) {
    op('c');
    put_str(&b, module + "\n" + name + "\n");
    return *this;
  }
  PickleWriter& str(const std::string& s) {
    op('X');
    put_le(&b, s.size(), 4);
    put_str(&b, s);
    return *this;
  }
  PickleWriter& integer(int64_t v) {
    if (v >= 0 && v < 256) return op('K').byte(static_cast<uint8_t>(v));
    op('J');
    put_le(&b, static_cast<uint64_t>(v), 4);
    return *this;
  }
  PickleWriter& ints(const std::vector<int64_t>& v) {
    mark();
    for (int64_t x : v) integer(x);
    return tuple();
  }
  PickleWriter& mark() { return op('('); }
  PickleWriter& tuple() { return op('t'); }
  PickleWriter& reduce() { return op('R'); }
  PickleWriter& stop() { return op('.'); }
  // _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel[, None]), offset, size, stride,
  //                    False, OrderedDict())
  PickleWriter& tensor(const std::string& type, const std::string& key, int64_t numel, int64_t offset,
                       const std::vector<int64_t>& size, const std::vector<int64_t>& stride, bool legacy) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    mark().str("storage").global("torch", type).str(key).str("cpu").integer(numel);
    if (legacy) op('N');
    tuple().op('Q');
    integer(offset).ints(size).ints(stride).op(0x89);
    global("collections", "OrderedDict").op(')').reduce();
    return tuple().reduce();
  }
  Bytes b;
};

// OrderedDict{w: [2,3] f32, wt: w viewed [3,2] stride [1,3], tail: [2] offset 4,
//             h: [2] f16, n: [] int64 (skipped)}
Bytes state_dict_pickle(bool legacy) {
  PickleWriter p;
  p.proto().global("collections", "OrderedDict").op(')').reduce().mark();
  p.str("w").tensor("FloatStorage", "0", 6, 0, {2, 3}, {3, 1}, legacy);
  p.str("wt").tensor("FloatStorage", "0", 6, 0, {3, 2}, {1, 3}, legacy);
  p.str("tail").tensor("FloatStorage", "0", 6, 4, {2}, {1}, legacy);
  p.str("h").tensor("HalfStorage", "1", 2, 0, {2}, {1}, legacy);
  p.str("n").tensor("LongStorage", "2", 1, 0, {}, {}, legacy);
  p.op('u').stop();
  return p.b;
}

Bytes storage_w() {
  Bytes b;
  for (int i = 0; i < 6; ++i) put_f32(&b, static_cast<float>(i));
  return b;
}
Bytes storage_h() { Bytes b; put_le(&b, 0x3c00, 2); put_le(&b, 0xc000, 2); return b; }
Bytes storage_n() { Bytes b; put_le(&b, 12345, 8); return b; }

void expect_state_dict(const WeightMap& m) {
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m.at("w").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(m.at("w").data, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(m.at("wt").shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(m.at("wt").data, (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(m.at("tail").data, (std::vector<float>{4, 5}));
  EXPECT_EQ(m.at("h").data, (std::vector<float>{1, -2}));
  EXPECT_EQ(m.count("n"), 0u);
}

TEST(Pickle, RunsHandAssembledStateDict) {
  Bytes b = state_dict_pickle(false);
  auto r = ckpt::load_pickle(b.data(), b.size());
  ASSERT_TRUE(r.ok()) << r.status().message();
  const ckpt::Pickle& p = r.value();
  EXPECT_EQ(p.consumed, b.size());
  const ckpt::PyObj& d = p.at(p.root);
  ASSERT_EQ(d.kind, ckpt::PyKind::kDict);
  ASSERT_EQ(d.items.size(), 10u);
  EXPECT_EQ(p.at(d.items[0]).s, "w");
  EXPECT_EQ(p.at(d.items[1]).kind, ckpt::PyKind::kTensor);
}

TEST(Pickle, BadOpcodeStreamsGiveErrors) {
  using namespace std::string_literals;  // embedded NUL bytes
  const std::vector<std::string> bad = {
      ""s,                      // nothing
      "\x80\x02"s,              // no STOP
      "\x80\x02R."s,            // stack underflow
      "\x80\x02h\x05."s,        // memo miss
      "\x80\x02j\xff\xff\xff\xff."s,  // memo miss, 4-byte key
      "\x80\x02\xff."s,         // unknown opcode
      "\x80\x09N."s,            // protocol 9
      "\x80\x02(N."s,           // STOP with open MARK
      "\x80\x02NN."s,           // two values left
      "\x80\x02X\xff\xff\xff\x7f" "ab."s,  // string longer than the data
      "\x80\x02\x8a\x09\x01."s,  // LONG1 past the end
      "\x80\x02Nt."s,           // TUPLE without MARK
      "\x80\x02NNs."s,          // SETITEM on None
      "\x80\x02N)R."s,          // call of None
      "\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00ls\x85R."s,  // os.system("ls"): opaque, never run
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    const std::string& s = bad[i];
    auto r = ckpt::load_pickle(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    if (i + 1 == bad.size()) {
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_EQ(r.value().at(r.value().root).kind, ckpt::PyKind::kOpaque);
      EXPECT_EQ(r.value().first_unknown_global, "os.system");
    } else {
      EXPECT_FALSE(r.ok()) << "case " << i;
    }
  }
}

// Found by fuzz_checkpoint: STACK_GLOBAL's operand strings live in the object arena, which
// grows while the global is created (use-after-free under ASan before the fix).
TEST(Pickle, StackGlobalSurvivesArenaGrowth) {
  PickleWriter p;
  p.proto().str("collections").str("OrderedDict").op(0x93).op(')').reduce().stop();
  auto r = ckpt::load_pickle(p.b.data(), p.b.size());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value().at(r.value().root).kind, ckpt::PyKind::kDict);
}

TEST(Pickle, DeepNestingDoesNotRecurse) {
  Bytes b = {0x80, 0x02, 'N'};
  b.insert(b.end(), 1000000, 0x85);  // TUPLE1 a million times
  b.push_back('.');
  auto r = ckpt::load_pickle(b.data(), b.size());
  EXPECT_TRUE(r.ok()) << r.status().message();
}

TEST(Pickle, UnknownGlobalInStateDictIsNamed) {
  PickleWriter p;
  p.proto().op('}').str("w").global("numpy.core.multiarray", "scalar").op(')').reduce().op('s').stop();
  // Never executed: the value is an inert object that remembers its global's name.
  auto r = ckpt::load_pickle(p.b.data(), p.b.size());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().first_unknown_global, "numpy.core.multiarray.scalar");
}

// ---- zip ----
struct ZipFile {
  std::string name;
  Bytes data;
  bool deflate = false;
};

Bytes make_zip(const std::vector<ZipFile>& files) {
  Bytes out, cd;
  for (const ZipFile& f : files) {
    Bytes body = f.data;
    if (f.deflate) {
      z_stream zs{};
      deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
      body.assign(deflateBound(&zs, f.data.size()) + 16, 0);
      zs.next_in = const_cast<Bytef*>(f.data.data());
      zs.avail_in = static_cast<uInt>(f.data.size());
      zs.next_out = body.data();
      zs.avail_out = static_cast<uInt>(body.size());
      deflate(&zs, Z_FINISH);
      body.resize(zs.total_out);
      deflateEnd(&zs);
    }
    const uint32_t crc = static_cast<uint32_t>(crc32(0, f.data.data(), static_cast<uInt>(f.data.size())));
    const uint64_t local = out.size();
    put_le(&out, 0x04034b50, 4);
    put_le(&out, 20, 2);
    put_le(&out, 0, 2);
    put_le(&out, f.deflate ? 8 : 0, 2);
    put_le(&out, 0, 4);  // time, date
    put_le(&out, crc, 4);
    put_le(&out, body.size(), 4);
    put_le(&out, f.data.size(), 4);
    put_le(&out, f.name.size(), 2);
    put_le(&out, 0, 2);
    put_str(&out, f.name);
    out.insert(out.end(), body.begin(), body.end());

    put_le(&cd, 0x02014b50, 4);
    put_le(&cd, 20, 2);
    put_le(&cd, 20, 2);
    put_le(&cd, 0, 2);
    put_le(&cd, f.deflate ? 8 : 0, 2);
    put_le(&cd, 0, 4);
    put_le(&cd, crc, 4);
    put_le(&cd, body.size(), 4);
    put_le(&cd, f.data.size(), 4);
    put_le(&cd, f.name.size(), 2);
    put_le(&cd, 0, 2);
    put_le(&cd, 0, 2);
    put_le(&cd, 0, 2);
    put_le(&cd, 0, 2);
    put_le(&cd, 0, 4);
    put_le(&cd, local, 4);
    put_str(&cd, f.name);
  }
  const uint64_t cd_offset = out.size();
  out.insert(out.end(), cd.begin(), cd.end());
  put_le(&out, 0x06054b50, 4);
  put_le(&out, 0, 4);
  put_le(&out, files.size(), 2);
  put_le(&out, files.size(), 2);
  put_le(&out, cd.size(), 4);
  put_le(&out, cd_offset, 4);
  put_le(&out, 0, 2);
  return out;
}

Bytes zip_pth(bool deflate) {
  return make_zip({{"archive/data.pkl", state_dict_pickle(false), deflate},
                   {"archive/data/0", storage_w(), deflate},
                   {"archive/data/1", storage_h(), false},
                   {"archive/data/2", storage_n(), false},
                   {"archive/version", {'3', '\n'}, false}});
}

Bytes legacy_pth() {
  Bytes b = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'};
  const Bytes version = {0x80, 0x02, 'M', 0xe9, 0x03, '.'};
  b.insert(b.end(), version.begin(), version.end());
  PickleWriter sys;
  sys.proto().op('}').str("little_endian").op(0x88).op('s').stop();
  b.insert(b.end(), sys.b.begin(), sys.b.end());
  const Bytes obj = state_dict_pickle(true);
  b.insert(b.end(), obj.begin(), obj.end());
  PickleWriter keys;
  keys.proto().op(']').mark().str("0").str("1").str("2").op('e').stop();
  b.insert(b.end(), keys.b.begin(), keys.b.end());
  return b;  // the five pickles; legacy_pth_full() adds the data section
}

// Appends the legacy data section: per storage an int64 element count then the bytes.
Bytes legacy_pth_full() {
  Bytes b = legacy_pth();
  put_le(&b, 6, 8);
  Bytes w = storage_w();
  b.insert(b.end(), w.begin(), w.end());
  put_le(&b, 2, 8);
  Bytes h = storage_h();
  b.insert(b.end(), h.begin(), h.end());
  put_le(&b, 1, 8);
  Bytes n = storage_n();
  b.insert(b.end(), n.begin(), n.end());
  return b;
}

TEST(Zip, ReadsStoredAndDeflatedEntries) {
  const Bytes z = make_zip({{"a.txt", {'h', 'i'}, false}, {"b.bin", Bytes(5000, 7), true}, {"e", {}, true}});
  auto r = ckpt::ZipReader::open(z.data(), z.size());
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r.value().entries().size(), 3u);
  std::vector<uint8_t> scratch;
  const uint8_t* p;
  size_t n;
  ASSERT_TRUE(r.value().read(*r.value().find("a.txt"), &scratch, &p, &n).ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p), n), "hi");
  ASSERT_TRUE(r.value().read(*r.value().find("b.bin"), &scratch, &p, &n).ok());
  EXPECT_EQ(Bytes(p, p + n), Bytes(5000, 7));
  ASSERT_TRUE(r.value().read(*r.value().find("e"), &scratch, &p, &n).ok());
  EXPECT_EQ(n, 0u);
}

TEST(Zip, RejectsImpossibleDeflateSizeAndBadCrc) {
  Bytes z = make_zip({{"b.bin", Bytes(5000, 7), true}});
  // Claim 4 GiB - 1 uncompressed in the central record (offset: local header + name + body).
  auto r = ckpt::ZipReader::open(z.data(), z.size());
  ASSERT_TRUE(r.ok());
  const uint64_t cd = r.value().entries()[0].compressed_size + 30 + 5;
  Bytes big = z;
  for (int k = 0; k < 4; ++k) big[cd + 24 + k] = 0xff;
  auto rb = ckpt::ZipReader::open(big.data(), big.size());
  ASSERT_TRUE(rb.ok());
  std::vector<uint8_t> scratch;
  const uint8_t* p;
  size_t n;
  EXPECT_FALSE(rb.value().read(rb.value().entries()[0], &scratch, &p, &n).ok());
  Bytes crc = z;
  crc[cd + 16] ^= 1;
  auto rc = ckpt::ZipReader::open(crc.data(), crc.size());
  ASSERT_TRUE(rc.ok());
  Status s = rc.value().read(rc.value().entries()[0], &scratch, &p, &n);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("CRC"), std::string::npos) << s.message();
}

TEST(Pth, ReadsZipStoredAndDeflated) {
  for (bool deflate : {false, true}) {
    auto r = read(zip_pth(deflate));
    ASSERT_TRUE(r.ok()) << r.status().message();
    expect_state_dict(r.value());
  }
}

TEST(Pth, ReadsLegacy) {
  auto r = read(legacy_pth_full());
  ASSERT_TRUE(r.ok()) << r.status().message();
  expect_state_dict(r.value());
}

TEST(Pth, UnwrapsStateDictKey) {
  PickleWriter p;
  p.proto().op('}').str("epoch").integer(3).op('s').str("state_dict");
  Bytes inner = state_dict_pickle(false);
  // Splice the inner object's opcodes (without PROTO and STOP) in as the value.
  p.b.insert(p.b.end(), inner.begin() + 2, inner.end() - 1);
  p.op('s').stop();
  auto r = read(make_zip({{"x/data.pkl", p.b, false}, {"x/data/0", storage_w(), false},
                          {"x/data/1", storage_h(), false}, {"x/data/2", storage_n(), false}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  expect_state_dict(r.value());
}

TEST(Pth, ViewBeyondStorageIsAnError) {
  PickleWriter p;
  p.proto().op('}').str("w").tensor("FloatStorage", "0", 6, 3, {2, 3}, {3, 1}, false).op('s').stop();
  auto r = read(make_zip({{"a/data.pkl", p.b, false}, {"a/data/0", storage_w(), false}}), "view.pth");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("view.pth"), std::string::npos);
  EXPECT_NE(r.status().message().find("'w'"), std::string::npos) << r.status().message();
  // A zero stride may not blow a 6-element storage up to 2^40 elements.
  PickleWriter q;
  q.proto().op('}').str("w").tensor("FloatStorage", "0", 6, 0, {1 << 20, 1 << 20}, {0, 0}, false).op('s').stop();
  r = read(make_zip({{"a/data.pkl", q.b, false}, {"a/data/0", storage_w(), false}}));
  EXPECT_FALSE(r.ok());
}

TEST(Pth, UnknownGlobalValueIsNamed) {
  PickleWriter p;
  p.proto().op('}').str("w").global("numpy.core.multiarray", "scalar").op(')').reduce().op('s').stop();
  auto r = read(make_zip({{"a/data.pkl", p.b, false}}), "np.pth");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("numpy.core.multiarray.scalar"), std::string::npos) << r.status().message();
}

TEST(Pth, LegacyHugeElementCountIsAnError) {
  Bytes b = legacy_pth();
  put_le(&b, uint64_t{1} << 62, 8);  // * 4 bytes overflows
  b.insert(b.end(), 64, 0);
  auto r = read(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("claims"), std::string::npos) << r.status().message();
}

// ---- bad input in bulk ----
TEST(BadInput, MissingAndEmptyFiles) {
  auto r = read_weights_file("/nonexistent/dir/weights.pth");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/dir/weights.pth"), std::string::npos);
  const std::string empty = testing::TempDir() + "elite_empty.pth";
  std::FILE* f = std::fopen(empty.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  r = read_weights_file(empty);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("empty"), std::string::npos) << r.status().message();
  std::remove(empty.c_str());
  r = read_weights_file(testing::TempDir());
  EXPECT_FALSE(r.ok());
}

TEST(BadInput, ReadsFromDisk) {
  const std::string path = testing::TempDir() + "elite_tiny.safetensors";
  const Bytes b = tiny_safetensors();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(b.data(), 1, b.size(), f);
  std::fclose(f);
  auto r = read_weights_file(path);
  std::remove(path.c_str());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value().size(), 3u);
}

std::vector<std::pair<std::string, Bytes>> valid_files() {
  return {{"tiny.safetensors", tiny_safetensors()},
          {"tiny_zip.pth", zip_pth(false)},
          {"tiny_deflate.pth", zip_pth(true)},
          {"tiny_legacy.pth", legacy_pth_full()}};
}

TEST(BadInput, EveryTruncationIsAnErrorNamingTheFile) {
  for (const auto& [name, bytes] : valid_files()) {
    ASSERT_TRUE(read(bytes, name).ok()) << name;
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      auto r = read_weights_memory(bytes.data(), cut, name);
      ASSERT_FALSE(r.ok()) << name << " cut at " << cut;
      ASSERT_EQ(r.status().message().rfind(name, 0), 0u) << r.status().message();
    }
  }
}

TEST(BadInput, RandomByteFlipsDoNotCrash) {
  std::mt19937 rng(20240601);
  int errors = 0, oks = 0;
  for (const auto& [name, bytes] : valid_files()) {
    for (int iter = 0; iter < 3000; ++iter) {
      Bytes b = bytes;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) b[rng() % b.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      auto r = read(b, name);
      if (!r.ok()) {
        ++errors;
        ASSERT_FALSE(r.status().message().empty());
        continue;
      }
      ++oks;
      for (const auto& [key, t] : r.value()) {
        ASSERT_EQ(static_cast<int64_t>(t.data.size()), t.numel()) << key;
      }
    }
  }
  EXPECT_GT(errors, 0);
  std::printf("byte flips: %d errors, %d still readable\n", errors, oks);
}

TEST(RealCheckpoint, Lite0FromEnv) {
  const char* path = std::getenv("ELITE_TEST_PTH");
  if (!path || !*path) GTEST_SKIP() << "set ELITE_TEST_PTH to an efficientnet-lite0 .pth";
  auto r = read_weights_file(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const WeightMap& m = r.value();
  EXPECT_EQ(m.size(), 247u);  // 296 entries less 49 num_batches_tracked
  EXPECT_EQ(m.at("_conv_stem.weight").shape, (std::vector<int64_t>{32, 3, 3, 3}));
  EXPECT_EQ(m.at("_bn0.running_var").shape, (std::vector<int64_t>{32}));
  EXPECT_EQ(m.at("_blocks.0._depthwise_conv.weight").shape, (std::vector<int64_t>{32, 1, 3, 3}));
  EXPECT_EQ(m.at("_blocks.0._project_conv.weight").shape, (std::vector<int64_t>{16, 32, 1, 1}));
  EXPECT_EQ(m.count("_blocks.0._expand_conv.weight"), 0u);
  EXPECT_EQ(m.at("_blocks.1._expand_conv.weight").shape, (std::vector<int64_t>{96, 16, 1, 1}));
  EXPECT_EQ(m.at("_blocks.15._project_conv.weight").shape, (std::vector<int64_t>{320, 1152, 1, 1}));
  EXPECT_EQ(m.at("_conv_head.weight").shape, (std::vector<int64_t>{1280, 320, 1, 1}));
  EXPECT_EQ(m.at("_fc.weight").shape, (std::vector<int64_t>{1000, 1280}));
  EXPECT_EQ(m.at("_fc.bias").shape, (std::vector<int64_t>{1000}));
  EXPECT_EQ(m.count("_bn0.num_batches_tracked"), 0u);
}

}  // namespace
}  // namespace elite
