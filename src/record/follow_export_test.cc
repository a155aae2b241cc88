// The follow video: pieces of two cameras' recordings (real H.264, recorded by the segment recorder, exported by
// ExportClip) joined into one MP4, decoded back with FFmpeg: the stream copy when the pieces share codec parameters
// (exact frames, keyframes, times and the keyframe-aligned cut), the re-encode when they do not (another size), and
// the errors.
#include "record/follow_export.h"

#include <filesystem>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "record/clip_export.h"
#include "record/record_test_util.h"
#include "record/segment_recorder.h"
#include "testing/data.h"

namespace didban::record {
namespace {

constexpr char kClipA[] = "video_fixed/traffic/autostrade_a01_haze.mp4";  // 352x288, 375 frames, 25 fps, key 1 s
constexpr char kClipB[] = "video_fixed/traffic/suburban_street.mp4";      // 640x352, 905 frames

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

// Records `clip` as camera `camera` in 4-s segments (times from 0).
std::vector<SegmentInfo> Record(const std::string& clip, const std::string& camera, const std::string& dir) {
  ListIndex index;
  SegmentRecorderOptions o;
  o.camera = camera;
  o.dir = dir;
  o.segment_us = 4'000'000;
  o.min_free_bytes = 0;
  o.index = &index;
  auto rec = SegmentRecorder::Create(o);
  if (!rec.ok()) return {};
  testing::FeedFile(clip, rec->get());
  (*rec)->Close();
  return index.closed;
}

struct Probe {
  int width = 0, height = 0;
  TimeUs duration_us = 0;
};
Probe ProbeFile(const std::string& path) {
  Probe p;
  AVFormatContext* fmt = nullptr;
  if (avformat_open_input(&fmt, path.c_str(), nullptr, nullptr) < 0) return p;
  if (avformat_find_stream_info(fmt, nullptr) >= 0) {
    const int v = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (v >= 0) {
      p.width = fmt->streams[v]->codecpar->width;
      p.height = fmt->streams[v]->codecpar->height;
    }
    p.duration_us = fmt->duration;
  }
  avformat_close_input(&fmt);
  return p;
}

TEST(FollowExportTest, StreamCopyCutsAtTheNextCamerasKeyframe) {
  DIDBAN_REQUIRE_DATA(clip, kClipA);
  const std::string dir = didban::testing::MakeTempDir("follow_copy");
  const std::vector<SegmentInfo> a = Record(clip, "a", dir + "/a");
  const std::vector<SegmentInfo> b = Record(clip, "b", dir + "/b");  // same encoder settings: same SPS/PPS
  ASSERT_EQ(a.size(), 4u);
  // "a" sees the object until 6.5 s; "b" from 4.5 s to 12 s. The pieces as the API plans them: a [-0.5, 6.5),
  // b [6.5, 12.5); b's clip starts at its keyframe 6 s, inside the overlap, so "a" is cut at 6 s.
  auto ca = ExportClip(a, -500'000, 6'500'000, dir + "/a.mp4");
  auto cb = ExportClip(b, 6'500'000, 12'500'000, dir + "/b.mp4");
  ASSERT_TRUE(ca.ok()) << ca.status();
  ASSERT_TRUE(cb.ok()) << cb.status();
  EXPECT_EQ(cb->start_us, 6'000'000);
  auto join = JoinFollowPieces({{"a", ca->path, ca->start_us, cb->start_us}, {"b", cb->path, cb->start_us, 12'500'000}},
                               dir + "/follow.mp4");
  ASSERT_TRUE(join.ok()) << join.status();
  EXPECT_TRUE(join->stream_copy);
  EXPECT_EQ(join->encoder, "");
  ASSERT_EQ(join->pieces.size(), 2u);
  EXPECT_EQ(join->pieces[0].frames, 150);  // 0 .. 5.96 s
  EXPECT_EQ(join->pieces[0].from_us, 0);
  EXPECT_EQ(join->pieces[0].to_us, 6'000'000);
  EXPECT_EQ(join->pieces[0].out_to_us, 6'000'000);
  EXPECT_EQ(join->pieces[1].frames, 163);  // 6 .. 12.48 s
  EXPECT_EQ(join->pieces[1].from_us, 6'000'000);
  EXPECT_EQ(join->pieces[1].to_us, 12'520'000);
  EXPECT_EQ(join->pieces[1].out_from_us, 6'000'000);
  EXPECT_EQ(join->pieces[1].out_to_us, 12'520'000);
  EXPECT_EQ(join->pieces[1].repeat_us, 0);
  EXPECT_EQ(join->frames, 313);
  EXPECT_EQ(join->duration_us, 12'520'000);
  const testing::FileContents c = testing::ReadFile(dir + "/follow.mp4");
  EXPECT_EQ(c.packets, 313);
  EXPECT_EQ(c.decoded, 313);
  EXPECT_EQ(c.decode_errors, 0);
  EXPECT_EQ(c.keyframes, 6 + 7);  // a: 0..5 s, b: 6..12 s
  EXPECT_TRUE(c.first_is_key);
  EXPECT_EQ(c.pts_us.front(), 0);
  EXPECT_EQ(c.pts_us[150], 6'000'000);  // b's keyframe right after a's last frame
  EXPECT_EQ(c.pts_us.back(), 12'480'000);
  const Probe p = ProbeFile(dir + "/follow.mp4");
  EXPECT_EQ(p.width, 352);
  EXPECT_EQ(p.duration_us, 12'520'000);

  // Cut where b's keyframe is not inside the overlap (the caller keeps a's planned end): 0.5 s shown twice.
  auto twice = JoinFollowPieces({{"a", ca->path, ca->start_us, 6'500'000}, {"b", cb->path, cb->start_us, 8'000'000}},
                                dir + "/twice.mp4");
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(twice->pieces[0].frames, 163);
  EXPECT_EQ(twice->pieces[1].frames, 50);
  EXPECT_EQ(twice->pieces[1].repeat_us, 520'000);  // a ran to 6.52 s, b starts at 6 s
  EXPECT_EQ(testing::ReadFile(dir + "/twice.mp4").decoded, 213);
  std::filesystem::remove_all(dir);
}

TEST(FollowExportTest, DifferentCodecParametersAreReencodedAtTheFirstPiecesSize) {
  DIDBAN_REQUIRE_DATA(clip_a, kClipA);
  DIDBAN_REQUIRE_DATA(clip_b, kClipB);
  const std::string dir = didban::testing::MakeTempDir("follow_reencode");
  const std::vector<SegmentInfo> a = Record(clip_a, "a", dir + "/a");
  const std::vector<SegmentInfo> b = Record(clip_b, "b", dir + "/b");
  auto ca = ExportClip(a, 0, 2'000'000, dir + "/a.mp4");
  auto cb = ExportClip(b, 2'000'000, 4'000'000, dir + "/b.mp4");
  ASSERT_TRUE(ca.ok()) << ca.status();
  ASSERT_TRUE(cb.ok()) << cb.status();
  auto join = JoinFollowPieces({{"a", ca->path, ca->start_us, 2'000'000}, {"b", cb->path, cb->start_us, cb->end_us}},
                               dir + "/follow.mp4");
  ASSERT_TRUE(join.ok()) << join.status();
  EXPECT_FALSE(join->stream_copy);
  EXPECT_EQ(join->reencode_reason, "piece 1 (b) differs from piece 0 (a): size 352x288 vs 640x352");
  EXPECT_FALSE(join->encoder.empty());
  ASSERT_EQ(join->pieces.size(), 2u);
  EXPECT_EQ(join->pieces[0].frames, 50);
  EXPECT_EQ(join->pieces[1].frames, cb->frames);  // every frame of b's clip
  EXPECT_EQ(join->frames, 50 + cb->frames);
  const testing::FileContents c = testing::ReadFile(dir + "/follow.mp4");
  EXPECT_EQ(c.decoded, join->frames);
  EXPECT_EQ(c.decode_errors, 0);
  const Probe p = ProbeFile(dir + "/follow.mp4");
  EXPECT_EQ(p.width, 352);
  EXPECT_EQ(p.height, 288);
  EXPECT_NEAR(static_cast<double>(p.duration_us), static_cast<double>(join->duration_us), 50'000);
  std::filesystem::remove_all(dir);
}

TEST(FollowExportTest, Errors) {
  const std::string dir = didban::testing::MakeTempDir("follow_err");
  EXPECT_EQ(JoinFollowPieces({}, dir + "/x.mp4").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JoinFollowPieces({{"a", dir + "/none.mp4", 5, 5}}, dir + "/x.mp4").status().message(),
            "follow piece 0 (a): to_us 5 is not after its start 5");
  absl::Status missing = JoinFollowPieces({{"a", dir + "/none.mp4", 0, 5}}, dir + "/x.mp4").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(missing.message().find("follow piece 0 (a, '" + dir + "/none.mp4'): cannot open"), std::string::npos)
      << missing;
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.mp4"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace didban::record
