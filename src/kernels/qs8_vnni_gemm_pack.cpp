// Weight packing shared by the VNNI INT8 GEMMs (avx512vnni: qs8_gemm_8x32c4, avxvnni:
// qs8_gemm_6x16c4). Plain C++, compiled without ISA flags, so a CPU with AVX-VNNI but no
// AVX-512 can pack too.
//   ceil(n/16) panels of 16 columns; panel p = bias[16] int32, colsum[16] int32 (the sum over
//   k of each column's weights: the kernels start at bias - (128 + zp) colsum), bound[16]
//   uint32 (column j's accumulators satisfy |acc| <= |bias_j| + 255 sum_k |w_jk|, as
//   |x - zp| <= 255; saturated to 2^32 - 1; it decides the fast requantization), then kp/4
//   groups (kp = k rounded up to a multiple of 4) of 16 columns x 4 int8 weights: group q
//   holds, for column c = 16p + j, w[c][4q..4q+3] at bytes 4j..4j+3 (the 4 products one
//   vpdpbusd lane sums). Columns past n and the k pad are 0. Panel bytes: 192 + 16 * kp.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "kernels/qs8_microkernels.h"

namespace elite {
namespace {

constexpr int kNr = 16;
constexpr int kHeader = 192;

inline int k4(int k) { return (k + 3) & ~3; }
inline size_t panel_bytes(int k) { return kHeader + 16 * size_t(k4(k)); }

}  // namespace

size_t qs8_gemm_packed_bytes__vnni(int n, int k) {
  return size_t((n + kNr - 1) / kNr) * panel_bytes(k);
}

void qs8_gemm_pack__vnni(int n, int k, const int8_t* w_nk, const int32_t* bias,
                         const QS8Requant& /*rq: unused*/, void* packed) {
  const int kp = k4(k);
  uint8_t* p = static_cast<uint8_t*>(packed);
  for (int c0 = 0; c0 < n; c0 += kNr, p += panel_bytes(k)) {
    int32_t b[kNr] = {}, colsum[kNr] = {};
    uint32_t bound[kNr] = {};
    int8_t* w = reinterpret_cast<int8_t*>(p + kHeader);
    std::memset(w, 0, size_t(kp) * 16);
    for (int j = 0; j < kNr && c0 + j < n; ++j) {
      b[j] = bias ? bias[c0 + j] : 0;
      int64_t abs_sum = 0;
      for (int kk = 0; kk < k; ++kk) {
        const int8_t wv = w_nk[size_t(c0 + j) * k + kk];
        colsum[j] += wv;
        abs_sum += std::abs(int(wv));
        w[size_t(kk / 4) * 64 + 4 * j + (kk & 3)] = wv;
      }
      bound[j] = uint32_t(std::min<int64_t>(std::abs(int64_t(b[j])) + 255 * abs_sum,
                                            int64_t(UINT32_MAX)));
    }
    std::memcpy(p, b, sizeof(b));
    std::memcpy(p + 64, colsum, sizeof(colsum));
    std::memcpy(p + 128, bound, sizeof(bound));
  }
}

}  // namespace elite
