// The elite CLI: one file per subcommand, each registering itself on the CLI11 app.
// Commands report errors as one line "elite: error: ..." on stderr and a non-zero exit.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <string>

#include "elite/status.h"

namespace elite::cli {

// Set by a subcommand's callback; main() returns it.
extern int g_exit_code;

inline int fail(const std::string& message) {
  std::fprintf(stderr, "elite: error: %s\n", message.c_str());
  g_exit_code = 1;
  return 1;
}
inline int fail(const Status& status) { return fail(status.message()); }

// --precision fp16 on a CPU without AVX512-FP16 runs the reference kernels: correct but
// hundreds of times slower, which a user should hear about once.
inline void warn_if_slow_fp16(const char* precision, const char* isa) {
  if (std::string(precision) == "fp16" && std::string(isa) == "ref")
    std::fprintf(stderr,
                 "elite: warning: this CPU has no AVX512-FP16 (or ELITE_ISA lowers it): fp16 runs "
                 "on the slow reference kernels\n");
}

// Default model path for commands that take -m.
inline const char* kDefaultModel = "models/efficientnet-lite0.tflite";

void register_classify(CLI::App& app);
void register_info(CLI::App& app);
void register_convert(CLI::App& app);
void register_bench(CLI::App& app);
void register_eval(CLI::App& app);
void register_quantize(CLI::App& app);
void register_export(CLI::App& app);

}  // namespace elite::cli
