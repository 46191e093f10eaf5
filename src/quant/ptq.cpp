// Post-training quantization: see ptq.h.
#include "quant/ptq.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace elite {

const char* quant_io_name(QuantIO io) {
  switch (io) {
    case QuantIO::kUInt8: return "uint8";
    case QuantIO::kInt8: return "int8";
    case QuantIO::kFloat: return "float";
  }
  return "?";
}

Result<QuantIO> parse_quant_io(const std::string& name) {
  for (QuantIO io : {QuantIO::kUInt8, QuantIO::kInt8, QuantIO::kFloat})
    if (name == quant_io_name(io)) return io;
  return Status::Error("unknown --io '" + name + "' (choose uint8, int8 or float)");
}

QuantParams asymmetric_int8_params(float min, float max) {
  constexpr float qmin = -128.0f, qmax = 127.0f;
  min = std::min(min, 0.0f);
  max = std::max(max, 0.0f);
  // An all-zero tensor would give scale 0, which TFLite rejects: any positive scale works.
  if (!(max - min > 1e-12f)) max = min + 1e-6f;
  const float scale = (max - min) / (qmax - qmin);
  const float zp_from_min = qmin - min / scale;
  int64_t zp;
  if (zp_from_min < qmin)
    zp = -128;
  else if (zp_from_min > qmax)
    zp = 127;
  else
    zp = static_cast<int64_t>(std::round(zp_from_min));
  QuantParams q;
  q.scale = {scale};
  q.zero_point = {zp};
  return q;
}

void quantize_weights_per_channel(const FloatTensor& w, int axis, std::vector<int8_t>* q,
                                  QuantParams* params) {
  const int rank = static_cast<int>(w.shape.size());
  const int64_t channels = w.shape[axis];
  int64_t inner = 1;  // elements after the axis
  for (int d = axis + 1; d < rank; ++d) inner *= w.shape[d];
  const int64_t n = w.numel();
  auto channel_of = [&](int64_t i) { return (i / inner) % channels; };
  std::vector<float> amax(static_cast<size_t>(channels), 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    float& a = amax[channel_of(i)];
    a = std::max(a, std::fabs(w.data[i]));
  }
  params->scale.resize(channels);
  params->zero_point.assign(channels, 0);
  params->axis = axis;
  for (int64_t c = 0; c < channels; ++c)
    params->scale[c] = amax[c] > 0.0f ? amax[c] / 127.0f : 1.0f;
  q->resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float v = std::round(w.data[i] / params->scale[channel_of(i)]);
    (*q)[i] = static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f));
  }
}

Status check_float_graph(const Graph& g) {
  for (const TensorDesc& t : g.tensors)
    if (t.dtype != DType::kFloat32)
      return Status::Error("the model is already quantized (tensor '" + t.name + "' is " +
                           dtype_name(t.dtype) + "); quantize needs a FLOAT32 model");
  for (const Op& op : g.ops)
    if (op.kind == OpKind::kQuantize || op.kind == OpKind::kDequantize || !op.qweights.empty())
      return Status::Error("the model is already quantized (it has " +
                           std::string(op_kind_name(op.kind)) + " ops or INT8 weights)");
  return Status::Ok();
}

Result<Graph> quantize_graph(const Graph& fg, const std::vector<TensorRange>& ranges,
                             QuantIO io) {
  ELITE_RETURN_IF_ERROR(check_float_graph(fg));
  if (ranges.size() != fg.tensors.size())
    return Status::Error("calibration ranges do not match the graph");
  Graph g;
  g.name = fg.name;
  g.labels = fg.labels;
  g.tensors = fg.tensors;
  for (TensorDesc& t : g.tensors) {
    t.dtype = DType::kInt8;
    t.quant = QuantParams();
  }
  // The preprocessed input spans [-127/128, 128/128]: scale 1/128, zero point -1.
  g.tensors[fg.input].quant.scale = {1.0f / 128.0f};
  g.tensors[fg.input].quant.zero_point = {-1};
  for (size_t i = 0; i < fg.ops.size(); ++i) {
    const Op& fop = fg.ops[i];
    Op op = fop;
    op.weights.data.clear();
    op.bias.data.clear();
    TensorDesc& out = g.tensors[op.output];
    const TensorDesc& in = g.tensors[op.inputs[0]];
    const std::string where = std::string(op_kind_name(op.kind)) + " op " + std::to_string(i) +
                              " ('" + out.name + "')";
    switch (op.kind) {
      case OpKind::kSoftmax:
        out.quant.scale = {1.0f / 256.0f};
        out.quant.zero_point = {-128};
        break;
      case OpKind::kReshape:
      case OpKind::kPad:
        out.quant = in.quant;
        break;
      default: {
        const TensorRange& r = ranges[op.output];
        if (!r.seen) return Status::Error(where + ": no calibration range for its output");
        float mn = r.min, mx = r.max;
        if (op.activation == Activation::kRelu || op.activation == Activation::kRelu6)
          mn = std::max(mn, 0.0f);
        if (op.activation == Activation::kRelu6) mx = std::min(mx, 6.0f);
        out.quant = asymmetric_int8_params(mn, mx);
        break;
      }
    }
    if (op.kind == OpKind::kConv2D || op.kind == OpKind::kDepthwiseConv2D ||
        op.kind == OpKind::kFullyConnected) {
      const int axis = op.kind == OpKind::kDepthwiseConv2D ? 3 : 0;
      if (fop.weights.data.empty() || static_cast<int>(fop.weights.shape.size()) <= axis)
        return Status::Error(where + ": no float weights");
      quantize_weights_per_channel(fop.weights, axis, &op.qweights, &op.weight_quant);
      const int64_t out_c = fop.weights.shape[axis];
      if (fop.bias.numel() != out_c) return Status::Error(where + ": bias size");
      const double in_scale = in.quant.scale[0];
      op.qbias.resize(static_cast<size_t>(out_c));
      for (int64_t c = 0; c < out_c; ++c) {
        const float bias_scale = static_cast<float>(in_scale * op.weight_quant.scale[c]);
        const double q = std::round(double(fop.bias.data[c]) / double(bias_scale));
        op.qbias[c] = static_cast<int32_t>(
            std::clamp(q, double(std::numeric_limits<int32_t>::min()),
                       double(std::numeric_limits<int32_t>::max())));
      }
    }
    g.ops.push_back(std::move(op));
  }
  g.input = fg.input;
  g.output = fg.output;
  const TensorDesc sm = g.tensors[fg.output];  // a copy: g.tensors grows below
  if (io != QuantIO::kInt8) {
    // Input edge: a new tensor takes the graph input's name; the INT8 one gets "/int8".
    const int in8 = fg.input;
    TensorDesc edge_in = g.tensors[in8];
    edge_in.dtype = io == QuantIO::kUInt8 ? DType::kUInt8 : DType::kFloat32;
    edge_in.quant = QuantParams();
    if (io == QuantIO::kUInt8) {
      edge_in.quant.scale = {1.0f / 128.0f};
      edge_in.quant.zero_point = {127};
    }
    g.tensors[in8].name += "/int8";
    g.tensors.push_back(edge_in);
    const int edge_in_id = static_cast<int>(g.tensors.size()) - 1;
    Op q;
    q.kind = OpKind::kQuantize;
    q.inputs = {edge_in_id};
    q.output = in8;
    g.ops.insert(g.ops.begin(), q);
    g.input = edge_in_id;
    // Output edge.
    const int out8 = fg.output;
    TensorDesc edge_out = sm;
    edge_out.dtype = io == QuantIO::kUInt8 ? DType::kUInt8 : DType::kFloat32;
    edge_out.quant = QuantParams();
    if (io == QuantIO::kUInt8) {
      edge_out.quant.scale = {1.0f / 256.0f};
      edge_out.quant.zero_point = {0};
    }
    g.tensors[out8].name += "/int8";
    g.tensors.push_back(edge_out);
    const int edge_out_id = static_cast<int>(g.tensors.size()) - 1;
    Op d;
    d.kind = io == QuantIO::kUInt8 ? OpKind::kQuantize : OpKind::kDequantize;
    d.inputs = {out8};
    d.output = edge_out_id;
    g.ops.push_back(d);
    g.output = edge_out_id;
  }
  return g;
}

}  // namespace elite
