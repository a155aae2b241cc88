// Tests of the site's recording bound to a real SQLite store: retention over the store's segment index (age, size,
// free-disk floor, evidence, event-only cameras), the index repaired at start, and a full disk (a fault-injecting
// FileSystem) raising recording_failed then recording_resumed while packets keep coming; masked recording of a real
// clip (segments re-encoded with the mask filled, named and indexed as masked, playable).
#include "center/recording.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "record/record_test_util.h"
#include "source/ffmpeg_source.h"
#include "testing/data.h"

namespace didban::center {
namespace {

using ::testing::ElementsAre;

constexpr char kClip[] = "video_fixed/traffic/autostrade_a01_haze.mp4";  // 375 frames, 25 fps, a keyframe each 1 s
constexpr TimeUs kS = kUsPerSecond;

// The local filesystem with a byte budget: writes beyond it fail with ENOSPC's status, Remove gives bytes back.
class BudgetFs : public record::FileSystem {
 public:
  explicit BudgetFs(int64_t free) : free_(free) {}

  class File : public record::WritableFile {
   public:
    File(BudgetFs* fs, std::unique_ptr<record::WritableFile> inner, std::string path)
        : fs_(fs), inner_(std::move(inner)), path_(std::move(path)) {}
    absl::Status Write(const uint8_t* data, size_t size) override {
      const int64_t fits = std::min<int64_t>(static_cast<int64_t>(size), std::max<int64_t>(0, fs_->free_.load()));
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
    std::unique_ptr<record::WritableFile> inner_;
    std::string path_;
  };

  absl::StatusOr<std::unique_ptr<record::WritableFile>> OpenForWrite(const std::string& path) override {
    DIDBAN_ASSIGN_OR_RETURN(auto inner, record::LocalFileSystem().OpenForWrite(path));
    return std::unique_ptr<record::WritableFile>(new File(this, std::move(inner), path));
  }
  absl::Status Rename(const std::string& from, const std::string& to) override {
    return record::LocalFileSystem().Rename(from, to);
  }
  absl::Status Remove(const std::string& path) override {
    std::error_code ec;
    const auto size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
    DIDBAN_RETURN_IF_ERROR(record::LocalFileSystem().Remove(path));
    if (!ec) free_ += size;
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> FreeBytes(const std::string& /*dir*/) override { return free_.load(); }

  std::atomic<int64_t> free_;
};

class RecordingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = didban::testing::MakeTempDir("recording");
    auto st = store::OpenStore("sqlite://" + dir_ + "/site.db");
    ASSERT_TRUE(st.ok()) << st.status();
    store_ = *std::move(st);
  }

  SiteRecordingOptions Options() {
    SiteRecordingOptions o;
    o.dir = dir_ + "/recordings";
    o.store = store_.get();
    o.clock = &clock_;
    o.on_event = [this](const Event& e) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(e);
    };
    return o;
  }

  // A closed segment of `bytes` bytes in [start_s, end_s), as a file and an index row.
  std::string AddSegment(const std::string& camera, double start_s, double end_s, int64_t bytes,
                         bool evidence = false) {
    const auto start = static_cast<TimeUs>(start_s * 1e6);
    std::string path = absl::StrCat(dir_, "/recordings/", camera, "/", record::SegmentFileName(camera, start));
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << std::string(static_cast<size_t>(bytes), 'x');
    store::Segment s;
    s.path = path;
    s.camera = camera;
    s.start_us = start;
    s.end_us = static_cast<TimeUs>(end_s * 1e6);
    s.bytes = bytes;
    s.open = false;
    s.evidence = evidence;
    EXPECT_TRUE(store_->PutSegment(s));
    return path;
  }

  std::vector<std::string> IndexedFiles() {
    store::SegmentQuery q;
    auto rows = store_->QuerySegments(q);
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<std::string> out;
    for (const store::Segment& s : *rows) out.push_back(std::filesystem::path(s.path).filename().string());
    return out;
  }

  std::string Name(const std::string& camera, double start_s) {
    return record::SegmentFileName(camera, static_cast<TimeUs>(start_s * 1e6));
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  FakeClock clock_{1000 * kS};
  std::mutex mu_;
  std::vector<Event> events_;
};

TEST_F(RecordingTest, RetentionDeletesOldestFirstByAgeAndSizeAndKeepsEvidenceAndOpenSegments) {
  SiteRecordingOptions o = Options();
  o.site.defaults.max_age_s = 500;   // ended before 500 s (now 1000 s) -> gone
  o.site.defaults.max_bytes = 3000;  // per camera
  auto rec = SiteRecording::Create(o);
  ASSERT_TRUE(rec.ok()) << rec.status();
  AddSegment("a", 100, 160, 1000);                     // age
  AddSegment("a", 400, 460, 1000, /*evidence=*/true);  // age, but evidence: kept (counts towards size)
  AddSegment("a", 600, 660, 1000);                     // size: a holds 5000 > 3000 -> the oldest deletable goes
  AddSegment("a", 660, 720, 1000);                     // size
  AddSegment("a", 720, 780, 1000);                     // kept: 3000 left with the evidence and the next
  AddSegment("a", 780, 840, 1000);
  AddSegment("b", 100, 160, 500);  // age
  AddSegment("b", 700, 760, 500);  // kept
  // A clip marked as evidence holds b's segment at 800-860 s (counted in kept_ranges).
  AddSegment("b", 800, 860, 500);
  store::Clip clip;
  clip.id = "c1";
  clip.camera = "b";
  clip.start_us = 810 * kS;
  clip.end_us = 820 * kS;
  clip.state = store::ClipState::kReady;
  clip.evidence = true;
  ASSERT_TRUE(store_->PutClip(clip));
  ASSERT_TRUE(store_->Flush().ok());

  auto report = (*rec)->RunRetentionOnce();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->segments_deleted, 4);
  EXPECT_EQ(report->bytes_deleted, 3500);
  EXPECT_EQ(report->deleted_by_reason, (std::map<std::string, int64_t>{{"age", 2}, {"camera_size", 2}}));
  EXPECT_EQ(report->kept_ranges, 2);
  EXPECT_THAT(IndexedFiles(),
              ElementsAre(Name("a", 400), Name("b", 700), Name("a", 720), Name("a", 780), Name("b", 800)));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/recordings/a/" + Name("a", 100)));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/recordings/a/" + Name("a", 600)));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/recordings/a/" + Name("a", 400)));
  // Released: the evidence segment goes by age on the next pass.
  ASSERT_TRUE(store_->SetSegmentEvidence(dir_ + "/recordings/a/" + Name("a", 400), false).ok());
  report = (*rec)->RunRetentionOnce();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->segments_deleted, 1);
  EXPECT_EQ(report->deleted_by_reason.at("age"), 1);
  const RecordingTotals t = (*rec)->Totals();
  EXPECT_EQ(t.retention_runs, 2);
  EXPECT_EQ(t.segments_deleted, 5);
  EXPECT_EQ(t.bytes_deleted, 4500);
}

TEST_F(RecordingTest, FreeDiskFloorDeletesOldestOfAnyCamera) {
  BudgetFs fs(1000);
  SiteRecordingOptions o = Options();
  o.fs = &fs;
  o.site.min_free_bytes = 2500;
  auto rec = SiteRecording::Create(o);
  ASSERT_TRUE(rec.ok()) << rec.status();
  AddSegment("a", 100, 160, 1000);
  AddSegment("b", 90, 150, 1000);
  AddSegment("a", 160, 220, 1000);
  AddSegment("b", 150, 210, 1000);
  ASSERT_TRUE(store_->Flush().ok());
  auto report = (*rec)->RunRetentionOnce();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->free_bytes, 1000);
  EXPECT_EQ(report->floor_bytes, 2500);
  EXPECT_EQ(report->deleted_by_reason.at("disk_floor"), 2);
  EXPECT_EQ(fs.free_.load(), 3000);
  EXPECT_THAT(IndexedFiles(), ElementsAre(Name("b", 150), Name("a", 160)));
}

TEST_F(RecordingTest, EventOnlyCameraKeepsSegmentsAroundItsEventsAndDeletesTheOthersOncePastPostRoll) {
  SiteRecordingOptions o = Options();
  o.site.defaults.mode = config::RecordingMode::kEvents;
  o.site.defaults.pre_s = 2;
  o.site.defaults.post_s = 3;
  auto rec = SiteRecording::Create(o);
  ASSERT_TRUE(rec.ok()) << rec.status();
  AddSegment("gate", 900, 910, 100);  // no event in [897, 913): deleted
  AddSegment("gate", 910, 920, 100);  // line_cross at 915: kept
  AddSegment("gate", 920, 930, 100);  // [915, 935) holds the event at 915? 915 < 917: no -> deleted
  AddSegment("gate", 930, 940, 100);  // only a camera_offline event at 935: deleted
  AddSegment("gate", 995, 999, 100);  // ended 1 s ago, under post_s: kept for now
  auto event = [&](TimeUs t, const std::string& type) {
    store::StoredEvent e;
    e.event.camera = "gate";
    e.event.time_us = t;
    e.event.type = type;
    ASSERT_TRUE(store_->AddEvent(e));
  };
  event(915 * kS, "line_cross");
  event(935 * kS, "camera_offline");
  ASSERT_TRUE(store_->Flush().ok());
  auto report = (*rec)->RunRetentionOnce();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->deleted_by_reason, (std::map<std::string, int64_t>{{"events", 3}}));
  EXPECT_THAT(IndexedFiles(), ElementsAre(Name("gate", 910), Name("gate", 995)));
  // The segment that ended 1 s ago goes once it is older than post_s.
  clock_.AdvanceUs(10 * kS);
  report = (*rec)->RunRetentionOnce();
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(IndexedFiles(), ElementsAre(Name("gate", 910)));
}

TEST_F(RecordingTest, SinkForFollowsTheCameraSettings) {
  SiteRecordingOptions o = Options();
  o.site.defaults.segment_s = 30;
  auto rec = SiteRecording::Create(o);
  ASSERT_TRUE(rec.ok()) << rec.status();
  config::CameraConfig cam;
  cam.name = "gate";
  source::PacketSink* first = (*rec)->SinkFor(cam);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ((*rec)->SinkFor(cam), first);  // a graph restart keeps the recorder
  EXPECT_EQ((*rec)->SettingsOf("gate").segment_s, 30);
  cam.recording.mode = config::RecordingMode::kOff;
  EXPECT_EQ((*rec)->SinkFor(cam), nullptr);
  EXPECT_FALSE((*rec)->Counters("gate").has_value());
  cam.recording.mode = config::RecordingMode::kEvents;
  EXPECT_NE((*rec)->SinkFor(cam), nullptr);
  EXPECT_EQ((*rec)->SettingsOf("gate").mode, config::RecordingMode::kEvents);
  EXPECT_EQ((*rec)->SettingsOf("other").mode, config::RecordingMode::kContinuous);
}

// The disk fills while recording: a recording_failed camera event naming the file, packets keep coming (skipped, so
// analysis is never held up), and recording_resumed once space returns; every indexed segment plays.
TEST_F(RecordingTest, FullDiskRaisesRecordingFailedThenResumedAndIndexesOnlyPlayableSegments) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  BudgetFs fs(300'000);
  SiteRecordingOptions o = Options();
  o.fs = &fs;
  o.site.defaults.segment_s = 4;
  o.recorder_min_free_bytes = 50'000;
  o.retry_us = 2 * kS;
  o.on_event = [&](const Event& e) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(e);
    if (e.type == kRecordingFailedEvent) fs.free_ += 1'000'000;  // space returns (retention, an operator)
  };
  auto rec = SiteRecording::Create(o);
  ASSERT_TRUE(rec.ok()) << rec.status();
  config::CameraConfig cam;
  cam.name = "cam";
  source::PacketSink* sink = (*rec)->SinkFor(cam);
  ASSERT_NE(sink, nullptr);
  ASSERT_EQ(record::testing::FeedFile(clip, sink), 375);
  (*rec)->CloseAll();
  ASSERT_TRUE(store_->Flush().ok());
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSERT_EQ(events_.size(), 2u);
    EXPECT_EQ(events_[0].type, "recording_failed");
    EXPECT_EQ(events_[0].camera, "cam");
    EXPECT_EQ(events_[0].time_us, 1000 * kS);
    EXPECT_EQ(events_[0].detail, absl::StrCat("recording of camera 'cam' stopped: cannot write '", dir_,
                                              "/recordings/cam/cam-19700101T000004.000000Z.mp4.part': No space left "
                                              "on device"));
    EXPECT_EQ(events_[1].type, "recording_resumed");
  }
  const std::optional<record::RecorderCounters> c = (*rec)->Counters("cam");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->packets, 375);
  EXPECT_EQ(c->write_errors, 1);
  EXPECT_GT(c->packets_skipped, 0);
  EXPECT_TRUE(c->recording);
  store::SegmentQuery q;
  auto rows = store_->QuerySegments(q);
  ASSERT_TRUE(rows.ok());
  std::vector<int64_t> frames;
  for (const store::Segment& s : *rows) {
    EXPECT_FALSE(s.open) << s.path;
    const record::testing::FileContents f = record::testing::ReadFile(s.path);
    EXPECT_EQ(f.decode_errors, 0) << s.path;
    frames.push_back(f.decoded);
  }
  EXPECT_THAT(frames, ElementsAre(100, 25, 100, 75));  // as SegmentRecorderTest: the stop cut the second one short
}

// masked_recording: the camera's packets are decoded, its mask filled and the frames encoded (H.264) into the same
// segments and index; every segment is named as masked, plays without a decode error, holds every frame, and its
// pixels under the mask are black while the rest of the picture is not. No stream-copy segment is written.
TEST_F(RecordingTest, MaskedRecordingStoresOnlyMaskedReencodedSegments) {
  DIDBAN_REQUIRE_DATA(clip, kClip);  // 352x288
  SiteRecordingOptions o = Options();
  o.site.defaults.segment_s = 5;
  auto rec = SiteRecording::Create(o);
  ASSERT_TRUE(rec.ok()) << rec.status();
  config::CameraConfig cam;
  cam.name = "gate";
  cam.privacy_masks = nlohmann::json::parse("[[[0, 0], [176, 0], [176, 144], [0, 144]]]");  // the top-left quarter
  cam.masked_recording = true;
  source::PacketSink* sink = (*rec)->SinkFor(cam);
  ASSERT_NE(sink, nullptr);
  EXPECT_TRUE((*rec)->RecordsMasked("gate"));
  EXPECT_EQ((*rec)->SinkFor(cam), sink);  // a graph restart keeps it
  ASSERT_EQ(record::testing::FeedFile(clip, sink), 375);
  (*rec)->CloseAll();
  ASSERT_TRUE(store_->Flush().ok());

  const std::optional<record::ReencoderCounters> m = (*rec)->MaskedCounters("gate");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->packets, 375);
  EXPECT_EQ(m->packets_dropped, 0);
  EXPECT_EQ(m->frames_decoded, 375);
  EXPECT_EQ(m->frames_encoded, 375);
  EXPECT_EQ(m->decode_errors, 0);
  EXPECT_EQ(m->encode_errors, 0);
  const std::optional<record::RecorderCounters> c = (*rec)->Counters("gate");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->packets, 375);
  EXPECT_EQ(c->packets_written, 375);

  store::SegmentQuery q;
  auto rows = store_->QuerySegments(q);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);  // cut at the first keyframe (one a second) 5 s after each start: 5 + 5 + 5 s
  int64_t frames = 0;
  for (const store::Segment& s : *rows) {
    EXPECT_FALSE(s.open) << s.path;
    EXPECT_EQ(s.camera, "gate");
    EXPECT_TRUE(record::IsMaskedSegment(s.path, "gate")) << s.path;
    EXPECT_TRUE(absl::StartsWith(std::filesystem::path(s.path).filename().string(), "gate.masked-")) << s.path;
    const record::testing::FileContents f = record::testing::ReadFile(s.path);
    EXPECT_EQ(f.decode_errors, 0) << s.path;
    EXPECT_TRUE(f.first_is_key) << s.path;
    EXPECT_EQ(f.decoded, f.packets) << s.path;
    frames += f.decoded;
    // Decoded again: black under the mask (a few pixels in from its edge, for the codec), a picture beside it.
    source::SourceOptions so;
    so.camera = "gate";
    source::FfmpegSource src(s.path, so);
    ASSERT_TRUE(src.Open().ok()) << s.path;
    int checked = 0;
    for (;;) {
      absl::StatusOr<FramePtr> frame = src.Read();
      ASSERT_TRUE(frame.ok()) << frame.status();
      if (*frame == nullptr) break;
      const cv::Mat& img = (*frame)->full.empty() ? (*frame)->image : (*frame)->full;
      ASSERT_EQ(img.cols, 352);
      ASSERT_EQ(img.rows, 288);
      double lo = 0, hi = 0;
      cv::minMaxLoc(img(cv::Rect(2, 2, 172, 140)).reshape(1), &lo, &hi);
      EXPECT_LE(hi, 24) << s.path << " frame " << checked;  // black (codec noise only)
      EXPECT_GT(cv::mean(img(cv::Rect(180, 148, 172, 140)))[1], 40) << s.path << " frame " << checked;
      ++checked;
    }
    EXPECT_EQ(checked, f.decoded) << s.path;
  }
  EXPECT_EQ(frames, 375);
  // Nothing else was written for the camera (no stream copy beside the masked segments).
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/recordings/gate")) {
    EXPECT_TRUE(record::IsMaskedSegment(e.path().string(), "gate")) << e.path();
    ++files;
  }
  EXPECT_EQ(files, 3);
}

// A masked_recording camera whose masks cannot be used is not recorded at all, never by stream copy; turning
// masked_recording off or changing the masks makes a new recorder.
TEST_F(RecordingTest, MaskedRecordingWithoutUsableMasksRecordsNothing) {
  auto rec = SiteRecording::Create(Options());
  ASSERT_TRUE(rec.ok()) << rec.status();
  config::CameraConfig cam;
  cam.name = "gate";
  cam.masked_recording = true;  // the site file refuses this; a definition that gets here anyway records nothing
  EXPECT_EQ((*rec)->SinkFor(cam), nullptr);
  EXPECT_FALSE((*rec)->Counters("gate").has_value());
  cam.privacy_masks = nlohmann::json::parse("[[[0, 0], [10, 0], [10, 10]]]");
  source::PacketSink* masked = (*rec)->SinkFor(cam);
  ASSERT_NE(masked, nullptr);
  EXPECT_TRUE((*rec)->RecordsMasked("gate"));
  cam.privacy_masks = nlohmann::json::parse("[[[0, 0], [20, 0], [20, 20]]]");
  source::PacketSink* remasked = (*rec)->SinkFor(cam);
  ASSERT_NE(remasked, nullptr);
  EXPECT_TRUE((*rec)->RecordsMasked("gate"));
  cam.masked_recording = false;
  source::PacketSink* copy = (*rec)->SinkFor(cam);
  ASSERT_NE(copy, nullptr);
  EXPECT_FALSE((*rec)->RecordsMasked("gate"));
  EXPECT_FALSE((*rec)->MaskedCounters("gate").has_value());
}

// After a kill -9: a ".part" segment cut to its last fragment and indexed under its final name, a row whose file is
// gone removed, a closed file that the index lacks added.
TEST_F(RecordingTest, RepairIndexMatchesRowsAndFilesAfterAKill) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  const std::string cam_dir = dir_ + "/recordings/cam";
  {
    // Record 8 s in 4-s segments, closing normally, then make the second look open and cut inside a fragment.
    record::SegmentRecorderOptions ro;
    ro.camera = "cam";
    ro.dir = cam_dir;
    ro.segment_us = 4 * kS;
    ro.min_free_bytes = 0;
    auto r = record::SegmentRecorder::Create(ro);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(record::testing::FeedFile(clip, r->get(), 200), 200);
    (*r)->Close();
  }
  const std::string first = cam_dir + "/cam-19700101T000000.000000Z.mp4";
  const std::string second = cam_dir + "/cam-19700101T000004.000000Z.mp4";
  ASSERT_TRUE(std::filesystem::exists(first));
  ASSERT_TRUE(std::filesystem::exists(second));
  const auto size = static_cast<int64_t>(std::filesystem::file_size(second));
  std::filesystem::rename(second, second + ".part");
  std::filesystem::resize_file(second + ".part", static_cast<uintmax_t>(size - 1000));
  // The index knew the second one as open, and a segment whose file someone deleted; not the first.
  store::Segment open_row;
  open_row.path = second;
  open_row.camera = "cam";
  open_row.start_us = 4 * kS;
  open_row.open = true;
  ASSERT_TRUE(store_->PutSegment(open_row));
  store::Segment gone = open_row;
  gone.path = cam_dir + "/cam-19700101T000100.000000Z.mp4";
  gone.open = false;
  ASSERT_TRUE(store_->PutSegment(gone));
  ASSERT_TRUE(store_->Flush().ok());

  auto rec = SiteRecording::Create(Options());
  ASSERT_TRUE(rec.ok());
  auto fixed = (*rec)->RepairIndex();
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_EQ(*fixed, 3);
  store::SegmentQuery q;
  auto rows = store_->QuerySegments(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].path, first);
  EXPECT_EQ((*rows)[1].path, second);
  for (const store::Segment& s : *rows) {
    EXPECT_FALSE(s.open);
    EXPECT_EQ(s.bytes, static_cast<int64_t>(std::filesystem::file_size(s.path)));
    const record::testing::FileContents f = record::testing::ReadFile(s.path);
    EXPECT_GT(f.decoded, 0) << s.path;
    EXPECT_EQ(f.decode_errors, 0) << s.path;
  }
  EXPECT_EQ(record::testing::ReadFile(first).decoded, 100);
  EXPECT_LT(record::testing::ReadFile(second).decoded, 100);  // the cut fragment is lost, the rest plays
  EXPECT_EQ((*rec)->Totals().segments_repaired, 3);
}

}  // namespace
}  // namespace didban::center
