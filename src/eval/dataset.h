// Labelled image sets for `elite eval`: which files to classify and the class index of
// each, from one of three layouts (tried in this order):
//
//   1. a ground-truth file (--ground-truth):
//        - plain: one label per line, for the images of DIR in sorted file-name order (as
//          TFLite's ImageNet eval tool reads them); a label is a class index (0..C-1) or
//          a synset (n01440764). The number of lines must equal the number of images.
//        - CSV: lines `file,label` (file relative to DIR; an optional first line
//          `file,label` or any first line whose label does not parse is a header). The
//          rows define the image set, sorted by file; a listed file that is missing is
//          read like any unreadable image (skipped and listed), not an error here.
//        The file is CSV when its first non-empty line contains a comma.
//   2. synset sub-folders: DIR/n01440764/*.JPEG (ImageNet train/val layout). Folders whose
//      names are not synset-shaped ("n" + 8 digits) are ignored.
//   3. a synset prefix in each file name: DIR/n01440764_anything.JPEG (the text before the
//      first '_' or '.').
//
// Images are files with the extension .jpg, .jpeg or .png (any case); listings are sorted
// by byte order and never recurse further than described. Synset -> class index is the
// line number in the synsets file (models/imagenet_synsets.txt: 1000 lines, class order).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace elite {

struct LabeledImage {
  std::string path;  // DIR joined with the relative name
  int label = 0;     // class index
};

enum class LabelSource { kGroundTruthFile, kGroundTruthCsv, kSubfolders, kFilePrefix };
const char* label_source_name(LabelSource source);

struct Dataset {
  std::vector<LabeledImage> images;
  LabelSource source = LabelSource::kFilePrefix;
};

// Sorted file names (not paths) in `dir` whose extension is one of `exts` (lower case,
// with the dot; compared case-insensitively). Regular files and links to them only.
Result<std::vector<std::string>> list_files_with_ext(const std::string& dir,
                                                     const std::vector<std::string>& exts);
// .jpg .jpeg .png
const std::vector<std::string>& image_extensions();

// Synsets in class order, one per line (blank lines at the end ignored). Errors: missing
// file, empty, malformed or duplicate synsets (each names the file and line).
Result<std::vector<std::string>> read_synsets_file(const std::string& path);

// "n" followed by 8 digits.
bool looks_like_synset(const std::string& s);

// Resolves DIR to labelled images as described above. `ground_truth` may be empty.
// `num_classes` bounds class indices in a ground-truth file. Errors are specific: an empty
// folder, no recognisable labels, a wrong number of ground-truth lines, an unknown synset,
// a bad index (with file and line).
Result<Dataset> resolve_dataset(const std::string& dir, const std::string& ground_truth,
                                const std::vector<std::string>& synsets, int num_classes);

}  // namespace elite
