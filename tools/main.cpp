// elite: EfficientNet-lite in C++. `elite --help` lists the subcommands.
#include "commands.h"

namespace elite::cli {
int g_exit_code = 0;
}

int main(int argc, char** argv) {
  CLI::App app{"elite: EfficientNet-lite image classification (FP32 .tflite engine)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "elite 0.1.0");
  elite::cli::register_classify(app);
  elite::cli::register_info(app);
  elite::cli::register_convert(app);
  elite::cli::register_bench(app);
  elite::cli::register_eval(app);
  elite::cli::register_quantize(app);
  elite::cli::register_export(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "elite: error: %s\n", e.what());
    return e.get_exit_code() == 0 ? 2 : e.get_exit_code();
  }
  return elite::cli::g_exit_code;
}
