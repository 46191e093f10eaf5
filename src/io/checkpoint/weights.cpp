// Format sniffing and file loading for read_weights_file / read_weights_memory.
#include "io/checkpoint/weights.h"


#include <cstdio>
#include <new>
#include <vector>

#include "io/file_bytes.h"
#include "io/checkpoint/formats.h"

namespace elite {

Result<WeightMap> read_weights_memory(const uint8_t* data, size_t size, const std::string& name) {
  const std::string ctx = name;
  if (size == 0) return Status::Error(ctx + ": file is empty");
  Result<WeightMap> r = Status::Error("unreachable");
  try {
    if (size >= 4 && data[0] == 'P' && data[1] == 'K' &&
        ((data[2] == 3 && data[3] == 4) || (data[2] == 5 && data[3] == 6))) {
      r = ckpt::read_pth_zip(data, size);
    } else if (data[0] == 0x80) {
      r = ckpt::read_pth_legacy(data, size);
    } else if (size >= 9 && data[8] == '{') {
      r = ckpt::read_safetensors(data, size);
    } else {
      char hex[40];
      std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", data[0], size > 1 ? data[1] : 0,
                    size > 2 ? data[2] : 0, size > 3 ? data[3] : 0);
      return Status::Error(ctx + ": not a PyTorch checkpoint (zip or legacy) or safetensors file "
                           "(starts with bytes " + hex + ")");
    }
  } catch (const std::bad_alloc&) {
    return Status::Error(ctx + ": out of memory while reading");
  } catch (const std::exception& e) {
    return Status::Error(ctx + ": " + e.what());
  }
  if (!r.ok()) return r.status().with_context(ctx);
  return r;
}

Result<WeightMap> read_weights_file(const std::string& path) {
  ELITE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file_bytes(path));
  return read_weights_memory(bytes.data(), bytes.size(), path);
}

}  // namespace elite
