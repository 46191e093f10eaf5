// FP32 kernel dispatch: the tables of f32_isa_list.inc, chosen by isa_dispatch.h (the best the
// CPU runs, capped by ELITE_ISA). Decided once, on first call (thread-safe static).
#include "core/cpu_features.h"
#include "kernels/f32_kernels.h"
#include "kernels/f32_microkernels.h"
#include "kernels/isa_dispatch.h"

namespace elite {
namespace {

std::vector<IsaEntry<F32Kernels>> entries() {
  const CpuFeatures& cpu = cpu_features();
  (void)cpu;
  std::vector<IsaEntry<F32Kernels>> list;
#define ELITE_F32_ISA(name, supported) list.push_back({#name, &f32_kernels__##name, (supported)});
#include "kernels/f32_isa_list.inc"
#undef ELITE_F32_ISA
  return list;
}

}  // namespace

const F32Kernels* f32_kernels_for(const char* isa) { return find_isa(entries(), isa); }

std::vector<const F32Kernels*> f32_available_kernels() { return supported_isas(entries()); }

const F32Kernels& f32_kernels() {
  static const F32Kernels* const chosen = choose_isa(entries(), "FP32");
  return *chosen;
}

}  // namespace elite
