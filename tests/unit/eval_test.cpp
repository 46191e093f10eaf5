// src/eval: ground-truth parsing, layout detection (sub-folders, file-name prefixes), bad
// input, the accuracy counter; and the tflite-eval / MediaPipe preprocessing helpers.
// Folders are built in a temporary directory with placeholder files (labels never decode
// the images).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "eval/accuracy.h"
#include "eval/dataset.h"
#include "preprocess/preprocess_variants.h"

namespace elite {
namespace {
namespace fs = std::filesystem;

class EvalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("elite_eval_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string write(const std::string& rel, const std::string& text = "x") {
    const fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string dir(const std::string& rel) {
    fs::create_directories(root_ / rel);
    return (root_ / rel).string();
  }
  fs::path root_;
  const std::vector<std::string> synsets_ = {"n01440764", "n01443537", "n01484850"};
};

std::vector<int> labels_of(const Dataset& ds) {
  std::vector<int> out;
  for (const auto& im : ds.images) out.push_back(im.label);
  return out;
}

TEST_F(EvalTest, FilePrefixLayout) {
  write("a/n01443537_b.JPEG");
  write("a/n01440764_a.jpg");
  write("a/n01484850.png");
  write("a/readme.txt");  // not an image: ignored
  auto ds = resolve_dataset(dir("a"), "", synsets_, 3);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->source, LabelSource::kFilePrefix);
  EXPECT_EQ(labels_of(*ds), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(fs::path(ds->images[0].path).filename(), "n01440764_a.jpg");
}

TEST_F(EvalTest, SubfolderLayout) {
  write("a/n01484850/z.jpeg");
  write("a/n01440764/x.JPEG");
  write("a/n01440764/y.png");
  write("a/other/ignored.jpg");
  auto ds = resolve_dataset(dir("a"), "", synsets_, 3);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->source, LabelSource::kSubfolders);
  EXPECT_EQ(labels_of(*ds), (std::vector<int>{0, 0, 2}));
}

TEST_F(EvalTest, GroundTruthLines) {
  write("a/img3.jpg");
  write("a/img1.jpg");
  write("a/img2.png");
  // Sorted order: img1, img2, img3. Indices and synsets may mix; CRLF is fine.
  const std::string gt = write("gt.txt", "2\r\nn01440764\r\n1\r\n\r\n");
  auto ds = resolve_dataset(dir("a"), gt, synsets_, 3);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->source, LabelSource::kGroundTruthFile);
  EXPECT_EQ(labels_of(*ds), (std::vector<int>{2, 0, 1}));
}

TEST_F(EvalTest, GroundTruthCsv) {
  write("a/q.jpg");
  write("a/p.jpg");
  const std::string gt = write("gt.csv", "file,label\nq.jpg,n01484850\np.jpg,1\n");
  auto ds = resolve_dataset(dir("a"), gt, synsets_, 3);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->source, LabelSource::kGroundTruthCsv);
  EXPECT_EQ(labels_of(*ds), (std::vector<int>{1, 2}));  // sorted: p.jpg, q.jpg
}

TEST_F(EvalTest, Errors) {
  auto expect_error = [](const Result<Dataset>& r, const std::string& needle) {
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  expect_error(resolve_dataset(dir("empty"), "", synsets_, 3), "no images");
  expect_error(resolve_dataset((root_ / "missing").string(), "", synsets_, 3), "not a directory");
  write("nolabels/cat.jpg");
  expect_error(resolve_dataset(dir("nolabels"), "", synsets_, 3), "no labels for cat.jpg");
  write("unknown/n09999999_x.jpg");
  expect_error(resolve_dataset(dir("unknown"), "", synsets_, 3), "unknown synset 'n09999999'");
  write("unknowndir/n09999999/x.jpg");
  expect_error(resolve_dataset(dir("unknowndir"), "", synsets_, 3), "unknown synset");
  dir("emptysub/n01440764");
  expect_error(resolve_dataset(dir("emptysub"), "", synsets_, 3), "hold no images");
  write("g/a.jpg");
  write("g/b.jpg");
  expect_error(resolve_dataset(dir("g"), write("short.txt", "0\n"), synsets_, 3),
               "1 lines, but");
  expect_error(resolve_dataset(dir("g"), write("long.txt", "0\n1\n2\n"), synsets_, 3),
               "3 lines, but");
  expect_error(resolve_dataset(dir("g"), write("bad.txt", "0\nn01234567\n"), synsets_, 3),
               "bad.txt:2: unknown synset 'n01234567'");
  expect_error(resolve_dataset(dir("g"), write("range.txt", "0\n3\n"), synsets_, 3),
               "range.txt:2: class index 3 is out of range");
  expect_error(resolve_dataset(dir("g"), write("word.txt", "0\ncat\n"), synsets_, 3),
               "neither a class index nor a synset");
  expect_error(resolve_dataset(dir("g"), write("empty.txt", ""), synsets_, 3), "empty");
  expect_error(resolve_dataset(dir("g"), (root_ / "none.txt").string(), synsets_, 3),
               "cannot open");
  expect_error(resolve_dataset(dir("g"), write("dup.csv", "a.jpg,0\na.jpg,1\n"), synsets_, 3),
               "listed twice");
  expect_error(resolve_dataset(dir("g"), write("badcsv.csv", "a.jpg,0\nb.jpg,zebra\n"), synsets_, 3),
               "badcsv.csv:2");
}

TEST_F(EvalTest, SynsetsFile) {
  auto ok = read_synsets_file(write("s.txt", "n01440764\nn01443537\n\n"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 2u);
  EXPECT_FALSE(read_synsets_file((root_ / "none.txt").string()).ok());
  EXPECT_FALSE(read_synsets_file(write("e.txt", "")).ok());
  auto dup = read_synsets_file(write("d.txt", "n01440764\nn01440764\n"));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("d.txt:2: duplicate"), std::string::npos);
  EXPECT_TRUE(looks_like_synset("n01440764"));
  EXPECT_FALSE(looks_like_synset("n0144076"));
  EXPECT_FALSE(looks_like_synset("x01440764"));
}

TEST(AccuracyCounter, TopKAndTies) {
  AccuracyCounter acc(6);
  acc.add(0, {0.5f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f});  // top-1
  acc.add(5, {0.5f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f});  // tie with 1..4, higher index: rank 5
  acc.add(1, {0.5f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f});  // rank 1: top-5
  EXPECT_EQ(acc.count(), 3);
  EXPECT_EQ(acc.top1_correct(), 1);
  EXPECT_EQ(acc.top5_correct(), 2);
  EXPECT_EQ(rank_of({0.2f, 0.2f, 0.6f}, 1), 2);
  const std::string csv = (fs::temp_directory_path() / "elite_eval_per_class.csv").string();
  ASSERT_TRUE(acc.write_per_class_csv(csv, {"a", "b"}, {"x, y", "z"}).ok());
  std::ifstream f(csv);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text,
            "index,synset,label,n,top1,top5\n0,a,\"x, y\",1,1.0000,1.0000\n"
            "1,b,z,1,0.0000,1.0000\n5,,,1,0.0000,0.0000\n");
  fs::remove(csv);
}

TEST(PreprocessVariants, TfliteEvalCropAndBilinear) {
  // round(0.875 * 100) = 88 (87.5 rounds away from zero), round(0.875 * 60) = 53 (52.5).
  CropWindow w = tflite_eval_center_crop(100, 60);
  EXPECT_EQ(w.height, 53);
  EXPECT_EQ(w.width, 53);
  EXPECT_EQ(w.y, 24);  // round(47 / 2.0) = round(23.5) = 24
  EXPECT_EQ(w.x, 4);   // round(3.5) = 4
  // 2x1 image resized to 4x1: positions 0, 0.5, 1, 1.5 -> taps clamp at the edge.
  const uint8_t px[2] = {0, 100};
  std::vector<float> r = resize_bilinear_tflite(px, 1, 2, 1, 2, 1, 4);
  EXPECT_EQ(r, (std::vector<float>{0.0f, 50.0f, 100.0f, 100.0f}));
  std::vector<uint8_t> u = resize_bilinear_u8(px, 1, 2, 1, 2, 1, 4);
  EXPECT_EQ(u, (std::vector<uint8_t>{0, 50, 100, 100}));
}

TEST(PreprocessVariants, NormalizationRanges) {
  Image img;
  img.height = 4;
  img.width = 6;
  img.rgb.assign(4 * 6 * 3, 255);
  img.rgb[0] = 0;
  const std::vector<float> t = preprocess_tflite_eval(img, 3, 3);
  ASSERT_EQ(t.size(), 27u);
  EXPECT_FLOAT_EQ(t[26], 1.0f);
  const std::vector<float> m = preprocess_mediapipe(img, 2, 3);
  ASSERT_EQ(m.size(), 18u);
  EXPECT_FLOAT_EQ(m[0], -1.0f);  // output (0, 0) samples input (0, 0) exactly
  EXPECT_FLOAT_EQ(m[17], 1.0f);
  EXPECT_TRUE(preprocess_mediapipe(Image{}, 2, 2).empty());
}

}  // namespace
}  // namespace elite
