// Run-time choice of a kernel table, shared by every kernel family (FP32, INT8, FP16).
//
// Each family lists its tables lowest first in an X-macro file (f32_isa_list.inc, ...), each
// with the CPU test that says whether this machine can run it. The runtime uses the last
// supported one. ELITE_ISA=<name> sets a ceiling on one global order of instruction sets,
//   ref < avx2 < avxvnni < avx512 < avx512vnni < avx512fp16 < amx,
// so one variable lowers every family at once: with ELITE_ISA=avx512 the FP32 kernels are
// "avx512" and the INT8 ones the best table at or below it ("avxvnni" or "avx2").
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace elite {

// Position of an ISA name in the global order above, or -1 for an unknown name.
int isa_level(const char* name);

template <class Table>
struct IsaEntry {
  const char* name;
  const Table* table;
  bool supported;
};

// The best supported table at or below ELITE_ISA (all of them when it is unset). Warns on
// stderr, once per family, when ELITE_ISA is unknown or above what the CPU runs.
template <class Table>
const Table* choose_isa(const std::vector<IsaEntry<Table>>& entries, const char* family) {
  const char* env = std::getenv("ELITE_ISA");
  const bool forced = env != nullptr && *env != '\0';
  const int ceiling = forced ? isa_level(env) : 1 << 30;
  if (forced && ceiling < 0)
    std::fprintf(stderr,
                 "elite: unknown ELITE_ISA=%s (expected ref, avx2, avxvnni, avx512, avx512vnni, "
                 "avx512fp16 or amx); ignored\n",
                 env);
  const Table* best = nullptr;
  const Table* capped = nullptr;
  for (const IsaEntry<Table>& e : entries) {  // lowest first
    if (!e.supported) continue;
    best = e.table;
    if (ceiling < 0 || isa_level(e.name) <= ceiling) capped = e.table;
  }
  if (forced && ceiling >= 0) {
    bool exact_unsupported = false;
    for (const IsaEntry<Table>& e : entries)
      exact_unsupported = exact_unsupported || (!e.supported && !std::strcmp(e.name, env));
    if (exact_unsupported)
      std::fprintf(stderr, "elite: this CPU does not run ELITE_ISA=%s; %s kernels: %s\n", env,
                   family, capped->isa);
  }
  return capped ? capped : best;
}

template <class Table>
const Table* find_isa(const std::vector<IsaEntry<Table>>& entries, const char* isa) {
  if (isa == nullptr) return nullptr;
  for (const IsaEntry<Table>& e : entries)
    if (std::strcmp(e.name, isa) == 0) return e.supported ? e.table : nullptr;
  return nullptr;
}

template <class Table>
std::vector<const Table*> supported_isas(const std::vector<IsaEntry<Table>>& entries) {
  std::vector<const Table*> out;
  for (const IsaEntry<Table>& e : entries)
    if (e.supported) out.push_back(e.table);
  return out;
}

}  // namespace elite
