// PNG decoding with libpng into HWC RGB bytes (layout in image.h).
//
// Every color type is reduced to 8-bit RGB: palette is expanded, gray (1/2/4/8/16 bit)
// is replicated to R=G=B, alpha (an alpha channel or a tRNS chunk) is dropped without
// compositing onto any background. 16-bit samples become round(v * 255 / 65535).
// TensorFlow's official EfficientNet pipeline only ever decodes JPEG, so there is no TF
// behaviour to match here; these are the simplest well-defined choices.
//
// libpng reports errors through longjmp; our error callback saves the message first.
// Reading stops with an error at the end of the data, so a truncated file (including
// one missing its IEND chunk) is an error, never a partially grey image.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "io/image/decode_internal.h"

namespace elite::image_detail {
namespace {

struct PngState {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
  char message[256] = {0};
  std::string problem;
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::vector<uint8_t> pixels;     // decoded rows, 3 or 6 bytes per pixel
  std::vector<png_bytep> rows;
  Image image;
};

void on_error(png_structp png, png_const_charp msg) {
  auto* s = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(s->message, sizeof(s->message), "%s", msg ? msg : "unknown error");
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // ignored, never printed

void on_read(png_structp png, png_bytep out, png_size_t n) {
  auto* s = static_cast<PngState*>(png_get_io_ptr(png));
  if (n > s->size - s->pos) png_error(png, "unexpected end of data");
  std::memcpy(out, s->data + s->pos, n);
  s->pos += n;
}

bool run_decode(PngState* s, bool header_only) {
  s->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, s, on_error, on_warning);
  if (s->png == nullptr) {
    s->problem = "cannot create PNG reader";
    return false;
  }
  s->info = png_create_info_struct(s->png);
  if (s->info == nullptr) {
    s->problem = "cannot create PNG reader";
    return false;
  }
  if (setjmp(png_jmpbuf(s->png))) return false;

  png_set_read_fn(s->png, s, on_read);
  png_set_user_limits(s->png, kMaxImageSide, kMaxImageSide);
  png_read_info(s->png, s->info);
  const png_uint_32 width = png_get_image_width(s->png, s->info);
  const png_uint_32 height = png_get_image_height(s->png, s->info);
  Status dims = check_dimensions(height, width);
  if (!dims.ok()) {
    s->problem = dims.message();
    return false;
  }
  s->image.height = static_cast<int>(height);
  s->image.width = static_cast<int>(width);
  if (header_only) return true;

  const int color_type = png_get_color_type(s->png, s->info);
  const int bit_depth = png_get_bit_depth(s->png, s->info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(s->png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(s->png);
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
    png_set_gray_to_rgb(s->png);
  }
  if (color_type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(s->png);
  png_set_interlace_handling(s->png);
  png_read_update_info(s->png, s->info);

  const int channels = png_get_channels(s->png, s->info);
  const int depth = png_get_bit_depth(s->png, s->info);
  if (channels != 3 || (depth != 8 && depth != 16)) {
    s->problem = "unsupported PNG layout after conversion";
    return false;
  }
  const size_t row_bytes = png_get_rowbytes(s->png, s->info);
  if (row_bytes != size_t(width) * 3 * (depth / 8)) {
    s->problem = "unexpected PNG row size";
    return false;
  }
  s->pixels.resize(row_bytes * height);
  s->rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) s->rows[y] = s->pixels.data() + y * row_bytes;
  png_read_image(s->png, s->rows.data());
  png_read_end(s->png, nullptr);

  if (depth == 8) {
    s->image.rgb = std::move(s->pixels);
  } else {
    // 16-bit samples are big-endian; v * 255 / 65535 rounded to nearest (exact integers).
    const size_t n = size_t(width) * height * 3;
    s->image.rgb.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t v = (uint32_t(s->pixels[2 * i]) << 8) | s->pixels[2 * i + 1];
      s->image.rgb[i] = static_cast<uint8_t>((v * 255 + 32767) / 65535);
    }
  }
  return true;
}

Result<Image> decode(const uint8_t* data, size_t size, bool header_only) {
  PngState s;
  s.data = data;
  s.size = size;
  const bool ok = run_decode(&s, header_only);
  if (s.png != nullptr) png_destroy_read_struct(&s.png, s.info ? &s.info : nullptr, nullptr);
  if (!ok) {
    std::string msg = !s.problem.empty() ? s.problem : std::string(s.message);
    if (msg.empty()) msg = "unknown error";
    return Status::Error("corrupt or truncated PNG: " + msg);
  }
  return std::move(s.image);
}

}  // namespace

Result<Image> decode_png(const uint8_t* data, size_t size) {
  return decode(data, size, /*header_only=*/false);
}

Result<ImageInfo> read_png_info(const uint8_t* data, size_t size) {
  ELITE_ASSIGN_OR_RETURN(Image img, decode(data, size, /*header_only=*/true));
  return ImageInfo{img.height, img.width};
}

}  // namespace elite::image_detail
