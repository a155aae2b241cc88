#include "server/metrics.h"

#include <gtest/gtest.h>

namespace didban::server {
namespace {

TEST(MetricsTest, RendersTheTextExpositionFormat) {
  MetricsRegistry m;
  auto& drops = m.AddCounter("didban_frames_dropped_total", "Frames dropped", {"camera"});
  drops.WithLabels({"north"}).Inc(3);
  drops.WithLabels({"a\"b\\c\nd"}).Inc();
  m.AddGauge("didban_queue_depth_frames", "Frames waiting", {"camera"}).WithLabels({"north"}).Set(2);
  auto& h = m.AddHistogram("didban_stage_duration_seconds", "Stage time", {"stage"}, {0.25, 1});
  h.WithLabels({"detect"}).Observe(0.25);  // le is inclusive
  h.WithLabels({"detect"}).Observe(0.5);
  h.WithLabels({"detect"}).Observe(2);
  EXPECT_EQ(m.Render(),
            "# HELP didban_frames_dropped_total Frames dropped\n"
            "# TYPE didban_frames_dropped_total counter\n"
            "didban_frames_dropped_total{camera=\"a\\\"b\\\\c\\nd\"} 1\n"
            "didban_frames_dropped_total{camera=\"north\"} 3\n"
            "# HELP didban_queue_depth_frames Frames waiting\n"
            "# TYPE didban_queue_depth_frames gauge\n"
            "didban_queue_depth_frames{camera=\"north\"} 2\n"
            "# HELP didban_stage_duration_seconds Stage time\n"
            "# TYPE didban_stage_duration_seconds histogram\n"
            "didban_stage_duration_seconds_bucket{stage=\"detect\",le=\"0.25\"} 1\n"
            "didban_stage_duration_seconds_bucket{stage=\"detect\",le=\"1\"} 2\n"
            "didban_stage_duration_seconds_bucket{stage=\"detect\",le=\"+Inf\"} 3\n"
            "didban_stage_duration_seconds_sum{stage=\"detect\"} 2.75\n"
            "didban_stage_duration_seconds_count{stage=\"detect\"} 3\n");
}

TEST(MetricsTest, CollectorsRunAtScrapeAndSeriesCanBeRemoved) {
  MetricsRegistry m;
  auto& frames = m.AddCounter("didban_frames_total", "Frames", {"camera"});
  int scrapes = 0;
  m.AddCollector([&](MetricsRegistry&) {
    ++scrapes;
    frames.WithLabels({"a"}).SetTotal(100 * scrapes);
  });
  EXPECT_NE(m.Render().find("didban_frames_total{camera=\"a\"} 100\n"), std::string::npos);
  EXPECT_NE(m.Render().find("didban_frames_total{camera=\"a\"} 200\n"), std::string::npos);
  frames.Remove({"a"});
  EXPECT_EQ(frames.WithLabels({"b"}).Value(), 0);
  EXPECT_TRUE(IsValidMetricName("didban_x:y_total"));
  EXPECT_FALSE(IsValidMetricName("1x"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
}

}  // namespace
}  // namespace didban::server
