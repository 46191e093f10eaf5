// This machine's own arithmetic peaks, per core (<name>/per_core) and for all cores at once
// (<name>/all_cores/real_time/threads:N):
//   fp32_fma/avx2     vfmadd231ps ymm     8 multiply-adds = 16 FLOP per instruction
//   fp32_fma/avx512   vfmadd231ps zmm     16 multiply-adds = 32 FLOP          (if AVX-512F)
//   fp16_fma/avx512fp16 vfmadd231ph zmm  32 multiply-adds = 64 FLOP          (if AVX512-FP16)
//   int8_madd/avx2    vpmaddwd ymm + vpaddd: 16 int16 multiply-adds into int32 (the
//                     instruction pair of elite's AVX2 INT8 kernels, which widen int8 to int16)
//   int8_dot/avxvnni  vpdpbusd ymm        32 u8 x s8 multiply-adds            (if AVX-VNNI)
//   int8_dot/avx512vnni vpdpbusd zmm      64 u8 x s8 multiply-adds            (if AVX512-VNNI)
//   int8_dot/amx_tdpbssd  tdpbssd 16x16x64 16384 s8 x s8 multiply-adds       (if AMX-INT8, with
//                     Linux's tile permission; 4 accumulator tiles, the blocking of elite's AMX GEMM)
// Each loop keeps 10-12 independent accumulator chains (more than latency x issue width on
// current x86 cores) and only register operands, so it measures the execution ports and
// nothing else.
// Counters: FLOPS (FP32 or FP16, G = 1e9 per second) or MACS (INT8 multiply-adds per second).
// Variants the CPU cannot run are named on stderr and skipped; the loops are inline assembly,
// so the file needs no ISA flags.
// On a shared machine take the "max" row of --benchmark_repetitions (the least disturbed).
//   peak_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

#include "core/cpu_features.h"

#ifndef ELITE_GIT_COMMIT
#define ELITE_GIT_COMMIT ""
#endif

namespace elite {
namespace {

// The loops are inline assembly, so that what runs is exactly the instruction named (a
// compiler may spill, fold constant loops away or hoist invariant multiplies). Accumulators
// start at zero (no denormals, no NaNs; integer values may wrap, which costs nothing).
constexpr int64_t kInnerIterations = 1 << 14;

// 12 chains of vfmadd231ps ymm (ymm0..11 += ymm12 * ymm13): 12 > latency 4 x 2 ports.
constexpr int kFmaChains = 12;
int64_t fp32_fma_ymm(int64_t iterations) {
  asm volatile(
      "vxorps %%ymm0, %%ymm0, %%ymm0\n\t"
      "vxorps %%ymm1, %%ymm1, %%ymm1\n\tvxorps %%ymm2, %%ymm2, %%ymm2\n\t"
      "vxorps %%ymm3, %%ymm3, %%ymm3\n\tvxorps %%ymm4, %%ymm4, %%ymm4\n\t"
      "vxorps %%ymm5, %%ymm5, %%ymm5\n\tvxorps %%ymm6, %%ymm6, %%ymm6\n\t"
      "vxorps %%ymm7, %%ymm7, %%ymm7\n\tvxorps %%ymm8, %%ymm8, %%ymm8\n\t"
      "vxorps %%ymm9, %%ymm9, %%ymm9\n\tvxorps %%ymm10, %%ymm10, %%ymm10\n\t"
      "vxorps %%ymm11, %%ymm11, %%ymm11\n\tvxorps %%ymm12, %%ymm12, %%ymm12\n\t"
      "vxorps %%ymm13, %%ymm13, %%ymm13\n\t"
      "1:\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm0\n\tvfmadd231ps %%ymm12, %%ymm13, %%ymm1\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm2\n\tvfmadd231ps %%ymm12, %%ymm13, %%ymm3\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm4\n\tvfmadd231ps %%ymm12, %%ymm13, %%ymm5\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm6\n\tvfmadd231ps %%ymm12, %%ymm13, %%ymm7\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm8\n\tvfmadd231ps %%ymm12, %%ymm13, %%ymm9\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm10\n\tvfmadd231ps %%ymm12, %%ymm13, %%ymm11\n\t"
      "dec %0\n\tjnz 1b\n\t"
      "vzeroupper"
      : "+r"(iterations)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "cc");
  return iterations;
}

// The same with zmm (AVX-512F): 16 FLOP x 2 per instruction.
int64_t fp32_fma_zmm(int64_t iterations) {
  asm volatile(
      "vxorps %%xmm0, %%xmm0, %%xmm0\n\t"
      "vmovaps %%zmm0, %%zmm1\n\tvmovaps %%zmm0, %%zmm2\n\tvmovaps %%zmm0, %%zmm3\n\t"
      "vmovaps %%zmm0, %%zmm4\n\tvmovaps %%zmm0, %%zmm5\n\tvmovaps %%zmm0, %%zmm6\n\t"
      "vmovaps %%zmm0, %%zmm7\n\tvmovaps %%zmm0, %%zmm8\n\tvmovaps %%zmm0, %%zmm9\n\t"
      "vmovaps %%zmm0, %%zmm10\n\tvmovaps %%zmm0, %%zmm11\n\tvmovaps %%zmm0, %%zmm12\n\t"
      "vmovaps %%zmm0, %%zmm13\n\t"
      "1:\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm0\n\tvfmadd231ps %%zmm12, %%zmm13, %%zmm1\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm2\n\tvfmadd231ps %%zmm12, %%zmm13, %%zmm3\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm4\n\tvfmadd231ps %%zmm12, %%zmm13, %%zmm5\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm6\n\tvfmadd231ps %%zmm12, %%zmm13, %%zmm7\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm8\n\tvfmadd231ps %%zmm12, %%zmm13, %%zmm9\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm10\n\tvfmadd231ps %%zmm12, %%zmm13, %%zmm11\n\t"
      "dec %0\n\tjnz 1b\n\t"
      "vzeroupper"
      : "+r"(iterations)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "cc");
  return iterations;
}

// The same in half precision (AVX512-FP16): 32 FLOP x 2 per instruction.
int64_t fp16_fma_zmm(int64_t iterations) {
  asm volatile(
      "vxorps %%xmm0, %%xmm0, %%xmm0\n\t"
      "vmovaps %%zmm0, %%zmm1\n\tvmovaps %%zmm0, %%zmm2\n\tvmovaps %%zmm0, %%zmm3\n\t"
      "vmovaps %%zmm0, %%zmm4\n\tvmovaps %%zmm0, %%zmm5\n\tvmovaps %%zmm0, %%zmm6\n\t"
      "vmovaps %%zmm0, %%zmm7\n\tvmovaps %%zmm0, %%zmm8\n\tvmovaps %%zmm0, %%zmm9\n\t"
      "vmovaps %%zmm0, %%zmm10\n\tvmovaps %%zmm0, %%zmm11\n\tvmovaps %%zmm0, %%zmm12\n\t"
      "vmovaps %%zmm0, %%zmm13\n\t"
      "1:\n\t"
      "vfmadd231ph %%zmm12, %%zmm13, %%zmm0\n\tvfmadd231ph %%zmm12, %%zmm13, %%zmm1\n\t"
      "vfmadd231ph %%zmm12, %%zmm13, %%zmm2\n\tvfmadd231ph %%zmm12, %%zmm13, %%zmm3\n\t"
      "vfmadd231ph %%zmm12, %%zmm13, %%zmm4\n\tvfmadd231ph %%zmm12, %%zmm13, %%zmm5\n\t"
      "vfmadd231ph %%zmm12, %%zmm13, %%zmm6\n\tvfmadd231ph %%zmm12, %%zmm13, %%zmm7\n\t"
      "vfmadd231ph %%zmm12, %%zmm13, %%zmm8\n\tvfmadd231ph %%zmm12, %%zmm13, %%zmm9\n\t"
      "vfmadd231ph %%zmm12, %%zmm13, %%zmm10\n\tvfmadd231ph %%zmm12, %%zmm13, %%zmm11\n\t"
      "dec %0\n\tjnz 1b\n\t"
      "vzeroupper"
      : "+r"(iterations)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "cc");
  return iterations;
}

// 10 chains of vpmaddwd + vpaddd (ymm0..9 += madd(ymm10, ymm11), temps ymm12..15): the pair
// of elite's AVX2 INT8 kernels. 16 int16 multiply-adds per vpmaddwd.
constexpr int kMaddChains = 10;
#define ELITE_MADD(acc, tmp) \
  "vpmaddwd %%ymm10, %%ymm11, %%ymm" #tmp "\n\tvpaddd %%ymm" #tmp ", %%ymm" #acc ", %%ymm" #acc "\n\t"
int64_t int8_madd_ymm(int64_t iterations) {
  asm volatile(
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
      "vpxor %%ymm1, %%ymm1, %%ymm1\n\tvpxor %%ymm2, %%ymm2, %%ymm2\n\t"
      "vpxor %%ymm3, %%ymm3, %%ymm3\n\tvpxor %%ymm4, %%ymm4, %%ymm4\n\t"
      "vpxor %%ymm5, %%ymm5, %%ymm5\n\tvpxor %%ymm6, %%ymm6, %%ymm6\n\t"
      "vpxor %%ymm7, %%ymm7, %%ymm7\n\tvpxor %%ymm8, %%ymm8, %%ymm8\n\t"
      "vpxor %%ymm9, %%ymm9, %%ymm9\n\tvpxor %%ymm10, %%ymm10, %%ymm10\n\t"
      "vpxor %%ymm11, %%ymm11, %%ymm11\n\t"
      "1:\n\t"
      ELITE_MADD(0, 12) ELITE_MADD(1, 13) ELITE_MADD(2, 14) ELITE_MADD(3, 15)
      ELITE_MADD(4, 12) ELITE_MADD(5, 13) ELITE_MADD(6, 14) ELITE_MADD(7, 15)
      ELITE_MADD(8, 12) ELITE_MADD(9, 13)
      "dec %0\n\tjnz 1b\n\t"
      "vzeroupper"
      : "+r"(iterations)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc");
  return iterations;
}
#undef ELITE_MADD

// 12 chains of vpdpbusd: 4 u8 x s8 products summed into each int32 lane.
constexpr int kDotChains = 12;
#define ELITE_DOT(reg, acc) \
  "%{vex%} vpdpbusd %%" #reg "12, %%" #reg "13, %%" #reg #acc "\n\t"
#define ELITE_DOT512(acc) "vpdpbusd %%zmm12, %%zmm13, %%zmm" #acc "\n\t"
int64_t int8_dot_ymm(int64_t iterations) {
  asm volatile(
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
      "vpxor %%ymm1, %%ymm1, %%ymm1\n\tvpxor %%ymm2, %%ymm2, %%ymm2\n\t"
      "vpxor %%ymm3, %%ymm3, %%ymm3\n\tvpxor %%ymm4, %%ymm4, %%ymm4\n\t"
      "vpxor %%ymm5, %%ymm5, %%ymm5\n\tvpxor %%ymm6, %%ymm6, %%ymm6\n\t"
      "vpxor %%ymm7, %%ymm7, %%ymm7\n\tvpxor %%ymm8, %%ymm8, %%ymm8\n\t"
      "vpxor %%ymm9, %%ymm9, %%ymm9\n\tvpxor %%ymm10, %%ymm10, %%ymm10\n\t"
      "vpxor %%ymm11, %%ymm11, %%ymm11\n\tvpxor %%ymm12, %%ymm12, %%ymm12\n\t"
      "vpxor %%ymm13, %%ymm13, %%ymm13\n\t"
      "1:\n\t"
      ELITE_DOT(ymm, 0) ELITE_DOT(ymm, 1) ELITE_DOT(ymm, 2) ELITE_DOT(ymm, 3)
      ELITE_DOT(ymm, 4) ELITE_DOT(ymm, 5) ELITE_DOT(ymm, 6) ELITE_DOT(ymm, 7)
      ELITE_DOT(ymm, 8) ELITE_DOT(ymm, 9) ELITE_DOT(ymm, 10) ELITE_DOT(ymm, 11)
      "dec %0\n\tjnz 1b\n\t"
      "vzeroupper"
      : "+r"(iterations)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "cc");
  return iterations;
}

int64_t int8_dot_zmm(int64_t iterations) {
  asm volatile(
      "vpxor %%xmm0, %%xmm0, %%xmm0\n\t"
      "vmovdqa64 %%zmm0, %%zmm1\n\tvmovdqa64 %%zmm0, %%zmm2\n\tvmovdqa64 %%zmm0, %%zmm3\n\t"
      "vmovdqa64 %%zmm0, %%zmm4\n\tvmovdqa64 %%zmm0, %%zmm5\n\tvmovdqa64 %%zmm0, %%zmm6\n\t"
      "vmovdqa64 %%zmm0, %%zmm7\n\tvmovdqa64 %%zmm0, %%zmm8\n\tvmovdqa64 %%zmm0, %%zmm9\n\t"
      "vmovdqa64 %%zmm0, %%zmm10\n\tvmovdqa64 %%zmm0, %%zmm11\n\t"
      "vmovdqa64 %%zmm0, %%zmm12\n\tvmovdqa64 %%zmm0, %%zmm13\n\t"
      "1:\n\t"
      ELITE_DOT512(0) ELITE_DOT512(1) ELITE_DOT512(2) ELITE_DOT512(3) ELITE_DOT512(4)
      ELITE_DOT512(5) ELITE_DOT512(6) ELITE_DOT512(7) ELITE_DOT512(8) ELITE_DOT512(9)
      ELITE_DOT512(10) ELITE_DOT512(11)
      "dec %0\n\tjnz 1b\n\t"
      "vzeroupper"
      : "+r"(iterations)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "cc");
  return iterations;
}
#undef ELITE_DOT
#undef ELITE_DOT512

// Issue ports shared with vpdpbusd zmm (what bounds a requantizing INT8 kernel): 8 vpdpbusd
// chains interleaved with 8 instructions `op` on 6 chains (op= zmm13), and
// vpdpbusd fed by memory: a separate 512-bit load into a register, or a memory operand.
// (zmm8-11, 14, 15 hold the other instruction's 6 chains: registers past zmm15 would need
// AVX-512 flags for this file.)
// MACS counts the vpdpbusd only; at the unpaired rate the other instruction runs on ports
// of its own. Measured on this project's Zen 5 VM (2026-12-07): vpaddd, vpsravd, vpshufd and
// loads pair freely (475-500 G against 502 alone), vpmuldq and vpackssdw share vpdpbusd's
// two pipes (275-285 G).
#define ELITE_PAIR_LOOP(op)                                                              \
  asm volatile(                                                                          \
      "vpxor %%xmm0, %%xmm0, %%xmm0\n\t"                                                  \
      "vmovdqa64 %%zmm0, %%zmm1\n\tvmovdqa64 %%zmm0, %%zmm2\n\tvmovdqa64 %%zmm0, %%zmm3\n\t" \
      "vmovdqa64 %%zmm0, %%zmm4\n\tvmovdqa64 %%zmm0, %%zmm5\n\tvmovdqa64 %%zmm0, %%zmm6\n\t" \
      "vmovdqa64 %%zmm0, %%zmm7\n\tvmovdqa64 %%zmm0, %%zmm12\n\tvmovdqa64 %%zmm0, %%zmm13\n\t" \
      "vmovdqa64 %%zmm0, %%zmm8\n\tvmovdqa64 %%zmm0, %%zmm9\n\tvmovdqa64 %%zmm0, %%zmm10\n\t" \
      "vmovdqa64 %%zmm0, %%zmm11\n\tvmovdqa64 %%zmm0, %%zmm14\n\tvmovdqa64 %%zmm0, %%zmm15\n\t" \
      "1:\n\t"                                                                             \
      "vpdpbusd %%zmm12, %%zmm13, %%zmm0\n\t" op(8) "vpdpbusd %%zmm12, %%zmm13, %%zmm1\n\t" op(9) \
      "vpdpbusd %%zmm12, %%zmm13, %%zmm2\n\t" op(10) "vpdpbusd %%zmm12, %%zmm13, %%zmm3\n\t" op(11) \
      "vpdpbusd %%zmm12, %%zmm13, %%zmm4\n\t" op(14) "vpdpbusd %%zmm12, %%zmm13, %%zmm5\n\t" op(15) \
      "vpdpbusd %%zmm12, %%zmm13, %%zmm6\n\t" op(8) "vpdpbusd %%zmm12, %%zmm13, %%zmm7\n\t" op(9) \
      "dec %0\n\tjnz 1b\n\t"                                                               \
      "vzeroupper"                                                                         \
      : "+r"(iterations)                                                                   \
      : "r"(kDotBuffer)                                                                    \
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",        \
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory", "cc")
constexpr int kPairChains = 8;
alignas(64) const uint8_t kDotBuffer[8 * 64] = {};
#define ELITE_OP_ADD(r) "vpaddd %%zmm13, %%zmm" #r ", %%zmm" #r "\n\t"
#define ELITE_OP_MULDQ(r) "vpmuldq %%zmm13, %%zmm" #r ", %%zmm" #r "\n\t"
#define ELITE_OP_SRAV(r) "vpsravd %%zmm13, %%zmm" #r ", %%zmm" #r "\n\t"
#define ELITE_OP_SHUF(r) "vpshufd $0xb1, %%zmm" #r ", %%zmm" #r "\n\t"
#define ELITE_OP_PACK(r) "vpackssdw %%zmm13, %%zmm" #r ", %%zmm" #r "\n\t"
// A separate 512-bit load per vpdpbusd: each reloads zmm13, which the next vpdpbusd reads.
#define ELITE_OP_LOAD(r) "vmovdqa64 (%1), %%zmm13\n\t"
#define ELITE_OP_NONE(r) ""
int64_t dot_plus_add(int64_t iterations) { ELITE_PAIR_LOOP(ELITE_OP_ADD); return iterations; }
int64_t dot_plus_muldq(int64_t iterations) { ELITE_PAIR_LOOP(ELITE_OP_MULDQ); return iterations; }
int64_t dot_plus_srav(int64_t iterations) { ELITE_PAIR_LOOP(ELITE_OP_SRAV); return iterations; }
int64_t dot_plus_shuf(int64_t iterations) { ELITE_PAIR_LOOP(ELITE_OP_SHUF); return iterations; }
int64_t dot_plus_pack(int64_t iterations) { ELITE_PAIR_LOOP(ELITE_OP_PACK); return iterations; }
int64_t dot_plus_load(int64_t iterations) { ELITE_PAIR_LOOP(ELITE_OP_LOAD); return iterations; }
int64_t dot_alone8(int64_t iterations) { ELITE_PAIR_LOOP(ELITE_OP_NONE); return iterations; }
// vpdpbusd with its signed operand from memory (no separate load).
int64_t dot_mem_operand(int64_t iterations) {
  asm volatile(
      "vpxor %%xmm0, %%xmm0, %%xmm0\n\t"
      "vmovdqa64 %%zmm0, %%zmm1\n\tvmovdqa64 %%zmm0, %%zmm2\n\tvmovdqa64 %%zmm0, %%zmm3\n\t"
      "vmovdqa64 %%zmm0, %%zmm4\n\tvmovdqa64 %%zmm0, %%zmm5\n\tvmovdqa64 %%zmm0, %%zmm6\n\t"
      "vmovdqa64 %%zmm0, %%zmm7\n\tvmovdqa64 %%zmm0, %%zmm12\n\t"
      "1:\n\t"
      "vpdpbusd (%1), %%zmm12, %%zmm0\n\tvpdpbusd 64(%1), %%zmm12, %%zmm1\n\t"
      "vpdpbusd 128(%1), %%zmm12, %%zmm2\n\tvpdpbusd 192(%1), %%zmm12, %%zmm3\n\t"
      "vpdpbusd 256(%1), %%zmm12, %%zmm4\n\tvpdpbusd 320(%1), %%zmm12, %%zmm5\n\t"
      "vpdpbusd 384(%1), %%zmm12, %%zmm6\n\tvpdpbusd 448(%1), %%zmm12, %%zmm7\n\t"
      "dec %0\n\tjnz 1b\n\t"
      "vzeroupper"
      : "+r"(iterations)
      : "r"(kDotBuffer)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm12", "memory", "cc");
  return iterations;
}

// 4 chains of tdpbssd (tmm0..3 += tmm4/5 x tmm6/7, all 16 rows x 64 bytes): the 2x2 tile
// blocking of elite's AMX GEMM, operands in tiles only.
constexpr int kAmxChains = 4;
int64_t amx_dot_tiles(int64_t iterations) {
  alignas(64) uint8_t config[64] = {};
  config[0] = 1;  // palette 1
  for (int t = 0; t < 8; ++t) {
    config[16 + 2 * t] = 64;  // bytes per row
    config[48 + t] = 16;      // rows
  }
  asm volatile(
      "ldtilecfg %1\n\t"
      "tilezero %%tmm0\n\ttilezero %%tmm1\n\ttilezero %%tmm2\n\ttilezero %%tmm3\n\t"
      "tilezero %%tmm4\n\ttilezero %%tmm5\n\ttilezero %%tmm6\n\ttilezero %%tmm7\n\t"
      "1:\n\t"
      "tdpbssd %%tmm6, %%tmm4, %%tmm0\n\ttdpbssd %%tmm7, %%tmm4, %%tmm1\n\t"
      "tdpbssd %%tmm6, %%tmm5, %%tmm2\n\ttdpbssd %%tmm7, %%tmm5, %%tmm3\n\t"
      "dec %0\n\tjnz 1b\n\t"
      "tilerelease"
      : "+r"(iterations)
      : "m"(config)
      : "memory");
  return iterations;
}

// One benchmark: `ops_per_step` is the work of one instruction (FLOP or multiply-adds).
// `ops_per_step` is the work of one instruction, `chains` the instructions per loop trip.
template <typename Fn>
void bench_peak(benchmark::State& state, Fn fn, double ops_per_step, const char* counter,
                int chains) {
  int64_t n = kInnerIterations;
  benchmark::DoNotOptimize(n);
  for (auto _ : state) benchmark::DoNotOptimize(fn(n));
  state.counters[counter] = benchmark::Counter(
      ops_per_step * chains * double(kInnerIterations),
      benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::OneK::kIs1000);
}

// Per core: one thread, rated against its CPU time, so that time the scheduler gives to other
// processes on a shared machine does not count. All cores: one thread per hardware thread,
// rates summed over threads against wall time (this one needs an otherwise idle machine).
void both(const std::string& name, void (*fn)(benchmark::State&)) {
  const auto max = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
  benchmark::RegisterBenchmark((name + "/per_core").c_str(), fn)->ComputeStatistics("max", max);
  const int all = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (all > 1)
    benchmark::RegisterBenchmark((name + "/all_cores").c_str(), fn)
        ->UseRealTime()
        ->Threads(all)
        ->ComputeStatistics("max", max);
}

void add(const std::string& name, bool supported, void (*fn)(benchmark::State&)) {
  if (!supported) {
    std::fprintf(stderr, "skipping %s: this CPU cannot run it\n", name.c_str());
    return;
  }
  both(name, fn);
}

void register_all() {
  const CpuFeatures& cpu = cpu_features();
  add("fp32_fma/avx2_ymm", cpu.avx2 && cpu.fma, [](benchmark::State& s) {
    bench_peak(s, fp32_fma_ymm, 16.0, "FLOPS", kFmaChains);
  });
  add("fp32_fma/avx512_zmm", cpu.avx512f, [](benchmark::State& s) {
    bench_peak(s, fp32_fma_zmm, 32.0, "FLOPS", kFmaChains);
  });
  add("fp16_fma/avx512fp16_zmm", cpu.avx512fp16, [](benchmark::State& s) {
    bench_peak(s, fp16_fma_zmm, 64.0, "FLOPS", kFmaChains);
  });
  add("int8_madd/avx2_vpmaddwd_ymm", cpu.avx2, [](benchmark::State& s) {
    bench_peak(s, int8_madd_ymm, 16.0, "MACS", kMaddChains);
  });
  add("int8_dot/avxvnni_vpdpbusd_ymm", cpu.avx_vnni, [](benchmark::State& s) {
    bench_peak(s, int8_dot_ymm, 32.0, "MACS", kDotChains);
  });
  add("int8_dot/avx512vnni_vpdpbusd_zmm", cpu.avx512f && cpu.avx512vnni, [](benchmark::State& s) {
    bench_peak(s, int8_dot_zmm, 64.0, "MACS", kDotChains);
  });
  add("int8_dot/amx_tdpbssd", cpu.amx_int8, [](benchmark::State& s) {
    bench_peak(s, amx_dot_tiles, 16384.0, "MACS", kAmxChains);
  });
  // Port sharing (see ELITE_PAIR_LOOP): per core only.
  const bool vnni512 = cpu.avx512f && cpu.avx512vnni;
  const std::pair<const char*, int64_t (*)(int64_t)> pairs[] = {
      {"alone_8_chains", dot_alone8}, {"plus_vpaddd", dot_plus_add},
      {"plus_vpmuldq", dot_plus_muldq}, {"plus_vpsravd", dot_plus_srav},
      {"plus_vpshufd", dot_plus_shuf}, {"plus_vpackssdw", dot_plus_pack},
      {"after_separate_load", dot_plus_load}, {"memory_operand", dot_mem_operand}};
  for (const auto& [suffix, fn] : pairs) {
    const std::string name = std::string("int8_dot_ports/avx512vnni_vpdpbusd_zmm_") + suffix;
    if (!vnni512) {
      std::fprintf(stderr, "skipping %s: this CPU cannot run it\n", name.c_str());
      continue;
    }
    benchmark::RegisterBenchmark(name.c_str(), [fn = fn](benchmark::State& s) {
      bench_peak(s, fn, 64.0, "MACS", kPairChains);
    });
  }
}

}  // namespace
}  // namespace elite

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("elite_cpu", elite::cpu_features().describe());
  benchmark::AddCustomContext("elite_commit", ELITE_GIT_COMMIT);
  elite::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
