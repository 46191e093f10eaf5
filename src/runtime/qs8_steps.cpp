// INT8 execution: prepare and run the steps of a quantized Graph (TFLite full-integer form).
//
// Tensors: INT8 inside, asymmetric per tensor (real = scale * (q - zero_point)); UINT8,
// INT8 or FLOAT32 at the graph's input and output, converted by QUANTIZE / DEQUANTIZE.
// Weights: INT8 symmetric, per output channel or per tensor; biases INT32 with scale
// input_scale * weight_scale[c]. Every step's parameters are derived from the float scales
// exactly as the Prepare() of the matching TFLite kernel does (src/quant/requantize.h), so
// with the "ref" QS8 table the outputs equal TFLite's reference kernels (BUILTIN_REF) bit
// for bit.
//
// Ops: QUANTIZE float->int8/uint8 and uint8<->int8, CONV_2D (1x1 stride 1 on the gemm
// kernel, others on the conv kernel), DEPTHWISE_CONV_2D, ADD, MEAN (global over H and W),
// FULLY_CONNECTED, SOFTMAX (output 1/256, zero point -128), RESHAPE (aliased), PAD (filled
// with the zero point) and DEQUANTIZE. Work is split across threads as in the FP32 path
// (pixels or channel tiles, output rows, element ranges); results never depend on it.
#include <algorithm>
#include <cstring>

#include "quant/requantize.h"
#include "runtime/conv_geometry.h"
#include "runtime/executor.h"
#include "runtime/memory_plan.h"
#include "runtime/qs8_program.h"
#include "runtime/work_split.h"

namespace elite {
namespace {

std::string shape_str(const std::vector<int>& s) {
  std::vector<int64_t> v(s.begin(), s.end());
  return shape_to_string(v);
}

bool per_tensor(const TensorDesc& t) {
  return t.quant.scale.size() == 1 && t.quant.zero_point.size() == 1 && t.quant.scale[0] > 0.0f;
}

}  // namespace

void Executor::Qs8Program::after_run(const Graph& g, const uint8_t* arena) {
  if (logits_tensor < 0) return;
  const TensorDesc& t = g.tensors[logits_tensor];
  const int8_t* q = reinterpret_cast<const int8_t*>(arena + offset[logits_tensor]);
  kernels->dequantize_s8_f32(logits.size(), q, logits.data(), t.quant.scale[0],
                             static_cast<int32_t>(t.quant.zero_point[0]));
}

Status Executor::prepare_qs8(const QS8Kernels* kernels) {
  const Graph& g = graph_;
  auto prog = std::make_unique<Qs8Program>();
  prog->kernels = kernels ? kernels : &qs8_kernels();  // best INT8 table for this CPU
  const QS8Kernels& kr = *prog->kernels;
  std::vector<QStep> steps;
  const int nt = static_cast<int>(g.tensors.size());
  auto valid = [&](int t) { return t >= 0 && t < nt; };
  if (!valid(g.input) || !valid(g.output)) return Status::Error("graph has no input or output");
  for (int t : {g.input, g.output}) {
    const TensorDesc& d = g.tensors[t];
    if (d.dtype == DType::kInt32)
      return Status::Error("graph input/output '" + d.name + "' is INT32");
    if (d.dtype != DType::kFloat32 && !per_tensor(d))
      return Status::Error("graph input/output '" + d.name +
                           "' needs one positive scale and zero point");
  }
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    const std::string where = std::string(op_kind_name(op.kind)) + " op " + std::to_string(i);
    if (op.inputs.empty() || !valid(op.output))
      return Status::Error(where + ": missing input or output tensor");
    for (int t : op.inputs)
      if (!valid(t)) return Status::Error(where + ": bad input tensor index");
    const TensorDesc& in = g.tensors[op.inputs[0]];
    const TensorDesc& out = g.tensors[op.output];
    QStep s;
    s.in0 = op.inputs[0];
    s.out = op.output;
    s.numel = static_cast<size_t>(out.numel());
    auto bad = [&](const std::string& what) {
      return Status::Error(where + " ('" + out.name + "'): " + what + " (input " +
                           dtype_name(in.dtype) + " " + shape_str(in.shape) + ", output " +
                           dtype_name(out.dtype) + " " + shape_str(out.shape) + ")");
    };
    const bool int8_op = op.kind != OpKind::kQuantize && op.kind != OpKind::kDequantize;
    if (int8_op) {
      for (int t : op.inputs)
        if (g.tensors[t].dtype != DType::kInt8 || !per_tensor(g.tensors[t]))
          return bad("this runtime computes quantized graphs in INT8 only; input '" +
                     g.tensors[t].name + "' is " + dtype_name(g.tensors[t].dtype) +
                     (per_tensor(g.tensors[t]) ? "" : " without per-tensor quantization"));
      if (out.dtype != DType::kInt8 || !per_tensor(out))
        return bad("the output must be INT8 with per-tensor quantization");
    }
    const float in_scale = in.quant.empty() ? 1.0f : in.quant.scale[0];
    const int32_t in_zp = in.quant.empty() ? 0 : static_cast<int32_t>(in.quant.zero_point[0]);
    const float out_scale = out.quant.empty() ? 1.0f : out.quant.scale[0];
    const int32_t out_zp = out.quant.empty() ? 0 : static_cast<int32_t>(out.quant.zero_point[0]);
    switch (op.kind) {
      case OpKind::kConv2D:
      case OpKind::kDepthwiseConv2D: {
        const bool dw = op.kind == OpKind::kDepthwiseConv2D;
        ConvGeometry& gm = s.geom;
        const std::string problem = resolve_conv_geometry(op, in, out, gm);
        if (!problem.empty()) return bad(problem);
        const int64_t wn = dw ? int64_t{gm.kernel_h} * gm.kernel_w * gm.in_c
                              : int64_t{gm.out_c} * gm.kernel_h * gm.kernel_w * gm.in_c;
        if (static_cast<int64_t>(op.qweights.size()) != wn)
          return bad("INT8 weights have " + std::to_string(op.qweights.size()) +
                     " values, expected " + std::to_string(wn));
        if (op.qbias.size() != static_cast<size_t>(gm.out_c)) return bad("INT32 bias size");
        const size_t ws = op.weight_quant.scale.size();
        if (ws != 1 && ws != static_cast<size_t>(gm.out_c))
          return bad("weights need 1 or out_c scales, got " + std::to_string(ws));
        qs8_conv_multipliers(in_scale, op.weight_quant.scale, out_scale, gm.out_c, &s.multiplier,
                             &s.shift);
        s.rq.input_zero_point = in_zp;
        s.rq.output_zero_point = out_zp;
        quantized_activation_range(op.activation, out_scale, out_zp, -128, 127, &s.rq.out_min,
                                   &s.rq.out_max);
        auto alloc = [&](size_t bytes) { s.packed.resize((bytes + 3) / 4); };
        QS8Requant pack_rq = s.rq;  // as run() will see it (src/kernels/qs8_kernels.h)
        pack_rq.multiplier = s.multiplier.data();
        pack_rq.shift = s.shift.data();
        if (dw) {
          s.kind = QStep::Kind::kDwconv;
          alloc(kr.dwconv.packed_bytes(gm.out_c, gm.kernel_h, gm.kernel_w));
          kr.dwconv.pack(gm.out_c, gm.kernel_h, gm.kernel_w, op.qweights.data(), op.qbias.data(),
                         pack_rq, s.packed.data());
        } else if (gm.kernel_h == 1 && gm.kernel_w == 1 && gm.stride_h == 1 &&
                   gm.stride_w == 1) {
          s.kind = QStep::Kind::kGemm;
          s.m = gm.out_h * gm.out_w;
          s.n = gm.out_c;
          s.k = gm.in_c;
          alloc(kr.gemm.packed_bytes(s.n, s.k));
          kr.gemm.pack(s.n, s.k, op.qweights.data(), op.qbias.data(), pack_rq, s.packed.data());
        } else {
          s.kind = QStep::Kind::kConv;
          alloc(kr.conv.packed_bytes(gm.out_c, gm.kernel_h, gm.kernel_w, gm.in_c));
          kr.conv.pack(gm.out_c, gm.kernel_h, gm.kernel_w, gm.in_c, op.qweights.data(),
                       op.qbias.data(), s.packed.data());
        }
        break;
      }
      case OpKind::kFullyConnected: {
        const int64_t n = out.numel(), k = in.numel();
        if (op.qweights.size() != static_cast<size_t>(n * k) || op.qbias.size() != size_t(n))
          return bad("INT8 weights/bias do not fit [" + std::to_string(n) + ", " +
                     std::to_string(k) + "]");
        const size_t ws = op.weight_quant.scale.size();
        if (ws != 1 && ws != static_cast<size_t>(n))
          return bad("weights need 1 or out scales, got " + std::to_string(ws));
        s.kind = QStep::Kind::kFc;
        s.m = 1;
        s.n = static_cast<int>(n);
        s.k = static_cast<int>(k);
        s.fc_weights = op.qweights;
        s.fc_bias = op.qbias;
        s.fc_scale = qs8_fc_scales(in_scale, op.weight_quant.scale, out_scale, s.n);
        s.fc.input_zero_point = in_zp;
        s.fc.weight_zero_point = 0;
        s.fc.output_zero_point = out_zp;
        quantized_activation_range(op.activation, out_scale, out_zp, -128, 127, &s.fc.out_min,
                                   &s.fc.out_max);
        break;
      }
      case OpKind::kAdd: {
        if (op.inputs.size() != 2 || g.tensors[op.inputs[1]].shape != in.shape ||
            out.shape != in.shape)
          return bad("ADD needs two inputs of the output's shape");
        const TensorDesc& b = g.tensors[op.inputs[1]];
        s.kind = QStep::Kind::kAdd;
        s.in1 = op.inputs[1];
        s.add = qs8_add_params(in_scale, in_zp, b.quant.scale[0],
                               static_cast<int32_t>(b.quant.zero_point[0]), out_scale, out_zp,
                               op.activation);
        break;
      }
      case OpKind::kMean:
        if (in.shape.size() != 4 || in.shape[0] != 1 || out.numel() != in.shape[3])
          return bad("MEAN reduces a [1,H,W,C] tensor to C values");
        s.kind = QStep::Kind::kMean;
        s.m = in.shape[1] * in.shape[2];
        s.n = in.shape[3];
        s.mean = qs8_mean_params(in_scale, in_zp, out_scale, out_zp);
        break;
      case OpKind::kSoftmax:
        if (in.numel() != out.numel() || in.shape.empty()) return bad("SOFTMAX shapes");
        if (out.quant.scale[0] != 1.0f / 256 || out_zp != -128)
          return bad("an INT8 SOFTMAX output must have scale 1/256 and zero point -128");
        s.kind = QStep::Kind::kSoftmax;
        s.n = in.shape.back();
        s.m = static_cast<int>(in.numel() / std::max(1, s.n));
        s.softmax = qs8_softmax_params(op.beta, in_scale);
        break;
      case OpKind::kReshape:
        if (in.numel() != out.numel()) return bad("RESHAPE changes the element count");
        if (in.quant.scale[0] != out_scale || in_zp != out_zp)
          return bad("an INT8 RESHAPE must keep its input's scale and zero point");
        s.kind = QStep::Kind::kCopy;  // aliased by the memory plan
        break;
      case OpKind::kPad:
        if (in.shape.size() != 4 || out.shape.size() != 4 ||
            out.shape[1] != in.shape[1] + op.pads[0] + op.pads[1] ||
            out.shape[2] != in.shape[2] + op.pads[2] + op.pads[3] ||
            out.shape[3] != in.shape[3] || *std::min_element(op.pads, op.pads + 4) < 0)
          return bad("PAD shapes do not match its paddings");
        if (in.quant.scale[0] != out_scale || in_zp != out_zp)
          return bad("an INT8 PAD must keep its input's scale and zero point");
        s.kind = QStep::Kind::kPad;
        std::copy(op.pads, op.pads + 4, s.pads);
        s.pad_value = static_cast<int8_t>(out_zp);
        break;
      case OpKind::kQuantize:
      case OpKind::kDequantize: {
        if (in.numel() != out.numel()) return bad("shapes differ");
        const DType a = in.dtype, b = out.dtype;
        if (a != DType::kFloat32 && !per_tensor(in)) return bad("input needs per-tensor quantization");
        if (b != DType::kFloat32 && !per_tensor(out)) return bad("output needs per-tensor quantization");
        if (op.kind == OpKind::kQuantize && a == DType::kFloat32 && b == DType::kInt8) {
          s.kind = QStep::Kind::kQuantizeF32S8;
        } else if (op.kind == OpKind::kQuantize && a == DType::kFloat32 && b == DType::kUInt8) {
          s.kind = QStep::Kind::kQuantizeF32U8;
        } else if (op.kind == OpKind::kQuantize && a == DType::kInt8 && b == DType::kUInt8) {
          s.kind = QStep::Kind::kRequantizeS8U8;
        } else if (op.kind == OpKind::kQuantize && a == DType::kUInt8 && b == DType::kInt8) {
          s.kind = QStep::Kind::kRequantizeU8S8;
        } else if (op.kind == OpKind::kDequantize && a == DType::kInt8 && b == DType::kFloat32) {
          s.kind = QStep::Kind::kDequantizeS8;
        } else if (op.kind == OpKind::kDequantize && a == DType::kUInt8 &&
                   b == DType::kFloat32) {
          s.kind = QStep::Kind::kDequantizeU8;
        } else {
          return bad(std::string("unsupported conversion ") + dtype_name(a) + " -> " +
                     dtype_name(b));
        }
        if (s.kind == QStep::Kind::kRequantizeS8U8 || s.kind == QStep::Kind::kRequantizeU8S8) {
          s.requant = qs8_requantize_params(in_scale, in_zp, out_scale, out_zp);
        } else if (op.kind == OpKind::kQuantize) {
          s.scale = out_scale;
          s.zero_point = out_zp;
        } else {
          s.scale = in_scale;
          s.zero_point = in_zp;
        }
        break;
      }
    }
    steps.push_back(std::move(s));
  }
  prog->steps = std::make_shared<const std::vector<QStep>>(std::move(steps));
  // The logits: the INT8 input of the last SOFTMAX, dequantized after each run.
  std::vector<int> keep;
  for (size_t i = g.ops.size(); i-- > 0;)
    if (g.ops[i].kind == OpKind::kSoftmax) {
      prog->logits_tensor = g.ops[i].inputs[0];
      prog->logits.assign(static_cast<size_t>(g.tensors[prog->logits_tensor].numel()), 0.0f);
      keep.push_back(prog->logits_tensor);
      break;
    }
  const MemoryPlan plan = plan_memory(g, keep);
  prog->offset = plan.offset_bytes;
  arena_.resize((plan.arena_bytes + 3) / 4);
  qs8_ = std::move(prog);
  return Status::Ok();
}

namespace {

// fn(begin, end) over [0, n) in one 64-aligned range per thread; short runs stay on the
// caller (a region's hand-off costs about a microsecond).
template <typename Fn>
void split_elementwise(ThreadPool& pool, size_t n, const Fn& fn) {
  const int threads = pool.threads();
  if (threads == 1 || n < 16384) {
    if (n > 0) fn(size_t{0}, n);
    return;
  }
  pool.run(threads, [&](int i) {
    auto [b, e] = split(static_cast<int>(n), threads, i, 64);
    if (b < e) fn(static_cast<size_t>(b), static_cast<size_t>(e));
  });
}

}  // namespace

Status Executor::run_qs8(const float* input, size_t input_size, float* output,
                         size_t output_size, const TensorObserver* observer) {
  const TensorDesc& id = input_desc();
  const TensorDesc& od = output_desc();
  if (input_size != static_cast<size_t>(id.numel()))
    return Status::Error("input has " + std::to_string(input_size) + " values, the model expects " +
                         std::to_string(id.numel()) + " " + shape_str(id.shape));
  if (output_size != static_cast<size_t>(od.numel()))
    return Status::Error("output buffer has " + std::to_string(output_size) +
                         " values, the model produces " + std::to_string(od.numel()));
  const QS8Kernels& kr = *qs8_->kernels;
  uint8_t* in = bytes() + qs8_->offset[graph_.input];
  const float in_scale = id.quant.scale.empty() ? 1.0f : id.quant.scale[0];
  const int32_t in_zp = id.quant.zero_point.empty() ? 0 : static_cast<int32_t>(id.quant.zero_point[0]);
  switch (id.dtype) {
    case DType::kUInt8:
      split_elementwise(*pool_, input_size, [&](size_t b, size_t e) {
        kr.quantize_f32_u8(e - b, input + b, in + b, in_scale, in_zp);
      });
      break;
    case DType::kInt8:
      split_elementwise(*pool_, input_size, [&](size_t b, size_t e) {
        kr.quantize_f32_s8(e - b, input + b, reinterpret_cast<int8_t*>(in) + b, in_scale, in_zp);
      });
      break;
    default: std::memcpy(in, input, input_size * sizeof(float)); break;
  }
  const std::vector<QStep>& steps = *qs8_->steps;
  for (size_t i = 0; i < steps.size(); ++i) {
    const QStep& s = steps[i];
    run_qs8_step(s);
    if (observer) (*observer)(static_cast<int>(i), s.out, bytes() + qs8_->offset[s.out]);
  }
  qs8_->after_run(graph_, bytes());
  const uint8_t* out = bytes() + qs8_->offset[graph_.output];
  switch (od.dtype) {
    case DType::kUInt8:
      kr.dequantize_u8_f32(output_size, out, output, od.quant.scale[0],
                           static_cast<int32_t>(od.quant.zero_point[0]));
      break;
    case DType::kInt8:
      kr.dequantize_s8_f32(output_size, reinterpret_cast<const int8_t*>(out), output,
                           od.quant.scale[0], static_cast<int32_t>(od.quant.zero_point[0]));
      break;
    default: std::memcpy(output, out, output_size * sizeof(float)); break;
  }
  return Status::Ok();
}

void Executor::run_qs8_step(const QStep& s) {
  uint8_t* base = bytes();
  const QS8Kernels& kr = *qs8_->kernels;
  const int threads = pool_->threads();
  const int8_t* in = reinterpret_cast<const int8_t*>(base + qs8_->offset[s.in0]);
  int8_t* out = reinterpret_cast<int8_t*>(base + qs8_->offset[s.out]);
  QS8Requant rq = s.rq;
  rq.multiplier = s.multiplier.data();
  rq.shift = s.shift.data();
  const void* packed = s.packed.data();
  switch (s.kind) {
    case QStep::Kind::kGemm: {
      // Weights past 128 KiB (lite2-lite4's last stages, lite0's 7x7 layers) are split by
      // columns where they outweigh the inputs: each thread then streams half of them.
      const bool wide = size_t{1} * s.k * s.n >= size_t{128} * 1024;
      if (gemm_splits_rows(s.m, s.n, kr.gemm.n_tile, threads, wide)) {
        const int parts = std::min(threads, s.m);
        pool_->run(parts, [&](int i) {
          auto [b, e] = split(s.m, parts, i);
          kr.gemm.run(b, e, 0, s.n, s.n, s.k, in, packed, out, rq);
        });
      } else {
        pool_->run(threads, [&](int i) {
          auto [b, e] = split(s.n, threads, i, kr.gemm.n_tile);
          if (b < e) kr.gemm.run(0, s.m, b, e, s.n, s.k, in, packed, out, rq);
        });
      }
      break;
    }
    case QStep::Kind::kConv:
    case QStep::Kind::kDwconv: {
      const int parts = std::min(threads, s.geom.out_h);
      pool_->run(parts, [&](int i) {
        auto [b, e] = split(s.geom.out_h, parts, i);
        if (s.kind == QStep::Kind::kConv)
          kr.conv.run(s.geom, in, packed, out, rq, b, e);
        else
          kr.dwconv.run(s.geom, in, packed, out, rq, b, e);
      });
      break;
    }
    case QStep::Kind::kFc: {
      // One row: split the output columns (each column is independent).
      QS8FcParams p = s.fc;
      pool_->run(threads, [&](int i) {
        auto [b, e] = split(s.n, threads, i);
        if (b >= e) return;
        QS8FcParams pi = p;
        pi.scale = s.fc_scale.data() + b;
        kr.fc(0, 1, e - b, s.k, in, s.fc_weights.data() + size_t{1} * b * s.k,
              s.fc_bias.data() + b, out + b, pi);
      });
      break;
    }
    case QStep::Kind::kAdd: {
      const int8_t* in1 = reinterpret_cast<const int8_t*>(base + qs8_->offset[s.in1]);
      const int n = static_cast<int>(s.numel);
      pool_->run(threads, [&](int i) {
        auto [b, e] = split(n, threads, i, 64);
        if (b < e) kr.add(size_t(e - b), in + b, in1 + b, out + b, s.add);
      });
      break;
    }
    case QStep::Kind::kMean:
      pool_->run(threads, [&](int i) {
        auto [b, e] = split(s.n, threads, i, 16);
        if (b < e) kr.global_mean(s.m, s.n, b, e, in, out, s.mean);
      });
      break;
    case QStep::Kind::kSoftmax:
      for (int r = 0; r < s.m; ++r)
        kr.softmax(s.n, in + size_t{1} * r * s.n, out + size_t{1} * r * s.n, s.softmax);
      break;
    case QStep::Kind::kCopy: break;
    case QStep::Kind::kPad: {
      const TensorDesc& id = graph_.tensors[s.in0];
      const TensorDesc& od = graph_.tensors[s.out];
      const int ih = id.shape[1], iw = id.shape[2], c = id.shape[3];
      const int ow = od.shape[2];
      std::memset(out, static_cast<uint8_t>(s.pad_value), s.numel);
      for (int y = 0; y < ih; ++y)
        std::memcpy(out + (size_t{1} * (y + s.pads[0]) * ow + s.pads[2]) * c,
                    in + size_t{1} * y * iw * c, size_t{1} * iw * c);
      break;
    }
    case QStep::Kind::kQuantizeF32S8:
      split_elementwise(*pool_, s.numel, [&](size_t b, size_t e) {
        kr.quantize_f32_s8(e - b, reinterpret_cast<const float*>(in) + b, out + b, s.scale,
                           s.zero_point);
      });
      break;
    case QStep::Kind::kQuantizeF32U8:
      split_elementwise(*pool_, s.numel, [&](size_t b, size_t e) {
        kr.quantize_f32_u8(e - b, reinterpret_cast<const float*>(in) + b,
                           reinterpret_cast<uint8_t*>(out) + b, s.scale, s.zero_point);
      });
      break;
    case QStep::Kind::kRequantizeS8U8:
      split_elementwise(*pool_, s.numel, [&](size_t b, size_t e) {
        kr.requantize_s8_u8(e - b, in + b, reinterpret_cast<uint8_t*>(out) + b, s.requant);
      });
      break;
    case QStep::Kind::kRequantizeU8S8:
      split_elementwise(*pool_, s.numel, [&](size_t b, size_t e) {
        kr.requantize_u8_s8(e - b, reinterpret_cast<const uint8_t*>(in) + b, out + b, s.requant);
      });
      break;
    case QStep::Kind::kDequantizeS8:
      kr.dequantize_s8_f32(s.numel, in, reinterpret_cast<float*>(out), s.scale, s.zero_point);
      break;
    case QStep::Kind::kDequantizeU8:
      kr.dequantize_u8_f32(s.numel, reinterpret_cast<const uint8_t*>(in),
                           reinterpret_cast<float*>(out), s.scale, s.zero_point);
      break;
  }
}

}  // namespace elite
