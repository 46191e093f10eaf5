// The global order of instruction sets behind ELITE_ISA (isa_dispatch.h).
#include "kernels/isa_dispatch.h"

namespace elite {

int isa_level(const char* name) {
  static const char* const kOrder[] = {"ref",        "avx2",       "avxvnni", "avx512",
                                       "avx512vnni", "avx512fp16", "amx"};
  for (int i = 0; i < int(sizeof(kOrder) / sizeof(kOrder[0])); ++i)
    if (std::strcmp(kOrder[i], name) == 0) return i;
  return -1;
}

}  // namespace elite
