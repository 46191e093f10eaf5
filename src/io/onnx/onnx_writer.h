// Writes a float32 inference Graph (model/graph.h) as an ONNX model: one ModelProto, encoded
// by hand (io/onnx/protobuf_writer.h) with the field numbers of onnx.proto.
//
// What is written:
//   ModelProto  ir_version (the lowest the opset needs), opset_import {"" : opset},
//               producer_name "elite", producer_version, metadata_props "model" (Graph::name)
//               and "labels" (one label per line) when the graph has them, "layout"
//   GraphProto  name, nodes in execution order, the weights as float initializers, one input
//               and one output, both named as in the Graph (the .tflite tensor names)
// The inside of the graph is NCHW, as ONNX's Conv wants:
//   input  [N,H,W,C] --Transpose(0,3,1,2)--> NCHW   (layout nhwc), or [N,C,H,W] (layout nchw)
//   CONV_2D            Conv, weights OHWI -> OIHW, explicit pads [top,left,bottom,right]
//                      (TF SAME: the odd extra row/column goes bottom/right)
//   DEPTHWISE_CONV_2D  Conv with group = C, weights [1,kh,kw,C] -> [C,1,kh,kw]
//   fused ReLU6 / ReLU Clip(x, 0, 6) (min and max as inputs, opset 13) / Relu
//   ADD                Add;  MEAN  GlobalAveragePool (+ Flatten to [N,C])
//   FULLY_CONNECTED    Gemm(x, W [out,in], b, transB=1);  SOFTMAX  Softmax (x beta first)
//   RESHAPE            Reshape in NHWC element order;  PAD  Pad with 8 explicit pads
// The batch dimension is the symbolic "N" unless OnnxExportOptions::batch fixes it: every op
// above keeps batch rows apart, so one file runs batch 1 and batch 8 alike.
// INT8 graphs are refused. The ops used have kept their meaning from opset 13 through
// kOnnxMaxOpset, so the same nodes are written for every opset in that range.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/graph.h"

namespace elite {

enum class OnnxLayout { kNhwc, kNchw };

inline constexpr int kOnnxMinOpset = 13;
inline constexpr int kOnnxMaxOpset = 25;  // checked with onnxruntime 1.32 and OpenVINO 2026.4

struct OnnxExportOptions {
  OnnxLayout layout = OnnxLayout::kNhwc;
  int opset = kOnnxMinOpset;
  int batch = 0;  // 0: symbolic batch dimension "N"; otherwise that fixed batch size
};

// The file's bytes; an error if the graph is quantized, inconsistent (bad tensor ids, weight
// or shape mismatches) or holds an op with no ONNX form here, or if the options are invalid.
Result<std::vector<uint8_t>> serialize_onnx(const Graph& graph, const OnnxExportOptions& options);

// Serializes and writes atomically (a temporary file next to `path`, then rename): on any
// error nothing is left at `path` that was not there before.
Status write_onnx_file(const Graph& graph, const std::string& path,
                       const OnnxExportOptions& options);

// ONNX IR version that first allowed `opset` (onnx's VERSION_TABLE), the one written.
int64_t onnx_ir_version_for_opset(int opset);

}  // namespace elite
