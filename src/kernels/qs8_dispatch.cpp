// INT8 kernel dispatch, as dispatch.cpp does for FP32: which ISA tables exist
// (qs8_isa_list.inc), which this CPU can run (cpu_features), and the one the runtime uses:
// the best supported, lowered by ELITE_ISA=ref|avx2|... Decided once, on first call
// (thread-safe static). The choice is logged to stderr only when ELITE_ISA cannot be honored.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/cpu_features.h"
#include "kernels/qs8_kernels.h"
#include "kernels/qs8_microkernels.h"

namespace elite {
namespace {

struct IsaEntry {
  const char* name;
  const QS8Kernels* table;
  bool supported;
};

// Lowest ISA first, as listed in qs8_isa_list.inc.
std::vector<IsaEntry> isa_entries() {
  const CpuFeatures& cpu = cpu_features();
  (void)cpu;
  std::vector<IsaEntry> entries;
#define ELITE_QS8_ISA(name, supported) \
  entries.push_back({#name, &qs8_kernels__##name, (supported)});
#include "kernels/qs8_isa_list.inc"
#undef ELITE_QS8_ISA
  return entries;
}

const QS8Kernels* choose() {
  const std::vector<IsaEntry> entries = isa_entries();
  const QS8Kernels* best = nullptr;
  for (const IsaEntry& e : entries)
    if (e.supported) best = e.table;  // entries go lowest to highest

  const char* env = std::getenv("ELITE_ISA");
  if (env == nullptr || *env == '\0') return best;
  for (const IsaEntry& e : entries) {
    if (std::strcmp(e.name, env) != 0) continue;
    if (e.supported) return e.table;
    std::fprintf(stderr, "elite: ELITE_ISA=%s is not supported by this CPU; using %s for INT8\n",
                 env, best->isa);
    return best;
  }
  // ELITE_ISA also names FP32 ISAs (avx512): the INT8 side then uses the best one it has
  // below that level. An ISA with no INT8 table of its own lowers silently to the best table.
  if (!std::strcmp(env, "avx512")) return best;
  std::fprintf(stderr, "elite: no INT8 kernels for ELITE_ISA=%s; using %s\n", env, best->isa);
  return best;
}

}  // namespace

const QS8Kernels* qs8_kernels_for(const char* isa) {
  if (isa == nullptr) return nullptr;
  for (const IsaEntry& e : isa_entries())
    if (std::strcmp(e.name, isa) == 0) return e.supported ? e.table : nullptr;
  return nullptr;
}

std::vector<const QS8Kernels*> qs8_available_kernels() {
  std::vector<const QS8Kernels*> out;
  for (const IsaEntry& e : isa_entries())
    if (e.supported) out.push_back(e.table);
  return out;
}

const QS8Kernels& qs8_kernels() {
  static const QS8Kernels* const chosen = choose();
  return *chosen;
}

}  // namespace elite
