// Preprocessing of other tools, for models trained or evaluated elsewhere. The official
// EfficientNet eval (preprocess.h) stays the default; these reproduce:
//
//   tflite-eval  TFLite's ImageNet accuracy tool (tensorflow/lite/tools/evaluation/stages/
//                image_classification_stage.cc + image_preprocessing_stage.cc):
//                  1. decode the whole image to RGB;
//                  2. square central crop: side = min(round(0.875 * H), round(0.875 * W)),
//                     offsets round((H - side) / 2.0), round((W - side) / 2.0)
//                     (round = half away from zero, as std::round);
//                  3. tflite::reference_ops::ResizeBilinear, align_corners = false,
//                     half_pixel_centers = false: in = out * (in_size / out_size) in float,
//                     taps floor(in) and min(ceil(in), size - 1), float arithmetic in the
//                     reference's order, no rounding (float output);
//                  4. (x - 127.5) * (1 / 127.5) (AddDefaultNormalizationStep for float).
//                Difference: the tool decodes JPEG with JDCT_ISLOW; elite's decoder uses
//                TF's JDCT_IFAST for every path, so pixels can differ by a level or two.
//   mediapipe    MediaPipe's ImageClassifier (ImageToTensorCalculator, OpenCV converter):
//                  1. the whole image, no crop, stretched to the input size (aspect ratio
//                     not kept): cv::warpPerspective with INTER_LINEAR and BORDER_REPLICATE
//                     of the full-image rectangle onto the output, i.e. in = out * (in_size
//                     / out_size) sampled bilinearly with edge clamping;
//                  2. the warped pixels are uint8 (rounded), then convertTo float with
//                     scale 2/255 and offset -1: range [-1, 1] (= (x - 127.5) / 127.5).
//                Difference: OpenCV interpolates in fixed point (1/32 pixel positions,
//                15-bit weights); we interpolate in float and round, so a pixel can differ
//                by one level.
//
// Output: HWC float32 [out_h, out_w, 3], out[(y * out_w + x) * 3 + c]. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/image/image.h"

namespace elite {

inline constexpr float kTfliteEvalCropFraction = 0.875f;

// Step 2 of tflite-eval: the square central crop window.
CropWindow tflite_eval_center_crop(int height, int width);

// tflite::reference_ops::ResizeBilinear (legacy sampling) of an HWC uint8 image with
// `channels` channels and row stride `row_stride` bytes, to float [out_h, out_w, channels].
std::vector<float> resize_bilinear_tflite(const uint8_t* pixels, int height, int width,
                                          int channels, size_t row_stride, int out_h,
                                          int out_w);

// Bilinear stretch with legacy sampling (in = out * in_size / out_size), edge clamped, each
// result rounded to the nearest uint8 (as warpPerspective into a CV_8UC3 Mat).
std::vector<uint8_t> resize_bilinear_u8(const uint8_t* pixels, int height, int width,
                                        int channels, size_t row_stride, int out_h,
                                        int out_w);

// The whole tflite-eval pipeline on a decoded image. Empty if the image or size is empty.
std::vector<float> preprocess_tflite_eval(const Image& image, int out_h, int out_w);
// The whole MediaPipe pipeline on a decoded image. Empty if the image or size is empty.
std::vector<float> preprocess_mediapipe(const Image& image, int out_h, int out_w);

// Decode `path` (JPEG or PNG), then the pipeline above.
Result<std::vector<float>> preprocess_tflite_eval_file(const std::string& path, int out_h,
                                                       int out_w);
Result<std::vector<float>> preprocess_mediapipe_file(const std::string& path, int out_h,
                                                     int out_w);

}  // namespace elite
