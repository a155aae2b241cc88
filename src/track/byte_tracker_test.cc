#include "track/byte_tracker.h"

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "core/mot_format.h"
#include "testing/data.h"

namespace didban::track {
namespace {

struct RefTrack {
  int64_t id = 0;
  Box box;
};

// The ByteTrack-cpp fixture stores every value as a string.
float Num(const nlohmann::json& row, const char* key) { return std::stof(row.at(key).get<std::string>()); }

std::map<int, Detections> ReadDetections(const std::string& path) {
  std::map<int, Detections> out;
  auto text = ReadTextFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  const auto json = nlohmann::json::parse(*text);
  for (const auto& row : json.at("results")) {
    Detection d;
    d.box = Box{Num(row, "x"), Num(row, "y"), Num(row, "width"), Num(row, "height")};
    d.score = Num(row, "prob");
    out[std::stoi(row.at("frame_id").get<std::string>())].push_back(d);
  }
  return out;
}

std::map<int, std::map<int64_t, Box>> ReadTracks(const std::string& path) {
  std::map<int, std::map<int64_t, Box>> out;
  auto text = ReadTextFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  const auto json = nlohmann::json::parse(*text);
  for (const auto& row : json.at("results")) {
    out[std::stoi(row.at("frame_id").get<std::string>())][std::stoll(row.at("track_id").get<std::string>())] =
        Box{Num(row, "x"), Num(row, "y"), Num(row, "width"), Num(row, "height")};
  }
  return out;
}

TimeUs FrameTime(int frame, double fps) { return SecondsToUs(frame / fps); }

Detection Det(float x, float y, float w, float h, float score) {
  Detection d;
  d.box = Box{x, y, w, h};
  d.score = score;
  return d;
}

// ----------------------------------------------------------------------------------------------- golden fixture

TEST(ByteTrackerGolden, ReproducesOfficialByteTrackCppOnPalace) {
  DIDBAN_REQUIRE_DATA(det_path, "trackers/ByteTrack-cpp_palace_fixture/detection_results.json");
  DIDBAN_REQUIRE_DATA(ref_path, "trackers/ByteTrack-cpp_palace_fixture/tracking_results.json");
  const auto dets = ReadDetections(det_path);
  auto ref = ReadTracks(ref_path);
  ASSERT_EQ(dets.size(), 314u);
  ByteTracker tracker(ByteTrackerOptions::ByteTrackCompatible(30, 30));
  int rows = 0;
  int mismatched_frames = 0;
  std::set<int64_t> ids;
  for (const auto& [frame, frame_dets] : dets) {
    const auto& out = tracker.Update(FrameTime(frame, 30), frame_dets);
    const auto& expected = ref[frame];
    bool same = out.size() == expected.size();
    for (const Track& t : out) {
      ++rows;
      ids.insert(t.id);
      auto it = expected.find(t.id);
      if (it == expected.end()) {
        same = false;
        continue;
      }
      EXPECT_NEAR(t.box.x, it->second.x, 0.01) << "frame " << frame << " id " << t.id;
      EXPECT_NEAR(t.box.y, it->second.y, 0.01) << "frame " << frame << " id " << t.id;
      EXPECT_NEAR(t.box.w, it->second.w, 0.01) << "frame " << frame << " id " << t.id;
      EXPECT_NEAR(t.box.h, it->second.h, 0.01) << "frame " << frame << " id " << t.id;
    }
    if (!same) {
      ++mismatched_frames;
      ADD_FAILURE() << "frame " << frame << ": " << out.size() << " tracks, expected " << expected.size();
      if (mismatched_frames > 3) break;
    }
  }
  EXPECT_EQ(mismatched_frames, 0);
  EXPECT_EQ(rows, 6008);
  EXPECT_EQ(ids.size(), 42u);
}

// ----------------------------------------------------------------------------------------------- steps

TEST(ByteTrackerSteps, TwoStageAssociationKeepsTrackThroughLowScoreDetection) {
  ByteTrackerOptions o = ByteTrackerOptions::ByteTrackCompatible(10);
  ByteTracker tracker(o);
  // First update: born and confirmed at once (ByteTrack's first frame).
  const Detections first = {Det(100, 100, 50, 100, 0.9f)};
  tracker.BeginUpdate(0, first);
  tracker.Predict();
  tracker.AssociateHigh();
  EXPECT_TRUE(tracker.LastMatchesForTest().empty());
  tracker.AssociateLow();
  tracker.Recover();
  tracker.AssociateUnconfirmed();
  tracker.Spawn();
  ASSERT_EQ(tracker.LastMatchesForTest().size(), 1u);
  EXPECT_EQ(tracker.LastMatchesForTest()[0], (std::pair<int64_t, int>{1, 0}));
  tracker.Retire();
  const auto& out1 = tracker.Publish();
  ASSERT_EQ(out1.size(), 1u);
  EXPECT_EQ(out1[0].id, 1);
  EXPECT_EQ(out1[0].state, TrackState::kConfirmed);

  // Second update: the object is seen with a low score (0.3) next to a high-score newcomer far away.
  const Detections second = {Det(400, 100, 50, 100, 0.95f), Det(102, 100, 50, 100, 0.3f)};
  tracker.BeginUpdate(100000, second);
  tracker.Predict();
  tracker.AssociateHigh();
  EXPECT_TRUE(tracker.LastMatchesForTest().empty());  // IoU with the far detection is 0
  tracker.AssociateLow();
  ASSERT_EQ(tracker.LastMatchesForTest().size(), 1u);
  EXPECT_EQ(tracker.LastMatchesForTest()[0], (std::pair<int64_t, int>{1, 1}));
  tracker.Recover();
  tracker.AssociateUnconfirmed();
  tracker.Spawn();
  ASSERT_EQ(tracker.LastMatchesForTest().size(), 1u);
  EXPECT_EQ(tracker.LastMatchesForTest()[0], (std::pair<int64_t, int>{2, 0}));
  tracker.Retire();
  const auto& out2 = tracker.Publish();
  ASSERT_EQ(out2.size(), 1u);  // track 2 is tentative (not reported) until it is matched again
  EXPECT_EQ(out2[0].id, 1);
  EXPECT_EQ(out2[0].hits, 2);
  EXPECT_EQ(tracker.LiveTrackCount(), 2u);
}

TEST(ByteTrackerSteps, TentativeTrackIsDroppedAtItsFirstMissAndNotReportedAsRemoved) {
  ByteTracker tracker(ByteTrackerOptions::ByteTrackCompatible(10));
  tracker.Update(0, {});
  tracker.Update(100000, {Det(10, 10, 20, 40, 0.9f)});
  EXPECT_EQ(tracker.LiveTrackCount(), 1u);
  EXPECT_TRUE(tracker.Update(200000, {}).empty());
  EXPECT_EQ(tracker.LiveTrackCount(), 0u);
  EXPECT_TRUE(tracker.Removed().empty());
}

TEST(ByteTrackerSteps, LostTrackIsRetiredByTimeNotFrameCount) {
  ByteTrackerOptions o = ByteTrackerOptions::Default(10);
  o.max_lost_s = 1.0;
  ByteTracker tracker(o);
  const Detections d = {Det(10, 10, 20, 40, 0.9f)};
  tracker.Update(0, d);
  tracker.Update(100000, d);
  ASSERT_EQ(tracker.Update(200000, d).size(), 1u);
  // Unseen from 0.2 s: still alive at 1.2 s (exactly 1 s later, one update only: frames are irregular) ...
  EXPECT_TRUE(tracker.Update(1200000, {}).empty());
  EXPECT_TRUE(tracker.Removed().empty());
  EXPECT_EQ(tracker.LiveTrackCount(), 1u);
  // ... and retired at 1.2 s + 1 µs, reported once in Removed().
  tracker.Update(1200001, {});
  ASSERT_EQ(tracker.Removed().size(), 1u);
  EXPECT_EQ(tracker.Removed()[0].id, 1);
  EXPECT_EQ(tracker.Removed()[0].state, TrackState::kRemoved);
  EXPECT_EQ(tracker.Removed()[0].last_seen_us, 200000);
  EXPECT_EQ(tracker.LiveTrackCount(), 0u);
  tracker.Update(1300000, {});
  EXPECT_TRUE(tracker.Removed().empty());
}

TEST(ByteTrackerSteps, IdsArePerInstanceAndStartAtOne) {
  const Detections d = {Det(10, 10, 20, 40, 0.9f), Det(100, 10, 20, 40, 0.9f)};
  for (int k = 0; k < 2; ++k) {
    ByteTracker tracker(ByteTrackerOptions::Default(25));
    tracker.Update(0, d);
    const auto& out = tracker.Update(40000, d);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].id, 1);
    EXPECT_EQ(out[1].id, 2);
  }
}

TEST(ByteTrackerSteps, VelocityIsInPixelsPerSecond) {
  ByteTrackerOptions o = ByteTrackerOptions::Default(10);
  ByteTracker tracker(o);
  std::vector<Track> out;
  for (int i = 0; i < 30; ++i) out = tracker.Update(i * 100000, {Det(10.f + 5.f * i, 10, 20, 40, 0.9f)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].vx, 50.f, 1.f);  // 5 px per 0.1 s
  EXPECT_NEAR(out[0].vy, 0.f, 0.5f);
}

// A 200 px wide object moves 6 px a frame for 10 frames, then stops; it is hidden from frame 10 to 24 and seen
// again at frame 25. Returns (ID, vx in px/s) at frame 25. `fill_gap` shows the tracker the straight line between
// the last and the new observation instead of hiding it (what ORU pretends to have seen).
std::pair<int64_t, float> ReappearAfterStop(bool oru, bool fill_gap) {
  ByteTrackerOptions o = ByteTrackerOptions::Default(10);
  o.observation_centric_reupdate = oru;
  ByteTracker tracker(o);
  const auto x_at = [](int i) { return 10.f + 6.f * static_cast<float>(std::min(i, 10)); };
  for (int i = 0; i <= 25; ++i) {
    Detections d;
    if (i < 10 || i == 25) {
      d.push_back(Det(x_at(i), 50, 200, 400, 0.9f));
    } else if (fill_gap) {
      const float f = static_cast<float>(i - 9) / 16.f;
      d.push_back(Det(x_at(9) + (x_at(25) - x_at(9)) * f, 50, 200, 400, 0.9f));
    }
    const auto& out = tracker.Update(i * 100000, d);
    if (i == 25 && out.size() == 1) return {out[0].id, out[0].vx};
  }
  return {0, 0.f};
}

TEST(ByteTrackerSteps, ObservationCentricReUpdateReplaysTheGapAsIfSeen) {
  const auto [id_oru, vx_oru] = ReappearAfterStop(true, false);
  const auto [id_seen, vx_seen] = ReappearAfterStop(false, true);
  const auto [id_plain, vx_plain] = ReappearAfterStop(false, false);
  EXPECT_EQ(id_oru, 1);
  EXPECT_EQ(id_seen, 1);
  EXPECT_EQ(id_plain, 1);
  // ORU = the filter that saw the straight line over the gap (to float rounding) ...
  EXPECT_NEAR(vx_oru, vx_seen, 0.01f);
  // ... which is not what one late update of the coasting filter gives.
  EXPECT_GT(std::abs(vx_plain - vx_oru), 1.f) << vx_plain << " vs " << vx_oru;
}

// ----------------------------------------------------------------------------------------------- options

TEST(ByteTrackerOptions, ValidateNamesTheField) {
  ByteTrackerOptions o = ByteTrackerOptions::Default(25);
  EXPECT_TRUE(o.Validate().ok());
  o.low_score = 0.7f;
  EXPECT_EQ(o.Validate().message(), "tracker options: scores must satisfy 0 <= low_score <= high_score <= 1");
  o = ByteTrackerOptions::Default(25);
  o.max_lost_s = -1;
  EXPECT_EQ(o.Validate().message(), "tracker options: max_lost_s must be in [0, 600]");
}

TEST(ByteTrackerOptions, JsonPresetsAndOverrides) {
  auto o = ByteTrackerOptions::FromJson(nlohmann::json::parse(R"({"preset": "bytetrack", "match_high": 0.7})"), 30);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FLOAT_EQ(o->match_high, 0.7f);
  EXPECT_FLOAT_EQ(o->birth_score, 0.6f);
  EXPECT_TRUE(o->iou_pixel_inclusive);
  EXPECT_NEAR(o->max_lost_s, 30.5 / 30, 1e-12);

  auto d = ByteTrackerOptions::FromJson(nlohmann::json::object(), 25);
  ASSERT_TRUE(d.ok());
  EXPECT_DOUBLE_EQ(d->frame_rate, 25);

  auto bad = ByteTrackerOptions::FromJson(nlohmann::json::parse(R"({"preset": "sort"})"), 30);
  EXPECT_EQ(bad.status().message(), "tracker.preset: unknown preset 'sort' (known: default, bytetrack)");
  auto typo = ByteTrackerOptions::FromJson(nlohmann::json::parse(R"({"max_lost": 2})"), 30);
  EXPECT_TRUE(absl::StrContains(typo.status().message(), "tracker: unknown parameter 'max_lost'"));
  auto type = ByteTrackerOptions::FromJson(nlohmann::json::parse(R"({"confirm_hits": "two"})"), 30);
  EXPECT_TRUE(absl::StrContains(type.status().message(), "tracker.confirm_hits: wrong type (string)"));
  auto range = ByteTrackerOptions::FromJson(nlohmann::json::parse(R"({"confirm_hits": 0})"), 30);
  EXPECT_EQ(range.status().message(), "tracker options: confirm_hits must be in [1, 100]");
}

}  // namespace
}  // namespace didban::track
