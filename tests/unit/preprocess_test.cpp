// Tests for src/preprocess: the official center-crop arithmetic, TF legacy bicubic on
// hand-computed cases, constant images staying constant, and output layout/normalization.
// Parity with TensorFlow itself is checked by tests/python/check_preprocess_tf.py.
#include <algorithm>
#include <cmath>
#include <string>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "preprocess/preprocess.h"

namespace elite {
namespace {

Image make_image(int h, int w, const std::vector<uint8_t>& rgb) { return Image{h, w, rgb}; }

TEST(PreprocessTest, CenterCropArithmetic) {
  struct Case {
    int h, w, size, crop, y, x;
  };
  const Case cases[] = {
      {480, 640, 224, 420, 30, 110},   // 0.875 * 480
      {375, 500, 224, 328, 24, 86},    // 328.125 -> 328; (47 + 1) // 2, (172 + 1) // 2
      {333, 500, 240, 293, 20, 104},   // 240/272 * 333 = 293.82
      {500, 333, 240, 293, 104, 20},   // transposed
      {331, 331, 260, 294, 19, 19},    // 260/292 * 331 = 294.7; (37 + 1) // 2
      {101, 77, 300, 69, 16, 4},       // 300/332 * 77 = 69.58; (32 + 1) // 2, (8 + 1) // 2
      {1, 1, 224, 1, 0, 0},            // would be 0: clamped to 1
  };
  for (const Case& c : cases) {
    CropWindow w = official_center_crop(c.h, c.w, c.size);
    EXPECT_EQ(w.height, c.crop) << c.h << "x" << c.w << " @" << c.size;
    EXPECT_EQ(w.width, c.crop);
    EXPECT_EQ(w.y, c.y) << c.h << "x" << c.w << " @" << c.size;
    EXPECT_EQ(w.x, c.x) << c.h << "x" << c.w << " @" << c.size;
  }
}

TEST(PreprocessTest, ConstantImageStaysConstant) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 6; ++trial) {
    const int h = 5 + rng() % 300, w = 5 + rng() % 300, size = 224 + 16 * (trial % 3);
    const uint8_t color[3] = {static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()), 255};
    std::vector<uint8_t> rgb(size_t(h) * w * 3);
    for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = color[i % 3];
    std::vector<float> out = preprocess_official(make_image(h, w, rgb), size);
    ASSERT_EQ(out.size(), size_t(size) * size * 3);
    for (size_t i = 0; i < out.size(); ++i) {
      const float expect = (color[i % 3] - 127.0f) / 128.0f;
      ASSERT_NEAR(out[i], expect, 2e-5f) << h << "x" << w << " i=" << i;
    }
  }
}

// 3 -> 2 along each axis: scale 1.5. Output 0 samples input 0 exactly (delta 0: weights
// 0, 1, 0, 0). Output 1 sits at 1.5 (delta 0.5): weights k(1.5), k(0.5), k(0.5), k(1.5)
// with a = -0.75: k(0.5) = 1.25/8 - 2.25/4 + 1 = 0.59375, k(1.5) = -0.75 * 0.125 =
// -0.09375, on taps 0, 1, 2, 3 -> 2 (clamped). For [10, 20, 40]:
// -0.9375 + 11.875 + 23.75 - 3.75 = 30.9375 (all exact in float).
TEST(PreprocessTest, BicubicHandComputed) {
  const uint8_t cols[3] = {10, 20, 40};
  std::vector<uint8_t> rows_same(9), cols_same(9);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 3; ++x) {
      rows_same[y * 3 + x] = cols[x];  // varies along x only
      cols_same[y * 3 + x] = cols[y];  // varies along y only
    }
  }
  std::vector<float> a = resize_bicubic_legacy(rows_same.data(), 3, 3, 1, 3, 2, 2);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_FLOAT_EQ(a[0], 10.0f);
  EXPECT_FLOAT_EQ(a[1], 30.9375f);
  EXPECT_FLOAT_EQ(a[2], 10.0f);
  EXPECT_FLOAT_EQ(a[3], 30.9375f);
  std::vector<float> b = resize_bicubic_legacy(cols_same.data(), 3, 3, 1, 3, 2, 2);
  EXPECT_FLOAT_EQ(b[0], 10.0f);
  EXPECT_FLOAT_EQ(b[1], 10.0f);
  EXPECT_FLOAT_EQ(b[2], 30.9375f);
  EXPECT_FLOAT_EQ(b[3], 30.9375f);
}

// Overshoot is kept: a step edge rings below 0 and above 255 (TF does not clamp).
TEST(PreprocessTest, BicubicOutputIsNotClamped) {
  const uint8_t step[4] = {0, 0, 255, 255};
  std::vector<float> out = resize_bicubic_legacy(step, 1, 4, 1, 4, 1, 3);  // scale 4/3
  float lo = 0, hi = 255;
  for (float v : out) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_TRUE(lo < 0.0f || hi > 255.0f) << out[0] << " " << out[1] << " " << out[2];
}

// Same size: scale 1, every delta 0, so the resize is the identity.
TEST(PreprocessTest, SameSizeResizeIsIdentity) {
  std::vector<uint8_t> rgb(7 * 5 * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 13);
  std::vector<float> out = resize_bicubic_legacy(rgb.data(), 7, 5, 3, 5 * 3, 7, 5);
  ASSERT_EQ(out.size(), rgb.size());
  for (size_t i = 0; i < rgb.size(); ++i) EXPECT_EQ(out[i], float(rgb[i]));
}

// The crop is taken from the right place: an image whose crop window is one color and
// whose border is another must come out as the crop color only if the taps stay inside.
TEST(PreprocessTest, UsesTheCenterCropWindow) {
  const int h = 300, w = 400, size = 224;
  const CropWindow c = official_center_crop(h, w, size);  // 262 at (19, 69)
  std::vector<uint8_t> rgb(size_t(h) * w * 3, 0);
  for (int y = c.y; y < c.y + c.height; ++y) {
    for (int x = c.x; x < c.x + c.width; ++x) {
      for (int k = 0; k < 3; ++k) rgb[(size_t(y) * w + x) * 3 + k] = 255;
    }
  }
  std::vector<float> out = preprocess_official(make_image(h, w, rgb), size);
  for (float v : out) ASSERT_NEAR(v, 1.0f, 2e-5f);  // (255 - 127) / 128
}

TEST(PreprocessTest, FileEntryPointReportsErrors) {
  Result<std::vector<float>> r = preprocess_official_file("/nonexistent/dir/x.jpg", 224);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/dir/x.jpg"), std::string::npos);
  const uint8_t text[] = "plain text";
  r = preprocess_official_memory(text, sizeof(text), "notes.jpg", 224);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not a JPEG or PNG image"), std::string::npos);
}

// On the shared panda image the TF-style crop decode gives the same shape and stays
// close to decode-then-crop (they differ only at the crop's edge column).
TEST(PreprocessTest, CropDecodeAgreesWithFullDecode) {
  const std::string path = "/work/shared/data/panda.jpg";
  Result<Image> img = decode_image_file(path);
  if (!img.ok()) GTEST_SKIP() << img.status().message();
  Result<std::vector<float>> a = preprocess_official_file(path, 224);
  ASSERT_TRUE(a.ok()) << a.status().message();
  std::vector<float> b = preprocess_official(img.value(), 224);
  ASSERT_EQ(a->size(), b.size());
  float worst = 0;
  for (size_t i = 0; i < b.size(); ++i) worst = std::max(worst, std::abs((*a)[i] - b[i]));
  EXPECT_LT(worst, 0.25f);
}

TEST(PreprocessTest, EmptyInputGivesEmptyOutput) {
  EXPECT_TRUE(preprocess_official(Image{}, 224).empty());
  EXPECT_TRUE(preprocess_official(make_image(1, 1, {1, 2, 3}), 0).empty());
}

TEST(PreprocessTest, SmallImagesUpscale) {
  std::vector<float> out = preprocess_official(make_image(1, 1, {127, 255, 0}), 8);
  ASSERT_EQ(out.size(), 8u * 8 * 3);
  EXPECT_NEAR(out[0], 0.0f, 1e-6f);
  EXPECT_NEAR(out[1], 1.0f, 1e-6f);
  EXPECT_NEAR(out[2], -127.0f / 128.0f, 1e-6f);
}

}  // namespace
}  // namespace elite
