// The half-precision run loop of a float graph (ExecutorOptions::precision = kFloat16): the
// steps prepare() made with F16-packed weights, over an arena of halves at the FP32 plan's
// offsets. The input is converted to half once, the final softmax runs in FP32 on the logits
// converted back (its 1000 exponentials are where half would lose most), and any other
// output is converted on the way out.
#include <algorithm>
#include <cstring>

#include "runtime/executor.h"
#include "runtime/float_step.h"

namespace elite {

Status Executor::run_f16(const float* input, float* output, size_t output_size,
                         const TensorObserver* observer) {
  half_t* base = reinterpret_cast<half_t*>(arena_.data());
  f16_->from_float(static_cast<size_t>(input_desc().numel()), input, base + offset_[graph_.input]);
  const std::vector<Step>& steps = *steps_;
  for (size_t i = 0; i < steps.size(); ++i) {
    run_f16_step(steps[i]);
    if (observer) (*observer)(static_cast<int>(i), steps[i].out, base + offset_[steps[i].out]);
  }
  if (!steps.empty() && steps.back().kind == Step::Kind::kSoftmax &&
      steps.back().out == graph_.output)
    std::memcpy(output, f16_probs_.data(), output_size * sizeof(float));
  else
    f16_->to_float(output_size, base + offset_[graph_.output], output);
  return Status::Ok();
}

void Executor::run_f16_step(const Step& s) {
  half_t* base = reinterpret_cast<half_t*>(arena_.data());
  const half_t* in = base + offset_[s.in0];
  half_t* out = base + offset_[s.out];
  const half_t* packed = reinterpret_cast<const half_t*>(s.packed.data());
  const F16Kernels& kr = *f16_;
  const F16Clamp clamp{half_from_float(s.out_min), half_from_float(s.out_max)};
  switch (s.kind) {
    case Step::Kind::kGemm:
      run_gemm_parts(*pool_, s, kr.gemm.n_tile, [&](int mb, int me, int nb, int ne) {
        kr.gemm.run(mb, me, nb, ne, s.n, s.k, in, packed, out, clamp);
      });
      break;
    case Step::Kind::kConv:
    case Step::Kind::kDwconv:
      run_row_parts(*pool_, s.geom.out_h, [&](int b, int e) {
        if (s.kind == Step::Kind::kConv)
          kr.conv.run(s.geom, in, packed, out, clamp, b, e);
        else
          kr.dwconv.run(s.geom, in, packed, out, clamp, b, e);
      });
      break;
    case Step::Kind::kAdd: {
      const half_t* in1 = base + offset_[s.in1];
      run_element_parts(*pool_, static_cast<int>(graph_.tensors[s.out].numel()), 32,
                        [&](int b, int e) { kr.add(e - b, in + b, in1 + b, out + b, clamp); });
      break;
    }
    case Step::Kind::kMean:
      kr.global_mean(s.m, s.n, in, out);
      break;
    case Step::Kind::kSoftmax: {
      // FP32: the logits converted (kept for logits()), softmax, and back to half in the
      // arena for any later op; run_f16 returns the FP32 probabilities themselves.
      const size_t n = size_t{1} * s.m * s.n;
      std::vector<float>& logits = s.in0 == logits_tensor_ ? f16_logits_ : f16_scratch_;
      logits.resize(n);
      kr.to_float(n, in, logits.data());
      f16_probs_.resize(n);
      for (int r = 0; r < s.m; ++r)
        kernels_->softmax(s.n, logits.data() + size_t{1} * r * s.n,
                          f16_probs_.data() + size_t{1} * r * s.n, s.beta);
      kr.from_float(n, f16_probs_.data(), out);
      break;
    }
    case Step::Kind::kCopy:
      break;
    case Step::Kind::kPad:
      pad_step(graph_, s, in, out);
      break;
  }
}

}  // namespace elite
