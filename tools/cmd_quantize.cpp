// elite quantize -m FP32.tflite --calib DIR [--num-images N] [--io uint8|int8|float]
//                [--method minmax|percentile] [--percentile P] [--threads T] [--report]
//                [--report-images N] -o OUT.tflite
// Full-integer post-training quantization (src/quant/): calibrate the FP32 model on the
// images of DIR with the official eval preprocessing, then write the INT8 model. Nothing is
// written to -o unless everything succeeded (the writer renames a temporary file).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <thread>

#include "commands.h"
#include "io/tflite/tflite_reader.h"
#include "io/tflite/tflite_writer.h"
#include "quant/calibrate.h"
#include "quant/ptq.h"
#include "quant/ptq_report.h"

namespace elite::cli {
namespace {

struct QuantizeArgs {
  std::string model;
  std::string calib;
  std::string output;
  int num_images = 2000;
  std::string io = "uint8";
  std::string method = "minmax";
  double percentile = 99.99;
  int threads = 0;  // 0: all cores
  bool report = false;
  int report_images = 50;
};

// A one-line progress bar on stderr when it is a terminal.
class Progress {
 public:
  explicit Progress(std::string label) : label_(std::move(label)), tty_(isatty(2)) {}
  void update(int done, int total) {
    if (!tty_) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (done < last_) return;
    last_ = done;
    const int width = 30, fill = total > 0 ? done * width / total : width;
    std::fprintf(stderr, "\r%s [%s%s] %d/%d", label_.c_str(), std::string(fill, '#').c_str(),
                 std::string(width - fill, '.').c_str(), done, total);
    if (done == total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  std::string label_;
  bool tty_;
  std::mutex mu_;
  int last_ = -1;
};

int run_quantize(const QuantizeArgs& a) {
  auto io = parse_quant_io(a.io);
  if (!io.ok()) return fail(io.status());
  auto method = parse_calibration_method(a.method);
  if (!method.ok()) return fail(method.status());
  if (a.num_images < 1) return fail("--num-images must be at least 1");
  if (!(a.percentile > 50.0 && a.percentile < 100.0))
    return fail("--percentile must be between 50 and 100 (exclusive)");
  if (a.threads < 0 || a.threads > 256) return fail("--threads must be between 0 and 256");
  auto graph = read_tflite_file(a.model);
  if (!graph.ok()) return fail(graph.status());
  Status fl = check_float_graph(*graph);
  if (!fl.ok()) return fail(a.model + ": " + fl.message());
  auto images = list_calibration_images(a.calib, a.num_images);
  if (!images.ok()) return fail(images.status());

  CalibrationOptions co;
  co.method = *method;
  co.percentile = a.percentile;
  co.threads = a.threads > 0 ? a.threads : std::max(1u, std::thread::hardware_concurrency());
  Progress p1("calibrating"), p2("histograms ");
  co.progress = [&](int pass, int done, int total) {
    (pass == 1 ? p1 : p2).update(done, total);
  };
  auto calib = calibrate(*graph, *images, co);
  if (!calib.ok()) return fail(a.calib + ": " + calib.status().message());
  for (const SkippedImage& s : calib->skipped)
    std::fprintf(stderr, "elite: warning: skipped %s: %s\n", s.path.c_str(), s.message.c_str());
  std::fprintf(stderr, "calibrated on %d image(s) (%s), %zu skipped\n", calib->images_used,
               calibration_method_name(*method), calib->skipped.size());
  auto q = quantize_graph(*graph, calib->ranges, *io);
  if (!q.ok()) return fail(a.model + ": " + q.status().message());

  if (a.report) {
    std::vector<std::string> subset;
    for (size_t i = 0; i < images->size() && static_cast<int>(subset.size()) < a.report_images; ++i) {
      bool skipped = false;
      for (const SkippedImage& s : calib->skipped) skipped = skipped || s.path == (*images)[i];
      if (!skipped) subset.push_back((*images)[i]);
    }
    Progress pr("report     ");
    auto rows = quantization_report(*graph, *q, subset,
                                    [&](int d, int t) { pr.update(d, t); });
    if (!rows.ok()) return fail(rows.status());
    std::printf("per-layer error of INT8 vs FP32 on %zu calibration image(s)\n", subset.size());
    std::printf("%4s  %-18s  %-40s  %9s  %8s\n", "op", "kind", "tensor", "SQNR dB", "cosine");
    for (const LayerError& r : *rows)
      std::printf("%4d  %-18s  %-40s  %9.2f  %8.5f\n", r.op, r.kind.c_str(), r.tensor.c_str(),
                  r.sqnr_db, r.cosine);
  }
  Status s = write_tflite_file(*q, a.output);
  if (!s.ok()) return fail(s);
  std::fprintf(stderr, "wrote %s (INT8, %s input and output)\n", a.output.c_str(),
               quant_io_name(*io));
  return 0;
}

}  // namespace

void register_quantize(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand("quantize", "FP32 .tflite -> full-integer INT8 .tflite");
  cmd->add_option("-m,--model", args->model, "Float .tflite model")->required();
  cmd->add_option("--calib", args->calib, "Folder of calibration images (JPEG/PNG)")->required();
  cmd->add_option("--num-images", args->num_images, "At most this many images (sorted by name)")
      ->capture_default_str();
  cmd->add_option("--io", args->io, "Input/output type: uint8, int8 or float")
      ->capture_default_str();
  cmd->add_option("--method", args->method, "Calibration: minmax or percentile")
      ->capture_default_str();
  cmd->add_option("--percentile", args->percentile, "Kept share of values for --method percentile")
      ->capture_default_str();
  cmd->add_option("-t,--threads", args->threads, "Calibration threads (0: all cores)")
      ->capture_default_str();
  cmd->add_flag("--report", args->report, "Print per-layer SQNR and cosine vs FP32");
  cmd->add_option("--report-images", args->report_images, "Images used by --report")
      ->capture_default_str();
  cmd->add_option("-o,--output", args->output, "Output .tflite")->required();
  cmd->callback([args] { g_exit_code = run_quantize(*args); });
}

}  // namespace elite::cli
