// Tests for src/io/image: decoding JPEG and PNG files that the tests encode themselves
// with libjpeg / libpng (gray, RGB, CMYK, YCCK, 8/16-bit, palette, alpha, interlace),
// the crop path, and bad input (missing, empty, text, truncated, corrupt, oversized),
// which must come back as an error Status naming the file, never a crash.
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <jpeglib.h>  // after <cstdio>: jpeglib.h needs size_t and FILE
#include <png.h>

#include "io/image/image.h"

namespace elite {
namespace {

namespace fs = std::filesystem;

// ---- encoders ---------------------------------------------------------------------------

// Encodes `pixels` ([h, w, components] bytes) as a baseline JPEG at `quality`.
// in_space: JCS_GRAYSCALE (1), JCS_RGB (3) or JCS_CMYK (4); file_space: the JPEG color
// space (JCS_YCbCr, JCS_GRAYSCALE, JCS_RGB, JCS_CMYK or JCS_YCCK).
std::vector<uint8_t> encode_jpeg(const std::vector<uint8_t>& pixels, int h, int w,
                                 J_COLOR_SPACE in_space, int components,
                                 J_COLOR_SPACE file_space, int quality = 95) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buf, &size);
  cinfo.image_width = w;
  cinfo.image_height = h;
  cinfo.input_components = components;
  cinfo.in_color_space = in_space;
  jpeg_set_defaults(&cinfo);
  jpeg_set_colorspace(&cinfo, file_space);  // CMYK/YCCK also get an Adobe marker
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(pixels.data()) + size_t(cinfo.next_scanline) * w * components;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<uint8_t> out(buf, buf + size);
  free(buf);
  return out;
}

void png_write_to_vector(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}

// Encodes rows of `bit_depth`-bit samples (16-bit big-endian, as PNG stores them).
std::vector<uint8_t> encode_png(const std::vector<uint8_t>& pixels, int h, int w,
                                int color_type, int bit_depth,
                                const std::vector<png_color>& palette = {},
                                bool interlace = false) {
  std::vector<uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    ADD_FAILURE() << "libpng write failed";
    return {};
  }
  png_set_write_fn(png, &out, png_write_to_vector, nullptr);
  png_set_IHDR(png, info, w, h, bit_depth, color_type,
               interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) {
    png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  }
  png_write_info(png, info);
  const size_t row_bytes = pixels.size() / h;
  std::vector<png_bytep> rows(h);
  for (int y = 0; y < h; ++y) rows[y] = const_cast<uint8_t*>(pixels.data()) + y * row_bytes;
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// A smooth RGB gradient, [h, w, 3]; smooth so JPEG reproduces it closely.
std::vector<uint8_t> gradient_rgb(int h, int w) {
  std::vector<uint8_t> p(size_t(h) * w * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* px = &p[(size_t(y) * w + x) * 3];
      px[0] = static_cast<uint8_t>(30 + 180 * x / std::max(1, w - 1));
      px[1] = static_cast<uint8_t>(40 + 160 * y / std::max(1, h - 1));
      px[2] = static_cast<uint8_t>(128);
    }
  }
  return p;
}

// Offset of the SOF0 marker: FF C0, length (2), precision (1), height (2), width (2),
// component count (1), ...; 0 if absent.
size_t find_sof0(const std::vector<uint8_t>& jpg) {
  for (size_t i = 2; i + 10 < jpg.size(); ++i) {
    if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) return i;
  }
  return 0;
}

int max_abs_diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  int m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("elite_image_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    return path;
  }

  // The file must fail to decode with a message that names it.
  void expect_error(const std::string& path, const std::string& fragment = "") {
    Result<Image> r = decode_image_file(path);
    ASSERT_FALSE(r.ok()) << path << " decoded as " << r->width << "x" << r->height;
    EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
    if (!fragment.empty()) {
      EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
    }
  }

  fs::path dir_;
};

// ---- JPEG -------------------------------------------------------------------------------

TEST_F(ImageTest, RgbJpeg) {
  const int h = 23, w = 37;  // not multiples of the 16x16 MCU
  std::vector<uint8_t> src = gradient_rgb(h, w);
  const std::string path = write("rgb.jpg", encode_jpeg(src, h, w, JCS_RGB, 3, JCS_YCbCr));
  Result<Image> r = decode_image_file(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->height, h);
  EXPECT_EQ(r->width, w);
  ASSERT_EQ(r->rgb.size(), size_t(h) * w * 3);
  EXPECT_LE(max_abs_diff(r->rgb, src), 10);
}

TEST_F(ImageTest, GrayJpegIsReplicated) {
  const int h = 16, w = 20;
  std::vector<uint8_t> gray(size_t(h) * w);
  for (size_t i = 0; i < gray.size(); ++i) gray[i] = static_cast<uint8_t>(50 + (i % w) * 8);
  const std::string path =
      write("gray.jpg", encode_jpeg(gray, h, w, JCS_GRAYSCALE, 1, JCS_GRAYSCALE));
  Result<Image> r = decode_image_file(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->height, h);
  ASSERT_EQ(r->width, w);
  int worst = 0;
  for (size_t i = 0; i < gray.size(); ++i) {
    EXPECT_EQ(r->rgb[3 * i], r->rgb[3 * i + 1]);
    EXPECT_EQ(r->rgb[3 * i], r->rgb[3 * i + 2]);
    worst = std::max(worst, std::abs(r->rgb[3 * i] - gray[i]));
  }
  EXPECT_LE(worst, 6);
}

// libjpeg writes an Adobe marker for CMYK and YCCK files and stores the samples as given;
// with the marker present TF (and we) read them as inverted CMYK: R = K * C / 255.
TEST_F(ImageTest, CmykAndYcckJpegUseAdobeConvention) {
  const int h = 16, w = 16;
  for (J_COLOR_SPACE space : {JCS_CMYK, JCS_YCCK}) {
    for (int k : {255, 128}) {
      std::vector<uint8_t> cmyk(size_t(h) * w * 4);
      for (size_t i = 0; i < cmyk.size(); i += 4) {
        cmyk[i] = 200, cmyk[i + 1] = 100, cmyk[i + 2] = 50, cmyk[i + 3] = static_cast<uint8_t>(k);
      }
      const std::string path = write("cmyk.jpg", encode_jpeg(cmyk, h, w, JCS_CMYK, 4, space, 100));
      Result<Image> r = decode_image_file(path);
      ASSERT_TRUE(r.ok()) << r.status().message();
      ASSERT_EQ(r->height, h);
      ASSERT_EQ(r->width, w);
      const int expect[3] = {k * 200 / 255, k * 100 / 255, k * 50 / 255};
      for (size_t i = 0; i < r->rgb.size(); i += 3) {
        for (int c = 0; c < 3; ++c) {
          ASSERT_NEAR(r->rgb[i + c], expect[c], 3) << "space " << space << " k " << k;
        }
      }
    }
  }
}

TEST_F(ImageTest, SharedPandaDecodesToKnownSize) {
  const std::string path = "/work/shared/data/panda.jpg";
  if (!fs::exists(path)) GTEST_SKIP() << path << " not present";
  Result<Image> r = decode_image_file(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->width, 696);
  EXPECT_EQ(r->height, 613);
  EXPECT_EQ(r->rgb.size(), size_t(696) * 613 * 3);
}

TEST_F(ImageTest, JpegCropMatchesFullDecodeAwayFromTheLeftEdge) {
  const int h = 70, w = 90;
  std::vector<uint8_t> src = gradient_rgb(h, w);
  std::vector<uint8_t> bytes = encode_jpeg(src, h, w, JCS_RGB, 3, JCS_YCbCr);
  Result<Image> full = decode_image_memory(bytes.data(), bytes.size(), "mem.jpg");
  ASSERT_TRUE(full.ok()) << full.status().message();
  for (CropWindow c : {CropWindow{0, 0, h, w}, CropWindow{5, 19, 40, 50}, CropWindow{33, 32, 37, 58}}) {
    Result<Image> crop = decode_image_memory_cropped(bytes.data(), bytes.size(), "mem.jpg", c);
    ASSERT_TRUE(crop.ok()) << crop.status().message();
    ASSERT_EQ(crop->height, c.height);
    ASSERT_EQ(crop->width, c.width);
    // Chroma upsampling at the MCU-aligned left edge of the decode region may differ a
    // little from the full decode; the luma-dominated smooth gradient keeps it small.
    int worst = 0;
    for (int y = 0; y < c.height; ++y) {
      for (int x = 0; x < c.width * 3; ++x) {
        const int a = crop->rgb[(size_t(y) * c.width) * 3 + x];
        const int b = full->rgb[(size_t(y + c.y) * w + c.x) * 3 + x];
        worst = std::max(worst, std::abs(a - b));
      }
    }
    EXPECT_LE(worst, 4) << "crop " << c.y << "," << c.x;
  }
  Result<Image> bad = decode_image_memory_cropped(bytes.data(), bytes.size(), "mem.jpg",
                                                  CropWindow{60, 0, 20, 10});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("mem.jpg"), std::string::npos);
}

TEST_F(ImageTest, ImageInfoReadsHeaderOnly) {
  std::vector<uint8_t> bytes = encode_jpeg(gradient_rgb(9, 13), 9, 13, JCS_RGB, 3, JCS_YCbCr);
  Result<ImageInfo> info = read_image_info_memory(bytes.data(), bytes.size(), "x.jpg");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->height, 9);
  EXPECT_EQ(info->width, 13);
}

// ---- PNG --------------------------------------------------------------------------------

TEST_F(ImageTest, Png8BitRgbIsExact) {
  const int h = 5, w = 7;
  std::vector<uint8_t> src(size_t(h) * w * 3);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 37);
  Result<Image> r = decode_image_file(write("rgb.png", encode_png(src, h, w, PNG_COLOR_TYPE_RGB, 8)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->height, h);
  EXPECT_EQ(r->width, w);
  EXPECT_EQ(r->rgb, src);
}

TEST_F(ImageTest, PngInterlacedIsExact) {
  const int h = 11, w = 13;
  std::vector<uint8_t> src(size_t(h) * w * 3);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 11 + 3);
  Result<Image> r = decode_image_file(
      write("adam7.png", encode_png(src, h, w, PNG_COLOR_TYPE_RGB, 8, {}, /*interlace=*/true)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rgb, src);
}

TEST_F(ImageTest, PngRgbaDropsAlphaWithoutCompositing) {
  const int h = 2, w = 3;
  std::vector<uint8_t> src(size_t(h) * w * 4), expect;
  for (size_t i = 0; i < size_t(h) * w; ++i) {
    src[4 * i] = static_cast<uint8_t>(10 * i), src[4 * i + 1] = 77, src[4 * i + 2] = 200;
    src[4 * i + 3] = static_cast<uint8_t>(i * 50);  // includes fully transparent
    expect.insert(expect.end(), {src[4 * i], src[4 * i + 1], src[4 * i + 2]});
  }
  Result<Image> r = decode_image_file(write("rgba.png", encode_png(src, h, w, PNG_COLOR_TYPE_RGBA, 8)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rgb, expect);
}

TEST_F(ImageTest, PngGrayAndGrayAlpha) {
  const int h = 3, w = 4;
  std::vector<uint8_t> gray(size_t(h) * w), ga, expect;
  for (size_t i = 0; i < gray.size(); ++i) {
    gray[i] = static_cast<uint8_t>(i * 20);
    ga.insert(ga.end(), {gray[i], static_cast<uint8_t>(255 - i)});
    expect.insert(expect.end(), {gray[i], gray[i], gray[i]});
  }
  Result<Image> g = decode_image_file(write("g.png", encode_png(gray, h, w, PNG_COLOR_TYPE_GRAY, 8)));
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->rgb, expect);
  Result<Image> a =
      decode_image_file(write("ga.png", encode_png(ga, h, w, PNG_COLOR_TYPE_GRAY_ALPHA, 8)));
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->rgb, expect);
}

TEST_F(ImageTest, Png1BitGrayExpandsTo0And255) {
  const int h = 2, w = 8;
  std::vector<uint8_t> bits = {0b10110000, 0b00000001};  // one byte per row
  Result<Image> r = decode_image_file(write("bw.png", encode_png(bits, h, w, PNG_COLOR_TYPE_GRAY, 1)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  const int row0[8] = {255, 0, 255, 255, 0, 0, 0, 0};
  for (int x = 0; x < 8; ++x) {
    EXPECT_EQ(r->rgb[x * 3], row0[x]) << x;
    EXPECT_EQ(r->rgb[(8 + x) * 3 + 2], x == 7 ? 255 : 0) << x;
  }
}

TEST_F(ImageTest, PngPalette) {
  const int h = 2, w = 2;
  std::vector<png_color> palette = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {9, 8, 7}};
  std::vector<uint8_t> idx = {0, 1, 2, 3};
  Result<Image> r = decode_image_file(
      write("pal.png", encode_png(idx, h, w, PNG_COLOR_TYPE_PALETTE, 8, palette)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<uint8_t> expect = {255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7};
  EXPECT_EQ(r->rgb, expect);
}

TEST_F(ImageTest, Png16BitRoundsTo8Bit) {
  // Samples chosen around rounding boundaries: v / 257 rounded to nearest.
  const uint16_t v[6] = {0, 128, 129, 385, 65535, 32896};
  const uint8_t expect_rgb[6] = {0, 0, 1, 1, 255, 128};
  std::vector<uint8_t> be;
  for (uint16_t s : v) be.insert(be.end(), {static_cast<uint8_t>(s >> 8), static_cast<uint8_t>(s & 0xFF)});
  Result<Image> r = decode_image_file(write("16.png", encode_png(be, 1, 2, PNG_COLOR_TYPE_RGB, 16)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rgb, std::vector<uint8_t>(expect_rgb, expect_rgb + 6));
  // 16-bit gray + alpha: gray replicated, alpha dropped.
  std::vector<uint8_t> ga = {0x80, 0x80, 0x00, 0x01};
  Result<Image> g =
      decode_image_file(write("16ga.png", encode_png(ga, 1, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 16)));
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->rgb, std::vector<uint8_t>({128, 128, 128}));
}

// ---- bad input --------------------------------------------------------------------------

TEST_F(ImageTest, MissingFile) { expect_error((dir_ / "does_not_exist.jpg").string(), "cannot open"); }

TEST_F(ImageTest, EmptyFile) { expect_error(write("empty.jpg", {}), "empty"); }

TEST_F(ImageTest, TextNamedJpg) {
  const std::string text = "this is not an image\n";
  expect_error(write("text.jpg", std::vector<uint8_t>(text.begin(), text.end())),
               "not a JPEG or PNG image");
}

TEST_F(ImageTest, MemoryErrorsNameTheSource) {
  Result<Image> r = decode_image_memory(nullptr, 0, "blob-17");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("blob-17"), std::string::npos);
}

TEST_F(ImageTest, TruncatedJpegIsAnError) {
  const int h = 40, w = 48;
  std::vector<uint8_t> full = encode_jpeg(gradient_rgb(h, w), h, w, JCS_RGB, 3, JCS_YCbCr);
  ASSERT_TRUE(decode_image_memory(full.data(), full.size(), "full").ok());
  for (size_t cut : {size_t(2), size_t(3), size_t(4), size_t(20), size_t(100), full.size() / 2,
                     full.size() - 10, full.size() - 2, full.size() - 1}) {
    std::vector<uint8_t> part(full.begin(), full.begin() + cut);
    expect_error(write("cut" + std::to_string(cut) + ".jpg", part));
  }
}

// TF skips the rows below a crop window without reading them; we still decode them so
// that a file cut below the window is an error too.
TEST_F(ImageTest, TruncatedJpegBelowTheCropIsAnError) {
  const int h = 64, w = 48;
  std::vector<uint8_t> full = encode_jpeg(gradient_rgb(h, w), h, w, JCS_RGB, 3, JCS_YCbCr);
  const CropWindow top{0, 8, 16, 16};
  ASSERT_TRUE(decode_image_memory_cropped(full.data(), full.size(), "ok.jpg", top).ok());
  for (size_t cut : {full.size() * 3 / 4, full.size() - 2}) {
    Result<Image> r = decode_image_memory_cropped(full.data(), cut, "cut.jpg", top);
    ASSERT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_NE(r.status().message().find("cut.jpg"), std::string::npos);
  }
}

TEST_F(ImageTest, TruncatedPngIsAnError) {
  const int h = 20, w = 30;
  std::vector<uint8_t> src(size_t(h) * w * 3);
  std::mt19937 rng(7);
  for (uint8_t& b : src) b = static_cast<uint8_t>(rng());
  std::vector<uint8_t> full = encode_png(src, h, w, PNG_COLOR_TYPE_RGB, 8);
  for (size_t cut : {size_t(8), size_t(12), size_t(20), size_t(33), size_t(60), full.size() / 2,
                     full.size() - 13, full.size() - 4, full.size() - 1}) {
    std::vector<uint8_t> part(full.begin(), full.begin() + cut);
    expect_error(write("cut" + std::to_string(cut) + ".png", part));
  }
}

TEST_F(ImageTest, CorruptHeadersAreErrors) {
  const int h = 16, w = 16;
  std::vector<uint8_t> jpg = encode_jpeg(gradient_rgb(h, w), h, w, JCS_RGB, 3, JCS_YCbCr);
  const size_t sof = find_sof0(jpg);
  ASSERT_NE(sof, 0u);
  std::vector<uint8_t> bad = jpg;
  bad[sof + 4] = 9;  // sample precision 9 bits
  expect_error(write("badprecision.jpg", bad));
  bad = jpg;
  bad[sof + 2] = 0, bad[sof + 3] = 2;  // SOF segment length too short
  expect_error(write("badlength.jpg", bad));
  bad = jpg;
  bad[sof + 9] = 0;  // zero components
  expect_error(write("nocomponents.jpg", bad));
  std::vector<uint8_t> png = encode_png(gradient_rgb(h, w), h, w, PNG_COLOR_TYPE_RGB, 8);
  bad = png;
  bad[16] ^= 0xFF;  // IHDR width: the chunk CRC no longer matches
  expect_error(write("badihdr.png", bad));
}

// Random byte flips anywhere: decoding may fail or produce garbage, but never crash.
TEST_F(ImageTest, RandomCorruptionNeverCrashes) {
  const int h = 32, w = 40;
  std::vector<uint8_t> jpg = encode_jpeg(gradient_rgb(h, w), h, w, JCS_RGB, 3, JCS_YCbCr);
  std::vector<uint8_t> png = encode_png(gradient_rgb(h, w), h, w, PNG_COLOR_TYPE_RGB, 8);
  std::mt19937 rng(1234);
  for (const std::vector<uint8_t>* src : {&jpg, &png}) {
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<uint8_t> b = *src;
      const int flips = 1 + trial % 8;
      for (int f = 0; f < flips; ++f) b[3 + rng() % (b.size() - 3)] = static_cast<uint8_t>(rng());
      Result<Image> r = decode_image_memory(b.data(), b.size(), "fuzzed");
      if (r.ok()) {
        EXPECT_EQ(r->rgb.size(), size_t(r->height) * r->width * 3);
      } else {
        EXPECT_NE(r.status().message().find("fuzzed"), std::string::npos);
      }
    }
  }
}

TEST_F(ImageTest, AbsurdDimensionsAreRefusedBeforeAllocating) {
  std::vector<uint8_t> jpg = encode_jpeg(gradient_rgb(8, 8), 8, 8, JCS_RGB, 3, JCS_YCbCr);
  // Patch the SOF0 frame header to 40000x40000.
  const size_t sof = find_sof0(jpg);
  ASSERT_NE(sof, 0u);
  jpg[sof + 5] = 40000 >> 8, jpg[sof + 6] = 40000 & 0xFF;
  jpg[sof + 7] = 40000 >> 8, jpg[sof + 8] = 40000 & 0xFF;
  expect_error(write("huge.jpg", jpg), "too large");
  // 20000 x 20000 passes the per-side limit but not the pixel limit.
  jpg[sof + 5] = 20000 >> 8, jpg[sof + 6] = 20000 & 0xFF;
  jpg[sof + 7] = 20000 >> 8, jpg[sof + 8] = 20000 & 0xFF;
  expect_error(write("huge2.jpg", jpg), "too large");
}

}  // namespace
}  // namespace elite
