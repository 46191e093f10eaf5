// Runtime CPU feature detection (x86-64: cpuid + xgetbv). A feature is reported only when
// the CPU has it AND the OS saves the register state it needs (XCR0), so a true flag means
// the instructions can actually run. Detected once, on first use; thread-safe.
#pragma once

#include <string>

namespace elite {

struct CpuFeatures {
  std::string vendor;  // "GenuineIntel", "AuthenticAMD", ...; empty off x86
  std::string brand;   // "AMD EPYC 7B13 64-Core Processor"; empty if unknown
  bool avx = false;
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512vbmi = false;  // byte permutes (vpermi2b): Ice Lake, Zen 4 and later
  bool avx_vnni = false;  // VEX-encoded VNNI (Alder Lake, Zen 5)
  bool avx512fp16 = false;
  // AMX tiles with INT8 dot products (Sapphire Rapids and later). On Linux a process must ask
  // the kernel for the tile state first (arch_prctl ARCH_REQ_XCOMP_PERM); detection does that
  // once and reports amx_int8 only when it was granted.
  bool amx_int8 = false;

  // One line: brand and the flags that are set, e.g. "AMD EPYC ... [avx2 fma f16c]".
  std::string describe() const;
};

const CpuFeatures& cpu_features();

}  // namespace elite
