// The public Classifier: a thin layer over the .tflite reader, the executor and the
// official preprocessing.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <numeric>
#include <thread>

#include "elite/elite.hpp"
#include "io/image/image.h"
#include "io/tflite/tflite_reader.h"
#include "preprocess/preprocess.h"
#include "preprocess/preprocess_variants.h"
#include "runtime/executor.h"

namespace elite {

struct Classifier::Impl {
  std::unique_ptr<Executor> executor;
  // Single-thread executors for run_batch's image-parallel path, forked on first use: they
  // share the executor's packed weights, so each adds only an activation arena.
  std::vector<std::unique_ptr<Executor>> workers;
  std::vector<std::string> labels;
  std::string path;
  int height = 0, width = 0, classes = 0;
};

Classifier::Classifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;
Classifier::~Classifier() = default;

Result<Classifier> Classifier::load(const std::string& model_path,
                                    const ClassifierOptions& options) {
  ELITE_ASSIGN_OR_RETURN(Graph graph, read_tflite_file(model_path));
  const TensorDesc& in = graph.tensors[graph.input];
  if (in.shape.size() != 4 || in.shape[0] != 1 || in.shape[3] != 3)
    return Status::Error(model_path + ": the model input must be [1, H, W, 3], not " +
                         shape_to_string(std::vector<int64_t>(in.shape.begin(), in.shape.end())));
  auto impl = std::make_unique<Impl>();
  impl->path = model_path;
  impl->height = in.shape[1];
  impl->width = in.shape[2];
  impl->classes = static_cast<int>(graph.tensors[graph.output].numel());
  impl->labels = graph.labels;
  if (!impl->labels.empty() && static_cast<int>(impl->labels.size()) != impl->classes)
    impl->labels.clear();  // metadata that does not fit the output is ignored
  ExecutorOptions eo;
  eo.threads = options.threads;
  eo.precision = options.precision;
  auto executor = Executor::create(std::move(graph), eo);
  if (!executor.ok()) return executor.status().with_context(model_path);
  impl->executor = std::move(executor).value();
  return Classifier(std::move(impl));
}

const std::string& Classifier::model_name() const { return impl_->executor->graph().name; }
int Classifier::input_height() const { return impl_->height; }
int Classifier::input_width() const { return impl_->width; }
int Classifier::num_classes() const { return impl_->classes; }
const std::vector<std::string>& Classifier::labels() const { return impl_->labels; }
const char* Classifier::isa() const { return impl_->executor->isa(); }
int Classifier::threads() const { return impl_->executor->threads(); }
size_t Classifier::arena_bytes() const { return impl_->executor->arena_bytes(); }

Status Classifier::set_labels(std::vector<std::string> labels) {
  if (static_cast<int>(labels.size()) != impl_->classes)
    return Status::Error(std::to_string(labels.size()) + " labels given, but the model has " +
                         std::to_string(impl_->classes) + " classes");
  impl_->labels = std::move(labels);
  return Status::Ok();
}

Result<std::vector<float>> Classifier::run(const float* input, size_t size) {
  std::vector<float> probs(impl_->classes);
  ELITE_RETURN_IF_ERROR(impl_->executor->run(input, size, probs.data(), probs.size()));
  return probs;
}

Result<std::vector<float>> Classifier::run_batch(const float* inputs, int batch,
                                                 size_t size_per_image) {
  if (batch < 1) return Status::Error("batch must be at least 1, got " + std::to_string(batch));
  const size_t expected = size_t{1} * impl_->height * impl_->width * 3;
  if (size_per_image != expected)
    return Status::Error("input has " + std::to_string(size_per_image) +
                         " values per image, the model takes " + std::to_string(expected));
  if (!inputs) return Status::Error("no input");
  const size_t classes = static_cast<size_t>(impl_->classes);
  std::vector<float> probs(classes * batch);
  const int n_workers = std::min(impl_->executor->threads(), batch);
  if (n_workers <= 1) {
    for (int i = 0; i < batch; ++i)
      ELITE_RETURN_IF_ERROR(impl_->executor->run(inputs + i * size_per_image, size_per_image,
                                                 probs.data() + i * classes, classes));
    return probs;
  }
  while (static_cast<int>(impl_->workers.size()) < n_workers)
    impl_->workers.push_back(impl_->executor->fork(1));
  // Each thread takes the next image until none is left; which thread runs an image does
  // not change its result (the kernels do not depend on the thread count).
  std::atomic<int> next{0};
  std::vector<Status> errors(n_workers, Status::Ok());
  auto work = [&](int w) {
    Executor& e = *impl_->workers[w];
    for (int i = next.fetch_add(1); i < batch; i = next.fetch_add(1)) {
      Status s =
          e.run(inputs + i * size_per_image, size_per_image, probs.data() + i * classes, classes);
      if (!s.ok()) {
        errors[w] = std::move(s);
        next.store(batch);
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(n_workers - 1);
  for (int w = 1; w < n_workers; ++w) threads.emplace_back(work, w);
  work(0);
  for (std::thread& t : threads) t.join();
  for (Status& s : errors) ELITE_RETURN_IF_ERROR(s);
  return probs;
}

Result<std::vector<float>> Classifier::run_pixels(const uint8_t* rgb, int height, int width) {
  if (height < 1 || width < 1) return Status::Error("image has no pixels");
  Image image;
  image.height = height;
  image.width = width;
  image.rgb.assign(rgb, rgb + size_t{1} * height * width * 3);
  if (impl_->height != impl_->width)
    return Status::Error(impl_->path + ": non-square model inputs are not supported");
  std::vector<float> x = preprocess_official(image, impl_->height);
  return run(x.data(), x.size());
}

Result<std::vector<float>> Classifier::run_file(const std::string& image_path) {
  return run_file(image_path, Preprocess::kOfficial);
}

Result<std::vector<float>> Classifier::run_file(const std::string& image_path,
                                                Preprocess preprocess) {
  ELITE_ASSIGN_OR_RETURN(std::vector<float> x, preprocess_file(image_path, preprocess));
  return run(x.data(), x.size());
}

Result<std::vector<float>> Classifier::preprocess_file(const std::string& image_path,
                                                       Preprocess preprocess) const {
  switch (preprocess) {
    case Preprocess::kOfficial:
      if (impl_->height != impl_->width)
        return Status::Error(impl_->path + ": non-square model inputs are not supported");
      // Decodes only the crop window, as TF's decode_and_crop_jpeg: bit-exact with the
      // official eval.
      return preprocess_official_file(image_path, impl_->height);
    case Preprocess::kTfliteEval:
      return preprocess_tflite_eval_file(image_path, impl_->height, impl_->width);
    case Preprocess::kMediapipe:
      return preprocess_mediapipe_file(image_path, impl_->height, impl_->width);
  }
  return Status::Error("unknown preprocessing");
}

std::vector<float> Classifier::logits() const {
  const float* l = impl_->executor->logits();
  if (!l) return {};
  return std::vector<float>(l, l + impl_->classes);
}

std::vector<Prediction> Classifier::top_k(const std::vector<float>& scores, int k) const {
  std::vector<int> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  k = std::clamp(k, 0, static_cast<int>(scores.size()));
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
    return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
  });
  std::vector<Prediction> out;
  for (int i = 0; i < k; ++i) {
    Prediction p;
    p.index = order[i];
    p.score = scores[order[i]];
    if (order[i] < static_cast<int>(impl_->labels.size())) p.label = impl_->labels[order[i]];
    out.push_back(std::move(p));
  }
  return out;
}

const char* preprocess_name(Preprocess preprocess) {
  switch (preprocess) {
    case Preprocess::kOfficial: return "official";
    case Preprocess::kTfliteEval: return "tflite-eval";
    case Preprocess::kMediapipe: return "mediapipe";
  }
  return "?";
}

const char* preprocess_description(Preprocess preprocess) {
  switch (preprocess) {
    case Preprocess::kOfficial:
      return "center crop with 32 px padding, TF legacy bicubic, (x - 127) / 128";
    case Preprocess::kTfliteEval:
      return "square central crop 0.875, bilinear, (x - 127.5) / 127.5";
    case Preprocess::kMediapipe:
      return "whole image stretched, bilinear, (x - 127.5) / 127.5";
  }
  return "?";
}

Result<Preprocess> parse_preprocess(const std::string& name) {
  for (Preprocess p : {Preprocess::kOfficial, Preprocess::kTfliteEval, Preprocess::kMediapipe})
    if (name == preprocess_name(p)) return p;
  return Status::Error("unknown preprocessing '" + name +
                       "' (choose official, tflite-eval or mediapipe)");
}

Result<std::vector<std::string>> read_labels_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Status::Error(path + ": cannot open labels file");
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  if (labels.empty()) return Status::Error(path + ": labels file is empty");
  return labels;
}

}  // namespace elite
