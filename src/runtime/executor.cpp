#include "runtime/executor.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "runtime/conv_geometry.h"
#include "runtime/float_step.h"
#include "runtime/memory_plan.h"
#include "runtime/work_split.h"
#include "runtime/qs8_program.h"

namespace elite {

namespace {

void activation_range(Activation a, float& lo, float& hi) {
  lo = -std::numeric_limits<float>::max();
  hi = std::numeric_limits<float>::max();
  if (a == Activation::kRelu || a == Activation::kRelu6) lo = 0.0f;
  if (a == Activation::kRelu6) hi = 6.0f;
}

std::string shape_str(const std::vector<int>& s) {
  std::vector<int64_t> v(s.begin(), s.end());
  return shape_to_string(v);
}


}  // namespace

Executor::~Executor() = default;

Result<std::unique_ptr<Executor>> Executor::create(Graph graph, const ExecutorOptions& options) {
  if (options.threads < 1 || options.threads > 256)
    return Status::Error("threads must be between 1 and 256, got " +
                         std::to_string(options.threads));
  std::unique_ptr<Executor> e(new Executor());
  e->graph_ = std::move(graph);
  const Graph& g = e->graph_;
  e->kernels_ = options.kernels ? options.kernels : &f32_kernels();
  e->pool_ = std::make_unique<ThreadPool>(options.threads);
  bool quantized = false;
  for (const TensorDesc& t : g.tensors) quantized = quantized || t.dtype != DType::kFloat32;
  for (const Op& op : g.ops)
    quantized = quantized || op.kind == OpKind::kQuantize || op.kind == OpKind::kDequantize;
  if (quantized && options.precision != Precision::kFloat32)
    return Status::Error(std::string("precision ") + precision_name(options.precision) +
                         " applies to float models; this one is quantized (INT8)");
  if (options.precision == Precision::kFloat16)
    e->f16_ = options.f16_kernels ? options.f16_kernels : &f16_kernels();
  if (quantized) {
    ELITE_RETURN_IF_ERROR(e->prepare_qs8(options.qs8_kernels));
    for (Op& op : e->graph_.ops) {
      std::vector<float>().swap(op.weights.data);
      std::vector<float>().swap(op.bias.data);
      std::vector<int8_t>().swap(op.qweights);
      std::vector<int32_t>().swap(op.qbias);
    }
    return e;
  }
  if (options.keep_logits && !g.ops.empty() && g.ops.back().kind == OpKind::kSoftmax &&
      g.ops.back().output == g.output)
    e->logits_tensor_ = g.ops.back().inputs[0];
  ELITE_RETURN_IF_ERROR(e->prepare());
  // The packed copies are all that run() reads: drop the float weights (half the memory).
  for (Op& op : e->graph_.ops) {
    std::vector<float>().swap(op.weights.data);
    std::vector<float>().swap(op.bias.data);
  }
  return e;
}

Status Executor::prepare() {
  const Graph& g = graph_;
  const int nt = static_cast<int>(g.tensors.size());
  auto valid = [&](int t) { return t >= 0 && t < nt; };
  if (!valid(g.input) || !valid(g.output)) return Status::Error("graph has no input or output");
  const F32Kernels& kr = *kernels_;
  const F16Kernels* h = f16_;  // half precision: pack every weight for the F16 table
  auto in_floats = [](size_t halves) { return (halves + 1) / 2; };
  auto halves = [](AlignedBuffer& b) { return reinterpret_cast<half_t*>(b.data()); };
  auto pack_gemm = [&](Step& s, const float* w, const float* b) {
    if (h) {
      s.packed.resize(in_floats(h->gemm.packed_halves(s.n, s.k)));
      h->gemm.pack(s.n, s.k, w, b, halves(s.packed));
    } else {
      s.packed.resize(kr.gemm.packed_floats(s.n, s.k));
      kr.gemm.pack(s.n, s.k, w, b, s.packed.data());
    }
  };
  std::vector<Step> steps;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    const std::string where = std::string(op_kind_name(op.kind)) + " op " + std::to_string(i);
    if (op.inputs.empty() || !valid(op.output))
      return Status::Error(where + ": missing input or output tensor");
    for (int t : op.inputs)
      if (!valid(t)) return Status::Error(where + ": bad input tensor index");
    for (int t : op.inputs)
      if (g.tensors[t].dtype != DType::kFloat32)
        return Status::Error(where + ": tensor '" + g.tensors[t].name + "' is " +
                             dtype_name(g.tensors[t].dtype) +
                             "; this runtime executes FLOAT32 graphs only");
    const TensorDesc& in = g.tensors[op.inputs[0]];
    const TensorDesc& out = g.tensors[op.output];
    Step s;
    s.in0 = op.inputs[0];
    s.out = op.output;
    activation_range(op.activation, s.out_min, s.out_max);
    auto bad_shape = [&](const std::string& what) {
      return Status::Error(where + " ('" + out.name + "'): " + what + " (input " +
                           shape_str(in.shape) + ", output " + shape_str(out.shape) + ")");
    };
    switch (op.kind) {
      case OpKind::kConv2D:
      case OpKind::kDepthwiseConv2D: {
        const bool dw = op.kind == OpKind::kDepthwiseConv2D;
        ConvGeometry& gm = s.geom;
        const std::string problem = resolve_conv_geometry(op, in, out, gm);
        if (!problem.empty()) return bad_shape(problem);
        gm.out_min = s.out_min;
        gm.out_max = s.out_max;
        const std::vector<int64_t> wshape =
            dw ? std::vector<int64_t>{1, gm.kernel_h, gm.kernel_w, gm.in_c}
               : std::vector<int64_t>{gm.out_c, gm.kernel_h, gm.kernel_w, gm.in_c};
        if (op.weights.shape != wshape)
          return bad_shape("weights " + shape_to_string(op.weights.shape) + ", expected " +
                           shape_to_string(wshape));
        if (op.bias.numel() != gm.out_c || op.bias.shape.empty()) return bad_shape("bias size");
        const float* w = op.weights.data.data();
        const float* b = op.bias.data.data();
        if (dw) {
          s.kind = Step::Kind::kDwconv;
          if (h) {
            s.packed.resize(in_floats(h->dwconv.packed_halves(gm.out_c, gm.kernel_h, gm.kernel_w)));
            h->dwconv.pack(gm.out_c, gm.kernel_h, gm.kernel_w, w, b, halves(s.packed));
          } else {
            s.packed.resize(kr.dwconv.packed_floats(gm.out_c, gm.kernel_h, gm.kernel_w));
            kr.dwconv.pack(gm.out_c, gm.kernel_h, gm.kernel_w, w, b, s.packed.data());
          }
        } else if (gm.kernel_h == 1 && gm.kernel_w == 1 && gm.stride_h == 1 &&
                   gm.stride_w == 1) {
          s.kind = Step::Kind::kGemm;
          s.m = gm.out_h * gm.out_w;
          s.n = gm.out_c;
          s.k = gm.in_c;
          pack_gemm(s, w, b);
        } else {
          s.kind = Step::Kind::kConv;
          if (h) {
            s.packed.resize(
                in_floats(h->conv.packed_halves(gm.out_c, gm.kernel_h, gm.kernel_w, gm.in_c)));
            h->conv.pack(gm.out_c, gm.kernel_h, gm.kernel_w, gm.in_c, w, b, halves(s.packed));
          } else {
            s.packed.resize(kr.conv.packed_floats(gm.out_c, gm.kernel_h, gm.kernel_w, gm.in_c));
            kr.conv.pack(gm.out_c, gm.kernel_h, gm.kernel_w, gm.in_c, w, b, s.packed.data());
          }
        }
        break;
      }
      case OpKind::kFullyConnected: {
        if (op.weights.shape.size() != 2 || op.weights.shape[1] != in.numel() ||
            op.weights.shape[0] != out.numel() || op.bias.numel() != out.numel() ||
            op.bias.shape.empty())
          return bad_shape("weights " + shape_to_string(op.weights.shape) + " do not fit");
        s.kind = Step::Kind::kGemm;
        s.m = 1;
        s.n = static_cast<int>(out.numel());
        s.k = static_cast<int>(in.numel());
        pack_gemm(s, op.weights.data.data(), op.bias.data.data());
        break;
      }
      case OpKind::kAdd:
        if (op.inputs.size() != 2 || g.tensors[op.inputs[1]].shape != in.shape ||
            out.shape != in.shape)
          return bad_shape("ADD needs two inputs of the output's shape");
        s.kind = Step::Kind::kAdd;
        s.in1 = op.inputs[1];
        break;
      case OpKind::kMean:
        if (in.shape.size() != 4 || in.shape[0] != 1 || out.numel() != in.shape[3])
          return bad_shape("MEAN reduces a [1,H,W,C] tensor to C values");
        s.kind = Step::Kind::kMean;
        s.m = in.shape[1] * in.shape[2];
        s.n = in.shape[3];
        break;
      case OpKind::kSoftmax:
        if (in.numel() != out.numel() || in.shape.empty()) return bad_shape("SOFTMAX shapes");
        s.kind = Step::Kind::kSoftmax;
        s.n = in.shape.back();
        s.m = static_cast<int>(in.numel() / std::max(1, s.n));
        s.beta = op.beta;
        break;
      case OpKind::kReshape:
        if (in.numel() != out.numel()) return bad_shape("RESHAPE changes the element count");
        s.kind = Step::Kind::kCopy;  // aliased by the memory plan: nothing to do
        break;
      case OpKind::kPad: {
        if (in.shape.size() != 4 || out.shape.size() != 4 ||
            out.shape[1] != in.shape[1] + op.pads[0] + op.pads[1] ||
            out.shape[2] != in.shape[2] + op.pads[2] + op.pads[3] || out.shape[3] != in.shape[3] ||
            *std::min_element(op.pads, op.pads + 4) < 0)
          return bad_shape("PAD shapes do not match its paddings");
        s.kind = Step::Kind::kPad;
        std::copy(op.pads, op.pads + 4, s.pads);
        break;
      }
      case OpKind::kQuantize:
      case OpKind::kDequantize:
        return Status::Error(where + ": quantized graphs are not supported by this runtime yet");
    }
    steps.push_back(std::move(s));
  }
  steps_ = std::make_shared<const std::vector<Step>>(std::move(steps));
  std::vector<int> keep;
  if (logits_tensor_ >= 0) keep.push_back(logits_tensor_);
  const MemoryPlan plan = plan_memory(g, keep);
  offset_ = plan.offset;
  // In half precision the plan's offsets count halves: the same layout in half the bytes.
  arena_.resize(h ? in_floats(plan.arena_floats) : plan.arena_floats);
  if (h) {
    if (logits_tensor_ >= 0) f16_logits_.resize(g.tensors[logits_tensor_].numel());
    f16_probs_.resize(g.tensors[g.output].numel());
  }
  return Status::Ok();
}

std::unique_ptr<Executor> Executor::fork(int threads) const {
  std::unique_ptr<Executor> e(new Executor());
  e->graph_ = graph_;  // shapes and names only: the weights were released after packing
  e->kernels_ = kernels_;
  e->pool_ = std::make_unique<ThreadPool>(std::max(1, threads));
  e->steps_ = steps_;
  e->offset_ = offset_;
  e->arena_.resize(arena_.size());
  e->logits_tensor_ = logits_tensor_;
  e->f16_ = f16_;
  e->f16_logits_.resize(f16_logits_.size());
  e->f16_probs_.resize(f16_probs_.size());
  if (qs8_) e->qs8_ = std::make_unique<Qs8Program>(*qs8_);  // shares its steps
  return e;
}

const float* Executor::logits() const {
  if (qs8_) return qs8_->logits.empty() ? nullptr : qs8_->logits.data();
  if (f16_) return f16_logits_.empty() ? nullptr : f16_logits_.data();
  return logits_tensor_ < 0 ? nullptr : arena_.data() + offset_[logits_tensor_];
}

const char* Executor::isa() const {
  return qs8_ ? qs8_->kernels->isa : f16_ ? f16_->isa : kernels_->isa;
}

const char* precision_name(Precision p) { return p == Precision::kFloat16 ? "fp16" : "fp32"; }

Result<Precision> parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::kFloat32;
  if (name == "fp16") return Precision::kFloat16;
  return Status::Error("unknown precision '" + name + "' (expected fp32 or fp16)");
}

Status Executor::run_observed(const float* input, size_t input_size, float* output,
                              size_t output_size, const TensorObserver& observer) {
  if (qs8_) return run_qs8(input, input_size, output, output_size, &observer);
  if (input_size != static_cast<size_t>(input_desc().numel()) ||
      output_size != static_cast<size_t>(output_desc().numel()))
    return run(input, input_size, output, output_size);  // the same size errors
  if (f16_) return run_f16(input, output, output_size, &observer);
  std::memcpy(arena_.data() + offset_[graph_.input], input, input_size * sizeof(float));
  const std::vector<Step>& steps = *steps_;
  for (size_t i = 0; i < steps.size(); ++i) {  // one step per op
    run_step(steps[i]);
    observer(static_cast<int>(i), steps[i].out, arena_.data() + offset_[steps[i].out]);
  }
  std::memcpy(output, arena_.data() + offset_[graph_.output], output_size * sizeof(float));
  return Status::Ok();
}

Status Executor::run_raw(const void* input, size_t input_bytes, void* output,
                         size_t output_bytes) {
  const size_t in_elem = dtype_size(input_desc().dtype), out_elem = dtype_size(output_desc().dtype);
  const size_t in_need = static_cast<size_t>(input_desc().numel()) * in_elem;
  const size_t out_need = static_cast<size_t>(output_desc().numel()) * out_elem;
  if (input_bytes != in_need)
    return Status::Error("input has " + std::to_string(input_bytes) + " bytes, the model expects " +
                         std::to_string(in_need) + " (" + dtype_name(input_desc().dtype) + " " +
                         shape_str(input_desc().shape) + ")");
  if (output_bytes != out_need)
    return Status::Error("output buffer has " + std::to_string(output_bytes) +
                         " bytes, the model produces " + std::to_string(out_need));
  if (!qs8_)  // float graphs (fp32 or fp16) take and return floats
    return run(static_cast<const float*>(input), input_bytes / sizeof(float),
               static_cast<float*>(output), output_bytes / sizeof(float));
  std::memcpy(bytes() + qs8_->offset[graph_.input], input, input_bytes);
  for (const QStep& s : *qs8_->steps) run_qs8_step(s);
  qs8_->after_run(graph_, bytes());
  std::memcpy(output, bytes() + qs8_->offset[graph_.output], output_bytes);
  return Status::Ok();
}

Status Executor::run(const float* input, size_t input_size, float* output, size_t output_size) {
  if (qs8_) return run_qs8(input, input_size, output, output_size, nullptr);
  if (input_size != static_cast<size_t>(input_desc().numel()))
    return Status::Error("input has " + std::to_string(input_size) + " values, the model expects " +
                         std::to_string(input_desc().numel()) + " " + shape_str(input_desc().shape));
  if (output_size != static_cast<size_t>(output_desc().numel()))
    return Status::Error("output buffer has " + std::to_string(output_size) +
                         " values, the model produces " + std::to_string(output_desc().numel()));
  if (f16_) return run_f16(input, output, output_size, nullptr);
  std::memcpy(arena_.data() + offset_[graph_.input], input, input_size * sizeof(float));
  for (const Step& s : *steps_) run_step(s);
  std::memcpy(output, arena_.data() + offset_[graph_.output], output_size * sizeof(float));
  return Status::Ok();
}

void Executor::run_step(const Step& s) {
  float* base = arena_.data();
  const float* in = base + offset_[s.in0];
  float* out = base + offset_[s.out];
  const F32Kernels& kr = *kernels_;
  switch (s.kind) {
    case Step::Kind::kGemm:
      run_gemm_parts(*pool_, s, kr.gemm.n_tile, [&](int mb, int me, int nb, int ne) {
        kr.gemm.run(mb, me, nb, ne, s.n, s.k, in, s.packed.data(), out, s.out_min, s.out_max);
      });
      break;
    case Step::Kind::kConv:
    case Step::Kind::kDwconv:
      run_row_parts(*pool_, s.geom.out_h, [&](int b, int e) {
        if (s.kind == Step::Kind::kConv)
          kr.conv.run(s.geom, in, s.packed.data(), out, b, e);
        else
          kr.dwconv.run(s.geom, in, s.packed.data(), out, b, e);
      });
      break;
    case Step::Kind::kAdd: {
      const float* in1 = base + offset_[s.in1];
      run_element_parts(*pool_, static_cast<int>(graph_.tensors[s.out].numel()), 16,
                        [&](int b, int e) {
                          kr.add(e - b, in + b, in1 + b, out + b, s.out_min, s.out_max);
                        });
      break;
    }
    case Step::Kind::kMean:
      kr.global_mean(s.m, s.n, in, out);
      break;
    case Step::Kind::kSoftmax:
      for (int r = 0; r < s.m; ++r) kr.softmax(s.n, in + size_t{1} * r * s.n, out + size_t{1} * r * s.n, s.beta);
      break;
    case Step::Kind::kCopy:
      break;
    case Step::Kind::kPad:
      pad_step(graph_, s, in, out);
      break;
  }
}

}  // namespace elite
