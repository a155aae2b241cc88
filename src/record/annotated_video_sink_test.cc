#include "record/annotated_video_sink.h"

#include <gtest/gtest.h>

#include "source/ffmpeg_source.h"
#include "testing/data.h"

namespace didban::record {
namespace {

TEST(AnnotatedVideoSinkTest, WritesEveryFrameAtItsTime) {
  DIDBAN_REQUIRE_DATA(video, "video_fixed/intel_car-detection.mp4");
  std::string dir = didban::testing::MakeTempDir("didban-sink");
  const std::string out = dir + "/annotated.mp4";
  source::SourceOptions so;
  so.max_width = 384;
  source::FfmpegSource src(video, so);
  ASSERT_TRUE(src.Open().ok());
  VideoWriterOptions wo;
  wo.fps = 12.5;
  absl::StatusOr<std::unique_ptr<AnnotatedVideoSink>> sink = AnnotatedVideoSink::Create(out, wo, AnnotatorOptions{});
  ASSERT_TRUE(sink.ok()) << sink.status();
  std::vector<Event> events;
  for (int i = 0; i < 20; ++i) {
    FramePtr f = *src.Read();
    ASSERT_NE(f, nullptr);
    TrackSnapshot tracks;
    tracks.time_us = f->pts_us;
    Track t;
    t.id = 1;
    t.box = {10.f + 5 * i, 20, 40, 30};
    t.state = TrackState::kConfirmed;
    tracks.tracks.push_back(t);
    ASSERT_TRUE((*sink)->Consume(f, tracks, &events).ok());
  }
  ASSERT_TRUE((*sink)->Finish().ok());
  EXPECT_TRUE(events.empty());
  EXPECT_EQ((*sink)->Writer().FramesWritten(), 20);

  source::FfmpegSource back(out, source::SourceOptions{});
  ASSERT_TRUE(back.Open().ok());
  int n = 0;
  TimeUs last = 0;
  while (FramePtr f = *back.Read()) {
    EXPECT_EQ(f->full.cols, 384);
    EXPECT_EQ(f->full.rows, 216);
    last = f->pts_us;
    ++n;
  }
  EXPECT_EQ(n, 20);
  EXPECT_EQ(last, 19 * 80'000);
}

}  // namespace
}  // namespace didban::record
