// dump_weights FILE: reads a .pth / .safetensors with read_weights_file and prints one JSON
// object per tensor per line, in key order:
//   {"name": ..., "shape": [...], "sum": ..., "sumsq": ..., "first": [up to 8 values]}
// sum and sumsq are accumulated in double in storage order; floats print with 9 significant
// digits so they round-trip exactly;
// non-finite values are the strings "inf", "-inf", "nan". With --all, "values" holds every element too.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "io/checkpoint/weights.h"

// JSON has no inf/nan: write those as the strings "inf", "-inf", "nan".
static nlohmann::json num(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

static nlohmann::json nums(const float* p, size_t n) {
  nlohmann::json a = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i) a.push_back(num(p[i]));
  return a;
}

int main(int argc, char** argv) {
  bool all = false;
  const char* path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--all") == 0) {
      all = true;
    } else {
      path = argv[i];
    }
  }
  if (!path) {
    std::fprintf(stderr, "usage: dump_weights [--all] FILE\n");
    return 2;
  }
  auto weights = elite::read_weights_file(path);
  if (!weights.ok()) {
    std::fprintf(stderr, "error: %s\n", weights.status().message().c_str());
    return 1;
  }
  for (const auto& [name, t] : weights.value()) {
    double sum = 0.0, sumsq = 0.0;
    for (float v : t.data) {
      sum += v;
      sumsq += static_cast<double>(v) * v;
    }
    nlohmann::json j;
    j["name"] = name;
    j["shape"] = t.shape;
    j["sum"] = num(sum);
    j["sumsq"] = num(sumsq);
    j["first"] = nums(t.data.data(), std::min<size_t>(8, t.data.size()));
    if (all) j["values"] = nums(t.data.data(), t.data.size());
    std::printf("%s\n", j.dump().c_str());
  }
  return 0;
}
