// Locating a TensorFlow checkpoint: prefix, index/shard file, directory or archive.
#include "io/checkpoint/tf_checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "io/archive/gzip.h"
#include "io/archive/tar.h"

namespace elite::ckpt {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "x.data-00000-of-00001" -> "x"; "" when the name is not a shard.
std::string shard_prefix(const std::string& path) {
  const size_t n = path.size();
  const size_t kTail = 20;  // ".data-" 5 digits "-of-" 5 digits
  if (n <= kTail || path.compare(n - kTail, 6, ".data-") != 0 || path.compare(n - 9, 4, "-of-") != 0)
    return "";
  for (size_t i : {n - 14, n - 5})
    for (size_t k = 0; k < 5; ++k)
      if (path[i + k] < '0' || path[i + k] > '9') return "";
  return path.substr(0, n - kTail);
}

bool is_file(const std::string& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// First 512 bytes of a file (fewer if it is shorter).
std::string head_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::string s(512, '\0');
  f.read(s.data(), 512);
  s.resize(static_cast<size_t>(f.gcount()));
  return s;
}

bool is_archive_name(const std::string& p) {
  return ends_with(p, ".tar.gz") || ends_with(p, ".tgz") || ends_with(p, ".tar");
}

bool looks_like_archive(const std::string& path) {
  const std::string h = head_of(path);
  const auto* b = reinterpret_cast<const uint8_t*>(h.data());
  return archive::is_gzip(b, h.size()) || archive::looks_like_tar(b, h.size());
}

std::string dirname_of(const std::string& p) {
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? "" : p.substr(0, slash);
}
std::string basename_of(const std::string& p) {
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}
std::string join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

Result<std::string> prefix_in_directory(const std::string& dir) {
  std::string named;
  if (is_file(join(dir, "checkpoint"))) {
    std::ifstream f(join(dir, "checkpoint"));
    std::stringstream ss;
    ss << f.rdbuf();
    named = parse_checkpoint_state(ss.str());
    if (!named.empty()) {
      // As written (absolute, or relative to the working directory as TF allows), then
      // relative to the directory, then just its last component (the checkpoint was moved).
      for (const std::string& cand : {named, join(dir, named), join(dir, basename_of(named))}) {
        if (!cand.empty() && is_file(cand + ".index")) return cand;
      }
    }
  }
  std::vector<std::string> indexes;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (ends_with(name, ".index") && e.is_regular_file(ec)) indexes.push_back(name);
  }
  if (ec) return Status::Error(dir + ": cannot list the directory");
  std::sort(indexes.begin(), indexes.end());
  if (indexes.size() == 1) return join(dir, indexes[0].substr(0, indexes[0].size() - 6));
  std::string msg = dir + ": ";
  if (!named.empty()) msg += "its checkpoint file names '" + named + "', which has no .index file, and ";
  if (indexes.empty()) return Status::Error(msg + "no TensorFlow checkpoint (*.index file) in the directory");
  msg += std::to_string(indexes.size()) + " checkpoints (";
  for (size_t i = 0; i < indexes.size(); ++i) msg += (i ? ", " : "") + indexes[i];
  return Status::Error(msg + "); pass one prefix, e.g. " + join(dir, indexes.back().substr(0, indexes.back().size() - 6)));
}

}  // namespace

std::string parse_checkpoint_state(const std::string& text) {
  // Text-format CheckpointState: a line `model_checkpoint_path: "..."` (C-style escapes).
  // Scanned by hand: std::regex recurses per character and could exhaust the stack on a
  // long line from an untrusted archive.
  const std::string field = "model_checkpoint_path";
  size_t line = 0;
  while (line < text.size()) {
    size_t end = text.find('\n', line);
    if (end == std::string::npos) end = text.size();
    size_t i = line;
    auto skip_space = [&] {
      while (i < end && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) ++i;
    };
    skip_space();
    if (text.compare(i, field.size(), field) == 0) {
      i += field.size();
      skip_space();
      if (i < end && text[i] == ':') {
        ++i;
        skip_space();
        if (i < end && text[i] == '"') {
          std::string out;
          for (++i; i < end && text[i] != '"'; ++i) {
            char c = text[i];
            if (c == '\\' && i + 1 < end) {
              c = text[++i];
              c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
            }
            out += c;
          }
          if (i < end) return out;  // closing quote found
        }
      }
    }
    line = end + 1;
  }
  return "";
}

bool is_tf_checkpoint_path(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return true;
  if (ends_with(path, ".index") || !shard_prefix(path).empty() || is_archive_name(path)) return true;
  if (is_file(path)) return looks_like_archive(path);
  return is_file(path + ".index");
}

Result<TfCheckpoint> read_tf_checkpoint_memory(const MemoryFiles& files, const std::string& source,
                                               const TfReadOptions& options) {
  std::string prefix;
  std::vector<std::string> indexes;
  for (const auto& [name, bytes] : files)
    if (ends_with(name, ".index")) indexes.push_back(name.substr(0, name.size() - 6));
  for (const auto& [name, bytes] : files) {
    if (basename_of(name) != "checkpoint") continue;
    const std::string named =
        parse_checkpoint_state(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    const std::string cand = join(dirname_of(name), basename_of(named));
    if (!named.empty() && files.count(cand + ".index")) {
      prefix = cand;
      break;
    }
  }
  if (prefix.empty()) {
    if (indexes.empty()) {
      std::string msg = source + ": no TensorFlow checkpoint (no .index file) among its " +
                        std::to_string(files.size()) + " files";
      size_t shown = 0;
      for (const auto& [name, bytes] : files) {
        msg += (shown ? ", " : " (") + name;
        if (++shown == 8) break;
      }
      return Status::Error(msg + (files.empty() ? "" : files.size() > shown ? ", ...)" : ")"));
    }
    if (indexes.size() > 1) {
      std::string msg = source + ": " + std::to_string(indexes.size()) + " checkpoints (";
      for (size_t i = 0; i < indexes.size(); ++i) msg += (i ? ", " : "") + indexes[i];
      return Status::Error(msg + ") and no `checkpoint` file naming one of them");
    }
    prefix = indexes[0];
  }
  TfCheckpoint ck;
  ck.source = source + ":" + prefix;
  ELITE_ASSIGN_OR_RETURN(ck.weights, read_tf_bundle_memory(files, prefix, source + ":", options));
  return ck;
}

Result<TfCheckpoint> read_tf_checkpoint(const std::string& path, const TfReadOptions& options) {
  std::error_code ec;
  std::string prefix;
  if (fs::is_directory(path, ec)) {
    std::string dir = path;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    ELITE_ASSIGN_OR_RETURN(prefix, prefix_in_directory(dir));
  } else if (ends_with(path, ".index")) {
    prefix = path.substr(0, path.size() - 6);
  } else if (!shard_prefix(path).empty()) {
    prefix = shard_prefix(path);
  } else if (is_file(path) && (is_archive_name(path) || looks_like_archive(path))) {
    ELITE_ASSIGN_OR_RETURN(archive::Archive a, archive::read_tar_gz_file(path));
    return read_tf_checkpoint_memory(a.files(), path, options);
  } else if (is_file(path + ".index")) {
    prefix = path;
  } else if (is_archive_name(path)) {
    return Status::Error(path + ": cannot open file");
  } else {
    return Status::Error(path + ": no TensorFlow checkpoint here (neither a directory, an archive, "
                         "nor a prefix with a " + basename_of(path) + ".index file)");
  }
  TfCheckpoint ck;
  ck.source = prefix;
  ELITE_ASSIGN_OR_RETURN(ck.weights, read_tf_bundle_files(prefix, options));
  return ck;
}

}  // namespace elite::ckpt
