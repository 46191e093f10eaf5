// FP16 kernel dispatch: the tables of f16_isa_list.inc, chosen by isa_dispatch.h.
#include "core/cpu_features.h"
#include "kernels/f16_kernels.h"
#include "kernels/f16_microkernels.h"
#include "kernels/isa_dispatch.h"

namespace elite {
namespace {

std::vector<IsaEntry<F16Kernels>> entries() {
  const CpuFeatures& cpu = cpu_features();
  (void)cpu;
  std::vector<IsaEntry<F16Kernels>> list;
#define ELITE_F16_ISA(name, supported) list.push_back({#name, &f16_kernels__##name, (supported)});
#include "kernels/f16_isa_list.inc"
#undef ELITE_F16_ISA
  return list;
}

}  // namespace

const F16Kernels* f16_kernels_for(const char* isa) { return find_isa(entries(), isa); }

std::vector<const F16Kernels*> f16_available_kernels() { return supported_isas(entries()); }

const F16Kernels& f16_kernels() {
  static const F16Kernels* const chosen = choose_isa(entries(), "FP16");
  return *chosen;
}

}  // namespace elite
