// cpuid/xgetbv probing behind cpu_features(). The bit positions are from the Intel SDM,
// vol. 2A, CPUID (leaf 1 ECX, leaf 7.0 EBX/ECX/EDX, leaf 7.1 EAX) and XCR0 (vol. 1, 13.3).
#include "core/cpu_features.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define ELITE_X86 1
#endif
#if defined(ELITE_X86) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace elite {
namespace {

#ifdef ELITE_X86
struct Regs {
  uint32_t a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(uint32_t leaf, uint32_t sub) {
  Regs r;
  __cpuid_count(leaf, sub, r.a, r.b, r.c, r.d);
  return r;
}

// xgetbv via inline asm: the _xgetbv intrinsic needs -mxsave on this file.
uint64_t xgetbv0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t{hi} << 32) | lo;
}

bool bit(uint32_t v, int i) { return (v >> i) & 1u; }

// Linux keeps the 8 KiB AMX tile state off until a process asks for it; without permission the
// first tile instruction faults. Returns whether the process may use the tiles.
bool os_allows_amx_tiles() {
#if defined(__linux__) && defined(SYS_arch_prctl)
  constexpr int kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

CpuFeatures detect() {
  CpuFeatures f;
  const Regs r0 = cpuid(0, 0);
  const uint32_t max_leaf = r0.a;
  char vendor[13] = {};
  std::memcpy(vendor + 0, &r0.b, 4);
  std::memcpy(vendor + 4, &r0.d, 4);
  std::memcpy(vendor + 8, &r0.c, 4);
  f.vendor = vendor;

  const Regs ext = cpuid(0x80000000u, 0);
  if (ext.a >= 0x80000004u) {
    char brand[49] = {};
    for (uint32_t i = 0; i < 3; ++i) {
      const Regs r = cpuid(0x80000002u + i, 0);
      std::memcpy(brand + 16 * i + 0, &r.a, 4);
      std::memcpy(brand + 16 * i + 4, &r.b, 4);
      std::memcpy(brand + 16 * i + 8, &r.c, 4);
      std::memcpy(brand + 16 * i + 12, &r.d, 4);
    }
    std::string s = brand;
    const size_t first = s.find_first_not_of(' ');
    const size_t last = s.find_last_not_of(' ');
    f.brand = first == std::string::npos ? "" : s.substr(first, last - first + 1);
  }
  if (max_leaf < 1) return f;

  const Regs r1 = cpuid(1, 0);
  const bool osxsave = bit(r1.c, 27);
  const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  const bool os_ymm = (xcr0 & 0x6) == 0x6;    // XMM + YMM state
  const bool os_zmm = (xcr0 & 0xE6) == 0xE6;  // + opmask, ZMM_Hi256, Hi16_ZMM

  f.avx = os_ymm && bit(r1.c, 28);
  f.fma = f.avx && bit(r1.c, 12);
  f.f16c = f.avx && bit(r1.c, 29);
  if (max_leaf < 7) return f;

  const Regs r7 = cpuid(7, 0);
  f.avx2 = f.avx && bit(r7.b, 5);
  f.avx512f = os_zmm && bit(r7.b, 16);
  f.avx512dq = f.avx512f && bit(r7.b, 17);
  f.avx512bw = f.avx512f && bit(r7.b, 30);
  f.avx512vl = f.avx512f && bit(r7.b, 31);
  f.avx512vnni = f.avx512f && bit(r7.c, 11);
  f.avx512vbmi = f.avx512f && bit(r7.c, 1);
  f.avx512fp16 = f.avx512f && bit(r7.d, 23);
  // AMX-TILE (EDX bit 24) and AMX-INT8 (bit 25); XCR0 bits 17-18 (XTILECFG, XTILEDATA).
  const bool os_tiles = (xcr0 & 0x60000) == 0x60000;
  f.amx_int8 = f.avx512f && os_tiles && bit(r7.d, 24) && bit(r7.d, 25) && os_allows_amx_tiles();
  if (r7.a >= 1) {
    const Regs r71 = cpuid(7, 1);
    f.avx_vnni = f.avx2 && bit(r71.a, 4);
  }
  return f;
}
#else
CpuFeatures detect() { return CpuFeatures{}; }
#endif

}  // namespace

std::string CpuFeatures::describe() const {
  std::string s = brand.empty() ? (vendor.empty() ? "unknown CPU" : vendor) : brand;
  s += " [";
  const struct {
    bool on;
    const char* name;
  } flags[] = {{avx, "avx"},
               {avx2, "avx2"},
               {fma, "fma"},
               {f16c, "f16c"},
               {avx512f, "avx512f"},
               {avx512bw, "avx512bw"},
               {avx512dq, "avx512dq"},
               {avx512vl, "avx512vl"},
               {avx512vnni, "avx512vnni"},
               {avx512vbmi, "avx512vbmi"},
               {avx_vnni, "avxvnni"},
               {avx512fp16, "avx512fp16"},
               {amx_int8, "amx-int8"}};
  bool first = true;
  for (const auto& fl : flags) {
    if (!fl.on) continue;
    if (!first) s += ' ';
    s += fl.name;
    first = false;
  }
  return s + "]";
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace elite
