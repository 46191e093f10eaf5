// Ground-truth parsing and layout detection for `elite eval`; see dataset.h.
#include "eval/dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <unordered_map>

namespace elite {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string join(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

Result<std::vector<std::string>> read_lines(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Status::Error(path + ": cannot open file");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
  return lines;
}

using SynsetIndex = std::unordered_map<std::string, int>;

SynsetIndex index_synsets(const std::vector<std::string>& synsets) {
  SynsetIndex index;
  for (size_t i = 0; i < synsets.size(); ++i) index.emplace(synsets[i], static_cast<int>(i));
  return index;
}

// A label token: a class index in [0, num_classes) or a known synset. `where` is
// "FILE:LINE" for the error message.
Result<int> parse_label(const std::string& token, const SynsetIndex& synsets, int num_classes,
                        const std::string& where) {
  const std::string t = trim(token);
  if (t.empty()) return Status::Error(where + ": empty label");
  if (std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (t.size() > 9 || std::stol(t) >= num_classes)
      return Status::Error(where + ": class index " + t + " is out of range (the model has " +
                           std::to_string(num_classes) + " classes)");
    return static_cast<int>(std::stol(t));
  }
  auto it = synsets.find(t);
  if (it != synsets.end()) return it->second;
  if (looks_like_synset(t))
    return Status::Error(where + ": unknown synset '" + t + "' (not in the synsets file)");
  return Status::Error(where + ": '" + t + "' is neither a class index nor a synset");
}

// The synset-shaped prefix of a file name (before the first '_' or '.'), or "".
std::string synset_prefix(const std::string& name) {
  const size_t end = name.find_first_of("_.");
  const std::string p = name.substr(0, end);
  return looks_like_synset(p) ? p : std::string();
}

Result<Dataset> from_ground_truth(const std::string& dir, const std::string& gt,
                                  const SynsetIndex& synsets, int num_classes) {
  ELITE_ASSIGN_OR_RETURN(std::vector<std::string> lines, read_lines(gt));
  size_t first = 0;
  while (first < lines.size() && trim(lines[first]).empty()) ++first;
  if (first == lines.size()) return Status::Error(gt + ": ground-truth file is empty");
  Dataset ds;
  if (lines[first].find(',') != std::string::npos) {
    ds.source = LabelSource::kGroundTruthCsv;
    for (size_t i = first; i < lines.size(); ++i) {
      const std::string where = gt + ":" + std::to_string(i + 1);
      if (trim(lines[i]).empty()) continue;
      const size_t comma = lines[i].rfind(',');
      if (comma == std::string::npos)
        return Status::Error(where + ": expected 'file,label'");
      const std::string file = trim(lines[i].substr(0, comma));
      auto label = parse_label(lines[i].substr(comma + 1), synsets, num_classes, where);
      if (!label.ok()) {
        if (i == first) continue;  // a header line
        return label.status();
      }
      if (file.empty()) return Status::Error(where + ": empty file name");
      ds.images.push_back({join(dir, file), *label});
    }
    if (ds.images.empty()) return Status::Error(gt + ": no 'file,label' rows");
    std::stable_sort(ds.images.begin(), ds.images.end(),
                     [](const LabeledImage& a, const LabeledImage& b) { return a.path < b.path; });
    for (size_t i = 1; i < ds.images.size(); ++i)
      if (ds.images[i].path == ds.images[i - 1].path)
        return Status::Error(gt + ": " + ds.images[i].path + " is listed twice");
    return ds;
  }
  ds.source = LabelSource::kGroundTruthFile;
  ELITE_ASSIGN_OR_RETURN(std::vector<std::string> files,
                         list_files_with_ext(dir, image_extensions()));
  if (files.empty()) return Status::Error(dir + ": no images (.jpg, .jpeg, .png)");
  if (lines.size() != files.size())
    return Status::Error(gt + ": " + std::to_string(lines.size()) + " lines, but " + dir +
                         " has " + std::to_string(files.size()) +
                         " images (one label per image, in sorted file order)");
  for (size_t i = 0; i < files.size(); ++i) {
    ELITE_ASSIGN_OR_RETURN(int label, parse_label(lines[i], synsets, num_classes,
                                                  gt + ":" + std::to_string(i + 1)));
    ds.images.push_back({join(dir, files[i]), label});
  }
  return ds;
}

}  // namespace

const char* label_source_name(LabelSource source) {
  switch (source) {
    case LabelSource::kGroundTruthFile: return "ground-truth file (one label per line)";
    case LabelSource::kGroundTruthCsv: return "ground-truth CSV (file,label)";
    case LabelSource::kSubfolders: return "synset sub-folders";
    case LabelSource::kFilePrefix: return "synset prefix of the file names";
  }
  return "?";
}

const std::vector<std::string>& image_extensions() {
  static const std::vector<std::string> exts = {".jpg", ".jpeg", ".png"};
  return exts;
}

bool looks_like_synset(const std::string& s) {
  return s.size() == 9 && s[0] == 'n' &&
         std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<std::vector<std::string>> list_files_with_ext(const std::string& dir,
                                                     const std::vector<std::string>& exts) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::Error(dir + ": not a directory");
  std::vector<std::string> names;
  fs::directory_iterator it(dir, ec), end;
  if (ec) return Status::Error(dir + ": cannot list: " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::Error(dir + ": cannot list: " + ec.message());
    std::error_code ec2;
    if (!it->is_regular_file(ec2)) continue;
    const std::string name = it->path().filename().string();
    const std::string ext = lower(it->path().extension().string());
    if (std::find(exts.begin(), exts.end(), ext) != exts.end()) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::vector<std::string>> read_synsets_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    return Status::Error(path + ": synsets file not found (scripts/setup_models.sh writes "
                                "models/imagenet_synsets.txt; or pass --synsets FILE)");
  ELITE_ASSIGN_OR_RETURN(std::vector<std::string> lines, read_lines(path));
  if (lines.empty()) return Status::Error(path + ": synsets file is empty");
  std::vector<std::string> synsets;
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string s = trim(lines[i]);
    const std::string where = path + ":" + std::to_string(i + 1);
    if (s.empty() || s.find_first_of(" \t,") != std::string::npos)
      return Status::Error(where + ": expected one synset per line, got '" + lines[i] + "'");
    if (!seen.emplace(s, i).second) return Status::Error(where + ": duplicate synset " + s);
    synsets.push_back(s);
  }
  return synsets;
}

Result<Dataset> resolve_dataset(const std::string& dir, const std::string& ground_truth,
                                const std::vector<std::string>& synsets, int num_classes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::Error(dir + ": not a directory");
  const SynsetIndex index = index_synsets(synsets);
  if (!ground_truth.empty()) return from_ground_truth(dir, ground_truth, index, num_classes);

  // Synset sub-folders.
  std::vector<std::string> subdirs;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    const std::string name = it->path().filename().string();
    if (it->is_directory(ec2) && looks_like_synset(name)) subdirs.push_back(name);
  }
  if (ec) return Status::Error(dir + ": cannot list: " + ec.message());
  Dataset ds;
  if (!subdirs.empty()) {
    ds.source = LabelSource::kSubfolders;
    std::sort(subdirs.begin(), subdirs.end());
    for (const std::string& s : subdirs) {
      auto it = index.find(s);
      if (it == index.end())
        return Status::Error(join(dir, s) + ": unknown synset '" + s +
                             "' (not in the synsets file)");
      ELITE_ASSIGN_OR_RETURN(std::vector<std::string> files,
                             list_files_with_ext(join(dir, s), image_extensions()));
      for (const std::string& f : files) ds.images.push_back({join(join(dir, s), f), it->second});
    }
    if (ds.images.empty())
      return Status::Error(dir + ": the synset sub-folders hold no images (.jpg, .jpeg, .png)");
    return ds;
  }

  // Synset prefix of each file name.
  ELITE_ASSIGN_OR_RETURN(std::vector<std::string> files,
                         list_files_with_ext(dir, image_extensions()));
  if (files.empty()) return Status::Error(dir + ": no images (.jpg, .jpeg, .png)");
  ds.source = LabelSource::kFilePrefix;
  for (const std::string& f : files) {
    const std::string s = synset_prefix(f);
    if (s.empty())
      return Status::Error(dir + ": no labels for " + f +
                           ": give --ground-truth FILE, use synset sub-folders "
                           "(DIR/n01440764/...) or name files n01440764_...");
    auto it = index.find(s);
    if (it == index.end())
      return Status::Error(join(dir, f) + ": unknown synset '" + s + "' (not in the synsets file)");
    ds.images.push_back({join(dir, f), it->second});
  }
  return ds;
}

}  // namespace elite
