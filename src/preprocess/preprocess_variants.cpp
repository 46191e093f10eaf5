// tflite-eval and MediaPipe preprocessing; see preprocess_variants.h for the exact steps
// and where they differ from the tools. Layouts: HWC uint8 in, HWC float32 out.
#include "preprocess/preprocess_variants.h"

#include <algorithm>
#include <cmath>

namespace elite {
namespace {

// ComputeInterpolationValues of tflite reference_ops (half_pixel_centers = false).
struct Tap {
  float pos;  // in = out * scale
  int lo, hi;
};

std::vector<Tap> legacy_taps(int in_size, int out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  std::vector<Tap> taps(out_size);
  for (int o = 0; o < out_size; ++o) {
    const float pos = static_cast<float>(o) * scale;
    taps[o].pos = pos;
    taps[o].lo = std::max(static_cast<int>(std::floor(pos)), 0);
    taps[o].hi = std::min(static_cast<int>(std::ceil(pos)), in_size - 1);
  }
  return taps;
}

bool valid(int height, int width, int channels, int out_h, int out_w) {
  return height > 0 && width > 0 && channels > 0 && out_h > 0 && out_w > 0;
}

}  // namespace

CropWindow tflite_eval_center_crop(int height, int width) {
  // cropping_fraction is a proto float; round() promotes the product to double.
  int ch = static_cast<int>(std::round(kTfliteEvalCropFraction * height));
  int cw = static_cast<int>(std::round(kTfliteEvalCropFraction * width));
  const int side = std::max(std::min(ch, cw), 1);
  CropWindow w;
  w.height = side;
  w.width = side;
  w.y = static_cast<int>(std::round((height - side) / 2.0));
  w.x = static_cast<int>(std::round((width - side) / 2.0));
  return w;
}

std::vector<float> resize_bilinear_tflite(const uint8_t* pixels, int height, int width,
                                          int channels, size_t row_stride, int out_h,
                                          int out_w) {
  if (!valid(height, width, channels, out_h, out_w)) return {};
  const std::vector<Tap> ty = legacy_taps(height, out_h);
  const std::vector<Tap> tx = legacy_taps(width, out_w);
  const size_t c = static_cast<size_t>(channels);
  std::vector<float> out(size_t(out_h) * out_w * c);
  for (int y = 0; y < out_h; ++y) {
    const float iy = ty[y].pos;
    const int y0 = ty[y].lo, y1 = ty[y].hi;
    const uint8_t* r0 = pixels + size_t(y0) * row_stride;
    const uint8_t* r1 = pixels + size_t(y1) * row_stride;
    for (int x = 0; x < out_w; ++x) {
      const float ix = tx[x].pos;
      const int x0 = tx[x].lo, x1 = tx[x].hi;
      float* dst = out.data() + (size_t(y) * out_w + x) * c;
      for (size_t k = 0; k < c; ++k) {
        // Same expression and order as the reference (input converted to float first).
        const float v00 = r0[x0 * c + k], v10 = r1[x0 * c + k];
        const float v01 = r0[x1 * c + k], v11 = r1[x1 * c + k];
        dst[k] = v00 * (1 - (iy - y0)) * (1 - (ix - x0)) + v10 * (iy - y0) * (1 - (ix - x0)) +
                 v01 * (1 - (iy - y0)) * (ix - x0) + v11 * (iy - y0) * (ix - x0);
      }
    }
  }
  return out;
}

std::vector<uint8_t> resize_bilinear_u8(const uint8_t* pixels, int height, int width,
                                        int channels, size_t row_stride, int out_h,
                                        int out_w) {
  if (!valid(height, width, channels, out_h, out_w)) return {};
  const std::vector<float> f =
      resize_bilinear_tflite(pixels, height, width, channels, row_stride, out_h, out_w);
  std::vector<uint8_t> out(f.size());
  for (size_t i = 0; i < f.size(); ++i)
    out[i] = static_cast<uint8_t>(std::clamp(std::lrint(f[i]), 0L, 255L));
  return out;
}

std::vector<float> preprocess_tflite_eval(const Image& image, int out_h, int out_w) {
  if (image.height <= 0 || image.width <= 0 || out_h <= 0 || out_w <= 0) return {};
  const CropWindow w = tflite_eval_center_crop(image.height, image.width);
  const size_t stride = size_t(image.width) * 3;
  const uint8_t* origin = image.rgb.data() + size_t(w.y) * stride + size_t(w.x) * 3;
  std::vector<float> out =
      resize_bilinear_tflite(origin, w.height, w.width, 3, stride, out_h, out_w);
  const float mean = 127.5f;
  const float scale = static_cast<float>(1.0 / 127.5);
  for (float& v : out) v = (v - mean) * scale;
  return out;
}

std::vector<float> preprocess_mediapipe(const Image& image, int out_h, int out_w) {
  if (image.height <= 0 || image.width <= 0 || out_h <= 0 || out_w <= 0) return {};
  const std::vector<uint8_t> px = resize_bilinear_u8(image.rgb.data(), image.height,
                                                     image.width, 3, size_t(image.width) * 3,
                                                     out_h, out_w);
  // GetValueRangeTransformation(0, 255, -1, 1): scale = 2 / 255, offset = -1.
  const float scale = 2.0f / 255.0f;
  const float offset = -1.0f;
  std::vector<float> out(px.size());
  for (size_t i = 0; i < px.size(); ++i) out[i] = static_cast<float>(px[i]) * scale + offset;
  return out;
}

Result<std::vector<float>> preprocess_tflite_eval_file(const std::string& path, int out_h,
                                                       int out_w) {
  ELITE_ASSIGN_OR_RETURN(Image image, decode_image_file(path));
  return preprocess_tflite_eval(image, out_h, out_w);
}

Result<std::vector<float>> preprocess_mediapipe_file(const std::string& path, int out_h,
                                                     int out_w) {
  ELITE_ASSIGN_OR_RETURN(Image image, decode_image_file(path));
  return preprocess_mediapipe(image, out_h, out_w);
}

}  // namespace elite
