// .tflite reader and writer: exact round trips of small random graphs (float and INT8), and
// bad input (missing, empty, truncated, corrupted files; unsupported operators, types,
// options; invalid quantization parameters; hybrid models).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>

#include "../common/test_graphs.h"
#include "flatbuffers/flatbuffers.h"
#include "io/tflite/tflite_reader.h"
#include "io/tflite/tflite_writer.h"
#include "tflite_schema_generated.h"

namespace elite {
namespace {

namespace fb = ::tflite;

using test::conv_op;
using test::make_block_graph;
using test::make_pad_graph;
using test::simple_op;

void expect_same_tensor(const FloatTensor& a, const FloatTensor& b, const std::string& what) {
  EXPECT_EQ(a.shape, b.shape) << what;
  ASSERT_EQ(a.data.size(), b.data.size()) << what;
  if (a.data.empty()) return;
  EXPECT_EQ(0, std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float))) << what;
}

void expect_same_graph(const Graph& a, const Graph& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.input, b.input);
  EXPECT_EQ(a.output, b.output);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].name, b.tensors[i].name) << "tensor " << i;
    EXPECT_EQ(a.tensors[i].shape, b.tensors[i].shape) << "tensor " << i;
    EXPECT_EQ(a.tensors[i].dtype, b.tensors[i].dtype) << "tensor " << i;
    EXPECT_EQ(a.tensors[i].quant.scale, b.tensors[i].quant.scale) << "tensor " << i;
    EXPECT_EQ(a.tensors[i].quant.zero_point, b.tensors[i].quant.zero_point) << "tensor " << i;
  }
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (size_t i = 0; i < a.ops.size(); ++i) {
    const Op& x = a.ops[i];
    const Op& y = b.ops[i];
    const std::string at = "op " + std::to_string(i);
    EXPECT_EQ(x.kind, y.kind) << at;
    EXPECT_EQ(x.inputs, y.inputs) << at;
    EXPECT_EQ(x.output, y.output) << at;
    EXPECT_EQ(x.activation, y.activation) << at;
    if (x.kind == OpKind::kConv2D || x.kind == OpKind::kDepthwiseConv2D) {
      EXPECT_EQ(x.kernel_h, y.kernel_h) << at;
      EXPECT_EQ(x.kernel_w, y.kernel_w) << at;
      EXPECT_EQ(x.stride_h, y.stride_h) << at;
      EXPECT_EQ(x.stride_w, y.stride_w) << at;
      EXPECT_EQ(x.padding, y.padding) << at;
    }
    if (x.kind == OpKind::kSoftmax) {
      EXPECT_EQ(x.beta, y.beta) << at;
    }
    if (x.kind == OpKind::kPad) {
      for (int k = 0; k < 4; ++k) EXPECT_EQ(x.pads[k], y.pads[k]) << at << " pad " << k;
    }
    expect_same_tensor(x.weights, y.weights, at + " weights");
    expect_same_tensor(x.bias, y.bias, at + " bias");
    EXPECT_EQ(x.qweights, y.qweights) << at;
    EXPECT_EQ(x.qbias, y.qbias) << at;
    EXPECT_EQ(x.weight_quant.scale, y.weight_quant.scale) << at;  // exact float equality
    EXPECT_EQ(x.weight_quant.zero_point, y.weight_quant.zero_point) << at;
    if (!x.weight_quant.empty()) {
      EXPECT_EQ(x.weight_quant.axis, y.weight_quant.axis) << at;
    }
  }
}

std::vector<uint8_t> serialize(const Graph& g) {
  Result<std::vector<uint8_t>> bytes = serialize_tflite(g);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return bytes.ok() ? bytes.value() : std::vector<uint8_t>{};
}

std::filesystem::path temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "elite_tflite_test";
  std::filesystem::create_directories(dir);
  return dir / name;
}

void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Every tensor id in a Graph that the reader accepted points inside it.
void expect_consistent(const Graph& g) {
  const int n = static_cast<int>(g.tensors.size());
  EXPECT_TRUE(g.input >= 0 && g.input < n);
  EXPECT_TRUE(g.output >= 0 && g.output < n);
  for (const Op& op : g.ops) {
    EXPECT_TRUE(op.output >= 0 && op.output < n);
    for (int in : op.inputs) EXPECT_TRUE(in >= 0 && in < n);
    const bool int8 = !op.inputs.empty() && g.tensors[op.inputs[0]].dtype == DType::kInt8;
    if (!op.weights.shape.empty()) {
      EXPECT_EQ(op.weights.numel(), static_cast<int64_t>(int8 ? op.qweights.size()
                                                              : op.weights.data.size()));
    }
    if (!op.bias.shape.empty()) {
      EXPECT_EQ(op.bias.numel(), static_cast<int64_t>(int8 ? op.qbias.size()
                                                           : op.bias.data.size()));
    }
  }
}

TEST(TfliteTest, RoundTripBlockGraph) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    Graph g = make_block_graph(seed);
    std::vector<uint8_t> bytes = serialize(g);
    ASSERT_FALSE(bytes.empty());
    Result<Graph> back = read_tflite_memory(bytes.data(), bytes.size(), "block.tflite");
    ASSERT_TRUE(back.ok()) << back.status().message();
    expect_same_graph(g, back.value());
  }
}

TEST(TfliteTest, RoundTripPadReshapeGraph) {
  Graph g = make_pad_graph(7);
  std::vector<uint8_t> bytes = serialize(g);
  Result<Graph> back = read_tflite_memory(bytes.data(), bytes.size(), "pad.tflite");
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_same_graph(g, back.value());
}

TEST(TfliteTest, RoundTripThroughFile) {
  Graph g = make_block_graph(11);
  const std::string path = temp_path("block.tflite").string();
  ASSERT_TRUE(write_tflite_file(g, path).ok());
  Result<Graph> back = read_tflite_file(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_same_graph(g, back.value());
  // The writer is deterministic: the same Graph gives the same bytes.
  EXPECT_EQ(serialize(g), serialize(back.value()));
}

TEST(TfliteTest, FileLayout) {
  Graph g = make_block_graph(5);
  std::vector<uint8_t> bytes = serialize(g);
  ASSERT_GE(bytes.size(), 8u);
  EXPECT_EQ(0, std::memcmp(bytes.data() + 4, "TFL3", 4));
  const fb::Model* m = fb::GetModel(bytes.data());
  EXPECT_EQ(m->version(), 3u);
  EXPECT_EQ(m->description()->str(), "elite");
  ASSERT_GT(m->buffers()->size(), 0u);
  EXPECT_TRUE(!m->buffers()->Get(0)->data() || m->buffers()->Get(0)->data()->size() == 0);
  for (const fb::OperatorCode* c : *m->operator_codes()) {
    EXPECT_EQ(static_cast<int>(c->deprecated_builtin_code()),
              std::min(static_cast<int>(c->builtin_code()), 127));
    EXPECT_EQ(c->version(), 1);
  }
  // Constant data is 16-byte aligned for in-place use.
  for (const fb::Buffer* b : *m->buffers())
    if (b->data() && b->data()->size()) {
      EXPECT_EQ(0u, (b->data()->data() - bytes.data()) % 16);
    }
}

TEST(TfliteTest, MissingBiasReadsAsZeros) {
  // Build a one-conv model, then drop the bias input (TFLite allows -1 for it).
  std::mt19937 rng(3);
  Graph g;
  const int x = g.add_tensor("x", {1, 4, 4, 2});
  const int y = g.add_tensor("y", {1, 4, 4, 3});
  g.ops.push_back(conv_op(OpKind::kConv2D, x, y, 3, 1, Padding::kSame, Activation::kNone, 2, 3,
                          rng));
  g.input = x;
  g.output = y;
  std::vector<uint8_t> bytes = serialize(g);
  auto model = fb::UnPackModel(bytes.data());
  model->subgraphs[0]->operators[0]->inputs.resize(2);
  flatbuffers::FlatBufferBuilder fbb;
  fb::FinishModelBuffer(fbb, fb::Model::Pack(fbb, model.get()));
  Result<Graph> back = read_tflite_memory(fbb.GetBufferPointer(), fbb.GetSize(), "nobias.tflite");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->ops[0].bias.shape, std::vector<int64_t>{3});
  EXPECT_EQ(back->ops[0].bias.data, std::vector<float>(3, 0.0f));
}

TEST(TfliteTest, MissingFile) {
  Result<Graph> r = read_tflite_file("/nonexistent/dir/model.tflite");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/dir/model.tflite"), std::string::npos);
}

TEST(TfliteTest, EmptyFile) {
  const auto path = temp_path("empty.tflite");
  write_bytes(path, {});
  Result<Graph> r = read_tflite_file(path.string());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("empty"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(path.string()), std::string::npos);
}

TEST(TfliteTest, WriteErrorNamesPath) {
  Status s = write_tflite_file(make_block_graph(1), "/nonexistent/dir/out.tflite");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent/dir/out.tflite"), std::string::npos) << s.message();
}

TEST(TfliteTest, WriterRejectsInconsistentGraph) {
  Graph g = make_block_graph(1);
  g.ops[0].weights.data.pop_back();
  EXPECT_FALSE(serialize_tflite(g).ok());
  g = make_block_graph(1);
  g.ops[2].output = 99;
  EXPECT_FALSE(serialize_tflite(g).ok());
}

TEST(TfliteTest, WrongIdentifier) {
  std::vector<uint8_t> bytes = serialize(make_block_graph(1));
  std::memcpy(bytes.data() + 4, "XXXX", 4);
  Result<Graph> r = read_tflite_memory(bytes.data(), bytes.size(), "wrong.tflite");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("identifier"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("wrong.tflite"), std::string::npos);
}

TEST(TfliteTest, TruncatedAtManyPoints) {
  std::vector<uint8_t> bytes = serialize(make_block_graph(1));
  for (size_t cut = 0; cut < bytes.size(); cut += (cut < 256 ? 1 : 37)) {
    std::vector<uint8_t> part(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    Result<Graph> r = read_tflite_memory(part.data(), part.size(), "cut.tflite");
    ASSERT_FALSE(r.ok()) << "cut at " << cut << " of " << bytes.size();
    EXPECT_NE(r.status().message().find("cut.tflite"), std::string::npos);
  }
}

TEST(TfliteTest, RandomByteFlipsDoNotCrash) {
  const std::vector<uint8_t> good = serialize(make_block_graph(1));
  std::mt19937 rng(1234);
  std::uniform_int_distribution<size_t> pos(0, good.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255), count(1, 8);
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> bytes = good;
    for (int k = count(rng); k > 0; --k) bytes[pos(rng)] = static_cast<uint8_t>(byte(rng));
    Result<Graph> r = read_tflite_memory(bytes.data(), bytes.size(), "flip.tflite");
    if (r.ok()) {
      ++accepted;  // e.g. a flipped weight value
      expect_consistent(r.value());
    } else {
      EXPECT_NE(r.status().message().find("flip.tflite"), std::string::npos);
    }
  }
  RecordProperty("accepted", accepted);
}

// A raw model built with the flatbuffers API, for files our writer never makes.
struct RawTensor {
  RawTensor(std::string n, std::vector<int32_t> s, fb::TensorType t = fb::TensorType::FLOAT32,
            std::vector<uint8_t> d = {})
      : name(std::move(n)), shape(std::move(s)), type(t), data(std::move(d)) {}
  std::string name;
  std::vector<int32_t> shape;
  fb::TensorType type;
  std::vector<uint8_t> data;  // empty: an activation
};

std::vector<uint8_t> raw_model(const std::vector<RawTensor>& tensors, int code, int deprecated,
                               std::vector<int32_t> op_inputs, std::vector<int32_t> op_outputs,
                               int input, int output,
                               fb::BuiltinOptions options_type = fb::BuiltinOptions::NONE,
                               std::function<flatbuffers::Offset<void>(
                                   flatbuffers::FlatBufferBuilder&)> options = nullptr) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers = {fb::CreateBuffer(fbb)};
  std::vector<flatbuffers::Offset<fb::Tensor>> ts;
  for (const RawTensor& t : tensors) {
    uint32_t buffer = 0;
    if (!t.data.empty()) {
      buffers.push_back(fb::CreateBufferDirect(fbb, &t.data));
      buffer = static_cast<uint32_t>(buffers.size() - 1);
    }
    ts.push_back(fb::CreateTensorDirect(fbb, &t.shape, t.type, buffer, t.name.c_str()));
  }
  flatbuffers::Offset<void> opts = options ? options(fbb) : flatbuffers::Offset<void>();
  std::vector<flatbuffers::Offset<fb::Operator>> ops = {fb::CreateOperatorDirect(
      fbb, 0, &op_inputs, &op_outputs, options_type, opts)};
  std::vector<flatbuffers::Offset<fb::OperatorCode>> codes = {fb::CreateOperatorCode(
      fbb, static_cast<int8_t>(deprecated), 0, 1, static_cast<fb::BuiltinOperator>(code))};
  std::vector<int32_t> ins = {input}, outs = {output};
  std::vector<flatbuffers::Offset<fb::SubGraph>> subgraphs = {
      fb::CreateSubGraphDirect(fbb, &ts, &ins, &outs, &ops)};
  fb::FinishModelBuffer(fbb, fb::CreateModelDirect(fbb, 3, &codes, &subgraphs, "test", &buffers));
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

std::string read_error(const std::vector<uint8_t>& bytes, const std::string& name) {
  Result<Graph> r = read_tflite_memory(bytes.data(), bytes.size(), name);
  return r.ok() ? "" : r.status().message();
}

TEST(TfliteTest, UnsupportedOperatorIsNamed) {
  std::vector<RawTensor> t = {{"x", {1, 4}}, {"y", {1, 4}}};
  const int logistic = static_cast<int>(fb::BuiltinOperator::LOGISTIC);
  // New-style file (both codes) and old-style file (only the deprecated byte).
  for (int builtin : {logistic, 0}) {
    std::string msg = read_error(raw_model(t, builtin, logistic, {0}, {1}, 0, 1), "model.tflite");
    EXPECT_NE(msg.find("unsupported operator LOGISTIC"), std::string::npos) << msg;
    EXPECT_NE(msg.find("model.tflite"), std::string::npos) << msg;
  }
  // A code past 127 lives only in builtin_code.
  std::string msg = read_error(raw_model(t, 150, 127, {0}, {1}, 0, 1), "gelu.tflite");
  EXPECT_NE(msg.find("GELU"), std::string::npos) << msg;
}

TEST(TfliteTest, UnsupportedTypeIsNamed) {
  std::vector<RawTensor> t = {{"x", {1, 4}}, {"foo", {1, 4}, fb::TensorType::FLOAT16}};
  std::string msg = read_error(
      raw_model(t, static_cast<int>(fb::BuiltinOperator::SOFTMAX),
                static_cast<int>(fb::BuiltinOperator::SOFTMAX), {0}, {1}, 0, 1,
                fb::BuiltinOptions::SoftmaxOptions,
                [](auto& fbb) { return fb::CreateSoftmaxOptions(fbb, 1.0f).Union(); }),
      "q.tflite");
  EXPECT_NE(msg.find("tensor 'foo' has type FLOAT16; only FLOAT32, INT8 and UINT8"),
            std::string::npos)
      << msg;
}

TEST(TfliteTest, Int8TensorWithoutQuantizationIsNamed) {
  std::vector<RawTensor> t = {{"x", {1, 4}}, {"foo", {1, 4}, fb::TensorType::INT8}};
  std::string msg = read_error(
      raw_model(t, static_cast<int>(fb::BuiltinOperator::SOFTMAX),
                static_cast<int>(fb::BuiltinOperator::SOFTMAX), {0}, {1}, 0, 1,
                fb::BuiltinOptions::SoftmaxOptions,
                [](auto& fbb) { return fb::CreateSoftmaxOptions(fbb, 1.0f).Union(); }),
      "q.tflite");
  EXPECT_NE(msg.find("tensor 'foo' has type INT8 but no quantization parameters"),
            std::string::npos)
      << msg;
}

std::vector<uint8_t> float_bytes(size_t n, float v = 0.5f) {
  std::vector<uint8_t> b(n * 4);
  for (size_t i = 0; i < n; ++i) std::memcpy(b.data() + i * 4, &v, 4);
  return b;
}

// One CONV_2D [1,5,5,2] -> [1,oh,ow,4] with weights [4,3,3,2]; options as given.
std::string conv_error(int oh, int ow, int dilation, fb::ActivationFunctionType act,
                       size_t weight_values = 4 * 3 * 3 * 2, int w_in_c = 2) {
  std::vector<RawTensor> t = {{"x", {1, 5, 5, 2}},
                              {"w", {4, 3, 3, w_in_c}, fb::TensorType::FLOAT32,
                               float_bytes(weight_values)},
                              {"b", {4}, fb::TensorType::FLOAT32, float_bytes(4)},
                              {"y", {1, oh, ow, 4}}};
  const int conv = static_cast<int>(fb::BuiltinOperator::CONV_2D);
  return read_error(raw_model(t, conv, conv, {0, 1, 2}, {3}, 0, 3,
                              fb::BuiltinOptions::Conv2DOptions,
                              [=](auto& fbb) {
                                return fb::CreateConv2DOptions(fbb, fb::Padding::SAME, 2, 2, act,
                                                               dilation, dilation)
                                    .Union();
                              }),
                    "conv.tflite");
}

TEST(TfliteTest, ConvValidation) {
  EXPECT_EQ(conv_error(3, 3, 1, fb::ActivationFunctionType::RELU6), "");
  std::string msg = conv_error(3, 3, 2, fb::ActivationFunctionType::NONE);
  EXPECT_NE(msg.find("dilation"), std::string::npos) << msg;
  msg = conv_error(3, 3, 1, fb::ActivationFunctionType::TANH);
  EXPECT_NE(msg.find("TANH"), std::string::npos) << msg;
  msg = conv_error(5, 5, 1, fb::ActivationFunctionType::NONE);  // SAME stride 2 gives 3x3
  EXPECT_NE(msg.find("shape"), std::string::npos) << msg;
  msg = conv_error(3, 3, 1, fb::ActivationFunctionType::NONE, 4 * 3 * 3 * 2 - 1);
  EXPECT_NE(msg.find("bytes"), std::string::npos) << msg;
  msg = conv_error(3, 3, 1, fb::ActivationFunctionType::NONE, 4 * 3 * 3 * 3, 3);
  EXPECT_NE(msg.find("input channels"), std::string::npos) << msg;
}

TEST(TfliteTest, StructureErrors) {
  std::vector<RawTensor> t = {{"x", {1, 4}}, {"y", {1, 4}}};
  const int softmax = static_cast<int>(fb::BuiltinOperator::SOFTMAX);
  auto opts = [](auto& fbb) { return fb::CreateSoftmaxOptions(fbb, 1.0f).Union(); };
  // Tensor index out of range.
  std::string msg = read_error(raw_model(t, softmax, softmax, {0}, {7}, 0, 1,
                                         fb::BuiltinOptions::SoftmaxOptions, opts),
                               "idx.tflite");
  EXPECT_NE(msg.find("out of range"), std::string::npos) << msg;
  // Output never produced.
  msg = read_error(raw_model({{"x", {1, 4}}, {"y", {1, 4}}, {"z", {1, 4}}}, softmax, softmax,
                             {0}, {1}, 0, 2, fb::BuiltinOptions::SoftmaxOptions, opts),
                   "out.tflite");
  EXPECT_NE(msg.find("not produced"), std::string::npos) << msg;
  // Reading a tensor before it exists.
  msg = read_error(raw_model({{"x", {1, 4}}, {"y", {1, 4}}, {"z", {1, 4}}}, softmax, softmax,
                             {2}, {1}, 0, 1, fb::BuiltinOptions::SoftmaxOptions, opts),
                   "order.tflite");
  EXPECT_NE(msg.find("earlier operator"), std::string::npos) << msg;
}

// ---- INT8 ------------------------------------------------------------------------------

QuantParams per_tensor(float scale, int64_t zero_point) {
  QuantParams q;
  q.scale = {scale};
  q.zero_point = {zero_point};
  return q;
}

int add_quant_tensor(Graph& g, const std::string& name, std::vector<int> shape, DType dtype,
                     float scale, int64_t zero_point) {
  const int id = g.add_tensor(name, std::move(shape));
  g.tensors[id].dtype = dtype;
  g.tensors[id].quant = per_tensor(scale, zero_point);
  return id;
}

// An INT8 conv/depthwise/FC: random int8 weights, per-channel scales along `axis` (or one
// per-tensor scale), random int32 bias.
void quantize_op(Op& op, int axis, bool per_channel, std::mt19937& rng) {
  std::uniform_int_distribution<int> w(-127, 127), b(-5000, 5000);
  std::uniform_real_distribution<float> sc(0.001f, 0.02f);
  const int64_t channels = op.weights.shape[static_cast<size_t>(axis)];
  op.qweights.resize(static_cast<size_t>(op.weights.numel()));
  for (int8_t& v : op.qweights) v = static_cast<int8_t>(w(rng));
  op.weight_quant.axis = axis;
  const int64_t n = per_channel ? channels : 1;
  for (int64_t c = 0; c < n; ++c) {
    op.weight_quant.scale.push_back(sc(rng));
    op.weight_quant.zero_point.push_back(0);
  }
  op.qbias.resize(static_cast<size_t>(channels));
  for (int32_t& v : op.qbias) v = b(rng);
  op.weights.data.clear();
  op.bias = FloatTensor();
  op.bias.shape = {channels};
}

// The official export's form: uint8 input (scale 1/128, zero point 127) -> QUANTIZE to int8
// -> stem conv 3x3 s2 relu6 -> depthwise 3x3 relu6 -> 1x1 conv -> add -> mean -> FC
// (per-tensor) -> softmax (1/256, -128) -> QUANTIZE to uint8 (1/256, 0).
Graph make_int8_block_graph(uint32_t seed) {
  Graph g = make_block_graph(seed);
  std::mt19937 rng(seed + 100);
  Graph q;
  q.name = g.name;
  q.labels = g.labels;
  const int in_u8 = add_quant_tensor(q, "images", {1, 16, 16, 3}, DType::kUInt8, 1.0f / 128, 127);
  const int in_i8 = add_quant_tensor(q, "images/int8", {1, 16, 16, 3}, DType::kInt8, 1.0f / 128,
                                     -1);
  const float scales[7] = {0.0074f, 0.0033f, 0.0082f, 0.0081f, 0.0012f, 0.031f, 1.0f / 256};
  const int64_t zeros[7] = {-128, -128, -100, -101, -128, -26, -128};
  std::vector<int> ids;
  for (size_t i = 1; i < g.tensors.size(); ++i)
    ids.push_back(add_quant_tensor(q, g.tensors[i].name, g.tensors[i].shape, DType::kInt8,
                                   scales[i - 1], zeros[i - 1]));
  const int out_u8 = add_quant_tensor(q, "probabilities/uint8", {1, 5}, DType::kUInt8,
                                      1.0f / 256, 0);
  Op quant_in;
  quant_in.kind = OpKind::kQuantize;
  quant_in.inputs = {in_u8};
  quant_in.output = in_i8;
  q.ops.push_back(quant_in);
  // Float graph tensor t (t >= 1) is INT8 tensor ids[t - 1]; the float input is in_i8.
  auto map_id = [&](int t) { return t == g.input ? in_i8 : ids[static_cast<size_t>(t - 1)]; };
  for (Op op : g.ops) {
    for (int& in : op.inputs) in = map_id(in);
    op.output = map_id(op.output);
    if (op.kind == OpKind::kConv2D) quantize_op(op, 0, true, rng);
    if (op.kind == OpKind::kDepthwiseConv2D) quantize_op(op, 3, true, rng);
    if (op.kind == OpKind::kFullyConnected) quantize_op(op, 0, false, rng);
    q.ops.push_back(op);
  }
  Op quant_out;
  quant_out.kind = OpKind::kQuantize;
  quant_out.inputs = {map_id(g.output)};
  quant_out.output = out_u8;
  q.ops.push_back(quant_out);
  q.input = in_u8;
  q.output = out_u8;
  return q;
}

TEST(TfliteTest, Int8RoundTripExact) {
  for (uint32_t seed : {1u, 2u}) {
    Graph g = make_int8_block_graph(seed);
    std::vector<uint8_t> bytes = serialize(g);
    ASSERT_FALSE(bytes.empty());
    Result<Graph> back = read_tflite_memory(bytes.data(), bytes.size(), "int8.tflite");
    ASSERT_TRUE(back.ok()) << back.status().message();
    expect_same_graph(g, back.value());
    expect_consistent(back.value());
    EXPECT_EQ(serialize(back.value()), bytes);  // deterministic, nothing lost
  }
}

TEST(TfliteTest, Int8FileLayout) {
  Graph g = make_int8_block_graph(3);
  std::vector<uint8_t> bytes = serialize(g);
  auto m = fb::UnPackModel(bytes.data());
  std::map<fb::BuiltinOperator, int> versions;
  for (const auto& c : m->operator_codes) versions[c->builtin_code] = c->version;
  EXPECT_EQ(versions[fb::BuiltinOperator::QUANTIZE], 1);
  EXPECT_EQ(versions[fb::BuiltinOperator::CONV_2D], 3);
  EXPECT_EQ(versions[fb::BuiltinOperator::DEPTHWISE_CONV_2D], 3);
  EXPECT_EQ(versions[fb::BuiltinOperator::ADD], 2);
  EXPECT_EQ(versions[fb::BuiltinOperator::MEAN], 2);
  EXPECT_EQ(versions[fb::BuiltinOperator::FULLY_CONNECTED], 4);
  EXPECT_EQ(versions[fb::BuiltinOperator::SOFTMAX], 2);
  const auto& sg = *m->subgraphs[0];
  const auto& in = *sg.tensors[static_cast<size_t>(sg.inputs[0])];
  EXPECT_EQ(in.type, fb::TensorType::UINT8);
  EXPECT_EQ(in.quantization->scale, std::vector<float>{1.0f / 128});
  EXPECT_EQ(in.quantization->zero_point, std::vector<int64_t>{127});
  // Depthwise weights: per channel along dimension 3; the bias: INT32, scale in * w.
  const auto& dw = *sg.operators[2];
  const auto& w = *sg.tensors[static_cast<size_t>(dw.inputs[1])];
  const auto& b = *sg.tensors[static_cast<size_t>(dw.inputs[2])];
  const auto& x = *sg.tensors[static_cast<size_t>(dw.inputs[0])];
  EXPECT_EQ(w.type, fb::TensorType::INT8);
  EXPECT_EQ(w.quantization->quantized_dimension, 3);
  EXPECT_EQ(w.quantization->scale.size(), 8u);
  EXPECT_EQ(b.type, fb::TensorType::INT32);
  ASSERT_EQ(b.quantization->scale.size(), 8u);
  for (size_t c = 0; c < 8; ++c)
    EXPECT_FLOAT_EQ(b.quantization->scale[c],
                    x.quantization->scale[0] * w.quantization->scale[c]);
  // Float graphs are unchanged: no quantization tables, version 1.
  auto fm = fb::UnPackModel(serialize(make_block_graph(3)).data());
  for (const auto& t : fm->subgraphs[0]->tensors) EXPECT_FALSE(t->quantization) << t->name;
}

// Serializes the INT8 block graph, lets `mutate` damage the unpacked model, and returns the
// reader's message ("" when it accepts the file).
std::string int8_mutation_error(const std::function<void(fb::ModelT&)>& mutate) {
  std::vector<uint8_t> bytes = serialize(make_int8_block_graph(1));
  auto model = fb::UnPackModel(bytes.data());
  mutate(*model);
  flatbuffers::FlatBufferBuilder fbb;
  fb::FinishModelBuffer(fbb, fb::Model::Pack(fbb, model.get()));
  return read_error(std::vector<uint8_t>(fbb.GetBufferPointer(),
                                         fbb.GetBufferPointer() + fbb.GetSize()),
                    "bad.tflite");
}

// Tensor `input` of operator `op` in the mutated model.
fb::TensorT& op_tensor(fb::ModelT& m, size_t op, size_t input) {
  auto& sg = *m.subgraphs[0];
  return *sg.tensors[static_cast<size_t>(sg.operators[op]->inputs[input])];
}

TEST(TfliteTest, Int8BadQuantizationRejected) {
  EXPECT_EQ(int8_mutation_error([](fb::ModelT&) {}), "");
  struct Case {
    const char* what;
    std::function<void(fb::ModelT&)> mutate;
    const char* expect;
  };
  const float nan = std::nanf("");
  const std::vector<Case> cases = {
      {"per-channel scale count", [](fb::ModelT& m) {
         auto& q = *op_tensor(m, 1, 1).quantization;  // stem weights, 8 channels
         q.scale.pop_back();
         q.zero_point.pop_back();
       }, "per-channel scales"},
      {"zero points vs scales", [](fb::ModelT& m) {
         op_tensor(m, 1, 1).quantization->zero_point.pop_back();
       }, "zero points"},
      {"zero scale", [](fb::ModelT& m) {
         op_tensor(m, 2, 0).quantization->scale[0] = 0.0f;
       }, "finite and positive"},
      {"NaN scale", [nan](fb::ModelT& m) {
         op_tensor(m, 1, 1).quantization->scale[3] = nan;
       }, "finite and positive"},
      {"infinite activation scale", [](fb::ModelT& m) {
         op_tensor(m, 4, 0).quantization->scale[0] = INFINITY;
       }, "finite and positive"},
      {"quantized_dimension outside the shape", [](fb::ModelT& m) {
         op_tensor(m, 2, 1).quantization->quantized_dimension = 4;
       }, "quantized_dimension 4"},
      {"negative quantized_dimension", [](fb::ModelT& m) {
         op_tensor(m, 2, 1).quantization->quantized_dimension = -1;
       }, "quantized_dimension -1"},
      {"per-channel along the wrong axis", [](fb::ModelT& m) {
         // stem weights [8,3,3,3]: 8 scales no longer match dimension 3.
         op_tensor(m, 1, 1).quantization->quantized_dimension = 3;
       }, "per-channel scales"},
      {"depthwise per channel along axis 0", [](fb::ModelT& m) {
         auto& q = *op_tensor(m, 2, 1).quantization;  // [1,3,3,8]: 1 scale on axis 0 is fine,
         q.quantized_dimension = 0;                   // 8 are not
       }, "per-channel scales"},
      {"uint8 zero point out of range", [](fb::ModelT& m) {
         op_tensor(m, 0, 0).quantization->zero_point[0] = 256;
       }, "outside 0..255"},
      {"int8 zero point out of range", [](fb::ModelT& m) {
         op_tensor(m, 2, 0).quantization->zero_point[0] = -129;
       }, "outside -128..127"},
      {"asymmetric weights", [](fb::ModelT& m) {
         op_tensor(m, 1, 1).quantization->zero_point[2] = 3;
       }, "symmetric"},
      {"bias zero point", [](fb::ModelT& m) {
         op_tensor(m, 1, 2).quantization->zero_point[0] = 1;
       }, "outside 0..0"},
      {"bias scale inconsistent", [](fb::ModelT& m) {
         op_tensor(m, 1, 2).quantization->scale[1] *= 1.01f;
       }, "input scale * weight scale"},
      {"activation per channel", [](fb::ModelT& m) {
         auto& q = *op_tensor(m, 2, 0).quantization;  // [1,8,8,8]
         q.quantized_dimension = 3;
         q.scale.assign(8, 0.01f);
         q.zero_point.assign(8, 0);
       }, "per channel"},
      {"missing activation quantization", [](fb::ModelT& m) {
         op_tensor(m, 2, 0).quantization.reset();
       }, "no quantization parameters"},
      {"missing weight quantization", [](fb::ModelT& m) {
         op_tensor(m, 1, 1).quantization.reset();
       }, "no quantization parameters"},
      {"int8 weights, wrong byte count", [](fb::ModelT& m) {
         m.buffers[op_tensor(m, 1, 1).buffer]->data.pop_back();
       }, "bytes of data"},
      {"uint8 inside the graph", [](fb::ModelT& m) {
         // The stem consumes the uint8 model input directly.
         m.subgraphs[0]->operators[1]->inputs[0] = m.subgraphs[0]->inputs[0];
       }, "UINT8 is supported only"},
      {"float weights in an INT8 op", [](fb::ModelT& m) {
         op_tensor(m, 1, 1).type = fb::TensorType::FLOAT32;
       }, "needs INT8 weights"},
      {"int8 output type mismatch", [](fb::ModelT& m) {
         auto& sg = *m.subgraphs[0];
         auto& t = *sg.tensors[static_cast<size_t>(sg.operators[4]->outputs[0])];
         t.type = fb::TensorType::UINT8;
         t.quantization->zero_point[0] = 27;
       }, "the operator gives INT8"},
  };
  for (const Case& c : cases) {
    std::string msg = int8_mutation_error(c.mutate);
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.what << ": '" << msg << "'";
    EXPECT_NE(msg.find("bad.tflite"), std::string::npos) << c.what;
  }
}

TEST(TfliteTest, HybridModelRejected) {
  // A float conv whose weights are INT8 (dynamic-range quantization).
  std::vector<uint8_t> w(4 * 3 * 3 * 2, 1);
  std::vector<RawTensor> t = {{"x", {1, 5, 5, 2}},
                              {"w", {4, 3, 3, 2}, fb::TensorType::INT8, w},
                              {"b", {4}, fb::TensorType::FLOAT32, float_bytes(4)},
                              {"y", {1, 3, 3, 4}}};
  const int conv = static_cast<int>(fb::BuiltinOperator::CONV_2D);
  std::string msg = read_error(
      raw_model(t, conv, conv, {0, 1, 2}, {3}, 0, 3, fb::BuiltinOptions::Conv2DOptions,
                [](auto& fbb) {
                  return fb::CreateConv2DOptions(fbb, fb::Padding::SAME, 2, 2).Union();
                }),
      "hybrid.tflite");
  EXPECT_NE(msg.find("hybrid (dynamic-range)"), std::string::npos) << msg;
}

TEST(TfliteTest, QuantizeDequantizeEdges) {
  // float -> QUANTIZE int8 -> DEQUANTIZE float reads; DEQUANTIZE of a float fails.
  Graph g;
  const int x = g.add_tensor("x", {1, 4});
  const int q = add_quant_tensor(g, "q", {1, 4}, DType::kInt8, 0.5f, 3);
  const int y = g.add_tensor("y", {1, 4});
  g.ops = {simple_op(OpKind::kQuantize, {x}, q), simple_op(OpKind::kDequantize, {q}, y)};
  g.input = x;
  g.output = y;
  std::vector<uint8_t> bytes = serialize(g);
  Result<Graph> back = read_tflite_memory(bytes.data(), bytes.size(), "qdq.tflite");
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_same_graph(g, back.value());
  auto m = fb::UnPackModel(bytes.data());
  for (const auto& c : m->operator_codes) {
    if (c->builtin_code == fb::BuiltinOperator::DEQUANTIZE) {
      EXPECT_EQ(c->version, 2);
    }
  }

  Graph bad = g;
  bad.ops[1].inputs = {x};  // DEQUANTIZE of a FLOAT32 tensor
  EXPECT_FALSE(serialize_tflite(bad).ok());
  bad = g;
  bad.tensors[q].quant.scale = {0.0f};
  EXPECT_FALSE(serialize_tflite(bad).ok());
}

TEST(TfliteTest, WriterRejectsInconsistentInt8Graph) {
  Graph g = make_int8_block_graph(1);
  g.ops[1].qweights.pop_back();
  EXPECT_FALSE(serialize_tflite(g).ok());
  g = make_int8_block_graph(1);
  g.ops[1].weight_quant.scale.pop_back();
  EXPECT_FALSE(serialize_tflite(g).ok());
  g = make_int8_block_graph(1);
  g.ops[2].weight_quant.axis = 0;  // depthwise per channel must be axis 3
  EXPECT_FALSE(serialize_tflite(g).ok());
  g = make_int8_block_graph(1);
  g.ops[1].qbias.pop_back();
  EXPECT_FALSE(serialize_tflite(g).ok());
  g = make_int8_block_graph(1);
  g.tensors[g.ops[3].output].dtype = DType::kFloat32;  // an INT8 conv with a float output
  EXPECT_FALSE(serialize_tflite(g).ok());
}

}  // namespace
}  // namespace elite
