// Parametrised frame sequences for each rule: hand-made TrackSnapshots with exact counts and events.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rules/builtin_rules.h"
#include "rules/interval_stats.h"
#include "rules/rule_engine.h"
#include "rules/rules_annotator.h"

namespace didban::rules {
namespace {

// 10 px per metre; ground x = px / 10, ground y (north) = 100 - py / 10: up the image is north.
geo::CameraCalibration TestCalibration() {
  geo::CameraCalibration c;
  c.homography = geo::GroundHomography::FromMatrix(cv::Matx33d(0.1, 0, 0, 0, -0.1, 100, 0, 0, 1));
  return c;
}

Point2 Px(double east, double north) { return {east * 10, (100 - north) * 10}; }

// A track whose box has its bottom centre at `foot` (pixels).
Track TrackAt(int64_t id, Point2 foot, ObjectClass cls = ObjectClass::kCar) {
  Track t;
  t.id = id;
  t.box = {static_cast<float>(foot.x - 10), static_cast<float>(foot.y - 8), 20, 8};
  t.object_class = cls;
  t.state = TrackState::kConfirmed;
  return t;
}

// A frame sequence: at 10 frames/s, each track's foot in pixels per frame (absent where nullopt).
struct Sequence {
  std::map<int64_t, std::vector<std::optional<Point2>>> paths;
  std::map<int64_t, ObjectClass> classes;
  double fps = 10;
};

std::vector<Event> RunSeq(RuleEngine* engine, const Sequence& seq, bool finish = true) {
  size_t n = 0;
  for (const auto& [id, path] : seq.paths) n = std::max(n, path.size());
  std::vector<Event> events;
  for (size_t f = 0; f < n; ++f) {
    TrackSnapshot snap;
    snap.frame_index = static_cast<int64_t>(f);
    snap.time_us = SecondsToUs(static_cast<double>(f) / seq.fps);
    for (const auto& [id, path] : seq.paths) {
      if (f < path.size() && path[f]) {
        auto c = seq.classes.find(id);
        snap.tracks.push_back(TrackAt(id, *path[f], c == seq.classes.end() ? ObjectClass::kCar : c->second));
      }
    }
    engine->Process(snap, &events);
  }
  if (finish) {
    EXPECT_TRUE(engine->Finish().ok());
  }
  return events;
}

// Straight motion in ground metres from `a` to `b` over `seconds` at the sequence rate (pixels out).
std::vector<std::optional<Point2>> Straight(Point2 a, Point2 b, double seconds, double fps = 10) {
  std::vector<std::optional<Point2>> out;
  int n = static_cast<int>(std::lround(seconds * fps));
  for (int i = 0; i <= n; ++i) {
    double s = static_cast<double>(i) / n;
    out.push_back(Px(a.x + s * (b.x - a.x), a.y + s * (b.y - a.y)));
  }
  return out;
}

std::vector<std::optional<Point2>> Hold(Point2 g, double seconds, double fps = 10) {
  return std::vector<std::optional<Point2>>(static_cast<size_t>(std::lround(seconds * fps)), Px(g.x, g.y));
}

std::vector<std::optional<Point2>> Concat(std::vector<std::vector<std::optional<Point2>>> parts) {
  std::vector<std::optional<Point2>> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::unique_ptr<RuleEngine> Engine(const std::string& yaml_like_json, bool calibrated = true) {
  nlohmann::json p = nlohmann::json::parse(yaml_like_json);
  RuleSpec spec{p["type"].get<std::string>(), p.value("name", ""), p, "site.yaml:9:7: cameras[0].rules[0]"};
  auto e = RuleEngine::Create("cam", calibrated ? TestCalibration() : geo::CameraCalibration{}, {spec});
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? std::move(*e) : nullptr;
}

std::vector<std::string> Types(const std::vector<Event>& events) {
  std::vector<std::string> out;
  out.reserve(events.size());
  for (const Event& e : events) out.push_back(absl::StrCat(e.type, ":", e.track_id, ":", e.detail));
  return out;
}

// ---- line ----

struct LineCase {
  std::string name;
  std::vector<std::optional<Point2>> path;  // pixels
  int64_t in, out;
};

class LineRuleTest : public ::testing::TestWithParam<LineCase> {};

TEST_P(LineRuleTest, CountsOncePerTrackWithDirection) {
  // Horizontal line y = 500 px from x = 100 to 300, drawn left to right: "in" = moving down the image (south).
  auto engine = Engine(R"({"type":"line","name":"stop","points":[[100,500],[300,500]],"in":"south","out":"north"})");
  Sequence seq;
  seq.paths[1] = GetParam().path;
  std::vector<Event> events = RunSeq(engine.get(), seq);
  const auto* line = dynamic_cast<const LineRule*>(engine->FindRule("stop"));
  ASSERT_NE(line, nullptr);
  EXPECT_EQ(line->Total("south"), GetParam().in);
  EXPECT_EQ(line->Total("north"), GetParam().out);
  EXPECT_EQ(static_cast<int64_t>(events.size()), GetParam().in + GetParam().out);
}

std::vector<std::optional<Point2>> PxPath(std::vector<Point2> pts) {
  std::vector<std::optional<Point2>> out;
  out.reserve(pts.size());
  for (const Point2& p : pts) out.emplace_back(p);
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Sequences, LineRuleTest,
    ::testing::Values(LineCase{"down", PxPath({{200, 480}, {200, 490}, {200, 499}, {200, 505}, {200, 520}}), 1, 0},
                      LineCase{"up", PxPath({{200, 520}, {200, 510}, {200, 495}, {200, 480}}), 0, 1},
                      // Jitter inside the 3 px dead band never counts; the real crossing counts once.
                      LineCase{"jitter_then_cross",
                               PxPath({{200, 490},
                                       {200, 498},
                                       {200, 502},
                                       {200, 499},
                                       {200, 502},
                                       {200, 498},
                                       {200, 510},
                                       {200, 499},
                                       {200, 510}}),
                               1, 0},
                      // Back and forth across the line: one track is counted once.
                      LineCase{"back_and_forth", PxPath({{200, 490}, {200, 510}, {200, 490}, {200, 510}}), 1, 0},
                      // Passing beside the end of the line does not count.
                      LineCase{"outside_extent", PxPath({{350, 490}, {350, 510}}), 0, 0},
                      LineCase{"never_reaches", PxPath({{200, 480}, {200, 498}, {200, 480}}), 0, 0},
                      // Lost for a while (gap) and seen again on the other side still counts.
                      LineCase{"gap", {Point2{200, 480}, std::nullopt, std::nullopt, Point2{200, 530}}, 1, 0}),
    [](const auto& info) { return info.param.name; });

TEST(LineRule, GroundLineCountsByClassAndEmitsSpeed) {
  // A ground line across the road at north = 50 m, drawn west to east: "in" = to its right = southbound.
  auto engine = Engine(R"({"type":"line","name":"l","ground":[[0,50],[40,50]],"in":"sb","out":"nb"})");
  Sequence seq;
  seq.paths[1] = Straight({10, 40}, {10, 60}, 2);  // northbound car at 10 m/s
  seq.paths[2] = Straight({20, 60}, {20, 40}, 2);  // southbound truck
  seq.paths[3] = Straight({30, 40}, {30, 60}, 2);  // a person: not a vehicle, not counted
  seq.classes = {{2, ObjectClass::kTruck}, {3, ObjectClass::kPerson}};
  std::vector<Event> events = RunSeq(engine.get(), seq);
  ASSERT_EQ(events.size(), 2u);
  const auto* line = dynamic_cast<const LineRule*>(engine->FindRule("l"));
  EXPECT_EQ(line->Counts().at({ObjectClass::kCar, "nb"}), 1);
  EXPECT_EQ(line->Counts().at({ObjectClass::kTruck, "sb"}), 1);
  EXPECT_EQ(line->Counts().size(), 2u);
  EXPECT_EQ(events[0].detail, "direction=nb");
  EXPECT_EQ(events[0].unit, "km/h");
  EXPECT_NEAR(events[0].value, 36.0, 1e-6);
  EXPECT_EQ(events[0].camera, "cam");
  EXPECT_EQ(events[0].rule, "l");
}

// ---- zone ----

TEST(ZoneRule, EnterExitDwellAndOccupancy) {
  auto engine = Engine(R"({"type":"zone","name":"box","ground":[[0,40],[20,40],[20,60],[0,60]],"dwell_s":3})");
  Sequence seq;
  // Track 1 passes through in 2 s (no dwell); track 2 enters and stays 5 s (one dwell), then leaves.
  seq.paths[1] = Straight({10, 30}, {10, 70}, 4);
  seq.paths[2] = Concat({Straight({5, 35}, {5, 45}, 1), Hold({5, 45}, 5), Straight({5, 45}, {5, 30}, 1)});
  std::vector<Event> events = RunSeq(engine.get(), seq);
  EXPECT_EQ(Types(events), (std::vector<std::string>{
                               "zone_enter:2:", "zone_enter:1:", "zone_exit:1:", "dwell:2:limit_s=3", "zone_exit:2:"}));
  EXPECT_NEAR(events[3].value, 3.0, 1e-9);
  // Occupancy samples: the maximum is 2 (both inside at once).
  const StatsBin& bin = engine->Stats().Bins().front();
  EXPECT_EQ(bin.occupancy.at("box").max, 2);
}

// ---- speed ----

struct SpeedCase {
  std::string name;
  double speed_mps;
  double limit_kmh;
  int overspeed_events;
};

class SpeedRuleTest : public ::testing::TestWithParam<SpeedCase> {};

TEST_P(SpeedRuleTest, MeasuresAndRaisesOverspeedOnce) {
  auto engine = Engine(absl::StrCat(R"({"type":"speed","name":"v","limit_kmh":)", GetParam().limit_kmh, "}"));
  Sequence seq;
  double d = GetParam().speed_mps * 5;
  seq.paths[1] = Straight({10, 10}, {10, 10 + d}, 5);
  std::vector<Event> events = RunSeq(engine.get(), seq);
  EXPECT_EQ(static_cast<int>(events.size()), GetParam().overspeed_events);
  for (const Event& e : events) {
    EXPECT_EQ(e.type, "overspeed");
    EXPECT_NEAR(e.value, GetParam().speed_mps * 3.6, 1e-6);
  }
  const auto& speeds = engine->Stats().Bins().front().speeds_kmh.at("v");
  ASSERT_EQ(speeds.size(), 1u);
  EXPECT_NEAR(speeds[0], GetParam().speed_mps * 3.6, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Sequences, SpeedRuleTest,
                         ::testing::Values(SpeedCase{"under", 10, 40, 0}, SpeedCase{"over", 15, 50, 1},
                                           SpeedCase{"measure_only", 30, 0, 0}),
                         [](const auto& info) { return info.param.name; });

TEST(SpeedRule, NoisyPositionsAreSmoothed) {
  auto engine = Engine(R"({"type":"speed","name":"v"})");
  Sequence seq;
  seq.paths[1] = Straight({10, 10}, {10, 90}, 4);                                                // 20 m/s = 72 km/h
  for (size_t i = 0; i < seq.paths[1].size(); ++i) seq.paths[1][i]->y += (i % 2 == 0 ? 3 : -3);  // +-0.3 m
  RunSeq(engine.get(), seq);
  const auto& speeds = engine->Stats().Bins().front().speeds_kmh.at("v");
  ASSERT_EQ(speeds.size(), 1u);
  EXPECT_NEAR(speeds[0], 72.0, 72.0 * 0.03);
}

// ---- wrong_way ----

struct WrongWayCase {
  std::string name;
  std::string params;
  Point2 from, to;
  int events;
};

class WrongWayRuleTest : public ::testing::TestWithParam<WrongWayCase> {};

TEST_P(WrongWayRuleTest, RaisesOncePerTrackAgainstTheHeading) {
  auto engine =
      Engine(R"({"type":"wrong_way","name":"nb","ground":[[0,0],[10,0],[10,100],[0,100]],)" + GetParam().params + "}");
  Sequence seq;
  seq.paths[1] = Straight(GetParam().from, GetParam().to, 4);
  std::vector<Event> events = RunSeq(engine.get(), seq);
  ASSERT_EQ(static_cast<int>(events.size()), GetParam().events);
  if (!events.empty()) {
    EXPECT_EQ(events[0].type, "wrong_way");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Sequences, WrongWayRuleTest,
    ::testing::Values(WrongWayCase{"with_traffic", R"("heading_deg":0)", {5, 10}, {5, 90}, 0},
                      WrongWayCase{"against", R"("heading_deg":0)", {5, 90}, {5, 10}, 1},
                      WrongWayCase{"against_pixel_direction", R"("direction":[0,-1])", {5, 90}, {5, 10}, 1},
                      WrongWayCase{"crossing_within_tolerance", R"("heading_deg":0)", {1, 50}, {9, 52}, 0},
                      // Too short a distance against the heading (3 m < 5 m) is not raised.
                      WrongWayCase{"short", R"("heading_deg":0)", {5, 50}, {5, 47}, 0},
                      WrongWayCase{"outside_zone", R"("heading_deg":0)", {50, 90}, {50, 10}, 0}),
    [](const auto& info) { return info.param.name; });

// ---- stopped ----

struct StoppedCase {
  std::string name;
  double stop_s;
  int events;
};

class StoppedRuleTest : public ::testing::TestWithParam<StoppedCase> {};

TEST_P(StoppedRuleTest, RaisesOncePerStop) {
  auto engine = Engine(R"({"type":"stopped","name":"inc","ground":[[0,0],[10,0],[10,100],[0,100]],"after_s":10})");
  Sequence seq;
  // Drive, stop with +-0.4 m jitter, drive on, stop again for the same time.
  auto stop = Hold({5, 40}, GetParam().stop_s);
  for (size_t i = 0; i < stop.size(); ++i) stop[i]->x += (i % 3 == 0 ? 4 : -4);
  auto stop2 = Hold({5, 80}, GetParam().stop_s);
  seq.paths[1] = Concat({Straight({5, 5}, {5, 40}, 3), stop, Straight({5, 40}, {5, 80}, 3), stop2});
  std::vector<Event> events = RunSeq(engine.get(), seq);
  ASSERT_EQ(static_cast<int>(events.size()), GetParam().events);
  for (const Event& e : events) {
    EXPECT_EQ(e.type, "stopped");
    EXPECT_GE(e.value, 10.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Sequences, StoppedRuleTest,
                         ::testing::Values(StoppedCase{"short_stops", 6, 0}, StoppedCase{"two_long_stops", 14, 2}),
                         [](const auto& info) { return info.param.name; });

// ---- congestion ----

TEST(CongestionRule, LevelChangesFromDensityAndSpeed) {
  // 100 m x 1 lane, per frame: 1 vehicle = 10 veh/km/lane (B); 3 = 30 (F); 1 crawling at 3.6 km/h = F by speed.
  auto engine = Engine(
      R"({"type":"congestion","name":"c","ground":[[0,0],[10,0],[10,100],[0,100]],"length_m":100,"window_s":0.05})");
  Sequence seq;
  seq.paths[1] = Straight({5, 1}, {5, 99}, 4.9);
  seq.paths[2] = Concat({Hold({-50, 0}, 6), Straight({3, 1}, {3, 99}, 4.9)});
  seq.paths[3] = Concat({Hold({-50, 0}, 6), Straight({4, 1}, {4, 99}, 4.9)});
  seq.paths[4] = Concat({Hold({-50, 0}, 6), Straight({6, 1}, {6, 99}, 4.9)});
  seq.paths[5] = Concat({Hold({-50, 0}, 12), Straight({5, 1}, {5, 4}, 3)});
  std::vector<Event> events = RunSeq(engine.get(), seq);
  std::vector<std::string> details;
  details.reserve(events.size());
  for (const Event& e : events) details.push_back(e.detail.substr(0, 16));
  EXPECT_EQ(details, (std::vector<std::string>{"los=B previous=A", "los=A previous=B", "los=F previous=A",
                                               "los=A previous=F", "los=B previous=A", "los=F previous=B"}));
  const auto* rule = dynamic_cast<const CongestionRule*>(engine->FindRule("c"));
  EXPECT_EQ(rule->Level(), 'F');
  EXPECT_EQ(rule->LevelFor(30, 50.0), 'F');
  EXPECT_EQ(rule->LevelFor(16, 50.0), 'C');
  EXPECT_EQ(rule->LevelFor(5, 5.0), 'F');
  EXPECT_EQ(rule->LevelFor(5, std::nullopt), 'A');
  EXPECT_EQ(rule->LevelFor(0, 0.0), 'A');
}

// ---- near_miss ----

struct NearMissCase {
  std::string name;
  std::vector<std::optional<Point2>> a, b;
  int events;
};

class NearMissRuleTest : public ::testing::TestWithParam<NearMissCase> {};

TEST_P(NearMissRuleTest, RaisesOncePerPairPerEncounter) {
  auto engine = Engine(R"({"type":"near_miss","name":"nm","ttc_s":1.5})");
  Sequence seq;
  seq.paths[1] = GetParam().a;
  seq.paths[2] = GetParam().b;
  std::vector<Event> events = RunSeq(engine.get(), seq);
  ASSERT_EQ(static_cast<int>(events.size()), GetParam().events) << ::testing::PrintToString(Types(events));
  for (const Event& e : events) {
    EXPECT_EQ(e.type, "near_miss");
    EXPECT_EQ(e.track_id + e.other_track_id, 3);
    EXPECT_LT(e.value, 1.5);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Sequences, NearMissRuleTest,
    ::testing::Values(
        // Rear-end: 20 m/s closing on 8 m/s, then the follower swerves into the next lane.
        NearMissCase{"rear_end_swerve", Concat({Straight({5, 0}, {5, 40}, 2), Straight({5, 40}, {9, 60}, 1)}),
                     Concat({Straight({5, 30}, {5, 54}, 3)}), 1},
        // Same lane, same speed, 20 m apart: never.
        NearMissCase{"following", Straight({5, 0}, {5, 60}, 4), Straight({5, 20}, {5, 80}, 4), 0},
        // Opposite directions in adjacent lanes (3.5 m apart): never.
        NearMissCase{"adjacent_opposite", Straight({3, 0}, {3, 80}, 4), Straight({6.5, 80}, {6.5, 0}, 4), 0},
        // Crossing paths, both reaching the crossing point at the same moment, the car brakes in time (stops).
        NearMissCase{"crossing_brake", Concat({Straight({5, 20}, {5, 41}, 2.1), Hold({5, 41}, 2)}),
                     Straight({-23, 48}, {17, 48}, 4), 1}),
    [](const auto& info) { return info.param.name; });

TEST(NearMissRule, TimeToCollisionOfBoxes) {
  NearMissRule::Body a{{0, 0}, {0, 10}, {0, 1}, 4.5, 1.8};
  NearMissRule::Body b{{0, 20}, {0, 0}, {0, 1}, 4.5, 1.8};
  // Gap between bumpers 15.5 m closing at 10 m/s.
  ASSERT_TRUE(NearMissRule::TimeToCollision(a, b, 3).has_value());
  EXPECT_NEAR(*NearMissRule::TimeToCollision(a, b, 3), 1.56, 0.021);
  EXPECT_FALSE(NearMissRule::TimeToCollision(a, b, 1.5).has_value());
  b.centre.x = 2.0;  // 2 m lateral offset: 1.8 m wide boxes never touch
  EXPECT_FALSE(NearMissRule::TimeToCollision(a, b, 3).has_value());
  b.centre.x = 1.7;
  EXPECT_TRUE(NearMissRule::TimeToCollision(a, b, 3).has_value());
}

TEST(NearMissRule, PostEncroachmentTimeInConflictArea) {
  auto engine = Engine(R"({"type":"near_miss","name":"nm","ttc_s":0.1,"pet_s":1.5,
                           "conflict_areas_ground":[[[0,45],[10,45],[10,55],[0,55]]]})");
  Sequence seq;
  // Car 1 crosses the area northbound, leaving it at t = 2.5 s; car 2 (eastbound) enters it 1.1 s later.
  seq.paths[1] = Straight({5, 30.5}, {5, 80.5}, 5);  // 10 m/s: outside (y 55.5) at 2.5 s
  seq.paths[2] = Concat({Hold({-100, 50}, 3), Straight({-5.5, 50}, {14.5, 50}, 2)});  // inside (x 0.5) at 3.6 s
  seq.paths[3] = Concat({Hold({-100, 80}, 6), Straight({-5.5, 50}, {14.5, 50}, 2)});  // 2 s after 2 left: no
  std::vector<Event> events = RunSeq(engine.get(), seq);
  ASSERT_EQ(events.size(), 1u) << ::testing::PrintToString(Types(events));
  EXPECT_EQ(events[0].detail, "pet area=0");
  EXPECT_EQ(events[0].track_id, 2);
  EXPECT_EQ(events[0].other_track_id, 1);
  EXPECT_NEAR(events[0].value, 1.1, 1e-9);
}

// ---- engine ----

TEST(RuleEngine, EvictsTracksAbsentLongerThanTheTimeout) {
  auto engine = Engine(R"({"type":"line","name":"l","points":[[0,500],[1000,500]]})");
  std::vector<Event> events;
  TrackSnapshot s;
  s.time_us = 0;
  s.tracks = {TrackAt(1, {100, 480}), TrackAt(2, {200, 480})};
  engine->Process(s, &events);
  EXPECT_EQ(engine->TrackedCount(), 2u);
  s.time_us = kUsPerSecond;
  s.tracks = {TrackAt(1, {100, 485})};
  s.tracks[0].state = TrackState::kRemoved;
  engine->Process(s, &events);
  EXPECT_EQ(engine->TrackedCount(), 1u);  // 1 was removed; 2 absent for 1 s < 2 s
  s.time_us = 2 * kUsPerSecond + 1;
  s.tracks.clear();
  engine->Process(s, &events);
  EXPECT_EQ(engine->TrackedCount(), 0u);
  // A track ID seen again after eviction starts fresh (its line state is gone).
  s.tracks = {TrackAt(2, {200, 520})};
  engine->Process(s, &events);
  EXPECT_TRUE(events.empty());
}

TEST(RuleEngine, ErrorsNameTheSpec) {
  auto make = [](const std::string& type, const std::string& json, bool calibrated = true) {
    RuleSpec spec{type, "", nlohmann::json::parse(json), "s.yaml:4:7: cameras[0].rules[1]"};
    return std::string(RuleEngine::Create("cam", calibrated ? TestCalibration() : geo::CameraCalibration{}, {spec})
                           .status()
                           .message());
  };
  EXPECT_EQ(make("lane", "{}"),
            "s.yaml:4:7: cameras[0].rules[1]: unknown rule 'lane' (known: congestion, line, "
            "near_miss, speed, stopped, wrong_way, zone)");
  EXPECT_EQ(make("line", R"({"points":[[0,0]]})"),
            "s.yaml:4:7: cameras[0].rules[1]: points: needs at least 2 points, got 1");
  EXPECT_EQ(make("line", R"({"points":[[0,0],[1,1]],"colour":1})"),
            "s.yaml:4:7: cameras[0].rules[1]: unknown parameter 'colour' (known: type, name, points, ground, in, out, "
            "hysteresis, classes)");
  EXPECT_EQ(make("speed", R"({"limit_kmh":50})", false),
            "s.yaml:4:7: cameras[0].rules[1]: needs a calibrated camera (calibration: homography or pinhole)");
  EXPECT_EQ(make("zone", R"({"points":[[0,0],[1,0],[1,1]],"classes":["tank"]})"),
            "s.yaml:4:7: cameras[0].rules[1]: classes: unknown class 'tank'");
  EXPECT_EQ(make("wrong_way", R"({"points":[[0,0],[1,0],[1,1]]})"),
            "s.yaml:4:7: cameras[0].rules[1]: needs exactly one of heading_deg (ground compass) or direction (pixels)");
  EXPECT_EQ(make("congestion", R"({"points":[[0,0],[1,0],[1,1]]})"),
            "s.yaml:4:7: cameras[0].rules[1]: length_m: required, the road length the zone covers (> 0)");
  EXPECT_EQ(make("stopped", R"({"points":[[0,0],[1,0],[1,1]],"after_s":"long"})").substr(0, 47),
            "s.yaml:4:7: cameras[0].rules[1]: after_s: wrong");
  RuleSpec a{"line", "x", nlohmann::json::parse(R"({"points":[[0,0],[1,1]]})"), "s.yaml:1:1: a"};
  RuleSpec b{"zone", "x", nlohmann::json::parse(R"({"points":[[0,0],[1,0],[1,1]]})"), "s.yaml:2:1: b"};
  EXPECT_EQ(RuleEngine::Create("cam", TestCalibration(), {a, b}).status().message(),
            "s.yaml:2:1: b: duplicate rule name 'x'");
}

struct FakeSpec {
  std::string type, name;
  nlohmann::json params;
  std::string where;
};
struct FakeCamera {
  std::string name = "north";
  geo::CameraCalibration calibration = TestCalibration();
  std::vector<FakeSpec> rules{{"line", "", nlohmann::json::parse(R"({"points":[[0,0],[1,1]]})"), "w"},
                              {"speed", "v", nlohmann::json::object(), "w2"}};
};

TEST(RuleEngine, FromCameraConfig) {
  auto engine = RuleEngine::FromCamera(FakeCamera{});
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_EQ((*engine)->Camera(), "north");
  ASSERT_EQ((*engine)->Rules().size(), 2u);
  EXPECT_EQ((*engine)->Rules()[0]->Name(), "line");
  EXPECT_EQ((*engine)->Rules()[1]->Type(), "speed");
}

// ---- stats ----

TEST(IntervalStats, BinsCsvJsonAndHotspots) {
  IntervalStatsOptions o;
  o.interval_us = 60 * kUsPerSecond;
  IntervalStats stats(o);
  auto ev = [](double t, const std::string& type, const std::string& detail, ObjectClass c, Point2 g) {
    Event e;
    e.time_us = SecondsToUs(t);
    e.type = type;
    e.rule = type == "line_cross" ? "l" : "r";
    e.detail = detail;
    e.object_class = c;
    e.ground = g;
    return e;
  };
  stats.AddEvent(ev(1, "line_cross", "direction=in", ObjectClass::kCar, {}));
  stats.AddEvent(ev(2, "line_cross", "direction=in", ObjectClass::kCar, {}));
  stats.AddEvent(ev(3, "line_cross", "direction=out", ObjectClass::kTruck, {}));
  stats.AddEvent(ev(61, "line_cross", "direction=in", ObjectClass::kCar, {}));
  stats.AddEvent(ev(62, "near_miss", "ttc", ObjectClass::kCar, {3, 4}));
  stats.AddEvent(ev(63, "stopped", "", ObjectClass::kCar, {6, 8}));
  stats.AddEvent(ev(64, "stopped", "", ObjectClass::kCar, {25, 8}));
  for (double v : {40.0, 50.0, 60.0, 70.0, 80.0}) {
    stats.AddMeasurement({SecondsToUs(10), "v", MeasureKind::kSpeed, 1, ObjectClass::kCar, v});
  }
  stats.AddMeasurement({SecondsToUs(10), "z", MeasureKind::kOccupancy, 0, ObjectClass::kUnknown, 1});
  stats.AddMeasurement({SecondsToUs(11), "z", MeasureKind::kOccupancy, 0, ObjectClass::kUnknown, 2});
  EXPECT_EQ(stats.ToCsv("cam"),
            "interval_start_s,interval_end_s,camera,rule,metric,class,direction,value\n"
            "0,60,cam,l,count,car,in,2\n"
            "0,60,cam,l,count,truck,out,1\n"
            "0,60,cam,v,speed_mean_kmh,,,60\n"
            "0,60,cam,v,speed_p85_kmh,,,74\n"
            "0,60,cam,v,speed_n,,,5\n"
            "0,60,cam,z,occupancy_mean,,,1.500\n"
            "0,60,cam,z,occupancy_max,,,2\n"
            "60,120,cam,l,count,car,in,1\n"
            "60,120,cam,,near_miss,,,1\n"
            "60,120,cam,,stopped,,,2\n");
  nlohmann::json j = stats.ToJson();
  EXPECT_EQ(j["bins"][0]["counts"]["l"]["car"]["in"], 2);
  EXPECT_EQ(j["bins"][0]["speed"]["v"]["p85_kmh"], 74.0);
  EXPECT_EQ(j["bins"][1]["events"]["stopped"], 2);
  nlohmann::json local = stats.HotspotsGeoJson(nullptr);
  ASSERT_EQ(local["features"].size(), 2u);  // (3,4) and (6,8) share the 10 m cell; (25,8) is alone
  EXPECT_EQ(local["features"][0]["properties"]["count"], 2);
  EXPECT_EQ(local["features"][0]["properties"]["near_miss"], 1);
  EXPECT_EQ(local["features"][0]["geometry"]["coordinates"][0], 4.5);
  geo::LocalFrame frame(35.7, 51.4);
  nlohmann::json geo = stats.HotspotsGeoJson(&frame);
  EXPECT_NEAR(geo["features"][0]["geometry"]["coordinates"][1].get<double>(), 35.7 + 6.0 / 111000, 1e-6);
  EXPECT_EQ(IntervalStats::Percentile({}, 85), 0);
  EXPECT_EQ(IntervalStats::Percentile({10}, 85), 10);
}

TEST(RulesAnnotator, DrawsOnACopy) {
  auto engine = Engine(R"({"type":"line","name":"l","points":[[0,50],[100,50]]})");
  cv::Mat image(120, 160, CV_8UC3, cv::Scalar(0, 0, 0));
  TrackSnapshot snap;
  snap.tracks = {TrackAt(1, {50, 40})};
  cv::Mat drawn = RulesAnnotator().Draw(image, *engine, snap, {});
  EXPECT_EQ(cv::countNonZero(image.reshape(1)), 0);  // the input is untouched
  EXPECT_GT(cv::countNonZero(drawn.reshape(1)), 100);
  EXPECT_NE(drawn.at<cv::Vec3b>(50, 80), cv::Vec3b(0, 0, 0));  // the line
}

}  // namespace
}  // namespace didban::rules
