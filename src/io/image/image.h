// Image decoding: JPEG (libjpeg-turbo) and PNG (libpng) into 8-bit RGB.
//
// Layout: Image::rgb is HWC, row-major, 3 interleaved channels (R, G, B), one byte each:
// pixel (y, x) channel c is rgb[(y * width + x) * 3 + c]. No row padding.
//
// The format is sniffed from the magic bytes, never from the file name. JPEG decoding
// matches TensorFlow's tf.io.decode_jpeg defaults (see decode_jpeg.cpp); errors come back
// as a Status that names the file, never as a crash, exit() or exception.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/file_bytes.h"  // read_file_bytes, used with the *_memory decoders

namespace elite {

struct Image {
  int height = 0;
  int width = 0;
  std::vector<uint8_t> rgb;  // [height, width, 3]
};

// Limits checked from the header before any pixel memory is allocated.
inline constexpr int kMaxImageSide = 32768;
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 28;

// A rectangle in pixel coordinates: rows [y, y + height), columns [x, x + width).
struct CropWindow {
  int y = 0;
  int x = 0;
  int height = 0;
  int width = 0;
};

Result<Image> decode_image_file(const std::string& path);
Result<Image> decode_image_memory(const uint8_t* data, size_t size,
                                  const std::string& name_for_errors);

// Decodes only `crop` of the image. For JPEG this follows tf.image.decode_and_crop_jpeg
// (libjpeg-turbo jpeg_crop_scanline + jpeg_skip_scanlines). That differs from
// decode-then-crop in the window's left or right edge column (up to 20 levels on the
// ImageNet sample): chroma upsampling there sees only the decode region, not the
// neighbouring pixels. For PNG it decodes the whole image and crops.
// The window must lie inside the image.
Result<Image> decode_image_file_cropped(const std::string& path, const CropWindow& crop);
Result<Image> decode_image_memory_cropped(const uint8_t* data, size_t size,
                                          const std::string& name_for_errors,
                                          const CropWindow& crop);

// Reads width and height from the header without decoding pixels.
struct ImageInfo {
  int height = 0;
  int width = 0;
};
Result<ImageInfo> read_image_info_memory(const uint8_t* data, size_t size,
                                         const std::string& name_for_errors);

}  // namespace elite
