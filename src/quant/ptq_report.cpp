// Per-layer quantization error: see ptq_report.h. Single-threaded over the images (each
// executor on one thread); sums in double.
#include "quant/ptq_report.h"

#include <cmath>
#include <cstring>

#include "preprocess/preprocess.h"
#include "runtime/executor.h"

namespace elite {

Result<std::vector<LayerError>> quantization_report(
    const Graph& fp32, const Graph& int8, const std::vector<std::string>& images,
    const std::function<void(int done, int total)>& progress) {
  const int nt = static_cast<int>(fp32.tensors.size());
  ExecutorOptions eo;
  eo.threads = 1;
  ELITE_ASSIGN_OR_RETURN(auto ef, Executor::create(fp32, eo));
  ELITE_ASSIGN_OR_RETURN(auto eq, Executor::create(int8, eo));
  const int size = fp32.tensors[fp32.input].shape[1];
  struct Sums { double ff = 0, qq = 0, fq = 0, ee = 0; };
  std::vector<Sums> sums(nt);
  std::vector<std::vector<float>> ref(nt);  // FP32 op outputs of the current image
  std::vector<float> out_f(static_cast<size_t>(ef->output_desc().numel()));
  std::vector<float> out_q(static_cast<size_t>(eq->output_desc().numel()));
  int done = 0;
  for (const std::string& path : images) {
    auto x = preprocess_official_file(path, size);
    if (x.ok()) {
      ELITE_RETURN_IF_ERROR(ef->run_observed(
          x->data(), x->size(), out_f.data(), out_f.size(), [&](int, int t, const void* d) {
            const float* f = static_cast<const float*>(d);
            ref[t].assign(f, f + fp32.tensors[t].numel());
          }));
      ELITE_RETURN_IF_ERROR(eq->run_observed(
          x->data(), x->size(), out_q.data(), out_q.size(), [&](int, int t, const void* d) {
            if (t >= nt || ref[t].empty()) return;
            const TensorDesc& td = int8.tensors[t];
            if (td.dtype != DType::kInt8) return;
            const int8_t* q = static_cast<const int8_t*>(d);
            const double s = td.quant.scale[0];
            const int64_t zp = td.quant.zero_point[0];
            Sums& a = sums[t];
            for (size_t i = 0; i < ref[t].size(); ++i) {
              const double f = ref[t][i], v = s * (double(q[i]) - double(zp));
              a.ff += f * f;
              a.qq += v * v;
              a.fq += f * v;
              a.ee += (f - v) * (f - v);
            }
          }));
    }
    if (progress) progress(++done, static_cast<int>(images.size()));
  }
  std::vector<LayerError> rows;
  for (size_t i = 0; i < fp32.ops.size(); ++i) {
    const int t = fp32.ops[i].output;
    const Sums& a = sums[t];
    if (a.ff == 0 && a.qq == 0) continue;
    LayerError r;
    r.op = static_cast<int>(i);
    r.kind = op_kind_name(fp32.ops[i].kind);
    r.tensor = fp32.tensors[t].name;
    r.sqnr_db = a.ee > 0 ? 10.0 * std::log10(a.ff / a.ee) : INFINITY;
    r.cosine = (a.ff > 0 && a.qq > 0) ? a.fq / std::sqrt(a.ff * a.qq) : 0.0;
    rows.push_back(r);
  }
  return rows;
}

}  // namespace elite
