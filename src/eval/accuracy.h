// Top-1 / top-5 accounting for `elite eval`, overall and per class.
//
// The rank of the true class counts the classes with a higher score, plus those with an
// equal score and a lower index: the same tie rule as Classifier::top_k, so "top-1
// correct" here is exactly "top_k(probs, 1)[0].index == label".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace elite {

// 0-based rank of `label` in `scores` (0 = the best).
int rank_of(const std::vector<float>& scores, int label);

class AccuracyCounter {
 public:
  explicit AccuracyCounter(int num_classes);

  // One image with true class `label` (0 <= label < num_classes) and its scores.
  void add(int label, const std::vector<float>& scores);

  int64_t count() const { return count_; }
  int64_t top1_correct() const { return top1_; }
  int64_t top5_correct() const { return top5_; }
  double top1() const { return count_ ? double(top1_) / double(count_) : 0.0; }
  double top5() const { return count_ ? double(top5_) / double(count_) : 0.0; }

  // CSV with a header line: index,synset,label,n,top1,top5 (top1/top5 as fractions), one
  // row per class with at least one image. `synsets` and `labels` may be shorter than
  // num_classes (empty fields then); fields with commas or quotes are quoted.
  Status write_per_class_csv(const std::string& path, const std::vector<std::string>& synsets,
                             const std::vector<std::string>& labels) const;

 private:
  struct PerClass {
    int64_t n = 0, top1 = 0, top5 = 0;
  };
  std::vector<PerClass> classes_;
  int64_t count_ = 0, top1_ = 0, top5_ = 0;
};

}  // namespace elite
