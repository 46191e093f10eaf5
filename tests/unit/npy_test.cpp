// Tests for src/io/npy: float32 .npy round trips (N-d, 1-d, scalar, empty), files laid
// out exactly as numpy writes them (versions 1.0 and 2.0), and clear errors for bad
// magic, unsupported dtype or order, and truncated or oversized files.
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/npy/npy.h"

namespace elite {
namespace {

namespace fs = std::filesystem;

class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("elite_npy_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write_raw(const std::string& name, const std::string& bytes) {
    std::ofstream f(path(name), std::ios::binary);
    f.write(bytes.data(), std::streamsize(bytes.size()));
    return path(name);
  }
  static std::string read_raw(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  // A file exactly as numpy.save writes it for version 1.0 (64-byte aligned header).
  static std::string numpy_v1(const std::string& dict, const std::vector<float>& data,
                              int major = 1) {
    const size_t prefix = major == 1 ? 10 : 12;
    std::string h = dict;
    const size_t total = (prefix + h.size() + 1 + 63) / 64 * 64;
    h.append(total - prefix - h.size() - 1, ' ');
    h += '\n';
    std::string s("\x93NUMPY", 6);
    s += char(major);
    s += '\0';
    s += char(h.size() & 0xFF);
    s += char(h.size() >> 8);
    if (major != 1) s += std::string(2, '\0');
    s += h;
    s.append(reinterpret_cast<const char*>(data.data()), data.size() * 4);
    return s;
  }
  void expect_error(const std::string& p, const std::string& fragment) {
    Result<FloatTensor> r = read_npy(p);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(p), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
  }
  fs::path dir_;
};

TEST_F(NpyTest, RoundTrip) {
  for (const std::vector<int64_t>& shape :
       {std::vector<int64_t>{1, 4, 5, 3}, {7}, {}, {2, 0, 3}, {3, 1}}) {
    FloatTensor t(shape);
    for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = 0.25f * float(i) - 3.0f;
    const std::string p = path("t.npy");
    ASSERT_TRUE(write_npy(p, t).ok());
    const std::string raw = read_raw(p);
    const size_t header_end = raw.size() - t.data.size() * 4;
    EXPECT_EQ(header_end % 64, 0u) << shape_to_string(shape);
    EXPECT_EQ(raw[header_end - 1], '\n');
    Result<FloatTensor> r = read_npy(p);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->shape, shape);
    EXPECT_EQ(r->data, t.data);
  }
}

TEST_F(NpyTest, WritesTheHeaderNumpyWrites) {
  FloatTensor t({2, 3});
  ASSERT_TRUE(write_npy(path("a.npy"), t).ok());
  EXPECT_EQ(read_raw(path("a.npy")),
            numpy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", t.data));
  FloatTensor v({5});
  ASSERT_TRUE(write_npy(path("v.npy"), v).ok());
  EXPECT_EQ(read_raw(path("v.npy")),
            numpy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", v.data));
}

TEST_F(NpyTest, ReadsVersion2AndOtherKeyOrders) {
  const std::vector<float> d = {1.5f, -2.0f};
  Result<FloatTensor> r = read_npy(
      write_raw("v2.npy", numpy_v1("{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}", d, 2)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->shape, std::vector<int64_t>{2});
  EXPECT_EQ(r->data, d);
}

TEST_F(NpyTest, Errors) {
  expect_error(path("missing.npy"), "cannot open");
  expect_error(write_raw("short.npy", "\x93NUM"), "not a .npy");
  expect_error(write_raw("magic.npy", "PK\x03\x04 this is a zip file, not npy"), "bad magic");
  const std::vector<float> d(6, 1.0f);
  expect_error(write_raw("f8.npy", numpy_v1("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", d)),
               "'<f8'");
  expect_error(write_raw("be.npy", numpy_v1("{'descr': '>f4', 'fortran_order': False, 'shape': (6,), }", d)),
               "'>f4'");
  expect_error(
      write_raw("fo.npy", numpy_v1("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", d)),
      "fortran_order");
  expect_error(write_raw("trunc.npy", numpy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }", d)),
               "truncated data");
  expect_error(write_raw("long.npy", numpy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", d)),
               "trailing data");
  expect_error(write_raw("noshape.npy", numpy_v1("{'descr': '<f4', 'fortran_order': False, }", d)),
               "lacks");
  expect_error(write_raw("garbage.npy", numpy_v1("[1, 2, 3]", d)), "not a dict");
  std::string cut = numpy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", d);
  expect_error(write_raw("cuthdr.npy", cut.substr(0, 40)), "truncated .npy header");
  std::string v9 = cut;
  v9[6] = 9;
  expect_error(write_raw("v9.npy", v9), "unsupported .npy version");
}

TEST_F(NpyTest, WriteErrors) {
  FloatTensor t({2, 2});
  t.data.resize(3);
  Status st = write_npy(path("bad.npy"), t);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("bad.npy"), std::string::npos);
  st = write_npy((dir_ / "no" / "such" / "dir.npy").string(), FloatTensor({1}));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("cannot create"), std::string::npos);
}

}  // namespace
}  // namespace elite
