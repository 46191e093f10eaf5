// INT8 kernel dispatch: the tables of qs8_isa_list.inc, chosen by isa_dispatch.h (the best the
// CPU runs, capped by ELITE_ISA). Decided once, on first call (thread-safe static).
#include "core/cpu_features.h"
#include "kernels/isa_dispatch.h"
#include "kernels/qs8_kernels.h"
#include "kernels/qs8_microkernels.h"

namespace elite {
namespace {

std::vector<IsaEntry<QS8Kernels>> entries() {
  const CpuFeatures& cpu = cpu_features();
  (void)cpu;
  std::vector<IsaEntry<QS8Kernels>> list;
#define ELITE_QS8_ISA(name, supported) list.push_back({#name, &qs8_kernels__##name, (supported)});
#include "kernels/qs8_isa_list.inc"
#undef ELITE_QS8_ISA
  return list;
}

}  // namespace

const QS8Kernels* qs8_kernels_for(const char* isa) { return find_isa(entries(), isa); }

std::vector<const QS8Kernels*> qs8_available_kernels() { return supported_isas(entries()); }

const QS8Kernels& qs8_kernels() {
  static const QS8Kernels* const chosen = choose_isa(entries(), "INT8");
  return *chosen;
}

}  // namespace elite
