// Executor: runs an inference Graph on the CPU.
//   create  validates shapes, picks kernels (f32_kernels()), packs weights, plans memory
//   run     copies the input in, runs every op over the thread pool, copies the output out;
//           no allocation happens inside run
// FLOAT32 graphs run on the F32 kernel table. Graphs with any INT8/UINT8 tensor (TFLite
// full-integer quantization) run on the QS8 table (qs8_steps.cpp), bit-exact with TFLite's
// reference kernels; their arena is planned in bytes by element type. For them run() still
// takes and returns floats: a UINT8/INT8 graph input is quantized with its own scale and
// zero point (TFLite AffineQuantize: round half away from zero of x / scale, + zero point,
// clamped), and a UINT8/INT8 output is dequantized (scale * (q - zero point)). run_raw()
// passes the bytes of the input and output tensors through unchanged.
// A FLOAT32 graph may also run in half precision (Precision::kFloat16, `--precision fp16`):
// weights packed to half, activations kept in half in an arena of half the size, on the F16
// table (f16_kernels.h); run() still takes and returns floats (converted at the edges), and a
// final SOFTMAX runs in FP32 on the converted logits.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/status.h"
#include "core/threadpool.h"
#include "elite/elite.hpp"  // Precision
#include "kernels/f16_kernels.h"
#include "kernels/f32_kernels.h"
#include "kernels/qs8_kernels.h"
#include "model/graph.h"

namespace elite {

struct ExecutorOptions {
  int threads = 1;
  // Arithmetic of a FLOAT32 graph; kFloat16 needs no particular CPU (the reference kernels
  // run anywhere, slowly) but is fast only with AVX512-FP16. Asking for it on a quantized
  // graph is an error.
  Precision precision = Precision::kFloat32;
  // FP16 kernel table; nullptr = f16_kernels() (the best for this CPU). Tests pass others.
  const F16Kernels* f16_kernels = nullptr;
  // Keep the input of a final SOFTMAX readable after run() (see logits()).
  bool keep_logits = true;
  // Kernel table to use; nullptr = f32_kernels() (the best for this CPU). Tests pass others.
  const F32Kernels* kernels = nullptr;
  // INT8 kernel table for quantized graphs; nullptr = the best available (now "ref").
  const QS8Kernels* qs8_kernels = nullptr;
};

// Called after each op with the op's index, its output tensor and the tensor's bytes in the
// arena (FLOAT32: floats, or halves (half_t) when running in fp16; INT8/UINT8: bytes, see
// the tensor's dtype and quant).
using TensorObserver = std::function<void(int op_index, int tensor, const void* data)>;

class Executor {
 public:
  // Takes the graph by value: pass an rvalue to avoid a copy of the weights. The float
  // weights are released once packed, so graph() keeps shapes and names only.
  static Result<std::unique_ptr<Executor>> create(Graph graph, const ExecutorOptions& options);
  ~Executor();

  // input: graph input tensor values (NHWC), output: graph output values.
  Status run(const float* input, size_t input_size, float* output, size_t output_size);
  // The graph input and output tensors as raw bytes of their dtypes (e.g. UINT8 pixels in,
  // UINT8 probabilities out); sizes in bytes must equal numel * element size.
  Status run_raw(const void* input, size_t input_bytes, void* output, size_t output_bytes);
  // run() that also reports every op's output to `observer` (calibration, error reports).
  Status run_observed(const float* input, size_t input_size, float* output, size_t output_size,
                      const TensorObserver& observer);
  // True when a FLOAT32 graph runs in half precision.
  bool half_precision() const { return f16_ != nullptr; }
  // True when the graph has INT8/UINT8 tensors (runs on the QS8 kernels).
  bool quantized() const { return qs8_ != nullptr; }
  // Another executor of the same model with its own thread count, arena and logits, sharing
  // this one's prepared steps and packed weights (read-only once prepared): e.g. one
  // single-thread executor per thread to run several images at once. Results equal this
  // executor's bit for bit. Either may outlive the other.
  std::unique_ptr<Executor> fork(int threads) const;

  const Graph& graph() const { return graph_; }
  const TensorDesc& input_desc() const { return graph_.tensors[graph_.input]; }
  const TensorDesc& output_desc() const { return graph_.tensors[graph_.output]; }
  // The pre-softmax values of the last run, or nullptr when the graph has no final softmax.
  const float* logits() const;
  size_t arena_bytes() const { return arena_.size() * sizeof(float); }
  const char* isa() const;
  int threads() const { return pool_->threads(); }

  struct Step;
  struct QStep;
  struct Qs8Program;

 private:
  Executor() = default;
  Status prepare();
  void run_step(const Step& step);
  void run_f16_step(const Step& step);  // f16_steps.cpp
  Status run_f16(const float* input, float* output, size_t output_size,
                 const TensorObserver* observer);
  Status prepare_qs8(const QS8Kernels* kernels);  // qs8_steps.cpp
  void run_qs8_step(const QStep& step);
  Status run_qs8(const float* input, size_t input_size, float* output, size_t output_size,
                 const TensorObserver* observer);
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(arena_.data()); }

  Graph graph_;
  const F32Kernels* kernels_ = nullptr;
  std::unique_ptr<ThreadPool> pool_;
  std::shared_ptr<const std::vector<Step>> steps_;  // immutable once prepared; shared by fork()
  std::vector<size_t> offset_;
  AlignedBuffer arena_;
  int logits_tensor_ = -1;
  std::unique_ptr<Qs8Program> qs8_;  // set for quantized graphs
  const F16Kernels* f16_ = nullptr;  // set when running in half precision
  std::vector<float> f16_logits_;    // FP32 input of the final softmax (logits())
  std::vector<float> f16_probs_;     // FP32 output of the last softmax
  std::vector<float> f16_scratch_;   // FP32 input of a softmax whose logits are not kept
};

}  // namespace elite
