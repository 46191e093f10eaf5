// How the executor divides one op among its threads (shared by the FP32 and INT8 paths).
// Every kernel computes each output element the same way whatever range it is given, so
// these choices change speed only, never results.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>

namespace elite {

// [begin, end) of part `i` of `parts` equal parts of `total`, in multiples of `grain`.
inline std::pair<int, int> split(int total, int parts, int i, int grain = 1) {
  const int units = (total + grain - 1) / grain;
  const int b = static_cast<int>(int64_t{units} * i / parts) * grain;
  const int e = static_cast<int>(int64_t{units} * (i + 1) / parts) * grain;
  return {std::min(b, total), std::min(e, total)};
}

// A GEMM of m rows (pixels) and n columns (output channels): split the rows when there are
// enough of them, else the columns in n_tile multiples (FC). With wide_to_columns, also split
// the columns when the weights (k x n) outweigh the inputs (m x k) and there are enough
// column tiles, so each thread streams only its share of the weights (the 7x7 and wide 14x14
// layers). The FP32 path asks for it (lite0, 2 threads, mean p10 of 6 alternating runs: 8.6
// against 8.9 ms). The INT8 path asks for it where the weights pass 128 KiB (lite4, 2
// threads, per-op profiles: 10x10x1632 expansions 0.63 -> 0.53 ms in all, 19x19x960 0.47
// -> 0.44; below that size, e.g. lite0's 14x14x672 at 75 KiB, columns were 5% slower).
inline bool gemm_splits_rows(int m, int n, int n_tile, int threads, bool wide_to_columns) {
  if (threads <= 1) return true;
  if (m < 8 * threads) return false;
  const bool enough_columns = (n + n_tile - 1) / n_tile >= 2 * threads;
  return !(wide_to_columns && n > m && enough_columns);
}

}  // namespace elite
