// Internal entry points of the image decoders, shared by decode.cpp (format sniffing,
// file reading) and the per-format files. Same layout as image.h: HWC RGB bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "io/image/image.h"

namespace elite::image_detail {

// `crop` may be null (whole image). Errors carry the problem only; callers add the name.
Result<Image> decode_jpeg(const uint8_t* data, size_t size, const CropWindow* crop);
Result<Image> decode_png(const uint8_t* data, size_t size);
Result<ImageInfo> read_jpeg_info(const uint8_t* data, size_t size);
Result<ImageInfo> read_png_info(const uint8_t* data, size_t size);

// Checked before allocating: positive, at most kMaxImageSide per side and kMaxImagePixels.
Status check_dimensions(int64_t height, int64_t width);

}  // namespace elite::image_detail
