// Executor: runs an inference Graph on the CPU.
//   create  validates shapes, picks kernels (f32_kernels()), packs weights, plans memory
//   run     copies the input in, runs every op over the thread pool, copies the output out;
//           no allocation happens inside run
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/status.h"
#include "core/threadpool.h"
#include "kernels/f32_kernels.h"
#include "model/graph.h"

namespace elite {

struct ExecutorOptions {
  int threads = 1;
  // Keep the input of a final SOFTMAX readable after run() (see logits()).
  bool keep_logits = true;
  // Kernel table to use; nullptr = f32_kernels() (the best for this CPU). Tests pass others.
  const F32Kernels* kernels = nullptr;
};

class Executor {
 public:
  // Takes the graph by value: pass an rvalue to avoid a copy of the weights. The float
  // weights are released once packed, so graph() keeps shapes and names only.
  static Result<std::unique_ptr<Executor>> create(Graph graph, const ExecutorOptions& options);
  ~Executor();

  // input: graph input tensor values (NHWC), output: graph output values.
  Status run(const float* input, size_t input_size, float* output, size_t output_size);

  const Graph& graph() const { return graph_; }
  const TensorDesc& input_desc() const { return graph_.tensors[graph_.input]; }
  const TensorDesc& output_desc() const { return graph_.tensors[graph_.output]; }
  // The pre-softmax values of the last run, or nullptr when the graph has no final softmax.
  const float* logits() const;
  size_t arena_bytes() const { return arena_.size() * sizeof(float); }
  const char* isa() const { return kernels_->isa; }
  int threads() const { return pool_->threads(); }

  struct Step;

 private:
  Executor() = default;
  Status prepare();
  void run_step(const Step& step);

  Graph graph_;
  const F32Kernels* kernels_ = nullptr;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<Step> steps_;
  std::vector<size_t> offset_;
  AlignedBuffer arena_;
  int logits_tensor_ = -1;
};

}  // namespace elite
