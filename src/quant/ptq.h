// Post-training full-integer quantization: FP32 Graph + calibrated ranges -> the INT8 Graph
// of TensorFlow's converter (tpu export_model.py: optimizations=[DEFAULT],
// TFLITE_BUILTINS_INT8, uint8 input and output).
//
//   weights      INT8, symmetric, per output channel: scale[c] = max|w[c]| / 127,
//                q = round(w / scale[c]) (half away from zero), in [-127, 127]
//                (CONV_2D axis 0 of OHWI, DEPTHWISE_CONV_2D axis 3 of [1,kh,kw,C], FC axis 0)
//   biases       INT32, scale input_scale * weight_scale[c], q = round(b / scale)
//   activations  INT8 asymmetric per tensor from the calibrated [min, max], widened to
//                include 0 and nudged so that 0 is exactly representable (TFLite
//                GetAsymmetricQuantizationParams): scale = (max - min) / 255,
//                zero_point = round(-128 - min / scale) clamped to [-128, 127]
//   RESHAPE/PAD  keep their input's parameters
//   SOFTMAX      output scale 1/256, zero point -128 (the TFLite INT8 contract)
//   graph input  the preprocessed tensor (x - 127) / 128 spans [-127/128, 1]: int8 scale
//                1/128, zero point -1. io kUInt8 adds QUANTIZE from a uint8 input with scale
//                1/128, zero point 127 (raw pixel bytes), kFloat QUANTIZE from float.
//   graph output softmax int8; io kUInt8 adds QUANTIZE to uint8 (1/256, zero point 0),
//                kFloat a DEQUANTIZE to float.
// Tensors 0..n-1 of the result are the FP32 graph's tensors (same order and names, now
// INT8); the edge tensors added for the I/O conversion come after them.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "model/graph.h"
#include "quant/calibrate.h"

namespace elite {

enum class QuantIO { kUInt8, kInt8, kFloat };
const char* quant_io_name(QuantIO io);
// "uint8", "int8" or "float"; the error lists the choices.
Result<QuantIO> parse_quant_io(const std::string& name);

// TFLite's asymmetric INT8 parameters for a real range (see the file comment).
QuantParams asymmetric_int8_params(float min, float max);

// Per-channel symmetric INT8 quantization of `w` along `axis`.
void quantize_weights_per_channel(const FloatTensor& w, int axis, std::vector<int8_t>* q,
                                  QuantParams* params);

// An error when the graph is not a float graph (already quantized).
Status check_float_graph(const Graph& graph);

// `ranges` from calibrate() (one per tensor of `graph`).
Result<Graph> quantize_graph(const Graph& graph, const std::vector<TensorRange>& ranges,
                             QuantIO io);

}  // namespace elite
