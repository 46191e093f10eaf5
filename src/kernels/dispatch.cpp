// FP32 kernel dispatch: which ISA tables exist (f32_isa_list.inc), which this CPU can run
// (cpu_features), and the one the runtime uses: the best supported, lowered by
// ELITE_ISA=ref|avx2|avx512. Decided once, on first call (thread-safe static).
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/cpu_features.h"
#include "kernels/f32_kernels.h"
#include "kernels/f32_microkernels.h"

namespace elite {
namespace {

struct IsaEntry {
  const char* name;
  const F32Kernels* table;
  bool supported;
};

// Lowest ISA first, as listed in f32_isa_list.inc.
std::vector<IsaEntry> isa_entries() {
  const CpuFeatures& cpu = cpu_features();
  (void)cpu;
  std::vector<IsaEntry> entries;
#define ELITE_F32_ISA(name, supported) \
  entries.push_back({#name, &f32_kernels__##name, (supported)});
#include "kernels/f32_isa_list.inc"
#undef ELITE_F32_ISA
  return entries;
}

const F32Kernels* choose() {
  const std::vector<IsaEntry> entries = isa_entries();
  const F32Kernels* best = nullptr;
  for (const IsaEntry& e : entries)
    if (e.supported) best = e.table;  // entries go lowest to highest

  const char* env = std::getenv("ELITE_ISA");
  if (env == nullptr || *env == '\0') return best;
  for (const IsaEntry& e : entries) {
    if (std::strcmp(e.name, env) != 0) continue;
    if (e.supported) return e.table;
    std::fprintf(stderr, "elite: ELITE_ISA=%s is not supported by this CPU; using %s\n", env,
                 best->isa);
    return best;
  }
  const bool known =
      !std::strcmp(env, "ref") || !std::strcmp(env, "avx2") || !std::strcmp(env, "avx512");
  std::fprintf(stderr, "elite: %s ELITE_ISA=%s (expected ref, avx2 or avx512); using %s\n",
               known ? "this build did not compile in" : "unknown", env, best->isa);
  return best;
}

}  // namespace

const F32Kernels* f32_kernels_for(const char* isa) {
  if (isa == nullptr) return nullptr;
  for (const IsaEntry& e : isa_entries())
    if (std::strcmp(e.name, isa) == 0) return e.supported ? e.table : nullptr;
  return nullptr;
}

std::vector<const F32Kernels*> f32_available_kernels() {
  std::vector<const F32Kernels*> out;
  for (const IsaEntry& e : isa_entries())
    if (e.supported) out.push_back(e.table);
  return out;
}

const F32Kernels& f32_kernels() {
  static const F32Kernels* const chosen = choose();  // the stderr warning prints at most once
  return *chosen;
}

}  // namespace elite
