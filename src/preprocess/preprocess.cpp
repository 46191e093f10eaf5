// Official EfficientNet eval preprocessing: center crop, TF legacy bicubic, normalize.
// Layouts: input HWC uint8 (row stride in bytes), output HWC float32, channels last.
//
// The bicubic resize reproduces TF's resize_bicubic_op.cc (legacy, non-half-pixel path):
//   scale      = float(in) / float(out)                      (float, as TF)
//   in_loc_f   = float(o) * scale;  in_loc = floor(in_loc_f);  delta = in_loc_f - in_loc
//   offset     = lrintf(delta * 1024)                           (round half to even)
//   weights    = table[offset].w1, table[offset].w0, table[1024-offset].w0,
//                table[1024-offset].w1 for taps in_loc-1 .. in_loc+2, clamped to [0, in)
// with the table entry i holding the cubic kernel (a = -0.75) at x = i/1024 and x + 1,
// evaluated in double and stored as float. Each output is first interpolated down the
// rows for every needed column, then across the columns, each as w0*v0 + w1*v1 + w2*v2 +
// w3*v3 summed left to right in float: the same operations as TF, so the only possible
// differences are from compiler contraction into FMA (none without -mfma).
#include "preprocess/preprocess.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace elite {
namespace {

constexpr int kTableSize = 1024;

struct CubicTable {
  // [i][0]: kernel at x = i / 1024 (the near taps), [i][1]: at x = 1 + i / 1024 (far taps).
  std::array<std::array<float, 2>, kTableSize + 1> w;
};

const CubicTable& cubic_table() {
  static const CubicTable table = [] {
    CubicTable t;
    const double a = -0.75;
    for (int i = 0; i <= kTableSize; ++i) {
      float x = static_cast<float>(i * 1.0 / kTableSize);
      t.w[i][0] = static_cast<float>(((a + 2) * x - (a + 3)) * x * x + 1);
      x += 1.0f;
      t.w[i][1] = static_cast<float>(((a * x - 5 * a) * x + 8 * a) * x - 4 * a);
    }
    return t;
  }();
  return table;
}

struct Taps {
  int index[4];
  float weight[4];
};

std::vector<Taps> compute_taps(int in_size, int out_size) {
  const CubicTable& table = cubic_table();
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  std::vector<Taps> taps(out_size);
  for (int o = 0; o < out_size; ++o) {
    const float in_loc_f = static_cast<float>(o) * scale;
    const int64_t in_loc = static_cast<int64_t>(std::floor(in_loc_f));
    const float delta = in_loc_f - static_cast<float>(in_loc);
    const long offset = std::lrintf(delta * static_cast<float>(kTableSize));
    Taps& t = taps[o];
    t.weight[0] = table.w[offset][1];
    t.weight[1] = table.w[offset][0];
    t.weight[2] = table.w[kTableSize - offset][0];
    t.weight[3] = table.w[kTableSize - offset][1];
    for (int k = 0; k < 4; ++k) {
      t.index[k] = static_cast<int>(std::clamp<int64_t>(in_loc - 1 + k, 0, in_size - 1));
    }
  }
  return taps;
}

}  // namespace

CropWindow official_center_crop(int height, int width, int size) {
  // preprocessing.py multiplies the Python float size / (size + 32) by a tf.float32
  // tensor, so the product is float32. Double gives the same crop for every side up to
  // 40000 at sizes 224..380 (checked), but float32 is what TF computes.
  const float fraction =
      static_cast<float>(static_cast<double>(size) / static_cast<double>(size + kCropPadding));
  int crop = static_cast<int>(fraction * static_cast<float>(std::min(height, width)));
  crop = std::max(crop, 1);
  CropWindow w;
  w.height = crop;
  w.width = crop;
  w.y = ((height - crop) + 1) / 2;  // non-negative, so C++ / equals Python //
  w.x = ((width - crop) + 1) / 2;
  return w;
}

std::vector<float> resize_bicubic_legacy(const uint8_t* pixels, int height, int width,
                                         int channels, size_t row_stride, int out_h,
                                         int out_w) {
  if (height <= 0 || width <= 0 || channels <= 0 || out_h <= 0 || out_w <= 0) return {};
  const std::vector<Taps> ytaps = compute_taps(height, out_h);
  const std::vector<Taps> xtaps = compute_taps(width, out_w);
  // Only columns some x tap reads need the vertical pass.
  int col_lo = width - 1, col_hi = 0;
  for (const Taps& t : xtaps) {
    col_lo = std::min(col_lo, t.index[0]);
    col_hi = std::max(col_hi, t.index[3]);
  }
  const size_t c = static_cast<size_t>(channels);
  std::vector<float> column(size_t(width) * c);  // one row of vertically interpolated values
  std::vector<float> out(size_t(out_h) * out_w * c);
  for (int y = 0; y < out_h; ++y) {
    const Taps& ty = ytaps[y];
    const uint8_t* r0 = pixels + size_t(ty.index[0]) * row_stride;
    const uint8_t* r1 = pixels + size_t(ty.index[1]) * row_stride;
    const uint8_t* r2 = pixels + size_t(ty.index[2]) * row_stride;
    const uint8_t* r3 = pixels + size_t(ty.index[3]) * row_stride;
    const float w0 = ty.weight[0], w1 = ty.weight[1], w2 = ty.weight[2], w3 = ty.weight[3];
    for (size_t j = size_t(col_lo) * c, end = size_t(col_hi + 1) * c; j < end; ++j) {
      column[j] = static_cast<float>(r0[j]) * w0 + static_cast<float>(r1[j]) * w1 +
                  static_cast<float>(r2[j]) * w2 + static_cast<float>(r3[j]) * w3;
    }
    float* dst = out.data() + size_t(y) * out_w * c;
    for (int x = 0; x < out_w; ++x) {
      const Taps& tx = xtaps[x];
      const float* v0 = column.data() + size_t(tx.index[0]) * c;
      const float* v1 = column.data() + size_t(tx.index[1]) * c;
      const float* v2 = column.data() + size_t(tx.index[2]) * c;
      const float* v3 = column.data() + size_t(tx.index[3]) * c;
      for (size_t k = 0; k < c; ++k) {
        dst[x * c + k] = v0[k] * tx.weight[0] + v1[k] * tx.weight[1] + v2[k] * tx.weight[2] +
                         v3[k] * tx.weight[3];
      }
    }
  }
  return out;
}

std::vector<float> preprocess_cropped(const Image& crop, int size) {
  if (crop.height <= 0 || crop.width <= 0 || size <= 0) return {};
  std::vector<float> out = resize_bicubic_legacy(crop.rgb.data(), crop.height, crop.width, 3,
                                                 size_t(crop.width) * 3, size, size);
  for (float& v : out) v = (v - kMeanRgb) / kStddevRgb;
  return out;
}

std::vector<float> preprocess_official(const Image& image, int size) {
  if (image.height <= 0 || image.width <= 0 || size <= 0) return {};
  const CropWindow w = official_center_crop(image.height, image.width, size);
  const size_t stride = size_t(image.width) * 3;
  const uint8_t* origin = image.rgb.data() + size_t(w.y) * stride + size_t(w.x) * 3;
  std::vector<float> out =
      resize_bicubic_legacy(origin, w.height, w.width, 3, stride, size, size);
  for (float& v : out) v = (v - kMeanRgb) / kStddevRgb;
  return out;
}

Result<std::vector<float>> preprocess_official_memory(const uint8_t* data, size_t size_bytes,
                                                      const std::string& name_for_errors,
                                                      int size) {
  if (size <= 0) return Status::Error(name_for_errors + ": invalid output size");
  ELITE_ASSIGN_OR_RETURN(ImageInfo info,
                         read_image_info_memory(data, size_bytes, name_for_errors));
  const CropWindow w = official_center_crop(info.height, info.width, size);
  ELITE_ASSIGN_OR_RETURN(Image crop,
                         decode_image_memory_cropped(data, size_bytes, name_for_errors, w));
  return preprocess_cropped(crop, size);
}

Result<std::vector<float>> preprocess_official_file(const std::string& path, int size) {
  ELITE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file_bytes(path));
  if (bytes.empty()) return Status::Error(path + ": empty file");
  return preprocess_official_memory(bytes.data(), bytes.size(), path, size);
}

}  // namespace elite
