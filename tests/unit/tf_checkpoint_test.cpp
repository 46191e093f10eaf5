// TensorFlow checkpoints (src/io/checkpoint/{crc32c,sstable,tf_bundle,tf_checkpoint},
// src/io/archive, src/model/tf_checkpoint_weights): CRC-32C known answers (RFC 3720), then
// tables, bundles and tar.gz archives assembled here byte by byte by a small test-only
// writer (one SSTable data block), read back, and broken in each way the readers must
// report: bad CRCs, truncation, missing files and variables, wrong shapes.
// tests/python/test_tf_checkpoint_errors.py does the same with files TensorFlow writes.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/archive/gzip.h"
#include "io/archive/tar.h"
#include "io/checkpoint/crc32c.h"
#include "io/checkpoint/sstable.h"
#include "io/checkpoint/tf_bundle.h"
#include "io/checkpoint/tf_checkpoint.h"
#include "model/tf_checkpoint_weights.h"

namespace elite {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;
using ckpt::crc32c;
using ckpt::crc32c_mask;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// ---- CRC-32C ----

TEST(Crc32c, Rfc3720KnownAnswers) {
  // RFC 3720 appendix B.4 (the CRC bytes there are listed least significant first).
  Bytes zeros(32, 0), ones(32, 0xff), up(32), down(32);
  for (int i = 0; i < 32; ++i) up[i] = static_cast<uint8_t>(i), down[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(crc32c(zeros.data(), 32), 0x8a9136aau);
  EXPECT_EQ(crc32c(ones.data(), 32), 0x62a8ab43u);
  EXPECT_EQ(crc32c(up.data(), 32), 0x46dd794eu);
  EXPECT_EQ(crc32c(down.data(), 32), 0x113fdb5cu);
  // An iSCSI read command PDU.
  const Bytes pdu = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                     0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
                     0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
                     0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(crc32c(pdu.data(), pdu.size()), 0xd9963a56u);
  const std::string check = "123456789";
  EXPECT_EQ(crc32c(reinterpret_cast<const uint8_t*>(check.data()), 9), 0xe3069283u);
}

TEST(Crc32c, ExtendEqualsWholeAtEverySplit) {
  Bytes b(77);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 37 + 11);
  const uint32_t whole = crc32c(b.data(), b.size());
  for (size_t k = 0; k <= b.size(); ++k)
    EXPECT_EQ(ckpt::crc32c_extend(crc32c(b.data(), k), b.data() + k, b.size() - k), whole) << k;
}

TEST(Crc32c, MaskRoundTripsAndChangesTheValue) {
  for (uint32_t v : {0u, 1u, 0x8a9136aau, 0xffffffffu, 0x12345678u}) {
    EXPECT_EQ(ckpt::crc32c_unmask(crc32c_mask(v)), v);
    EXPECT_NE(crc32c_mask(v), v);
  }
  // TF's definition: rotate right by 15, add 0xa282ead8.
  EXPECT_EQ(crc32c_mask(0x00008000u), 0x00000001u + 0xa282ead8u);
}

// ---- test-only writers ----

void put_le(Bytes* b, uint64_t v, int n) {
  for (int k = 0; k < n; ++k) b->push_back(static_cast<uint8_t>(v >> (8 * k)));
}
void put_varint(Bytes* b, uint64_t v) {
  while (v >= 0x80) {
    b->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  b->push_back(static_cast<uint8_t>(v));
}
void append(Bytes* b, const Bytes& more) { b->insert(b->end(), more.begin(), more.end()); }
void append(Bytes* b, const std::string& s) { b->insert(b->end(), s.begin(), s.end()); }

// protobuf fields
Bytes pb_varint(int field, uint64_t v) {
  Bytes b;
  put_varint(&b, static_cast<uint64_t>(field) << 3 | 0);
  put_varint(&b, v);
  return b;
}
Bytes pb_bytes(int field, const Bytes& payload) {
  Bytes b;
  put_varint(&b, static_cast<uint64_t>(field) << 3 | 2);
  put_varint(&b, payload.size());
  append(&b, payload);
  return b;
}
Bytes pb_fixed32(int field, uint32_t v) {
  Bytes b;
  put_varint(&b, static_cast<uint64_t>(field) << 3 | 5);
  put_le(&b, v, 4);
  return b;
}

using KeyValues = std::vector<std::pair<std::string, Bytes>>;

// One block: prefix-compressed entries, a restart every `interval` entries.
Bytes table_block(const KeyValues& kv, int interval) {
  Bytes b;
  std::vector<uint32_t> restarts;
  std::string prev;
  for (size_t i = 0; i < kv.size(); ++i) {
    const std::string& key = kv[i].first;
    size_t shared = 0;
    if (i % interval == 0) {
      restarts.push_back(static_cast<uint32_t>(b.size()));
    } else {
      while (shared < prev.size() && shared < key.size() && prev[shared] == key[shared]) ++shared;
    }
    put_varint(&b, shared);
    put_varint(&b, key.size() - shared);
    put_varint(&b, kv[i].second.size());
    append(&b, key.substr(shared));
    append(&b, kv[i].second);
    prev = key;
  }
  if (restarts.empty()) restarts.push_back(0);
  for (uint32_t r : restarts) put_le(&b, r, 4);
  put_le(&b, restarts.size(), 4);
  return b;
}

// Appends contents + trailer; returns the encoded handle.
Bytes add_block(Bytes* file, const Bytes& contents, uint8_t type = 0) {
  Bytes handle;
  put_varint(&handle, file->size());
  put_varint(&handle, contents.size());
  append(file, contents);
  file->push_back(type);
  uint32_t c = crc32c(contents.data(), contents.size());
  c = ckpt::crc32c_extend(c, &type, 1);
  put_le(file, crc32c_mask(c), 4);
  return handle;
}

// A table with one data block (LevelDB layout; TF's bundles have one up to 256 KiB).
Bytes make_table(const KeyValues& kv, int interval = 3, uint8_t data_type = 0) {
  Bytes file;
  const Bytes data_handle = add_block(&file, table_block(kv, interval), data_type);
  const Bytes meta_handle = add_block(&file, table_block({}, 1));
  const std::string sep = kv.empty() ? "" : kv.back().first;
  const Bytes index_handle = add_block(&file, table_block({{sep, data_handle}}, 1));
  Bytes footer = meta_handle;
  append(&footer, index_handle);
  footer.resize(40, 0);
  put_le(&footer, ckpt::kSsTableMagic, 8);
  append(&file, footer);
  return file;
}

struct TestTensor {
  std::string name;
  int dtype = ckpt::kTfFloat;
  std::vector<int64_t> shape;
  Bytes data;
  int shard = 0;
};

TestTensor f32_tensor(const std::string& name, std::vector<int64_t> shape, const std::vector<float>& v) {
  TestTensor t{name, ckpt::kTfFloat, std::move(shape), {}, 0};
  t.data.resize(v.size() * 4);
  if (!v.empty()) std::memcpy(t.data.data(), v.data(), t.data.size());  // memcpy(null, ...) is UB
  return t;
}

struct TestBundle {
  Bytes index;
  std::vector<Bytes> shards;
};

TestBundle make_bundle(std::vector<TestTensor> ts, int num_shards = 1, int endianness = 0) {
  std::sort(ts.begin(), ts.end(), [](const TestTensor& a, const TestTensor& b) { return a.name < b.name; });
  TestBundle b;
  b.shards.resize(num_shards);
  Bytes header = pb_varint(1, num_shards);
  if (endianness) append(&header, pb_varint(2, endianness));
  append(&header, pb_bytes(3, pb_varint(1, 1)));  // version {producer: 1}
  KeyValues kv = {{"", header}};
  for (const TestTensor& t : ts) {
    Bytes& shard = b.shards[t.shard];
    Bytes shape;
    for (int64_t d : t.shape) append(&shape, pb_bytes(2, pb_varint(1, static_cast<uint64_t>(d))));
    Bytes e = pb_varint(1, t.dtype);
    append(&e, pb_bytes(2, shape));
    if (t.shard) append(&e, pb_varint(3, t.shard));
    if (!shard.empty()) append(&e, pb_varint(4, shard.size()));
    if (!t.data.empty()) append(&e, pb_varint(5, t.data.size()));
    append(&e, pb_fixed32(6, crc32c_mask(crc32c(t.data.data(), t.data.size()))));
    append(&shard, t.data);
    kv.push_back({t.name, e});
  }
  b.index = make_table(kv);
  return b;
}

ckpt::MemoryFiles memory_files(const TestBundle& b, const std::string& prefix = "ck") {
  ckpt::MemoryFiles f;
  f[prefix + ".index"] = b.index;
  for (size_t i = 0; i < b.shards.size(); ++i)
    f[prefix + ckpt::tf_shard_suffix(static_cast<int64_t>(i), static_cast<int64_t>(b.shards.size()))] = b.shards[i];
  return f;
}

Result<WeightMap> read_memory(const TestBundle& b) { return ckpt::read_tf_bundle_memory(memory_files(b), "ck", "mem:"); }

// ---- SSTable ----

TEST(SsTable, ReadsPrefixCompressedKeysInOrder) {
  KeyValues kv;
  for (int i = 0; i < 40; ++i) {
    char key[64];
    std::snprintf(key, sizeof key, "efficientnet-lite0/blocks_%02d/conv2d/kernel", i);
    kv.push_back({key, Bytes(static_cast<size_t>(i % 5), static_cast<uint8_t>(i))});
  }
  for (int interval : {1, 3, 16, 100}) {
    const Bytes t = make_table(kv, interval);
    auto r = ckpt::read_sstable(t.data(), t.size());
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->size(), kv.size());
    for (size_t i = 0; i < kv.size(); ++i) {
      EXPECT_EQ((*r)[i].key, kv[i].first);
      EXPECT_EQ((*r)[i].value, std::string(kv[i].second.begin(), kv[i].second.end()));
    }
  }
}

TEST(SsTable, RejectsCorruptionCompressionAndTruncation) {
  const Bytes good = make_table({{"a", {1, 2}}, {"b", {3}}, {"c", {}}});
  Bytes bad = good;
  bad[3] ^= 0x40;  // inside the data block
  auto r = ckpt::read_sstable(bad.data(), bad.size());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "CRC")) << r.status().message();

  const Bytes snappy = make_table({{"a", {1}}}, 3, 1);
  r = ckpt::read_sstable(snappy.data(), snappy.size());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "snappy-compressed")) << r.status().message();

  bad = good;
  bad.back() ^= 1;
  r = ckpt::read_sstable(bad.data(), bad.size());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "magic")) << r.status().message();

  for (size_t n = 0; n < good.size(); ++n) {  // every prefix of the file fails cleanly
    r = ckpt::read_sstable(good.data(), n);
    EXPECT_FALSE(r.ok()) << n;
  }

  const Bytes unsorted = make_table({{"b", {}}, {"a", {}}});
  r = ckpt::read_sstable(unsorted.data(), unsorted.size());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "not after")) << r.status().message();
}

// ---- tensor bundles ----

TEST(TfBundle, ReadsFloatTypesAndSkipsOthers) {
  std::vector<TestTensor> ts;
  ts.push_back(f32_tensor("w", {2, 3}, {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}));
  ts.push_back(f32_tensor("scalar", {}, {3.0f}));
  ts.push_back(f32_tensor("empty", {0, 4}, {}));
  TestTensor h{"h", ckpt::kTfHalf, {2}, {0x00, 0x3c, 0x00, 0xc0}, 0};       // 1, -2
  TestTensor bf{"bf", ckpt::kTfBfloat16, {1}, {0xc0, 0x3f}, 0};             // 1.5
  TestTensor d{"d", ckpt::kTfDouble, {1}, {}, 0};
  const double dv = 0.25;
  d.data.resize(8);
  std::memcpy(d.data.data(), &dv, 8);
  TestTensor step{"global_step", ckpt::kTfInt64, {}, {7, 0, 0, 0, 0, 0, 0, 0}, 0};
  TestTensor str{"_CHECKPOINTABLE_OBJECT_GRAPH", ckpt::kTfString, {}, {3, 'a', 'b', 'c', 1, 2, 3, 4}, 0};
  ts.insert(ts.end(), {h, bf, d, step, str});
  const TestBundle b = make_bundle(ts);
  auto r = read_memory(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const WeightMap& m = *r;
  EXPECT_EQ(m.size(), 6u);
  EXPECT_EQ(m.at("w").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(m.at("w").data, (std::vector<float>{-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}));
  EXPECT_EQ(m.at("scalar").shape, std::vector<int64_t>{});
  EXPECT_EQ(m.at("scalar").data, std::vector<float>{3.0f});
  EXPECT_EQ(m.at("empty").shape, (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(m.at("h").data, (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(m.at("bf").data, std::vector<float>{1.5f});
  EXPECT_EQ(m.at("d").data, std::vector<float>{0.25f});
  EXPECT_EQ(m.count("global_step"), 0u);
  EXPECT_EQ(m.count("_CHECKPOINTABLE_OBJECT_GRAPH"), 0u);

  ckpt::TfReadOptions only_w;
  only_w.keep = [](const std::string& n) { return n == "w"; };
  r = ckpt::read_tf_bundle_memory(memory_files(b), "ck", "mem:", only_w);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->size(), 1u);
}

TEST(TfBundle, ReadsSeveralShards) {
  std::vector<TestTensor> ts = {f32_tensor("a", {2}, {1, 2}), f32_tensor("b", {1}, {3}),
                                f32_tensor("c", {3}, {4, 5, 6})};
  ts[1].shard = 1;
  ts[2].shard = 1;
  const TestBundle b = make_bundle(ts, 2);
  auto r = read_memory(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->at("a").data, (std::vector<float>{1, 2}));
  EXPECT_EQ(r->at("b").data, (std::vector<float>{3}));
  EXPECT_EQ(r->at("c").data, (std::vector<float>{4, 5, 6}));
}

TEST(TfBundle, ErrorsNameTheFileAndTheProblem) {
  const TestBundle good = make_bundle({f32_tensor("a", {2}, {1, 2}), f32_tensor("b", {3}, {3, 4, 5})});
  ASSERT_TRUE(read_memory(good).ok());

  TestBundle bad = good;  // a flipped bit in b's data
  bad.shards[0][9] ^= 0x10;
  auto r = read_memory(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "mem:ck.data-00000-of-00001: tensor 'b': CRC-32C mismatch"))
      << r.status().message();

  bad = good;  // truncated shard
  bad.shards[0].resize(14);
  r = read_memory(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "mem:ck.data-00000-of-00001: tensor 'b' needs bytes [8, 20)"))
      << r.status().message();
  EXPECT_TRUE(contains(r.status().message(), "truncated")) << r.status().message();

  ckpt::MemoryFiles files = memory_files(good);  // missing shard
  files.erase("ck.data-00000-of-00001");
  r = ckpt::read_tf_bundle_memory(files, "ck", "mem:");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "ck.data-00000-of-00001")) << r.status().message();

  TestTensor lying = f32_tensor("a", {3}, {1, 2});  // shape says 12 bytes, data 8
  r = read_memory(make_bundle({lying}));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "mem:ck.index: tensor 'a' of shape [3]")) << r.status().message();

  r = read_memory(make_bundle({f32_tensor("a", {1}, {1})}, 1, /*endianness=*/1));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "big-endian")) << r.status().message();

  TestBundle no_header;
  no_header.index = make_table({{"a", pb_varint(1, 1)}});
  no_header.shards = {Bytes()};
  r = read_memory(no_header);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "no bundle header")) << r.status().message();

  TestBundle bad_proto = good;  // an entry whose shape field runs past the message
  bad_proto.index = make_table({{"", pb_varint(1, 1)}, {"a", {0x12, 0x7f, 0x00}}});
  r = read_memory(bad_proto);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "mem:ck.index: entry 'a'")) << r.status().message();
}

// ---- gzip and tar ----

Bytes gzip(const Bytes& raw) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&z, raw.size()) + 64);
  z.next_in = const_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void tar_header(Bytes* tar, const std::string& name, uint64_t size, char type, bool gnu_magic = false) {
  Bytes h(512, 0);
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
  std::snprintf(reinterpret_cast<char*>(h.data()) + 100, 8, "%07o", 0644);
  std::snprintf(reinterpret_cast<char*>(h.data()) + 124, 12, "%011llo", static_cast<unsigned long long>(size));
  h[156] = static_cast<uint8_t>(type);
  std::memcpy(h.data() + 257, gnu_magic ? "ustar  " : "ustar\0" "00", 8);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (uint8_t c : h) sum += c;
  std::snprintf(reinterpret_cast<char*>(h.data()) + 148, 8, "%06o", sum);
  append(tar, h);
}

void tar_member(Bytes* tar, const std::string& name, const Bytes& data, char type = '0') {
  tar_header(tar, name, data.size(), type);
  append(tar, data);
  tar->resize((tar->size() + 511) / 512 * 512, 0);
}

Bytes tar_end(Bytes tar) {
  tar.resize(tar.size() + 1024, 0);
  return tar;
}

TEST(Tar, ReadsUstarGnuLongNamesAndPax) {
  const std::string long_name = "efficientnet-lite0/" + std::string(120, 'x') + "/model.ckpt.index";
  const std::string pax_name = "efficientnet-lite0/" + std::string(150, 'y') + ".data";
  Bytes tar;
  tar_member(&tar, "./efficientnet-lite0/", {}, '5');
  tar_member(&tar, "./efficientnet-lite0/checkpoint", {'h', 'i'});
  Bytes gnu_name(long_name.begin(), long_name.end());
  gnu_name.push_back(0);
  tar_header(&tar, "././@LongLink", gnu_name.size(), 'L', true);
  append(&tar, gnu_name);
  tar.resize((tar.size() + 511) / 512 * 512, 0);
  tar_member(&tar, "truncated-name", {1, 2, 3});
  const std::string rec = "path=" + pax_name + "\n";
  std::string pax = std::to_string(rec.size() + 4) + " " + rec;  // the length counts itself
  ASSERT_EQ(pax.size(), std::stoul(pax.substr(0, pax.find(' '))));
  tar_member(&tar, "PaxHeaders/x", Bytes(pax.begin(), pax.end()), 'x');
  tar_member(&tar, "short", Bytes(700, 9));
  tar = tar_end(tar);

  for (const Bytes& file : {tar, gzip(tar)}) {
    auto a = archive::read_tar_gz_memory(file.data(), file.size(), "t.tar.gz");
    ASSERT_TRUE(a.ok()) << a.status().message();
    const auto files = a->files();
    ASSERT_EQ(files.size(), 3u);
    EXPECT_EQ(files.at("efficientnet-lite0/checkpoint").size(), 2u);
    ASSERT_EQ(files.count(long_name), 1u);
    EXPECT_EQ(files.at(long_name)[2], 3);
    ASSERT_EQ(files.count(pax_name), 1u);
    EXPECT_EQ(files.at(pax_name).size(), 700u);
  }
}

TEST(Tar, RejectsBadInput) {
  Bytes tar;
  tar_member(&tar, "a", Bytes(1000, 1));
  tar = tar_end(tar);
  Bytes bad = tar;
  bad[10] ^= 1;  // name byte: checksum no longer matches
  auto a = archive::read_tar_gz_memory(bad.data(), bad.size(), "bad.tar");
  EXPECT_FALSE(a.ok());
  const Bytes gz = gzip(tar);
  a = archive::read_tar_gz_memory(gz.data(), gz.size() / 2, "half.tar.gz");
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(contains(a.status().message(), "half.tar.gz: truncated gzip")) << a.status().message();
  Bytes cut(tar.begin(), tar.begin() + 700);  // member data runs past the end
  a = archive::read_tar_gz_memory(cut.data(), cut.size(), "cut.tar");
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(contains(a.status().message(), "cut.tar: tar: member 'a'")) << a.status().message();
  Bytes corrupt = gz;
  corrupt[gz.size() / 2] ^= 0xff;
  a = archive::read_tar_gz_memory(corrupt.data(), corrupt.size(), "c.tar.gz");
  EXPECT_FALSE(a.ok());
  auto big = archive::gunzip(gz.data(), gz.size(), 1000);
  ASSERT_FALSE(big.ok());
  EXPECT_TRUE(contains(big.status().message(), "size limit")) << big.status().message();
  const Bytes text = {'h', 'e', 'l', 'l', 'o'};
  a = archive::read_tar_gz_memory(text.data(), text.size(), "t.tar.gz");
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(contains(a.status().message(), "t.tar.gz: not a .tar.gz")) << a.status().message();
}

// ---- EfficientNet-lite names and layouts ----

// Writes a model under the official names, TF layouts; `scale` multiplies every value
// (to tell EMA shadows from raw variables).
void export_model(const EfficientNetLite& m, const std::string& suffix, float scale,
                  std::vector<TestTensor>* out) {
  const std::string scope = m.config.name + "/";
  auto add = [&](const std::string& name, std::vector<int64_t> shape, std::vector<float> v) {
    for (float& x : v) x *= scale;
    out->push_back(f32_tensor(scope + name + suffix, std::move(shape), v));
  };
  auto conv = [&](const std::string& name, const ConvBnLayer& l) {
    const int k = l.kernel;
    if (l.depthwise) return add(name, {k, k, l.out_c, 1}, l.weight.data);
    std::vector<float> hwio(l.weight.data.size());
    for (int o = 0; o < l.out_c; ++o)
      for (int y = 0; y < k; ++y)
        for (int x = 0; x < k; ++x)
          for (int i = 0; i < l.in_c; ++i)
            hwio[((y * k + x) * l.in_c + i) * l.out_c + o] = l.weight.data[((o * k + y) * k + x) * l.in_c + i];
    add(name, {k, k, l.in_c, l.out_c}, hwio);
  };
  auto bn = [&](const std::string& name, const BatchNorm& b) {
    const int64_t c = static_cast<int64_t>(b.gamma.size());
    add(name + "/gamma", {c}, b.gamma);
    add(name + "/beta", {c}, b.beta);
    add(name + "/moving_mean", {c}, b.moving_mean);
    add(name + "/moving_variance", {c}, b.moving_variance);
  };
  conv("stem/conv2d/kernel", m.stem);
  bn("stem/tpu_batch_normalization", m.stem.bn);
  for (size_t k = 0; k < m.blocks.size(); ++k) {
    const MBConvBlock& b = m.blocks[k];
    const std::string p = "blocks_" + std::to_string(k) + "/";
    if (b.expand) {
      conv(p + "conv2d/kernel", *b.expand);
      bn(p + "tpu_batch_normalization", b.expand->bn);
      conv(p + "depthwise_conv2d/depthwise_kernel", b.depthwise);
      bn(p + "tpu_batch_normalization_1", b.depthwise.bn);
      conv(p + "conv2d_1/kernel", b.project);
      bn(p + "tpu_batch_normalization_2", b.project.bn);
    } else {
      conv(p + "depthwise_conv2d/depthwise_kernel", b.depthwise);
      bn(p + "tpu_batch_normalization", b.depthwise.bn);
      conv(p + "conv2d/kernel", b.project);
      bn(p + "tpu_batch_normalization_1", b.project.bn);
    }
  }
  conv("head/conv2d/kernel", m.head);
  bn("head/tpu_batch_normalization", m.head.bn);
  const int in = m.classifier.in, n = m.classifier.out;
  std::vector<float> io(static_cast<size_t>(in) * n);
  for (int o = 0; o < n; ++o)
    for (int i = 0; i < in; ++i) io[static_cast<size_t>(i) * n + o] = m.classifier.weight.data[static_cast<size_t>(o) * in + i];
  add("head/dense/kernel", {in, n}, io);
  add("head/dense/bias", {n}, m.classifier.bias);
}

void expect_same_weights(const EfficientNetLite& a, const EfficientNetLite& b, float scale) {
  auto same = [&](const std::vector<float>& x, const std::vector<float>& y, const std::string& what) {
    ASSERT_EQ(x.size(), y.size()) << what;
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(x[i] * scale, y[i]) << what << " [" << i << "]";
  };
  auto layer = [&](const ConvBnLayer& x, const ConvBnLayer& y) {
    same(x.weight.data, y.weight.data, x.name);
    same(x.bn.gamma, y.bn.gamma, x.name + " gamma");
    same(x.bn.beta, y.bn.beta, x.name + " beta");
    same(x.bn.moving_mean, y.bn.moving_mean, x.name + " mean");
    same(x.bn.moving_variance, y.bn.moving_variance, x.name + " var");
  };
  layer(a.stem, b.stem);
  ASSERT_EQ(a.blocks.size(), b.blocks.size());
  for (size_t k = 0; k < a.blocks.size(); ++k) {
    ASSERT_EQ(a.blocks[k].expand.has_value(), b.blocks[k].expand.has_value());
    if (a.blocks[k].expand) layer(*a.blocks[k].expand, *b.blocks[k].expand);
    layer(a.blocks[k].depthwise, b.blocks[k].depthwise);
    layer(a.blocks[k].project, b.blocks[k].project);
  }
  layer(a.head, b.head);
  same(a.classifier.weight.data, b.classifier.weight.data, "dense");
  same(a.classifier.bias, b.classifier.bias, "dense bias");
}

class TfModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    original_ = build_efficientnet_lite(lite_config("efficientnet-lite0", 10).value());
    randomize_weights(original_, 7);
  }
  // Raw variables scaled by 1, EMA shadows by 2 (exact in float), plus an optimizer slot.
  std::vector<TestTensor> tensors(bool raw = true, bool ema = true) const {
    std::vector<TestTensor> ts;
    if (raw) export_model(original_, "", 1.0f, &ts);
    if (ema) export_model(original_, "/ExponentialMovingAverage", 2.0f, &ts);
    ts.push_back(f32_tensor("efficientnet-lite0/head/dense/bias/RMSProp", {10}, std::vector<float>(10, 9)));
    ts.push_back(TestTensor{"global_step", ckpt::kTfInt64, {}, Bytes(8, 0), 0});
    return ts;
  }
  static Result<TfModel> load(const std::vector<TestTensor>& ts, const std::string& model = "", bool ema = true) {
    auto w = read_memory(make_bundle(ts));
    if (!w.ok()) return w.status();
    return model_from_tf_checkpoint(*w, model, ema, "ck");
  }
  static void replace(std::vector<TestTensor>* ts, const std::string& name, std::vector<int64_t> shape) {
    for (TestTensor& t : *ts)
      if (t.name == name) {
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        t = f32_tensor(name, shape, std::vector<float>(static_cast<size_t>(n), 0.5f));
        return;
      }
    FAIL() << "no tensor " << name;
  }
  static void erase(std::vector<TestTensor>* ts, const std::string& name) {
    const size_t before = ts->size();
    std::erase_if(*ts, [&](const TestTensor& t) { return t.name == name; });
    ASSERT_EQ(ts->size(), before - 1) << name;
  }
  EfficientNetLite original_;
};

TEST_F(TfModelTest, LoadsEmaByDefaultAndRawOnRequest) {
  auto m = load(tensors());
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(m->used_ema);
  EXPECT_EQ(m->model.config.name, "efficientnet-lite0");
  EXPECT_EQ(m->model.config.num_classes, 10);
  expect_same_weights(original_, m->model, 2.0f);

  m = load(tensors(), "", /*ema=*/false);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_FALSE(m->used_ema);
  expect_same_weights(original_, m->model, 1.0f);

  m = load(tensors(true, false), "lite0");  // no shadows at all: the raw variables
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_FALSE(m->used_ema);
  expect_same_weights(original_, m->model, 1.0f);

  m = load(tensors(false, true));  // only shadows (an EMA-only export)
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(m->used_ema);
}

TEST_F(TfModelTest, ThroughAGzippedTarLikeTheReleaseTarballs) {
  const TestBundle b = make_bundle(tensors());
  Bytes tar;
  tar_member(&tar, "efficientnet-lite0/", {}, '5');
  const std::string state = "model_checkpoint_path: \"model.ckpt\"\nall_model_checkpoint_paths: \"model.ckpt\"\n";
  tar_member(&tar, "efficientnet-lite0/checkpoint", Bytes(state.begin(), state.end()));
  tar_member(&tar, "efficientnet-lite0/model.ckpt.data-00000-of-00001", b.shards[0]);
  tar_member(&tar, "efficientnet-lite0/model.ckpt.index", b.index);
  tar_member(&tar, "efficientnet-lite0/model.ckpt.meta", {1, 2, 3});
  tar_member(&tar, "efficientnet-lite0/other.ckpt.index", b.index);  // the checkpoint file decides
  const Bytes gz = gzip(tar_end(tar));
  auto a = archive::read_tar_gz_memory(gz.data(), gz.size(), "lite0.tar.gz");
  ASSERT_TRUE(a.ok()) << a.status().message();
  auto ck = ckpt::read_tf_checkpoint_memory(a->files(), "lite0.tar.gz");
  ASSERT_TRUE(ck.ok()) << ck.status().message();
  EXPECT_EQ(ck->source, "lite0.tar.gz:efficientnet-lite0/model.ckpt");
  auto m = model_from_tf_checkpoint(ck->weights, "", true, ck->source);
  ASSERT_TRUE(m.ok()) << m.status().message();
  expect_same_weights(original_, m->model, 2.0f);

  Bytes no_ckpt;
  tar_member(&no_ckpt, "efficientnet-lite0/model.tflite", {1, 2, 3});
  const Bytes gz2 = gzip(tar_end(no_ckpt));
  a = archive::read_tar_gz_memory(gz2.data(), gz2.size(), "x.tar.gz");
  ASSERT_TRUE(a.ok()) << a.status().message();
  ck = ckpt::read_tf_checkpoint_memory(a->files(), "x.tar.gz");
  ASSERT_FALSE(ck.ok());
  EXPECT_TRUE(contains(ck.status().message(), "x.tar.gz: no TensorFlow checkpoint")) << ck.status().message();
  EXPECT_TRUE(contains(ck.status().message(), "efficientnet-lite0/model.tflite")) << ck.status().message();
}

TEST_F(TfModelTest, MissingVariableIsNamed) {
  auto ts = tensors();
  erase(&ts, "efficientnet-lite0/blocks_3/tpu_batch_normalization_1/moving_variance/ExponentialMovingAverage");
  auto m = load(ts);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.status().message(),
                       "ck: missing variable 'efficientnet-lite0/blocks_3/tpu_batch_normalization_1/"
                       "moving_variance/ExponentialMovingAverage'"))
      << m.status().message();
  EXPECT_TRUE(contains(m.status().message(), "--no-ema")) << m.status().message();
  EXPECT_TRUE(load(ts, "", false).ok());  // the raw one is still there

  ts = tensors();
  erase(&ts, "efficientnet-lite0/head/conv2d/kernel");
  m = load(ts, "", false);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.status().message(), "missing variable 'efficientnet-lite0/head/conv2d/kernel'"))
      << m.status().message();
}

TEST_F(TfModelTest, ShapeMismatchGivesBothShapes) {
  auto ts = tensors();
  replace(&ts, "efficientnet-lite0/blocks_1/conv2d/kernel/ExponentialMovingAverage", {1, 1, 16, 95});
  auto m = load(ts);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.status().message(),
                       "variable 'efficientnet-lite0/blocks_1/conv2d/kernel/ExponentialMovingAverage' has "
                       "shape [1, 1, 16, 95], expected [1, 1, 16, 96]"))
      << m.status().message();
}

TEST_F(TfModelTest, ModelNameMustAgreeWithTheScope) {
  auto m = load(tensors(), "efficientnet-lite2");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.status().message(), "disagrees")) << m.status().message();
  EXPECT_TRUE(load(tensors(), "lite0").ok());
}

TEST_F(TfModelTest, UnknownScopeFallsBackToShapes) {
  auto ts = tensors();
  for (TestTensor& t : ts)
    if (t.name.rfind("efficientnet-lite0/", 0) == 0) t.name = "model/" + t.name.substr(19);
  auto m = load(ts);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->model.config.name, "efficientnet-lite0");
  expect_same_weights(original_, m->model, 2.0f);
}

TEST_F(TfModelTest, ExtraModelVariableIsAnError) {
  auto ts = tensors();
  ts.push_back(f32_tensor("efficientnet-lite0/blocks_16/conv2d/kernel", {1}, {1}));
  auto m = load(ts);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.status().message(), "unexpected variable 'efficientnet-lite0/blocks_16/conv2d/kernel'"))
      << m.status().message();
}

TEST_F(TfModelTest, NotAnEfficientNetCheckpoint) {
  auto m = load({f32_tensor("dense/kernel", {2, 2}, {1, 2, 3, 4})});
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.status().message(), "ck: not an EfficientNet-lite checkpoint")) << m.status().message();
}

TEST(TfCheckpointState, ParsesModelCheckpointPath) {
  using ckpt::parse_checkpoint_state;
  EXPECT_EQ(parse_checkpoint_state("model_checkpoint_path: \"model.ckpt-100\"\n"
                                   "all_model_checkpoint_paths: \"model.ckpt-100\"\n"),
            "model.ckpt-100");
  EXPECT_EQ(parse_checkpoint_state("all_model_checkpoint_paths: \"a\"\n  model_checkpoint_path :  \"d\\\"q\"\r\n"),
            "d\"q");
  EXPECT_EQ(parse_checkpoint_state("model_checkpoint_path: \"unterminated\n"), "");
  EXPECT_EQ(parse_checkpoint_state("all_model_checkpoint_paths: \"a\"\n"), "");
  EXPECT_EQ(parse_checkpoint_state(std::string(1 << 20, 'x')), "");
}

// ---- on disk: prefix, index, shard, directory, archive ----

class TfFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("elite_tf_ckpt_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "ck");
    bundle_ = make_bundle({f32_tensor("a", {2}, {1, 2}), f32_tensor("b", {1}, {3})});
    write("ck/model.ckpt.index", bundle_.index);
    write("ck/model.ckpt.data-00000-of-00001", bundle_.shards[0]);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& rel) const { return (dir_ / rel).string(); }
  void write(const std::string& rel, const Bytes& b) const {
    std::ofstream f(path(rel), std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  void write(const std::string& rel, const std::string& s) const { write(rel, Bytes(s.begin(), s.end())); }
  fs::path dir_;
  TestBundle bundle_;
};

TEST_F(TfFilesTest, EveryWayOfNamingACheckpoint) {
  for (const std::string& p : {path("ck/model.ckpt"), path("ck/model.ckpt.index"),
                               path("ck/model.ckpt.data-00000-of-00001"), path("ck"), path("ck/")}) {
    EXPECT_TRUE(ckpt::is_tf_checkpoint_path(p)) << p;
    auto r = ckpt::read_tf_checkpoint(p);
    ASSERT_TRUE(r.ok()) << p << ": " << r.status().message();
    EXPECT_EQ(r->source, path("ck/model.ckpt"));
    EXPECT_EQ(r->weights.at("a").data, (std::vector<float>{1, 2}));
  }
  // The `checkpoint` file picks one of several; a stale absolute path falls back to its name.
  write("ck/other.ckpt.index", bundle_.index);
  EXPECT_FALSE(ckpt::read_tf_checkpoint(path("ck")).ok());
  write("ck/checkpoint", "model_checkpoint_path: \"/gone/train/model.ckpt\"\n");
  auto r = ckpt::read_tf_checkpoint(path("ck"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->source, path("ck/model.ckpt"));

  Bytes tar;
  tar_member(&tar, "lite/model.ckpt.index", bundle_.index);
  tar_member(&tar, "lite/model.ckpt.data-00000-of-00001", bundle_.shards[0]);
  write("ck.tar.gz", gzip(tar_end(tar)));
  EXPECT_TRUE(ckpt::is_tf_checkpoint_path(path("ck.tar.gz")));
  r = ckpt::read_tf_checkpoint(path("ck.tar.gz"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->weights.at("b").data, std::vector<float>{3});
}

TEST_F(TfFilesTest, MissingAndTruncatedFiles) {
  auto r = ckpt::read_tf_checkpoint(path("ck/nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), path("ck/nope"))) << r.status().message();
  EXPECT_FALSE(ckpt::is_tf_checkpoint_path(path("ck/nope")));

  fs::create_directories(dir_ / "empty");
  r = ckpt::read_tf_checkpoint(path("empty"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "no TensorFlow checkpoint")) << r.status().message();

  Bytes shard = bundle_.shards[0];
  shard.resize(shard.size() - 1);
  write("ck/model.ckpt.data-00000-of-00001", shard);
  r = ckpt::read_tf_checkpoint(path("ck/model.ckpt"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), path("ck/model.ckpt.data-00000-of-00001") + ": tensor 'b' needs"))
      << r.status().message();

  fs::remove(path("ck/model.ckpt.data-00000-of-00001"));
  r = ckpt::read_tf_checkpoint(path("ck/model.ckpt"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), path("ck/model.ckpt.data-00000-of-00001") + ": cannot open"))
      << r.status().message();
}

}  // namespace
}  // namespace elite
