// Front end of the image decoders: reads files, sniffs the format from magic bytes and
// dispatches to decode_jpeg.cpp / decode_png.cpp. Output layout: HWC RGB bytes (image.h).
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "io/image/decode_internal.h"
#include "io/image/image.h"

namespace elite {
namespace {

enum class Format { kUnknown, kJpeg, kPng };

// JPEG: SOI marker FF D8 followed by another marker (FF). PNG: the 8-byte signature.
Format sniff(const uint8_t* data, size_t size) {
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return Format::kJpeg;
  if (size >= 8 && std::memcmp(data, kPng, 8) == 0) return Format::kPng;
  return Format::kUnknown;
}

Status check_input(const uint8_t* data, size_t size, Format* format) {
  if (data == nullptr || size == 0) return Status::Error("empty image data");
  *format = sniff(data, size);
  if (*format == Format::kUnknown) return Status::Error("not a JPEG or PNG image");
  return Status::Ok();
}

}  // namespace

namespace image_detail {

Status check_dimensions(int64_t height, int64_t width) {
  if (height <= 0 || width <= 0) {
    return Status::Error("invalid image size " + std::to_string(width) + "x" +
                         std::to_string(height));
  }
  if (height > kMaxImageSide || width > kMaxImageSide || height * width > kMaxImagePixels) {
    return Status::Error("image too large: " + std::to_string(width) + "x" +
                         std::to_string(height) + " (limit " + std::to_string(kMaxImageSide) +
                         " per side, " + std::to_string(kMaxImagePixels) + " pixels)");
  }
  return Status::Ok();
}

}  // namespace image_detail

Result<Image> decode_image_memory(const uint8_t* data, size_t size,
                                  const std::string& name_for_errors) {
  Format format;
  Status st = check_input(data, size, &format);
  if (!st.ok()) return st.with_context(name_for_errors);
  Result<Image> r = format == Format::kJpeg ? image_detail::decode_jpeg(data, size, nullptr)
                                            : image_detail::decode_png(data, size);
  if (!r.ok()) return r.status().with_context(name_for_errors);
  return r;
}

Result<Image> decode_image_memory_cropped(const uint8_t* data, size_t size,
                                          const std::string& name_for_errors,
                                          const CropWindow& crop) {
  Format format;
  Status st = check_input(data, size, &format);
  if (!st.ok()) return st.with_context(name_for_errors);
  if (format == Format::kJpeg) {
    Result<Image> r = image_detail::decode_jpeg(data, size, &crop);
    if (!r.ok()) return r.status().with_context(name_for_errors);
    return r;
  }
  Result<Image> full = image_detail::decode_png(data, size);
  if (!full.ok()) return full.status().with_context(name_for_errors);
  const Image& img = full.value();
  if (crop.height <= 0 || crop.width <= 0 || crop.y < 0 || crop.x < 0 ||
      crop.y + crop.height > img.height || crop.x + crop.width > img.width) {
    return Status::Error(name_for_errors + ": crop window outside the " +
                         std::to_string(img.width) + "x" + std::to_string(img.height) +
                         " image");
  }
  Image out;
  out.height = crop.height;
  out.width = crop.width;
  out.rgb.resize(size_t(crop.height) * crop.width * 3);
  for (int y = 0; y < crop.height; ++y) {
    const uint8_t* src = img.rgb.data() + (size_t(crop.y + y) * img.width + crop.x) * 3;
    std::memcpy(out.rgb.data() + size_t(y) * crop.width * 3, src, size_t(crop.width) * 3);
  }
  return out;
}

Result<ImageInfo> read_image_info_memory(const uint8_t* data, size_t size,
                                         const std::string& name_for_errors) {
  Format format;
  Status st = check_input(data, size, &format);
  if (!st.ok()) return st.with_context(name_for_errors);
  Result<ImageInfo> r = format == Format::kJpeg ? image_detail::read_jpeg_info(data, size)
                                                : image_detail::read_png_info(data, size);
  if (!r.ok()) return r.status().with_context(name_for_errors);
  return r;
}

Result<Image> decode_image_file(const std::string& path) {
  ELITE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file_bytes(path));
  if (bytes.empty()) return Status::Error(path + ": empty file");
  return decode_image_memory(bytes.data(), bytes.size(), path);
}

Result<Image> decode_image_file_cropped(const std::string& path, const CropWindow& crop) {
  ELITE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file_bytes(path));
  if (bytes.empty()) return Status::Error(path + ": empty file");
  return decode_image_memory_cropped(bytes.data(), bytes.size(), path, crop);
}

}  // namespace elite
