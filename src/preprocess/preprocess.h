// The official EfficientNet(-lite) evaluation preprocessing (tensorflow/tpu
// models/official/efficientnet/preprocessing.py, _decode_and_center_crop with
// CROP_PADDING = 32, then tf.compat.v1.image.resize_bicubic, then (x - 127) / 128).
//
// Input: Image (HWC uint8 RGB). Output: NHWC float32 [size, size, 3] without the batch
// dimension, i.e. out[(y * size + x) * 3 + c]. Pure functions: no I/O, no globals.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/image/image.h"

namespace elite {

inline constexpr int kCropPadding = 32;
inline constexpr float kMeanRgb = 127.0f;
inline constexpr float kStddevRgb = 128.0f;

// crop = int(size / (size + 32) * min(H, W)) (in float32, as the TF graph computes it), then
// offsets ((H - crop) + 1) // 2 and ((W - crop) + 1) // 2. The crop is at least 1 pixel
// (TF would reject a 0-pixel crop; only images with a 1-pixel side get there).
CropWindow official_center_crop(int height, int width, int size);

// tf.compat.v1.image.resize_bicubic(align_corners=False, half_pixel_centers=False) of an
// HWC uint8 image with `channels` channels and row stride `row_stride` bytes, to
// [out_h, out_w, channels] float. Legacy sampling in = out * (in_size / out_size),
// Keys cubic with a = -0.75 from TF's 1025-entry weight table, taps clamped to the
// edge, no antialiasing and no clamping of the result; float arithmetic in TF's order
// (rows first, then columns), so results match TF to float rounding.
std::vector<float> resize_bicubic_legacy(const uint8_t* pixels, int height, int width,
                                         int channels, size_t row_stride, int out_h,
                                         int out_w);

// Center crop (official_center_crop), bicubic resize to size x size, (x - 127) / 128.
// Returns [size, size, 3] floats; empty if the image is empty or size <= 0.
// From an already decoded image this is decode-then-crop: for JPEGs it differs from TF
// at the crop's edge column (about 10% of ImageNet images, up to 0.2 after normalizing;
// see image.h). Use preprocess_official_file / _memory for TF-exact results.
std::vector<float> preprocess_official(const Image& image, int size);

// Same, for an image that is already the crop (as decode_and_crop_jpeg returns it):
// resize to size x size and normalize.
std::vector<float> preprocess_cropped(const Image& crop, int size);

// The TF pipeline exactly: read the header, decode only the center crop the way
// tf.image.decode_and_crop_jpeg does (this can differ from decoding the whole image
// and cropping by a few levels at the crop edge, see image.h), resize, normalize.
Result<std::vector<float>> preprocess_official_file(const std::string& path, int size);
Result<std::vector<float>> preprocess_official_memory(const uint8_t* data, size_t size_bytes,
                                                      const std::string& name_for_errors,
                                                      int size);

}  // namespace elite
