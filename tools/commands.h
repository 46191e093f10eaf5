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
