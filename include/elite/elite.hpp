// elite: EfficientNet-lite image classification in C++.
//
//   auto clf = elite::Classifier::load("models/efficientnet-lite0.tflite", {.threads = 2});
//   if (!clf.ok()) { /* clf.status().message() names the file and the problem */ }
//   auto probs = clf->run_file("panda.jpg");          // official eval preprocessing
//   for (const auto& p : clf->top_k(*probs, 5)) printf("%s %.3f\n", p.label.c_str(), p.score);
//
// Inputs are RGB; tensors are NHWC float32 [1, H, W, 3] holding (pixel - 127) / 128.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "elite/status.h"

namespace elite {

struct Prediction {
  int index = 0;
  float score = 0.0f;
  std::string label;  // empty when the model carries no label names
};

// How an image file becomes the input tensor (see src/preprocess/).
//   kOfficial    EfficientNet's eval: center crop with 32 px padding, TF legacy bicubic,
//                (x - 127) / 128; bit-exact with TensorFlow. The default everywhere.
//   kTfliteEval  TFLite's ImageNet eval tool: square central crop of 0.875, bilinear,
//                (x - 127.5) / 127.5.
//   kMediapipe   MediaPipe's image classifier: the whole image stretched to the input size
//                (bilinear), then [-1, 1] ((x - 127.5) / 127.5).
enum class Preprocess { kOfficial, kTfliteEval, kMediapipe };

// "official", "tflite-eval", "mediapipe".
const char* preprocess_name(Preprocess preprocess);
// A one-line description of the steps, for logs.
const char* preprocess_description(Preprocess preprocess);
// Parses a name as printed by preprocess_name; the error lists the choices.
Result<Preprocess> parse_preprocess(const std::string& name);

// Arithmetic of a float model. kFloat16 keeps weights and activations in half precision
// (the softmax in FP32); it is fast on CPUs with AVX512-FP16 and runs anywhere else on slow
// reference kernels. INT8 models are INT8 whatever is asked: choosing kFloat16 for one is an
// error.
enum class Precision { kFloat32, kFloat16 };

// "fp32", "fp16".
const char* precision_name(Precision precision);
// Parses a name as printed by precision_name; the error lists the choices.
Result<Precision> parse_precision(const std::string& name);

struct ClassifierOptions {
  int threads = 1;
  Precision precision = Precision::kFloat32;
};

class Classifier {
 public:
  // Loads a float .tflite file and prepares it to run (weights packed, memory planned).
  static Result<Classifier> load(const std::string& model_path,
                                 const ClassifierOptions& options = {});
  Classifier(Classifier&&) noexcept;
  Classifier& operator=(Classifier&&) noexcept;
  ~Classifier();

  const std::string& model_name() const;  // e.g. "efficientnet-lite0", or empty
  int input_height() const;
  int input_width() const;
  int num_classes() const;
  const std::vector<std::string>& labels() const;
  // Replaces the label names (e.g. from a --labels file); size must equal num_classes().
  Status set_labels(std::vector<std::string> labels);

  // Runs the model on a preprocessed tensor of input_height x input_width x 3 floats.
  // Returns the class probabilities.
  Result<std::vector<float>> run(const float* input, size_t size);
  // Runs the model on `batch` preprocessed tensors stored one after the other, each of
  // size_per_image (= input_height x input_width x 3) floats. Returns batch x num_classes()
  // probabilities, image after image, bit for bit those of run() on each image alone.
  // With threads() > 1 and batch > 1 the images run in parallel, one per thread, on
  // single-thread executors made on the first such call (they share the packed weights and
  // stay allocated: one activation arena each);
  // otherwise they run one by one as run() does. logits() is unspecified afterwards.
  Result<std::vector<float>> run_batch(const float* inputs, int batch, size_t size_per_image);
  // Decoded RGB pixels (height x width x 3 bytes): official preprocessing, then run().
  Result<std::vector<float>> run_pixels(const uint8_t* rgb, int height, int width);
  // A JPEG or PNG file: decode, official preprocessing, run().
  Result<std::vector<float>> run_file(const std::string& image_path);
  // A JPEG or PNG file with the chosen preprocessing, then run().
  Result<std::vector<float>> run_file(const std::string& image_path, Preprocess preprocess);
  // Only the decode and preprocessing of run_file: the input tensor (input_height x
  // input_width x 3 floats). Const and free of shared state, so several threads may call
  // it at once (e.g. to decode ahead while run() works); the result does not depend on
  // which thread computed it.
  Result<std::vector<float>> preprocess_file(const std::string& image_path,
                                             Preprocess preprocess = Preprocess::kOfficial) const;

  // Pre-softmax values of the last run (empty if the model does not end in softmax).
  std::vector<float> logits() const;
  // The k highest scores, best first; ties go to the lower index.
  std::vector<Prediction> top_k(const std::vector<float>& scores, int k) const;

  const char* isa() const;  // kernel set in use: "avx512", "avx2" or "ref"
  int threads() const;
  size_t arena_bytes() const;

 private:
  struct Impl;
  explicit Classifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads label names, one per line (trailing CR stripped).
Result<std::vector<std::string>> read_labels_file(const std::string& path);

}  // namespace elite
