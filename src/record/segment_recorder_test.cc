#include "record/segment_recorder.h"

#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "record/record_test_util.h"
#include "source/ffmpeg_source.h"
#include "testing/data.h"

namespace didban::record {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

constexpr char kClip[] = "video_fixed/traffic/autostrade_a01_haze.mp4";  // 375 frames, 25 fps, a keyframe each 1 s

class FakeIndex : public SegmentIndex {
 public:
  void OnSegmentOpened(const SegmentInfo& s) override {
    std::lock_guard<std::mutex> lock(mu_);
    opened.push_back(s);
  }
  void OnSegmentClosed(const SegmentInfo& s) override {
    std::lock_guard<std::mutex> lock(mu_);
    closed.push_back(s);
  }
  std::mutex mu_;
  std::vector<SegmentInfo> opened;
  std::vector<SegmentInfo> closed;
};

SegmentRecorderOptions Options(const std::string& dir, SegmentIndex* index) {
  SegmentRecorderOptions o;
  o.camera = "gate 1";
  o.dir = dir;
  o.segment_us = 4'000'000;
  o.min_free_bytes = 0;
  o.index = index;
  return o;
}

TEST(SegmentRecorderTest, CutsSegmentsAtTheFirstKeyframeAfterSegmentLength) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::string dir = didban::testing::MakeTempDir("rec");
  FakeIndex index;
  auto rec = SegmentRecorder::Create(Options(dir + "/gate_1", &index));
  ASSERT_TRUE(rec.ok()) << rec.status();
  ASSERT_EQ(testing::FeedFile(clip, rec->get()), 375);
  (*rec)->Close();
  RecorderCounters c = (*rec)->Counters();
  EXPECT_EQ(c.packets, 375);
  EXPECT_EQ(c.packets_written, 375);
  EXPECT_EQ(c.packets_dropped, 0);
  EXPECT_EQ(c.segments, 4);
  EXPECT_TRUE(c.recording);
  ASSERT_EQ(index.opened.size(), 4u);
  ASSERT_EQ(index.closed.size(), 4u);
  std::vector<int64_t> frames;
  std::vector<TimeUs> starts;
  std::vector<TimeUs> ends;
  for (const SegmentInfo& s : index.closed) {
    frames.push_back(s.frames);
    starts.push_back(s.start_us);
    ends.push_back(s.end_us);
    EXPECT_FALSE(s.open);
    EXPECT_EQ(s.camera, "gate 1");
    EXPECT_EQ(s.bytes, static_cast<int64_t>(std::filesystem::file_size(s.path))) << s.path;
    testing::FileContents f = testing::ReadFile(s.path);
    ASSERT_TRUE(f.opened) << s.path;
    EXPECT_TRUE(f.first_is_key);
    EXPECT_EQ(f.packets, s.frames);
    EXPECT_EQ(f.decoded, s.frames) << s.path;
    EXPECT_EQ(f.keyframes, s.frames / 25 + (s.frames % 25 != 0 ? 1 : 0));
    EXPECT_EQ(f.pts_us.front(), 0);
  }
  EXPECT_THAT(frames, ElementsAre(100, 100, 100, 75));
  EXPECT_THAT(starts, ElementsAre(0, 4'000'000, 8'000'000, 12'000'000));
  EXPECT_THAT(ends, ElementsAre(4'000'000, 8'000'000, 12'000'000, 15'000'000));
  EXPECT_EQ(index.closed[1].path, dir + "/gate_1/gate_1-19700101T000004.000000Z.mp4");
  EXPECT_EQ(index.opened[1].path, dir + "/gate_1/gate_1-19700101T000004.000000Z.mp4");
  EXPECT_TRUE(index.opened[1].open);
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/gate_1")) files.push_back(e.path().filename());
  std::sort(files.begin(), files.end());
  EXPECT_THAT(files, ElementsAre("gate_1-19700101T000000.000000Z.mp4", "gate_1-19700101T000004.000000Z.mp4",
                                 "gate_1-19700101T000008.000000Z.mp4", "gate_1-19700101T000012.000000Z.mp4"));
}

// A disk of `free` bytes over the real filesystem: writes beyond it write what fits and fail as ENOSPC does.
class BudgetFs : public FileSystem {
 public:
  explicit BudgetFs(int64_t free) : free_(free) {}

  class File : public WritableFile {
   public:
    File(BudgetFs* fs, std::unique_ptr<WritableFile> inner, std::string path)
        : fs_(fs), inner_(std::move(inner)), path_(std::move(path)) {}
    absl::Status Write(const uint8_t* data, size_t size) override {
      int64_t fits = std::min<int64_t>(static_cast<int64_t>(size), std::max<int64_t>(0, fs_->free_.load()));
      DIDBAN_RETURN_IF_ERROR(inner_->Write(data, static_cast<size_t>(fits)));
      fs_->free_ -= fits;
      if (fits < static_cast<int64_t>(size)) {
        return absl::ResourceExhaustedError(absl::StrCat("cannot write '", path_, "': No space left on device"));
      }
      return absl::OkStatus();
    }
    int64_t Size() const override { return inner_->Size(); }
    absl::Status Truncate(int64_t size) override {
      fs_->free_ += inner_->Size() - size;
      return inner_->Truncate(size);
    }
    absl::Status Close() override { return inner_->Close(); }

   private:
    BudgetFs* fs_;
    std::unique_ptr<WritableFile> inner_;
    std::string path_;
  };

  absl::StatusOr<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path) override {
    DIDBAN_ASSIGN_OR_RETURN(auto inner, LocalFileSystem().OpenForWrite(path));
    return std::unique_ptr<WritableFile>(new File(this, std::move(inner), path));
  }
  absl::Status Rename(const std::string& from, const std::string& to) override {
    return LocalFileSystem().Rename(from, to);
  }
  absl::Status Remove(const std::string& path) override {
    std::error_code ec;
    auto size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
    DIDBAN_RETURN_IF_ERROR(LocalFileSystem().Remove(path));
    if (!ec) free_ += size;
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> FreeBytes(const std::string& /*dir*/) override { return free_.load(); }

  std::atomic<int64_t> free_;
};

struct Alerts {
  std::mutex mu;
  std::vector<RecorderAlert> list;
};

// The disk fills during the second segment: its complete fragments are kept, recording stops with an alert while
// packets keep coming (and are counted as skipped), and resumes at the first keyframe of a retry once space returns.
// Passes packets on with the times of some packets removed (as RTSP's first packet often comes).
class StripTimes : public source::PacketSink {
 public:
  StripTimes(source::PacketSink* inner, std::vector<int> strip) : inner_(inner), strip_(std::move(strip)) {}
  void OnStreamStart(const source::PacketStreamInfo& info) override { inner_->OnStreamStart(info); }
  void OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) override {
    if (std::find(strip_.begin(), strip_.end(), n_++) != strip_.end()) pts_us = dts_us = source::kNoPacketTime;
    inner_->OnPacket(packet, pts_us, dts_us);
  }
  void OnStreamEnd() override { inner_->OnStreamEnd(); }

 private:
  source::PacketSink* inner_;
  std::vector<int> strip_;
  int n_ = 0;
};

// A stream whose first keyframe has no time starts recording at the next keyframe (a second later); a packet without
// time later on is placed one frame after the previous one.
TEST(SegmentRecorderTest, PacketsWithoutTimesAreSkippedUntilAKeyframeWithATimeThenPlacedAfterThePrevious) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::string dir = didban::testing::MakeTempDir("rec_notime");
  FakeIndex index;
  auto rec = SegmentRecorder::Create(Options(dir + "/cam", &index));
  ASSERT_TRUE(rec.ok()) << rec.status();
  StripTimes strip(rec->get(), {0, 60});  // the first keyframe; a frame at 2.4 s
  ASSERT_EQ(testing::FeedFile(clip, &strip), 375);
  (*rec)->Close();
  RecorderCounters c = (*rec)->Counters();
  EXPECT_EQ(c.packets, 375);
  EXPECT_EQ(c.packets_skipped, 25);  // the first second: its keyframe had no time
  EXPECT_EQ(c.packets_written, 350);
  ASSERT_FALSE(index.closed.empty());
  EXPECT_EQ(index.closed[0].start_us, 1'000'000);
  EXPECT_EQ(index.closed[0].path, dir + "/cam/gate_1-19700101T000001.000000Z.mp4");
  int64_t decoded = 0;
  for (const SegmentInfo& s : index.closed) {
    testing::FileContents f = testing::ReadFile(s.path);
    EXPECT_EQ(f.decode_errors, 0) << s.path;
    decoded += f.decoded;
  }
  EXPECT_EQ(decoded, 350);
}

TEST(SegmentRecorderTest, FullDiskStopsRecordingWithAnAlertAndResumesWhenSpaceReturns) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::string dir = didban::testing::MakeTempDir("rec_full");
  FakeIndex index;
  BudgetFs fs(300'000);
  Alerts alerts;
  SegmentRecorderOptions o = Options(dir + "/cam", &index);
  o.camera = "cam";
  o.fs = &fs;
  o.retry_us = 2'000'000;
  o.min_free_bytes = 50'000;
  o.on_alert = [&](const RecorderAlert& a) {
    std::lock_guard<std::mutex> lock(alerts.mu);
    alerts.list.push_back(a);
    if (!a.recording) fs.free_ += 1'000'000;  // space returns (e.g. retention deleted old segments)
  };
  auto rec = SegmentRecorder::Create(o);
  ASSERT_TRUE(rec.ok()) << rec.status();
  ASSERT_EQ(testing::FeedFile(clip, rec->get()), 375);
  (*rec)->Close();
  ASSERT_EQ(alerts.list.size(), 2u);
  EXPECT_FALSE(alerts.list[0].recording);
  EXPECT_EQ(alerts.list[0].camera, "cam");
  EXPECT_EQ(alerts.list[0].message,
            absl::StrCat("recording of camera 'cam' stopped: cannot write '", dir,
                         "/cam/cam-19700101T000004.000000Z.mp4.part': No space left on device"));
  EXPECT_TRUE(alerts.list[1].recording);
  EXPECT_EQ(alerts.list[1].message.rfind("recording of camera 'cam' resumed: ", 0), 0u) << alerts.list[1].message;
  std::vector<int64_t> frames;
  std::vector<TimeUs> starts;
  for (const SegmentInfo& s : index.closed) {
    frames.push_back(s.frames);
    starts.push_back(s.start_us);
    testing::FileContents f = testing::ReadFile(s.path);
    EXPECT_EQ(f.decoded, s.frames) << s.path;
    EXPECT_EQ(f.decode_errors, 0) << s.path;
    EXPECT_EQ(s.bytes, static_cast<int64_t>(std::filesystem::file_size(s.path))) << s.path;
  }
  EXPECT_THAT(frames, ElementsAre(100, 25, 100, 75));
  EXPECT_THAT(starts, ElementsAre(0, 4'000'000, 8'000'000, 12'000'000));
  RecorderCounters c = (*rec)->Counters();
  EXPECT_EQ(c.write_errors, 1);
  EXPECT_EQ(c.packets, 375);
  EXPECT_EQ(c.packets_lost, 26);     // the fragment 5-6 s and the keyframe at 6 s that ended it
  EXPECT_EQ(c.packets_skipped, 49);  // 6.04 s to 7.96 s
  EXPECT_EQ(c.packets_written, 300);
  EXPECT_TRUE(c.recording);
  EXPECT_EQ(c.segments, 4);
}

// A real small filesystem (tmpfs of 640 KiB) where this process may mount one (root in a container or VM).
TEST(SegmentRecorderTest, FullTmpfsStopsAndResumes) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::string dir = didban::testing::MakeTempDir("rec_tmpfs");
  if (geteuid() != 0 || mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=640k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root); the BudgetFs test covers the full disk";
  }
  FakeIndex index;
  Alerts alerts;
  SegmentRecorderOptions o = Options(dir + "/cam", &index);
  o.camera = "cam";
  o.retry_us = 1'000'000;
  o.min_free_bytes = 0;
  o.on_alert = [&](const RecorderAlert& a) {
    std::lock_guard<std::mutex> lock(alerts.mu);
    alerts.list.push_back(a);
    std::lock_guard<std::mutex> index_lock(index.mu_);
    if (!a.recording && !index.closed.empty()) {
      std::filesystem::remove(index.closed.front().path);  // what retention does
    }
  };
  auto rec = SegmentRecorder::Create(o);
  ASSERT_TRUE(rec.ok()) << rec.status();
  ASSERT_EQ(testing::FeedFile(clip, rec->get()), 375);
  (*rec)->Close();
  ASSERT_GE(alerts.list.size(), 2u);
  EXPECT_FALSE(alerts.list[0].recording);
  EXPECT_NE(alerts.list[0].message.find("No space left on device"), std::string::npos) << alerts.list[0].message;
  EXPECT_TRUE(alerts.list[1].recording);
  RecorderCounters c = (*rec)->Counters();
  EXPECT_GE(c.write_errors, 1);
  EXPECT_GT(c.packets_skipped, 0);
  for (const SegmentInfo& s : index.closed) {
    if (!std::filesystem::exists(s.path)) continue;
    testing::FileContents f = testing::ReadFile(s.path);
    EXPECT_EQ(f.decoded, s.frames) << s.path;
    EXPECT_EQ(f.decode_errors, 0) << s.path;
  }
  EXPECT_EQ(umount2(dir.c_str(), MNT_DETACH), 0);
}

// Event mode: nothing is written outside holds; a hold is written from the keyframe at or before its pre-roll.
TEST(SegmentRecorderTest, EventModeRecordsHoldsWithPreRoll) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::string dir = didban::testing::MakeTempDir("rec_event");
  FakeIndex index;
  SegmentRecorderOptions o = Options(dir + "/cam", &index);
  o.mode = RecordMode::kEvents;
  o.pre_roll_us = 1'000'000;
  auto rec = SegmentRecorder::Create(o);
  ASSERT_TRUE(rec.ok()) << rec.status();
  (*rec)->Hold(6'500'000, 7'500'000);  // pre-roll from 5.5 s: the keyframe at 5 s
  (*rec)->Hold(7'000'000, 7'600'000);  // overlaps: merged
  (*rec)->Hold(13'000'000, 13'100'000);
  ASSERT_EQ(testing::FeedFile(clip, rec->get()), 375);
  (*rec)->Close();
  ASSERT_EQ(index.closed.size(), 2u);
  const SegmentInfo& s = index.closed[0];
  EXPECT_TRUE(s.event);
  EXPECT_EQ(s.start_us, 5'000'000);
  EXPECT_EQ(s.end_us, 7'640'000);  // the last packet at 7.6 s plus 40 ms
  EXPECT_EQ(s.frames, 66);
  EXPECT_EQ(testing::ReadFile(s.path).decoded, 66);
  EXPECT_EQ(index.closed[1].start_us, 12'000'000);  // pre-roll from 12 s
  EXPECT_EQ(index.closed[1].end_us, 13'120'000);    // the last packet at 13.08 s
  EXPECT_EQ(index.closed[1].frames, 28);
  RecorderCounters c = (*rec)->Counters();
  EXPECT_EQ(c.packets_written, 94);
  EXPECT_EQ(c.packets_skipped, 375 - 94);
}

// Through the real source: the packet tee gives the recorder the same times as the decoded frames.
TEST(SegmentRecorderTest, SourcePacketTeeMatchesFrameTimes) {
  DIDBAN_REQUIRE_DATA(clip, "video_fixed/intel_one-by-one-person-detection.mp4");  // B-frames
  class Times : public source::PacketSink {
   public:
    void OnStreamStart(const source::PacketStreamInfo& info) override {
      ++starts;
      width = info.codecpar->width;
    }
    void OnPacket(const AVPacket& /*p*/, TimeUs pts_us, TimeUs /*dts_us*/) override { pts.push_back(pts_us); }
    void OnStreamEnd() override { ++ends; }
    int starts = 0;
    int ends = 0;
    int width = 0;
    std::vector<TimeUs> pts;
  } times;
  source::SourceOptions so;
  so.packet_sink = &times;
  source::FfmpegSource src(clip, so);
  ASSERT_TRUE(src.Open().ok());
  std::vector<TimeUs> frames;
  for (;;) {
    auto f = src.Read();
    ASSERT_TRUE(f.ok()) << f.status();
    if (*f == nullptr) break;
    frames.push_back((*f)->pts_us);
  }
  EXPECT_EQ(times.starts, 1);
  EXPECT_EQ(times.ends, 1);
  EXPECT_EQ(times.width, 768);
  ASSERT_EQ(frames.size(), 1394u);
  std::vector<TimeUs> sorted = times.pts;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, frames);
  EXPECT_NE(times.pts, frames);  // decode order differs from presentation order
}

}  // namespace
}  // namespace didban::record
