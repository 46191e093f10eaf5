// Calibration for post-training quantization: runs the FP32 graph over calibration images
// (official eval preprocessing) and records, per activation tensor, the range that PTQ
// turns into an INT8 scale and zero point.
//
//   minmax      the smallest and largest value seen (what TFLite's converter records)
//   percentile  a second pass histograms every tensor over its min..max (2048 bins) and
//               keeps the central `percentile` % of the values (e.g. 99.99: 0.005 % cut
//               from each side; ReLU outputs keep their exact 0). The logits (FC outputs)
//               and MEAN outputs keep min-max: clipping the largest logits changes top-1.
//
// Work is spread over threads, one FP32 executor each, images taken in any order; the
// merged statistics (min/max, integer histogram counts) do not depend on the order, so the
// result is deterministic whatever the thread count. Unreadable images are skipped and
// reported; calibration fails only when no image is usable.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/graph.h"

namespace elite {

enum class CalibrationMethod { kMinMax, kPercentile };

const char* calibration_method_name(CalibrationMethod method);
// "minmax" or "percentile"; the error lists the choices.
Result<CalibrationMethod> parse_calibration_method(const std::string& name);

struct TensorRange {
  float min = 0.0f, max = 0.0f;
  bool seen = false;  // produced by an op during calibration
};

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::kMinMax;
  double percentile = 99.99;
  int threads = 1;
  // Called from worker threads (serialize yourself) with the images done so far and the
  // total of this pass; `pass` is 1, or 2 for the percentile histograms.
  std::function<void(int pass, int done, int total)> progress;
};

struct SkippedImage {
  std::string path;
  std::string message;
};

struct CalibrationResult {
  std::vector<TensorRange> ranges;  // per graph tensor
  int images_used = 0;
  std::vector<SkippedImage> skipped;  // in file order
};

// The image files (.jpg, .jpeg, .png, any case) directly in `dir`, sorted by name, at most
// `max_images`. Errors: not a directory, cannot be read, or no image file in it.
Result<std::vector<std::string>> list_calibration_images(const std::string& dir, int max_images);

// Runs `graph` (FLOAT32, input [1,S,S,3]) on each image. Error if none could be read.
Result<CalibrationResult> calibrate(const Graph& graph, const std::vector<std::string>& images,
                                    const CalibrationOptions& options);

}  // namespace elite
