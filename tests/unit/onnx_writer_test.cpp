// ONNX export: the protobuf wire encoding (varints, keys, length-delimited fields, floats)
// byte for byte, then the ModelProto written for a small graph, decoded here with a minimal
// wire-format reader: field numbers, node sequence, SAME pads (extra bottom/right at stride
// 2), depthwise groups, OHWI -> OIHW weights, input/output shapes with the batch dimension,
// metadata; and the errors (INT8 graphs, opsets, inconsistent graphs, unwritable paths).
// Running the files in onnxruntime and OpenVINO is tests/python/test_onnx_export.py.
#include "io/onnx/onnx_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "../common/test_graphs.h"
#include "io/onnx/protobuf_writer.h"

namespace elite {
namespace {

std::vector<uint8_t> bytes(std::initializer_list<int> v) {
  return std::vector<uint8_t>(v.begin(), v.end());
}

// ---- A minimal wire-format reader (the test's own, to check what the writer wrote).

struct Field {
  int number = 0;
  int wire = 0;
  uint64_t varint = 0;  // wire types 0 and 5
  std::string data;     // wire type 2
};

bool read_varint(const std::string& s, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= s.size()) return false;
    const uint8_t b = static_cast<uint8_t>(s[pos++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// All fields of one message, in order; fails the test on malformed input.
std::vector<Field> parse(const std::string& s) {
  std::vector<Field> out;
  size_t pos = 0;
  while (pos < s.size()) {
    uint64_t key = 0;
    if (!read_varint(s, pos, key)) {
      ADD_FAILURE() << "bad key at " << pos;
      return out;
    }
    Field f;
    f.number = static_cast<int>(key >> 3);
    f.wire = static_cast<int>(key & 7);
    if (f.wire == 0) {
      if (!read_varint(s, pos, f.varint)) ADD_FAILURE() << "bad varint";
    } else if (f.wire == 2) {
      uint64_t n = 0;
      if (!read_varint(s, pos, n) || pos + n > s.size()) {
        ADD_FAILURE() << "bad length at " << pos;
        return out;
      }
      f.data = s.substr(pos, n);
      pos += n;
    } else if (f.wire == 5) {
      if (pos + 4 > s.size()) {
        ADD_FAILURE() << "truncated fixed32";
        return out;
      }
      for (int i = 0; i < 4; ++i) f.varint |= uint64_t{static_cast<uint8_t>(s[pos + i])} << (8 * i);
      pos += 4;
    } else {
      ADD_FAILURE() << "unexpected wire type " << f.wire;
      return out;
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Field> all(const std::vector<Field>& fs, int number) {
  std::vector<Field> r;
  for (const Field& f : fs)
    if (f.number == number) r.push_back(f);
  return r;
}
Field one(const std::vector<Field>& fs, int number) {
  auto r = all(fs, number);
  EXPECT_EQ(r.size(), 1u) << "field " << number;
  return r.empty() ? Field{} : r[0];
}

// onnx.proto messages, decoded as far as the checks need.
struct Attr {
  int64_t i = 0;
  std::vector<int64_t> ints;
};
struct Node {
  std::string op_type, name;
  std::vector<std::string> inputs, outputs;
  std::map<std::string, Attr> attrs;
};
struct Init {
  std::vector<int64_t> dims;
  int data_type = 0;
  std::string raw;
};
struct Value {
  std::string name;
  std::vector<std::string> dims;  // dim_value as a number, dim_param as itself
};
struct Model {
  int64_t ir_version = 0, opset = 0;
  std::string producer;
  std::map<std::string, std::string> meta;
  std::vector<Node> nodes;
  std::map<std::string, Init> inits;
  std::vector<Value> inputs, outputs;
};

Value decode_value(const std::string& s) {
  Value v;
  auto f = parse(s);
  v.name = one(f, 1).data;
  auto tensor = parse(one(parse(one(f, 2).data), 1).data);  // TypeProto.tensor_type
  EXPECT_EQ(one(tensor, 1).varint, 1u);                     // elem_type FLOAT
  for (const Field& d : all(parse(one(tensor, 2).data), 1)) {
    auto df = parse(d.data);
    if (!all(df, 1).empty())
      v.dims.push_back(std::to_string(one(df, 1).varint));
    else
      v.dims.push_back(one(df, 2).data);
  }
  return v;
}

Model decode(const std::vector<uint8_t>& file) {
  Model m;
  auto f = parse(std::string(file.begin(), file.end()));
  m.ir_version = static_cast<int64_t>(one(f, 1).varint);
  m.producer = one(f, 2).data;
  auto opset = parse(one(f, 8).data);
  EXPECT_EQ(one(opset, 1).data, "");
  m.opset = static_cast<int64_t>(one(opset, 2).varint);
  for (const Field& e : all(f, 14)) {
    auto ef = parse(e.data);
    m.meta[one(ef, 1).data] = one(ef, 2).data;
  }
  auto g = parse(one(f, 7).data);
  for (const Field& nf : all(g, 1)) {
    auto n = parse(nf.data);
    Node node;
    node.op_type = one(n, 4).data;
    node.name = one(n, 3).data;
    for (const Field& x : all(n, 1)) node.inputs.push_back(x.data);
    for (const Field& x : all(n, 2)) node.outputs.push_back(x.data);
    for (const Field& af : all(n, 5)) {
      auto a = parse(af.data);
      Attr attr;
      const uint64_t type = one(a, 20).varint;
      if (type == 2) attr.i = static_cast<int64_t>(one(a, 3).varint);
      if (type == 7)
        for (const Field& x : all(a, 8)) attr.ints.push_back(static_cast<int64_t>(x.varint));
      node.attrs[one(a, 1).data] = attr;
    }
    m.nodes.push_back(node);
  }
  for (const Field& tf : all(g, 5)) {
    auto t = parse(tf.data);
    Init init;
    for (const Field& d : all(t, 1)) init.dims.push_back(static_cast<int64_t>(d.varint));
    init.data_type = static_cast<int>(one(t, 2).varint);
    init.raw = one(t, 9).data;
    m.inits[one(t, 8).data] = init;
  }
  for (const Field& x : all(g, 11)) m.inputs.push_back(decode_value(x.data));
  for (const Field& x : all(g, 12)) m.outputs.push_back(decode_value(x.data));
  return m;
}

std::vector<float> floats(const Init& init) {
  EXPECT_EQ(init.data_type, 1);
  std::vector<float> v(init.raw.size() / 4);
  std::memcpy(v.data(), init.raw.data(), v.size() * 4);
  return v;
}

// ---- Wire encoding.

TEST(ProtoWriter, Varints) {
  EXPECT_EQ(ProtoWriter::encode_varint(0), bytes({0x00}));
  EXPECT_EQ(ProtoWriter::encode_varint(1), bytes({0x01}));
  EXPECT_EQ(ProtoWriter::encode_varint(127), bytes({0x7f}));
  EXPECT_EQ(ProtoWriter::encode_varint(128), bytes({0x80, 0x01}));
  EXPECT_EQ(ProtoWriter::encode_varint(300), bytes({0xac, 0x02}));
  EXPECT_EQ(ProtoWriter::encode_varint(~uint64_t{0}),
            bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
}

TEST(ProtoWriter, Fields) {
  ProtoWriter w;
  w.add_varint(1, 150);  // the protobuf encoding guide's example: 08 96 01
  EXPECT_EQ(w.bytes(), bytes({0x08, 0x96, 0x01}));
  ProtoWriter s;
  s.add_string(2, "testing");
  EXPECT_EQ(s.bytes(), bytes({0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'}));
  ProtoWriter n;  // a nested message is a LEN field holding the message's bytes
  n.add_message(3, w);
  EXPECT_EQ(n.bytes(), bytes({0x1a, 0x03, 0x08, 0x96, 0x01}));
  ProtoWriter neg;  // int64 -1: ten bytes of two's complement
  neg.add_int64(1, -1);
  EXPECT_EQ(neg.bytes(), bytes({0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  ProtoWriter f;  // float: wire type 5, little endian; 1.0f = 0x3f800000
  f.add_float(2, 1.0f);
  EXPECT_EQ(f.bytes(), bytes({0x15, 0x00, 0x00, 0x80, 0x3f}));
  ProtoWriter r;
  const float v[2] = {1.0f, -2.0f};
  r.add_floats_le(9, v, 2);
  EXPECT_EQ(r.bytes(), bytes({0x4a, 0x08, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0}));
  ProtoWriter big;  // a length above 127 takes a two-byte varint
  big.add_string(1, std::string(200, 'x'));
  EXPECT_EQ(big.size(), 203u);
  EXPECT_EQ(big.bytes()[1], 0xc8);
  EXPECT_EQ(big.bytes()[2], 0x01);
}

// ---- Export of a small graph.

using test::conv_op;
using test::simple_op;

// tests/common/test_graphs.h's block graph: stem conv 3x3 s2 SAME relu6 [1,16,16,3] ->
// [1,8,8,8], depthwise 3x3 relu6, 1x1 conv, add (skip), mean -> [1,8], fully connected ->
// [1,5], softmax.
Graph make_graph() { return test::make_block_graph(7); }

Model export_model(const Graph& g, OnnxExportOptions opt = {}) {
  auto r = serialize_onnx(g, opt);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? decode(*r) : Model{};
}

std::vector<std::string> op_types(const Model& m) {
  std::vector<std::string> v;
  for (const Node& n : m.nodes) v.push_back(n.op_type);
  return v;
}

const Node* producer(const Model& m, const std::string& output) {
  for (const Node& n : m.nodes)
    if (!n.outputs.empty() && n.outputs[0] == output) return &n;
  return nullptr;
}

TEST(OnnxWriter, ModelHeaderAndMetadata) {
  const Model m = export_model(make_graph());
  EXPECT_EQ(m.ir_version, 7);
  EXPECT_EQ(m.opset, 13);
  EXPECT_EQ(m.producer, "elite");
  EXPECT_EQ(m.meta.at("model"), "efficientnet-lite0");
  EXPECT_EQ(m.meta.at("labels"), "cat\ndog\ntabby cat\n\nzebra");
  EXPECT_EQ(m.meta.at("layout"), "nhwc");
  OnnxExportOptions o;
  o.opset = 21;
  EXPECT_EQ(export_model(make_graph(), o).ir_version, 10);
  EXPECT_EQ(export_model(make_graph(), o).opset, 21);
  o.opset = 25;
  EXPECT_EQ(export_model(make_graph(), o).ir_version, 13);
  Graph unlabeled = make_graph();
  unlabeled.labels.clear();
  EXPECT_EQ(export_model(unlabeled).meta.count("labels"), 0u);
}

TEST(OnnxWriter, NodesInputsAndOutputsNhwc) {
  const Model m = export_model(make_graph());
  EXPECT_EQ(op_types(m),
            (std::vector<std::string>{"Transpose", "Conv", "Clip", "Conv", "Clip", "Conv", "Add",
                                      "GlobalAveragePool", "Flatten", "Gemm", "Softmax"}));
  ASSERT_EQ(m.inputs.size(), 1u);
  ASSERT_EQ(m.outputs.size(), 1u);
  EXPECT_EQ(m.inputs[0].name, "images");
  EXPECT_EQ(m.inputs[0].dims, (std::vector<std::string>{"N", "16", "16", "3"}));
  EXPECT_EQ(m.outputs[0].name, "probabilities");
  EXPECT_EQ(m.outputs[0].dims, (std::vector<std::string>{"N", "5"}));
  EXPECT_EQ(m.nodes[0].inputs[0], "images");
  EXPECT_EQ(m.nodes[0].attrs.at("perm").ints, (std::vector<int64_t>{0, 3, 1, 2}));
  EXPECT_EQ(m.nodes.back().outputs[0], "probabilities");
  EXPECT_EQ(m.nodes.back().attrs.at("axis").i, -1);
  // Every node input is an earlier node's output, an initializer or the graph input.
  std::set<std::string> known = {"images"};
  for (const auto& [name, init] : m.inits) known.insert(name);
  for (const Node& n : m.nodes) {
    for (const std::string& in : n.inputs) EXPECT_TRUE(known.count(in)) << n.name << " <- " << in;
    for (const std::string& out : n.outputs) EXPECT_TRUE(known.insert(out).second) << out;
  }
  // ReLU6 is Clip with min 0 and max 6 as scalar initializers.
  const Node& clip = m.nodes[2];
  ASSERT_EQ(clip.inputs.size(), 3u);
  EXPECT_TRUE(m.inits.at(clip.inputs[1]).dims.empty());
  EXPECT_EQ(floats(m.inits.at(clip.inputs[1])), std::vector<float>{0.0f});
  EXPECT_EQ(floats(m.inits.at(clip.inputs[2])), std::vector<float>{6.0f});
  EXPECT_EQ(clip.outputs[0], "stem");
}

TEST(OnnxWriter, NchwLayoutAndFixedBatch) {
  OnnxExportOptions o;
  o.layout = OnnxLayout::kNchw;
  o.batch = 8;
  const Model m = export_model(make_graph(), o);
  EXPECT_EQ(m.nodes[0].op_type, "Conv");
  EXPECT_EQ(m.nodes[0].inputs[0], "images");
  EXPECT_EQ(m.inputs[0].dims, (std::vector<std::string>{"8", "3", "16", "16"}));
  EXPECT_EQ(m.outputs[0].dims, (std::vector<std::string>{"8", "5"}));
  EXPECT_EQ(m.meta.at("layout"), "nchw");
}

TEST(OnnxWriter, ConvPadsGroupsAndWeightLayout) {
  const Graph g = make_graph();
  const Model m = export_model(g);
  // Stem: 16 -> 8 at stride 2, kernel 3: TF SAME pads 1 in total, at the bottom and right.
  const Node* stem = producer(m, "stem/linear");
  ASSERT_NE(stem, nullptr);
  EXPECT_EQ(stem->attrs.at("pads").ints, (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(stem->attrs.at("strides").ints, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(stem->attrs.at("kernel_shape").ints, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(stem->attrs.at("group").i, 1);
  const Init& w = m.inits.at(stem->inputs[1]);
  EXPECT_EQ(w.dims, (std::vector<int64_t>{8, 3, 3, 3}));  // OIHW
  const std::vector<float> wf = floats(w);
  const std::vector<float>& src = g.ops[0].weights.data;  // OHWI
  for (int o = 0; o < 8; ++o)
    for (int i = 0; i < 3; ++i)
      for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 3; ++x)
          ASSERT_EQ(wf[((o * 3 + i) * 3 + y) * 3 + x], src[((o * 3 + y) * 3 + x) * 3 + i])
              << o << " " << i << " " << y << " " << x;
  EXPECT_EQ(floats(m.inits.at(stem->inputs[2])), g.ops[0].bias.data);
  // Depthwise at stride 1: symmetric pads, group = channels, weights [C,1,kh,kw].
  const Node* dw = producer(m, "block0/dw/linear");
  ASSERT_NE(dw, nullptr);
  EXPECT_EQ(dw->attrs.at("pads").ints, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(dw->attrs.at("group").i, 8);
  const Init& dww = m.inits.at(dw->inputs[1]);
  EXPECT_EQ(dww.dims, (std::vector<int64_t>{8, 1, 3, 3}));
  const std::vector<float> dwf = floats(dww);
  for (int c = 0; c < 8; ++c)
    for (int k = 0; k < 9; ++k) ASSERT_EQ(dwf[c * 9 + k], g.ops[1].weights.data[k * 8 + c]);
  // The 1x1 projection has no activation: it writes its tensor directly.
  const Node* pw = producer(m, "block0/project");
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(pw->op_type, "Conv");
  EXPECT_EQ(pw->attrs.at("pads").ints, (std::vector<int64_t>{0, 0, 0, 0}));
  // FC: Gemm with transB and the [out, in] weights as they are.
  const Node* fc = producer(m, "head/logits");
  ASSERT_NE(fc, nullptr);
  EXPECT_EQ(fc->op_type, "Gemm");
  EXPECT_EQ(fc->attrs.at("transB").i, 1);
  EXPECT_EQ(floats(m.inits.at(fc->inputs[1])), g.ops[5].weights.data);
}

TEST(OnnxWriter, OddSizesPadAndReshape) {
  // 16 -> 8 at stride 2, kernel 5: pads 1 before and 2 after; a PAD op; a RESHAPE to 4-D and
  // a 4-D output, which gets transposed back to NHWC under its own name.
  std::mt19937 rng(1);
  Graph g;
  const int x = g.add_tensor("x", {1, 16, 16, 2});
  const int c = g.add_tensor("c", {1, 8, 8, 4});
  const int p = g.add_tensor("p", {1, 9, 11, 4});
  const int r = g.add_tensor("r", {1, 11, 9, 4});
  g.ops.push_back(
      conv_op(OpKind::kConv2D, x, c, 5, 2, Padding::kSame, Activation::kRelu, 2, 4, rng));
  Op pad = simple_op(OpKind::kPad, {c}, p);
  pad.pads[0] = 1, pad.pads[1] = 0, pad.pads[2] = 2, pad.pads[3] = 1;
  g.ops.push_back(pad);
  g.ops.push_back(simple_op(OpKind::kReshape, {p}, r));
  g.input = x;
  g.output = r;
  const Model m = export_model(g);
  EXPECT_EQ(op_types(m), (std::vector<std::string>{"Transpose", "Conv", "Relu", "Pad", "Transpose",
                                                   "Reshape", "Transpose", "Transpose"}));
  EXPECT_EQ(m.nodes[1].attrs.at("pads").ints, (std::vector<int64_t>{1, 1, 2, 2}));
  const Init& pads = m.inits.at(m.nodes[3].inputs[1]);
  EXPECT_EQ(pads.data_type, 7);
  std::vector<int64_t> pv(8);
  ASSERT_EQ(pads.raw.size(), 64u);
  std::memcpy(pv.data(), pads.raw.data(), 64);
  EXPECT_EQ(pv, (std::vector<int64_t>{0, 0, 1, 2, 0, 0, 0, 1}));
  std::vector<int64_t> shape(4);
  ASSERT_EQ(m.inits.at(m.nodes[5].inputs[1]).raw.size(), 32u);
  std::memcpy(shape.data(), m.inits.at(m.nodes[5].inputs[1]).raw.data(), 32);
  EXPECT_EQ(shape, (std::vector<int64_t>{-1, 11, 9, 4}));
  EXPECT_EQ(m.outputs[0].name, "r");
  EXPECT_EQ(m.outputs[0].dims, (std::vector<std::string>{"N", "11", "9", "4"}));
  EXPECT_EQ(m.nodes.back().outputs[0], "r");
  EXPECT_EQ(m.meta.count("model"), 0u);
}

TEST(OnnxWriter, Errors) {
  auto error_of = [](const Graph& g, OnnxExportOptions o = {}) {
    auto r = serialize_onnx(g, o);
    return r.ok() ? std::string("(ok)") : r.status().message();
  };
  Graph q = make_graph();
  q.tensors[q.input].dtype = DType::kUInt8;
  EXPECT_NE(error_of(q).find("give the float .tflite"), std::string::npos) << error_of(q);
  OnnxExportOptions o;
  o.opset = 12;
  EXPECT_NE(error_of(make_graph(), o).find("opset"), std::string::npos);
  o.opset = kOnnxMaxOpset + 1;
  EXPECT_NE(error_of(make_graph(), o).find("opset"), std::string::npos);
  Graph bad = make_graph();
  bad.ops[2].weights.shape = {8, 1, 1, 4};
  EXPECT_NE(error_of(bad).find("weights"), std::string::npos) << error_of(bad);
  bad = make_graph();
  bad.ops[1].weights.data.pop_back();  // fewer values than the shape says
  EXPECT_NE(error_of(bad).find("weights"), std::string::npos) << error_of(bad);
  bad = make_graph();
  bad.ops[3].inputs[1] = 99;
  EXPECT_NE(error_of(bad).find("tensor index"), std::string::npos) << error_of(bad);
  bad = make_graph();
  std::swap(bad.ops[3], bad.ops[4]);  // the mean before the add it reads
  EXPECT_NE(error_of(bad).find("before any op writes it"), std::string::npos) << error_of(bad);
  bad = make_graph();
  bad.ops[2].output = bad.ops[1].output;
  EXPECT_NE(error_of(bad).find("a second time"), std::string::npos) << error_of(bad);
  bad = make_graph();
  bad.tensors[1].shape = {1, 7, 7, 8};  // not what SAME at stride 2 gives
  EXPECT_NE(error_of(bad).find("padding"), std::string::npos) << error_of(bad);
  bad = make_graph();
  bad.tensors[0].shape = {2, 16, 16, 3};
  EXPECT_NE(error_of(bad).find("[1, H, W, C]"), std::string::npos) << error_of(bad);
}

TEST(OnnxWriter, WritesAtomically) {
  const auto dir = std::filesystem::temp_directory_path() / "elite_onnx_writer_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "m.onnx").string();
  ASSERT_TRUE(write_onnx_file(make_graph(), path, {}).ok());
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> got((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, *serialize_onnx(make_graph(), {}));
  // A failing export leaves the existing file as it was, and no temporary behind.
  Graph q = make_graph();
  q.tensors[q.output].dtype = DType::kUInt8;
  EXPECT_FALSE(write_onnx_file(q, path, {}).ok());
  std::ifstream f2(path, std::ios::binary);
  std::vector<uint8_t> again((std::istreambuf_iterator<char>(f2)),
                             std::istreambuf_iterator<char>());
  EXPECT_EQ(again, got);
  Status s = write_onnx_file(make_graph(), (dir / "missing" / "m.onnx").string(), {});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("missing/m.onnx"), std::string::npos) << s.message();
  s = write_onnx_file(make_graph(), (dir / "missing").string(), {});  // fine: a new file
  EXPECT_TRUE(s.ok());
  std::filesystem::create_directories(dir / "adir");
  s = write_onnx_file(make_graph(), (dir / "adir").string(), {});  // a directory is in the way
  EXPECT_FALSE(s.ok());
  const auto entries = std::distance(std::filesystem::directory_iterator(dir),
                                     std::filesystem::directory_iterator());
  EXPECT_EQ(entries, 3);  // m.onnx, missing, adir: no temporaries
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace elite
