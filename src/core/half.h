// IEEE 754 binary16 ("half") values stored as uint16_t bits, with portable conversions.
// The FP16 kernels keep their activations and weights in this form; on CPUs with
// AVX512-FP16 they compute on it directly, and the reference kernels emulate that
// arithmetic exactly (half_fma below) so that fast and reference results are equal bit for bit.
#pragma once

#include <cstdint>
#include <cstring>

namespace elite {

using half_t = uint16_t;

// float -> half, round to nearest even; overflow gives infinity, NaN stays NaN.
inline half_t half_from_float(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) return half_t(sign | 0x7C00u | (abs > 0x7F800000u ? 0x200u : 0u));
  if (abs >= 0x477FF000u) return half_t(sign | 0x7C00u);  // rounds past 65504: infinity
  if (abs < 0x38800000u) {  // below 2^-14: a subnormal half (or zero)
    if (abs < 0x33000000u) return half_t(sign);  // below half of the smallest subnormal
    const uint32_t mant = (abs & 0x7FFFFFu) | 0x800000u;
    const int shift = 126 - int(abs >> 23);  // 14..24
    const uint32_t kept = mant >> shift, rest = mant & ((1u << shift) - 1u);
    const uint32_t halfway = 1u << (shift - 1);
    const uint32_t r = kept + (rest > halfway || (rest == halfway && (kept & 1u)));
    return half_t(sign | r);
  }
  // Normal: rebias the exponent (127 -> 15), keep 10 mantissa bits, round to nearest even.
  const uint32_t base = abs - 0x38000000u;
  const uint32_t kept = base >> 13, rest = base & 0x1FFFu;
  return half_t(sign | (kept + (rest > 0x1000u || (rest == 0x1000u && (kept & 1u)))));
}

// half -> float (exact).
inline float half_to_float(half_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu;
  uint32_t x;
  if (exp == 0x1F) {
    x = sign | 0x7F800000u | (mant << 13);
  } else if (exp != 0) {
    x = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    x = sign;
  } else {  // subnormal: mant * 2^-24, exact in float
    float f = float(mant) * 5.9604644775390625e-8f;
    std::memcpy(&x, &f, 4);
    x |= sign;
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

// double -> half, round to nearest even (one rounding: no float in between).
inline half_t half_from_double(double d) {
  uint64_t x;
  std::memcpy(&x, &d, 8);
  const uint32_t sign = uint32_t(x >> 48) & 0x8000u;
  const uint64_t abs = x & 0x7FFFFFFFFFFFFFFFull;
  if (abs >= 0x7FF0000000000000ull)
    return half_t(sign | 0x7C00u | (abs > 0x7FF0000000000000ull ? 0x200u : 0u));
  if (abs >= 0x40EFFE0000000000ull) return half_t(sign | 0x7C00u);  // rounds past 65504
  const int exp = int(abs >> 52);  // biased by 1023
  if (exp < 1023 - 25) return half_t(sign);  // below half of the smallest subnormal (2^-24)
  const uint64_t mant = (abs & 0xFFFFFFFFFFFFFull) | (1ull << 52);
  // Keep the bits down to 2^-24 (subnormal) or 10 below the leading one (normal).
  const int shift = exp < 1023 - 14 ? 52 - (exp - (1023 - 24)) : 42;
  const uint64_t kept = mant >> shift, rest = mant & ((1ull << shift) - 1u);
  const uint64_t halfway = 1ull << (shift - 1);
  const uint64_t r = kept + (rest > halfway || (rest == halfway && (kept & 1u)));
  if (exp < 1023 - 14) return half_t(sign | uint32_t(r));  // may round up into the normals
  // Normal: r holds 11 bits with the leading one; a carry into bit 11 bumps the exponent.
  const uint32_t e16 = uint32_t(exp - 1023 + 15);
  return half_t(sign | ((e16 << 10) + uint32_t(r - (1ull << 10))));
}

// round_to_half(a * b + c) with one rounding, as VFMADD*PH computes it. a * b is exact in
// double (11 + 11 bits), and so is the sum whenever the result is finite: then |a * b| <
// 2^17 and every bit of both terms lies between 2^17 and 2^-48.
inline half_t half_fma(half_t a, half_t b, half_t c) {
  return half_from_double(double(half_to_float(a)) * double(half_to_float(b)) +
                          double(half_to_float(c)));
}

// a + b with one rounding (exact in double), as VADDPH.
inline half_t half_add(half_t a, half_t b) {
  return half_from_double(double(half_to_float(a)) + double(half_to_float(b)));
}

}  // namespace elite
