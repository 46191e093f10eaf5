// Calibration: see calibrate.h.
#include "quant/calibrate.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <thread>

#include "preprocess/preprocess.h"
#include "runtime/executor.h"

namespace elite {
namespace {

constexpr int kBins = 2048;

struct ThreadStats {
  std::vector<float> min, max;
  std::vector<std::vector<uint64_t>> hist;  // pass 2: [tensor][bin]
  std::vector<std::pair<int, std::string>> failed;  // image index, message
  int used = 0;
};

bool wants_percentile(const Graph& g, int tensor) {
  for (const Op& op : g.ops)
    if (op.output == tensor)
      return op.kind == OpKind::kConv2D || op.kind == OpKind::kDepthwiseConv2D ||
             op.kind == OpKind::kAdd;
  return false;
}

}  // namespace

const char* calibration_method_name(CalibrationMethod method) {
  return method == CalibrationMethod::kMinMax ? "minmax" : "percentile";
}

Result<CalibrationMethod> parse_calibration_method(const std::string& name) {
  if (name == "minmax") return CalibrationMethod::kMinMax;
  if (name == "percentile") return CalibrationMethod::kPercentile;
  return Status::Error("unknown calibration method '" + name + "' (choose minmax or percentile)");
}

Result<std::vector<std::string>> list_calibration_images(const std::string& dir, int max_images) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Status::Error(dir + ": calibration folder does not exist");
  if (!fs::is_directory(dir, ec)) return Status::Error(dir + ": not a folder");
  std::vector<std::string> files;
  fs::directory_iterator it(dir, ec);
  if (ec) return Status::Error(dir + ": cannot read the folder (" + ec.message() + ")");
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return Status::Error(dir + ": cannot read the folder (" + ec.message() + ")");
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if ((ext == ".jpg" || ext == ".jpeg" || ext == ".png") && !it->is_directory(ec))
      files.push_back(it->path().string());
  }
  if (files.empty())
    return Status::Error(dir + ": no calibration images (.jpg, .jpeg or .png) in the folder");
  std::sort(files.begin(), files.end());
  if (max_images > 0 && static_cast<int>(files.size()) > max_images) files.resize(max_images);
  return files;
}

Result<CalibrationResult> calibrate(const Graph& graph, const std::vector<std::string>& images,
                                    const CalibrationOptions& options) {
  if (images.empty()) return Status::Error("no calibration images");
  const TensorDesc& in = graph.tensors.at(graph.input);
  if (in.shape.size() != 4 || in.shape[1] != in.shape[2] || in.shape[3] != 3)
    return Status::Error("calibration needs a square [1, S, S, 3] model input");
  const int size = in.shape[1];
  const int nt = static_cast<int>(graph.tensors.size());
  const int threads = std::max(1, std::min<int>(options.threads, static_cast<int>(images.size())));
  const int n_img = static_cast<int>(images.size());

  std::vector<ThreadStats> stats(threads);
  std::vector<std::unique_ptr<Executor>> executors;
  for (int t = 0; t < threads; ++t) {
    ExecutorOptions eo;
    eo.threads = 1;
    eo.keep_logits = false;
    ELITE_ASSIGN_OR_RETURN(auto e, Executor::create(graph, eo));
    executors.push_back(std::move(e));
    stats[t].min.assign(nt, std::numeric_limits<float>::infinity());
    stats[t].max.assign(nt, -std::numeric_limits<float>::infinity());
  }
  std::vector<char> bad(n_img, 0);
  // Bin edges of pass 2, per tensor.
  std::vector<float> lo(nt, 0.0f), inv_width(nt, 0.0f);
  std::vector<char> histogram(nt, 0);

  auto run_pass = [&](int pass) -> Status {
    std::atomic<int> next{0}, done{0};
    std::mutex error_mutex;
    Status error = Status::Ok();
    auto worker = [&](int t) {
      Executor& e = *executors[t];
      ThreadStats& st = stats[t];
      std::vector<float> out(static_cast<size_t>(e.output_desc().numel()));
      const TensorObserver observe = [&](int, int tensor, const void* data) {
        const float* x = static_cast<const float*>(data);
        const size_t n = static_cast<size_t>(graph.tensors[tensor].numel());
        if (pass == 1) {
          float mn = st.min[tensor], mx = st.max[tensor];
          for (size_t i = 0; i < n; ++i) {
            mn = std::min(mn, x[i]);
            mx = std::max(mx, x[i]);
          }
          st.min[tensor] = mn;
          st.max[tensor] = mx;
        } else if (histogram[tensor]) {
          uint64_t* h = st.hist[tensor].data();
          const float l = lo[tensor], w = inv_width[tensor];
          for (size_t i = 0; i < n; ++i) {
            const int b = static_cast<int>((x[i] - l) * w);
            ++h[std::clamp(b, 0, kBins - 1)];
          }
        }
      };
      for (int i; (i = next.fetch_add(1)) < n_img;) {
        if (!bad[i]) {
          auto x = preprocess_official_file(images[i], size);
          if (!x.ok()) {
            st.failed.emplace_back(i, x.status().message());
          } else {
            Status s = e.run_observed(x->data(), x->size(), out.data(), out.size(), observe);
            if (!s.ok()) {
              std::lock_guard<std::mutex> lock(error_mutex);
              error = s;
            } else if (pass == 1) {
              ++st.used;
            }
          }
        }
        const int d = done.fetch_add(1) + 1;
        if (options.progress) options.progress(pass, d, n_img);
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker, t);
    worker(0);
    for (std::thread& th : pool) th.join();
    return error;
  };

  ELITE_RETURN_IF_ERROR(run_pass(1));
  CalibrationResult result;
  std::vector<std::pair<int, std::string>> failed;
  for (ThreadStats& st : stats) {
    result.images_used += st.used;
    failed.insert(failed.end(), st.failed.begin(), st.failed.end());
  }
  std::sort(failed.begin(), failed.end());
  for (auto& [i, msg] : failed) {
    bad[i] = 1;
    result.skipped.push_back({images[i], msg});
  }
  if (result.images_used == 0)
    return Status::Error("none of the " + std::to_string(n_img) +
                         " calibration images could be read (first: " +
                         result.skipped.front().message + ")");
  result.ranges.assign(nt, TensorRange{});
  for (int t = 0; t < nt; ++t) {
    TensorRange& r = result.ranges[t];
    for (const ThreadStats& st : stats) {
      if (!(st.min[t] <= st.max[t])) continue;
      if (!r.seen) {
        r.min = st.min[t];
        r.max = st.max[t];
        r.seen = true;
      } else {
        r.min = std::min(r.min, st.min[t]);
        r.max = std::max(r.max, st.max[t]);
      }
    }
  }
  if (options.method == CalibrationMethod::kPercentile) {
    for (int t = 0; t < nt; ++t) {
      const TensorRange& r = result.ranges[t];
      if (!r.seen || !(r.max > r.min) || !wants_percentile(graph, t)) continue;
      histogram[t] = 1;
      lo[t] = r.min;
      inv_width[t] = static_cast<float>(kBins / (double(r.max) - double(r.min)));
    }
    for (ThreadStats& st : stats) {
      st.hist.assign(nt, {});
      for (int t = 0; t < nt; ++t)
        if (histogram[t]) st.hist[t].assign(kBins, 0);
    }
    ELITE_RETURN_IF_ERROR(run_pass(2));
    const double tail = (100.0 - options.percentile) / 200.0;  // each side
    for (int t = 0; t < nt; ++t) {
      if (!histogram[t]) continue;
      std::vector<uint64_t> h(kBins, 0);
      for (const ThreadStats& st : stats)
        for (int b = 0; b < kBins; ++b) h[b] += st.hist[t][b];
      uint64_t total = 0;
      for (uint64_t c : h) total += c;
      const double cut = tail * double(total);
      const double width = (double(result.ranges[t].max) - result.ranges[t].min) / kBins;
      TensorRange& r = result.ranges[t];
      // Lowest bin edge keeping all but `cut` values below; highest edge likewise above.
      int b_lo = 0;
      for (double below = 0; b_lo < kBins && below + h[b_lo] <= cut; ++b_lo) below += h[b_lo];
      int b_hi = kBins - 1;
      for (double above = 0; b_hi > 0 && above + h[b_hi] <= cut; --b_hi) above += h[b_hi];
      const float new_min = b_lo == 0 ? r.min : static_cast<float>(r.min + b_lo * width);
      const float new_max =
          b_hi == kBins - 1 ? r.max : static_cast<float>(r.min + (b_hi + 1) * width);
      if (new_min < new_max) {
        r.min = new_min;
        r.max = new_max;
      }
    }
  }
  return result;
}

}  // namespace elite
