#include "center/replay_source.h"

#include <gtest/gtest.h>

#include "testing/data.h"

namespace didban::center {
namespace {

constexpr char kHighway[] = "video_fixed/bgslibrary_video02.avi";  // 320x240, 25 frames/s, 748 frames

// With a fake clock the pacing costs no time: each Read() advances the clock to the frame's time.
TEST(ReplaySourceTest, PacesFramesOnTheWallClockAndLoops) {
  DIDBAN_REQUIRE_DATA(path, kHighway);
  constexpr TimeUs kStart = 1'700'000'000'000'000;
  FakeClock clock(kStart);
  ReplayOptions ro;
  ro.clock = &clock;
  source::SourceOptions so;
  so.camera = "highway";
  ReplaySource src(path, so, ro);
  ASSERT_TRUE(src.Open().ok());
  EXPECT_TRUE(src.Info().live);
  EXPECT_EQ(src.Info().width, 320);
  EXPECT_EQ(src.State(), SourceState::kStreaming);
  for (int i = 0; i < 748 + 3; ++i) {
    absl::StatusOr<FramePtr> f = src.Read();
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_NE(*f, nullptr) << "frame " << i;
    EXPECT_EQ((*f)->index, i);
    // 40 ms per frame; the second pass starts one frame interval after the last frame of the first.
    ASSERT_EQ((*f)->pts_us, kStart + i * 40'000) << "frame " << i;
    ASSERT_EQ(clock.NowUs(), (*f)->pts_us) << "frame " << i;
  }
  EXPECT_EQ(src.Loops(), 1);
  EXPECT_EQ(src.Counters().frames, 751);
}

TEST(ReplaySourceTest, EndsWithoutLoopAndStopsWhenInterrupted) {
  DIDBAN_REQUIRE_DATA(path, kHighway);
  FakeClock clock(0);
  ReplayOptions ro;
  ro.clock = &clock;
  ro.loop = false;
  ro.speed = 2;
  ReplaySource src(path, {}, ro);
  ASSERT_TRUE(src.Open().ok());
  int frames = 0;
  while (true) {
    absl::StatusOr<FramePtr> f = src.Read();
    ASSERT_TRUE(f.ok());
    if (*f == nullptr) break;
    ++frames;
  }
  EXPECT_EQ(frames, 748);
  EXPECT_EQ(clock.NowUs(), 747 * 20'000);  // twice as fast
  EXPECT_EQ(src.State(), SourceState::kEnded);

  ReplaySource again(path, {}, ro);
  ASSERT_TRUE(again.Open().ok());
  again.Interrupt();
  absl::StatusOr<FramePtr> f = again.Read();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, nullptr);
}

TEST(ReplaySourceTest, MissingFileNamesIt) {
  ReplaySource src("/nonexistent/cam.mp4", {}, {});
  absl::Status s = src.Open();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent/cam.mp4"), std::string::npos) << s;
  EXPECT_EQ(src.State(), SourceState::kFailed);
}

}  // namespace
}  // namespace didban::center
