#include "record/segment_repair.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "record/record_test_util.h"
#include "record/segment_recorder.h"
#include "testing/data.h"

namespace didban::record {
namespace {

using ::testing::ElementsAre;

constexpr char kClip[] = "video_fixed/traffic/autostrade_a01_haze.mp4";  // 375 frames, 25 fps, a keyframe each 1 s

class ListIndex : public SegmentIndex {
 public:
  void OnSegmentOpened(const SegmentInfo& /*s*/) override {}
  void OnSegmentClosed(const SegmentInfo& s) override {
    std::lock_guard<std::mutex> lock(mu);
    closed.push_back(s);
  }
  std::mutex mu;
  std::vector<SegmentInfo> closed;
};

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path().filename());
  std::sort(files.begin(), files.end());
  return files;
}

// Records 251 packets (10 s and the keyframe at 10 s) in a child process and SIGKILLs it while the third segment is
// open: the closed segments play, the open one plays up to its last fragment (9-10 s) after the repair.
TEST(SegmentRepairTest, KillNineWhileRecordingThenRepairAtStart) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::string dir = didban::testing::MakeTempDir("repair") + "/cam";
  std::array<int, 2> fds{};
  ASSERT_EQ(pipe(fds.data()), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    SegmentRecorderOptions o;
    o.camera = "cam";
    o.dir = dir;
    o.segment_us = 4'000'000;
    o.min_free_bytes = 0;
    auto rec = SegmentRecorder::Create(o);
    if (!rec.ok()) _exit(2);
    if (testing::FeedFile(clip, rec->get(), 251, /*end=*/false) != 251) _exit(3);
    (*rec)->WaitIdleForTest();
    char ready = 'r';
    if (write(fds[1], &ready, 1) != 1) _exit(4);
    for (;;) pause();
  }
  close(fds[1]);
  char got = 0;
  ASSERT_EQ(read(fds[0], &got, 1), 1);
  close(fds[0]);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  EXPECT_THAT(Files(dir), ElementsAre("cam-19700101T000000.000000Z.mp4", "cam-19700101T000004.000000Z.mp4",
                                      "cam-19700101T000008.000000Z.mp4.part"));
  ListIndex index;
  auto repaired = RepairSegments(dir, "cam", &index);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  ASSERT_EQ(repaired->size(), 1u);
  const RepairedSegment& r = (*repaired)[0];
  EXPECT_EQ(r.part_path, dir + "/cam-19700101T000008.000000Z.mp4.part");
  EXPECT_FALSE(r.removed);
  EXPECT_EQ(r.bytes_cut, 0);  // killed between fragments: the file ends after a complete one
  EXPECT_EQ(r.segment.path, dir + "/cam-19700101T000008.000000Z.mp4");
  EXPECT_EQ(r.segment.frames, 50);
  EXPECT_EQ(r.segment.start_us, 8'000'000);
  EXPECT_EQ(r.segment.end_us, 10'000'000);
  EXPECT_FALSE(r.segment.open);
  ASSERT_EQ(index.closed.size(), 1u);
  EXPECT_EQ(index.closed[0], r.segment);
  EXPECT_THAT(Files(dir), ElementsAre("cam-19700101T000000.000000Z.mp4", "cam-19700101T000004.000000Z.mp4",
                                      "cam-19700101T000008.000000Z.mp4"));
  std::vector<int64_t> decoded;
  for (const std::string& f : Files(dir)) {
    testing::FileContents c = testing::ReadFile(absl::StrCat(dir, "/", f));
    EXPECT_EQ(c.decode_errors, 0) << f;
    decoded.push_back(c.decoded);
  }
  EXPECT_THAT(decoded, ElementsAre(100, 100, 50));
  auto probed = ProbeSegment(dir + "/cam-19700101T000004.000000Z.mp4", "cam");
  ASSERT_TRUE(probed.ok()) << probed.status();
  EXPECT_EQ(probed->frames, 100);
  EXPECT_EQ(probed->start_us, 4'000'000);
  EXPECT_EQ(probed->end_us, 8'000'000);
  // A second start finds nothing to repair.
  auto again = RepairSegments(dir, "cam", nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

// A file cut in the middle of a fragment (power loss, or a crash inside a write) loses only that fragment.
TEST(SegmentRepairTest, CutsAPartlyWrittenFragment) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::string dir = didban::testing::MakeTempDir("repair_cut") + "/cam";
  SegmentRecorderOptions o;
  o.camera = "cam";
  o.dir = dir;
  o.segment_us = 60'000'000;
  o.min_free_bytes = 0;
  {
    auto rec = SegmentRecorder::Create(o);
    ASSERT_TRUE(rec.ok());
    ASSERT_EQ(testing::FeedFile(clip, rec->get(), 100), 100);  // 4 fragments of 25 frames
  }
  std::string closed = dir + "/cam-19700101T000000.000000Z.mp4";
  auto full = CompleteFragmentsLength(closed);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(*full, static_cast<int64_t>(std::filesystem::file_size(closed)));
  std::string part = closed + ".part";
  std::filesystem::rename(closed, part);
  std::filesystem::resize_file(part, static_cast<uintmax_t>(*full - 1000));  // inside the last mdat
  auto repaired = RepairSegments(dir, "cam", nullptr);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  ASSERT_EQ(repaired->size(), 1u);
  EXPECT_GT((*repaired)[0].bytes_cut, 0);
  EXPECT_EQ((*repaired)[0].segment.frames, 75);
  EXPECT_EQ((*repaired)[0].segment.end_us, 3'000'000);
  EXPECT_EQ(testing::ReadFile(closed).decoded, 75);

  // Only the init segment left: the file is deleted.
  std::filesystem::rename(closed, part);
  std::filesystem::resize_file(part, 700);
  repaired = RepairSegments(dir, "cam", nullptr);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  ASSERT_EQ(repaired->size(), 1u);
  EXPECT_TRUE((*repaired)[0].removed);
  EXPECT_TRUE(Files(dir).empty());
}

TEST(SegmentRepairTest, SegmentNames) {
  EXPECT_EQ(SegmentFileName("gate-1/north", 1'764'640'197'123'456), "gate_1_north-20251202T014957.123456Z.mp4");
  auto p = ParseSegmentFileName("gate_1_north-20251202T014957.123456Z.mp4.part");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->camera, "gate_1_north");
  EXPECT_EQ(p->origin_us, 1'764'640'197'123'456);
  EXPECT_TRUE(p->open);
  EXPECT_FALSE(ParseSegmentFileName("notes.txt").has_value());
  EXPECT_FALSE(ParseSegmentFileName("cam-yesterday.mp4").has_value());
}

}  // namespace
}  // namespace didban::record
