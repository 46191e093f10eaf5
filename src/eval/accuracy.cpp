// Top-1 / top-5 accounting and the per-class CSV; see accuracy.h.
#include "eval/accuracy.h"

#include <cstdio>
#include <fstream>

namespace elite {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string fraction(int64_t num, int64_t den) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", den ? double(num) / double(den) : 0.0);
  return buf;
}

}  // namespace

int rank_of(const std::vector<float>& scores, int label) {
  const float s = scores[label];
  int rank = 0;
  for (int i = 0; i < static_cast<int>(scores.size()); ++i)
    if (scores[i] > s || (scores[i] == s && i < label)) ++rank;
  return rank;
}

AccuracyCounter::AccuracyCounter(int num_classes) : classes_(num_classes) {}

void AccuracyCounter::add(int label, const std::vector<float>& scores) {
  const int rank = rank_of(scores, label);
  PerClass& c = classes_[label];
  ++count_;
  ++c.n;
  if (rank < 1) ++top1_, ++c.top1;
  if (rank < 5) ++top5_, ++c.top5;
}

Status AccuracyCounter::write_per_class_csv(const std::string& path,
                                            const std::vector<std::string>& synsets,
                                            const std::vector<std::string>& labels) const {
  std::ofstream f(path);
  if (!f) return Status::Error(path + ": cannot write file");
  f << "index,synset,label,n,top1,top5\n";
  for (size_t i = 0; i < classes_.size(); ++i) {
    const PerClass& c = classes_[i];
    if (c.n == 0) continue;
    f << i << ',' << csv_field(i < synsets.size() ? synsets[i] : "") << ','
      << csv_field(i < labels.size() ? labels[i] : "") << ',' << c.n << ','
      << fraction(c.top1, c.n) << ',' << fraction(c.top5, c.n) << '\n';
  }
  f.close();
  if (!f) return Status::Error(path + ": write failed");
  return Status::Ok();
}

}  // namespace elite
