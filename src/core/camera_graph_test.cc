#include "core/camera_graph.h"

#include <chrono>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"

namespace didban {
namespace {

// A live source driven by the test: each Read() runs `on_read(index)` (which may block or advance the fake clock),
// then returns frame `index`, up to `frames` frames; Interrupt() releases a Read() blocked in `wait_for_interrupt`.
class ScriptedSource final : public FrameSource {
 public:
  ScriptedSource(int frames, FakeClock* clock, TimeUs frame_us) : frames_(frames), clock_(clock), frame_us_(frame_us) {
    info_.live = true;
    info_.fps = 25;
  }
  absl::Status Open() override { return absl::OkStatus(); }
  absl::StatusOr<FramePtr> Read() override {
    if (block_from_ >= 0 && next_ >= block_from_) {
      interrupted_.WaitForNotification();  // a source reconnecting to a host that is down
    }
    if (interrupted_.HasBeenNotified()) return FramePtr();
    if (next_ >= frames_) {  // the graph has taken the last frame (and noted its arrival) before asking again
      if (all_read_ != nullptr && !all_read_->HasBeenNotified()) all_read_->Notify();
      return FramePtr();
    }
    if (next_ == 1 && first_detect_ != nullptr) first_detect_->WaitForNotification();
    clock_->AdvanceUs(frame_us_);
    auto f = std::make_shared<Frame>();
    f->index = next_++;
    f->pts_us = f->index * frame_us_;
    f->image = cv::Mat(8, 8, CV_8UC3, cv::Scalar(0, 0, 0));
    f->full = f->image;
    return FramePtr(f);
  }
  const SourceInfo& Info() const override { return info_; }
  SourceState State() const override { return SourceState::kStreaming; }
  void Interrupt() override {
    if (!interrupted_.HasBeenNotified()) interrupted_.Notify();
  }

  int block_from_ = -1;                         // Read() of this frame index blocks until Interrupt()
  absl::Notification* first_detect_ = nullptr;  // frames after the first wait for the first Detect()
  absl::Notification* all_read_ = nullptr;      // notified when the last frame is read

 private:
  const int frames_;
  FakeClock* clock_;
  const TimeUs frame_us_;
  int next_ = 0;
  SourceInfo info_;
  absl::Notification interrupted_;
};

// The first Detect() lets the source run and waits until it has read every frame: analysis is behind real time.
class SlowFirstDetector final : public Detector {
 public:
  absl::StatusOr<Detections> Detect(const Frame&) override {
    if (calls_++ == 0 && entered_ != nullptr) {
      entered_->Notify();
      all_read_->WaitForNotification();
    }
    return Detections{};
  }
  std::string Name() const override { return "slow-first"; }
  absl::Notification* entered_ = nullptr;
  absl::Notification* all_read_ = nullptr;

 private:
  int calls_ = 0;
};

class NoTracker final : public Tracker {
 public:
  const std::vector<Track>& Update(TimeUs, const Detections&) override { return tracks_; }
  const std::vector<Track>& Removed() const override { return tracks_; }

 private:
  std::vector<Track> tracks_;
};

class RecordingSink final : public FrameSink {
 public:
  explicit RecordingSink(std::vector<int64_t>* seen, bool* finished) : seen_(seen), finished_(finished) {}
  absl::Status Consume(const FramePtr& frame, const TrackSnapshot&, std::vector<Event>*) override {
    seen_->push_back(frame->index);
    return absl::OkStatus();
  }
  absl::Status Finish() override {
    *finished_ = true;
    return absl::OkStatus();
  }

 private:
  std::vector<int64_t>* seen_;
  bool* finished_;
};

std::vector<std::unique_ptr<FrameSink>> Sinks(std::vector<int64_t>* seen, bool* finished) {
  std::vector<std::unique_ptr<FrameSink>> sinks;
  sinks.push_back(std::make_unique<RecordingSink>(seen, finished));
  return sinks;
}

// Stop() reaches a source blocked in Read() (waiting to reconnect): the graph ends, the sinks are finished, and the
// status says it was stopped.
TEST(CameraGraphTest, StopInterruptsABlockedSource) {
  FakeClock clock;
  auto source = std::make_unique<ScriptedSource>(100, &clock, 40'000);
  source->block_from_ = 5;
  std::vector<int64_t> seen;
  bool finished = false;
  CameraGraphOptions o;
  o.clock = &clock;
  CameraGraph graph("cam", std::move(source), std::make_unique<SlowFirstDetector>(), std::make_unique<NoTracker>(),
                    Sinks(&seen, &finished), o);
  ASSERT_TRUE(graph.Start().ok());
  for (int i = 0; i < 500 && graph.Status().frames_analysed < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(graph.Status().end, RunEnd::kRunning);
  graph.Stop();
  EXPECT_TRUE(graph.Wait().ok());
  CameraStatus s = graph.Status();
  EXPECT_EQ(s.end, RunEnd::kStopped);
  EXPECT_EQ(s.frames_analysed, 5);
  EXPECT_TRUE(finished);
  EXPECT_STREQ(RunEndName(s.end), "stopped");
}

// A stop while frames wait for analysis: the frame being analysed is finished, the 29 waiting are counted as
// discarded at the end, so that every decoded frame is accounted for once (analysed, dropped or discarded).
TEST(CameraGraphTest, CountsFramesDiscardedAtAStop) {
  FakeClock clock;
  absl::Notification entered, release;
  auto source = std::make_unique<ScriptedSource>(30, &clock, 0);  // a burst: no lag drops
  source->first_detect_ = &entered;
  source->block_from_ = 30;  // then waits, as a live source does, until the stop interrupts it
  auto detector = std::make_unique<SlowFirstDetector>();
  detector->entered_ = &entered;
  detector->all_read_ = &release;
  std::vector<int64_t> seen;
  bool finished = false;
  CameraGraphOptions o;
  o.clock = &clock;
  CameraGraph graph("cam", std::move(source), std::move(detector), std::make_unique<NoTracker>(),
                    Sinks(&seen, &finished), o);
  ASSERT_TRUE(graph.Start().ok());
  entered.WaitForNotification();
  for (int i = 0; i < 500 && graph.Status().frames_decoded < 30; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  graph.Stop();
  release.Notify();
  EXPECT_TRUE(graph.Wait().ok());
  CameraStatus s = graph.Status();
  EXPECT_EQ(s.end, RunEnd::kStopped);
  EXPECT_EQ(s.frames_decoded, 30);
  EXPECT_EQ(s.frames_analysed, 1);
  EXPECT_EQ(s.frames_dropped, 0);
  EXPECT_EQ(s.discarded_at_end, 29);
  EXPECT_EQ(seen, std::vector<int64_t>{0});
  EXPECT_TRUE(finished);
}

// A live source whose frames come faster than analysis: when the analysis is stuck on frame 0 while frames 1-49
// arrive (40 ms apart), frames more than max_lag_us (0.5 s) older than the newest are dropped for lag: 1-36 (frame 36
// is 13 x 40 = 520 ms behind frame 49), and 37-49 are analysed. Nothing is dropped for a full queue.
TEST(CameraGraphTest, DropsOnlyFramesFurtherBehindThanTheLag) {
  FakeClock clock;
  absl::Notification entered, all_read;
  auto source = std::make_unique<ScriptedSource>(50, &clock, 40'000);
  source->first_detect_ = &entered;
  source->all_read_ = &all_read;
  auto detector = std::make_unique<SlowFirstDetector>();
  detector->entered_ = &entered;
  detector->all_read_ = &all_read;
  std::vector<int64_t> seen;
  bool finished = false;
  CameraGraphOptions o;
  o.clock = &clock;
  o.queue_capacity = 64;
  CameraGraph graph("cam", std::move(source), std::move(detector), std::make_unique<NoTracker>(),
                    Sinks(&seen, &finished), o);
  ASSERT_TRUE(graph.Run().ok());
  CameraStatus s = graph.Status();
  EXPECT_EQ(s.end, RunEnd::kEof);
  EXPECT_EQ(s.frames_decoded, 50);
  EXPECT_EQ(s.dropped_lag, 36);
  EXPECT_EQ(s.dropped_queue_full, 0);
  EXPECT_EQ(s.frames_dropped, 36);
  EXPECT_EQ(s.discarded_at_end, 0);
  std::vector<int64_t> want = {0};
  for (int i = 37; i < 50; ++i) want.push_back(i);
  EXPECT_EQ(seen, want);
  EXPECT_TRUE(finished);
}

// A burst (every frame arriving at the same time) is analysed in full however long it is: the lag is measured
// between arrival times, not by the frames waiting.
TEST(CameraGraphTest, AnalysesABurstInFull) {
  FakeClock clock;
  absl::Notification entered, all_read;
  auto source = std::make_unique<ScriptedSource>(30, &clock, 0);  // no time passes between arrivals
  source->first_detect_ = &entered;
  source->all_read_ = &all_read;
  auto detector = std::make_unique<SlowFirstDetector>();
  detector->entered_ = &entered;
  detector->all_read_ = &all_read;
  std::vector<int64_t> seen;
  bool finished = false;
  CameraGraphOptions o;
  o.clock = &clock;
  CameraGraph graph("cam", std::move(source), std::move(detector), std::make_unique<NoTracker>(),
                    Sinks(&seen, &finished), o);
  ASSERT_TRUE(graph.Run().ok());
  CameraStatus s = graph.Status();
  EXPECT_EQ(s.frames_analysed, 30);
  EXPECT_EQ(s.frames_dropped, 0);
  EXPECT_EQ(s.queue_capacity, 63u);  // ceil(25 frames/s x (0.5 s + 2 s))
}

TEST(CameraGraphTest, OptionsAreValidated) {
  FakeClock clock;
  std::vector<int64_t> seen;
  bool finished = false;
  CameraGraphOptions o;
  o.max_lag_us = -1;
  CameraGraph graph("cam", std::make_unique<ScriptedSource>(1, &clock, 0), std::make_unique<SlowFirstDetector>(),
                    std::make_unique<NoTracker>(), Sinks(&seen, &finished), o);
  EXPECT_EQ(graph.Start().message(), "camera cam: camera graph option max_lag_us: must be >= 0, got -1");
}

}  // namespace
}  // namespace didban
