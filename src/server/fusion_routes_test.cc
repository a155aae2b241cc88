// Following an object across cameras through the real route table: GET /api/v1/global-tracks/{global_id} from a real
// SQLite store (exact JSON: intervals per camera with local IDs, untagged points of a tagged local track included,
// the ground path, the follow plan), restricted to the caller's cameras (a track only hidden cameras saw answers
// exactly like a missing one), and POST .../follow-export over real recordings (two cameras recorded by the segment
// recorder from a real H.264 clip): one MP4 that cuts from camera "a" to camera "b" at b's keyframe inside their
// overlap, decoded back with FFmpeg (frames, keyframes, times), in a signed package whose manifest holds the ground
// path and the pieces, audited; with privacy masks on "b" its piece is the masked re-encode and the join re-encodes.
#include "server/fusion_routes.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "audit/audit_log.h"
#include "record/clip_export.h"
#include "record/evidence_package.h"
#include "record/privacy_mask.h"
#include "record/record_test_util.h"
#include "record/segment_recorder.h"
#include "server/api_routes.h"
#include "server/metrics.h"
#include "server/router.h"
#include "server/test_site.h"
#include "testing/data.h"

namespace didban::server {
namespace {

using nlohmann::json;

constexpr char kClip[] = "video_fixed/traffic/autostrade_a01_haze.mp4";  // 352x288, 375 frames, 25 fps, key 1 s
constexpr TimeUs kS = 1'000'000;

class ListIndex : public record::SegmentIndex {
 public:
  void OnSegmentOpened(const record::SegmentInfo& /*s*/) override {}
  void OnSegmentClosed(const record::SegmentInfo& s) override {
    std::lock_guard<std::mutex> lock(mu);
    closed.push_back(s);
  }
  std::mutex mu;
  std::vector<record::SegmentInfo> closed;
};

// The test site with recordings, a clip export as serve makes one (stream copy, or the masked re-encode for a camera
// with privacy masks; a signed package; the clip in the store; audited as clip_export), an audit log and a key.
class FollowSite final : public SiteBackend {
 public:
  FollowSite(std::string dir, audit::AuditLog* log, record::SigningKey key)
      : dir_(std::move(dir)), log_(log), key_(std::move(key)) {}
  TestSite& site() { return site_; }
  void SetSegments(const std::string& camera, std::vector<record::SegmentInfo> s) { segments_[camera] = std::move(s); }

  SiteInfo Site() const override { return site_.Site(); }
  bool Ready() const override { return site_.Ready(); }
  std::vector<CameraInfo> Cameras() const override { return site_.Cameras(); }
  absl::StatusOr<CameraInfo> Camera(const std::string& name) const override { return site_.Camera(name); }
  absl::StatusOr<CameraInfo> AddCamera(const json& d) override { return site_.AddCamera(d); }
  absl::StatusOr<CameraInfo> UpdateCamera(const std::string& n, const json& d) override {
    return site_.UpdateCamera(n, d);
  }
  absl::Status RemoveCamera(const std::string& name) override { return site_.RemoveCamera(name); }
  absl::StatusOr<std::string> SnapshotJpeg(const std::string& camera) const override {
    return site_.SnapshotJpeg(camera);
  }
  store::Store* EventStore() override { return site_.EventStore(); }
  audit::AuditLog* Audit() override { return log_; }
  absl::StatusOr<json> SealPackage(const std::string& dir, const record::EvidenceInfo& info) override {
    return record::SealEvidencePackage(dir, info, key_);
  }
  absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(bus::SubscriberOptions o) override {
    return site_.Subscribe(std::move(o));
  }
  absl::StatusOr<store::Clip> ExportClip(const ClipRequest& r) override {
    DIDBAN_ASSIGN_OR_RETURN(CameraInfo cam, site_.Camera(r.camera));
    DIDBAN_ASSIGN_OR_RETURN(record::PrivacyMask mask,
                            record::ParsePrivacyMask(cam.definition.value("privacy_masks", json()), "privacy_masks"));
    store::Clip clip;
    clip.id = absl::StrCat(record::SafeCameraName(r.camera), "-", r.from_us, "-", r.to_us);
    clip.camera = r.camera;
    const std::filesystem::path dir = std::filesystem::path(dir_) / "clips" / clip.id;
    if (std::filesystem::exists(dir)) return absl::AlreadyExistsError(absl::StrCat("clip ", clip.id, ": exists"));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / (clip.id + ".mp4")).string();
    const bool masked = !mask.empty() && !r.unmask;
    record::ExportedClip e;
    if (masked) {
      record::MaskedExportOptions mo;
      mo.mask = mask;
      DIDBAN_ASSIGN_OR_RETURN(record::MaskedExport m,
                              record::ExportMaskedClip(segments_[r.camera], r.from_us, r.to_us, path, mo));
      e = m.clip;
    } else {
      absl::StatusOr<record::ExportedClip> s = record::ExportClip(segments_[r.camera], r.from_us, r.to_us, path);
      if (!s.ok()) {
        std::filesystem::remove_all(dir);
        return s.status();
      }
      e = *s;
    }
    record::EvidenceInfo info;
    info.camera = r.camera;
    info.from_us = r.from_us;
    info.to_us = r.to_us;
    info.start_us = e.start_us;
    info.end_us = e.end_us;
    info.who = r.actor;
    info.why = r.reason;
    info.processing = {
        {"masked", masked}, {"unmasked_by_permission", !mask.empty() && r.unmask}, {"reencoded", masked}};
    DIDBAN_RETURN_IF_ERROR(record::SealEvidencePackage(dir.string(), info, key_).status());
    clip.start_us = e.start_us;
    clip.end_us = e.end_us;
    clip.path = path;
    clip.state = store::ClipState::kReady;
    EventStore()->PutClip(clip);
    DIDBAN_RETURN_IF_ERROR(EventStore()->Flush());
    audit::AuditEntry a;
    a.actor = r.actor;
    a.action = "clip_export";
    a.target = "clip:" + clip.id;
    log_->Record(std::move(a));
    return clip;
  }

 private:
  TestSite site_;
  std::string dir_;
  audit::AuditLog* log_;
  record::SigningKey key_;
  std::map<std::string, std::vector<record::SegmentInfo>> segments_;
};

store::TrackPoint Cam(const std::string& camera, int64_t track, TimeUs t, int64_t global_id) {
  store::TrackPoint p;
  p.camera = camera;
  p.track_id = track;
  p.global_id = global_id;
  p.time_us = t;
  p.object_class = ObjectClass::kPerson;
  p.box = Box{10, 20, 30, 60};
  return p;
}

class FusionRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = didban::testing::MakeTempDir("fusion_routes");
    auto log = audit::AuditLog::Open(dir_ + "/audit.db");
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
    auto key = record::LoadOrCreateSigningKey(dir_ + "/keys");
    ASSERT_TRUE(key.ok()) << key.status();
    site_ = std::make_unique<FollowSite>(dir_, log_.get(), *key);
    ASSERT_TRUE(AddApiRoutes(*site_, metrics_, router_).ok());  // registers the fusion routes (and GET clips)
    ASSERT_TRUE(router_.Find(Method::kGet, "/api/v1/global-tracks/1").ok());
    ASSERT_TRUE(router_.Find(Method::kPost, "/api/v1/global-tracks/1/follow-export").ok());
    ASSERT_TRUE(site_->AddCamera({{"name", "a"}, {"uri", "rtsp://10.0.0.1/s"}}).ok());
    ASSERT_TRUE(site_->AddCamera({{"name", "c"}, {"uri", "rtsp://10.0.0.3/s"}}).ok());

    // Global track 4: camera "a" sees it from 1 s to 6.5 s (local track 5, tagged by the fuser from 3 s on: the
    // points before are untagged), camera "b" from 4.5 s to 12 s (track 9). Track 10 of "b" is someone else, and
    // global track 8 was seen by "c" only.
    std::vector<store::TrackPoint> points = {Cam("a", 5, 1 * kS, 0), Cam("a", 5, 2 * kS, 0)};
    for (TimeUs t : {3 * kS, 4 * kS, 5 * kS, 6 * kS, 6'500'000L}) points.push_back(Cam("a", 5, t, 4));
    for (TimeUs t = 4'500'000; t <= 11'500'000; t += kS) points.push_back(Cam("b", 9, t, 4));
    points.push_back(Cam("b", 9, 12 * kS, 4));
    points.push_back(Cam("b", 10, 5 * kS, 0));
    points.push_back(Cam("c", 3, 5 * kS, 8));
    for (int s = 2; s <= 12; s += 2) {
      store::TrackPoint g;
      g.track_id = g.global_id = 4;
      g.time_us = s * kS;
      g.ground = Point2{1.0 * s, 2.0 * s};
      points.push_back(g);
    }
    store::TrackPoint g8;
    g8.track_id = g8.global_id = 8;
    g8.time_us = 5 * kS;
    g8.ground = Point2{40, 40};
    points.push_back(g8);
    ASSERT_TRUE(site_->EventStore()->AddTrackPoints(points));
    ASSERT_TRUE(site_->EventStore()->Flush().ok());
  }
  void TearDown() override {
    site_.reset();
    log_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Records the test clip as cameras "a" and "b" (4-s segments, times from 0).
  bool Record(const std::string& clip) {
    for (const std::string camera : {"a", "b"}) {
      ListIndex index;
      record::SegmentRecorderOptions o;
      o.camera = camera;
      o.dir = dir_ + "/rec/" + camera;
      o.segment_us = 4'000'000;
      o.min_free_bytes = 0;
      o.index = &index;
      auto rec = record::SegmentRecorder::Create(o);
      if (!rec.ok()) return false;
      record::testing::FeedFile(clip, rec->get());
      (*rec)->Close();
      site_->SetSegments(camera, index.closed);
    }
    return true;
  }

  // Calls a route as `role` (nullopt: access control off) seeing `cameras` (nullptr: every camera).
  ApiResponse Call(Method method, const std::string& path, std::optional<auth::Role> role = std::nullopt,
                   std::shared_ptr<const std::set<std::string>> cameras = nullptr, const json& body = json()) {
    ApiRequest r;
    r.method = method;
    r.path = r.target = path;
    r.remote = "127.0.0.1:5000";
    r.request_id = "req-1";
    if (!body.is_null()) {
      r.body = body.dump();
      r.json = body;
    } else if (method == Method::kPost) {
      r.json = json::object();
    }
    if (role) {
      auto p = std::make_shared<auth::Principal>();
      p->name = *role == auth::Role::kAdmin ? "ada" : *role == auth::Role::kOperator ? "oli" : "vic";
      p->role = *role;
      r.principal = p;
    }
    r.visible_cameras = std::move(cameras);
    auto match = router_.Find(r.method, r.path);
    EXPECT_TRUE(match.ok()) << match.status();
    if (!match.ok()) return {};
    r.path_params = match->path_params;
    return match->route->handler(r);
  }

  std::vector<audit::StoredAuditEntry> Audited(const std::string& action) {
    EXPECT_TRUE(log_->Flush().ok());
    audit::AuditQuery q;
    q.action = action;
    auto page = log_->Query(q);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->entries : std::vector<audit::StoredAuditEntry>{};
  }

  std::string dir_;
  std::unique_ptr<audit::AuditLog> log_;
  std::unique_ptr<FollowSite> site_;
  MetricsRegistry metrics_;
  Router router_;
};

TEST_F(FusionRoutesTest, GlobalTrackIntervalsPerCameraWithLocalIdsAndGroundPath) {
  ASSERT_TRUE(site_->AddCamera({{"name", "b"}, {"uri", "rtsp://10.0.0.2/s"}}).ok());
  const ApiResponse r = Call(Method::kGet, "/api/v1/global-tracks/4");
  ASSERT_EQ(r.status, 200) << r.body;
  const json expected = json::parse(R"({
    "global_id": 4, "from_us": 1000000, "to_us": 12000000, "cameras": ["a", "b"],
    "intervals": [
      {"camera": "a", "from_us": 1000000, "to_us": 6500000, "track_ids": [5], "points": 7},
      {"camera": "b", "from_us": 4500000, "to_us": 12000000, "track_ids": [9], "points": 9}],
    "ground_path": [
      {"time_us": 2000000, "ground": [2.0, 4.0]}, {"time_us": 4000000, "ground": [4.0, 8.0]},
      {"time_us": 6000000, "ground": [6.0, 12.0]}, {"time_us": 8000000, "ground": [8.0, 16.0]},
      {"time_us": 10000000, "ground": [10.0, 20.0]}, {"time_us": 12000000, "ground": [12.0, 24.0]}],
    "follow": [
      {"camera": "a", "from_us": 500000, "to_us": 6500000, "track_ids": [5], "seen_from_us": 1000000,
       "seen_to_us": 6500000, "handoff_to_next": true},
      {"camera": "b", "from_us": 6500000, "to_us": 12500000, "track_ids": [9], "seen_from_us": 4500000,
       "seen_to_us": 12000000, "handoff_to_next": false}]})");
  EXPECT_EQ(json::parse(r.body), expected) << r.body;
}

TEST_F(FusionRoutesTest, AViewerSeesOnlyTheirCamerasAndAHiddenTrackAnswersAsAMissingOne) {
  ASSERT_TRUE(site_->AddCamera({{"name", "b"}, {"uri", "rtsp://10.0.0.2/s"}}).ok());
  auto only_b = std::make_shared<const std::set<std::string>>(std::set<std::string>{"b"});
  const ApiResponse r = Call(Method::kGet, "/api/v1/global-tracks/4", auth::Role::kViewer, only_b);
  ASSERT_EQ(r.status, 200) << r.body;
  const json expected = json::parse(R"({
    "global_id": 4, "from_us": 4500000, "to_us": 12000000, "cameras": ["b"],
    "intervals": [{"camera": "b", "from_us": 4500000, "to_us": 12000000, "track_ids": [9], "points": 9}],
    "ground_path": [
      {"time_us": 6000000, "ground": [6.0, 12.0]}, {"time_us": 8000000, "ground": [8.0, 16.0]},
      {"time_us": 10000000, "ground": [10.0, 20.0]}, {"time_us": 12000000, "ground": [12.0, 24.0]}],
    "follow": [
      {"camera": "b", "from_us": 4000000, "to_us": 12500000, "track_ids": [9], "seen_from_us": 4500000,
       "seen_to_us": 12000000, "handoff_to_next": false}]})");
  EXPECT_EQ(json::parse(r.body), expected) << r.body;

  // Global track 8 was seen by "c" only: for this viewer it answers exactly as global track 5, which does not exist.
  const ApiResponse hidden = Call(Method::kGet, "/api/v1/global-tracks/8", auth::Role::kViewer, only_b);
  const ApiResponse missing = Call(Method::kGet, "/api/v1/global-tracks/5", auth::Role::kViewer, only_b);
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(hidden.body, absl::StrReplaceAll(missing.body, {{"track 5", "track 8"}}));
  EXPECT_EQ(json::parse(missing.body)["error"]["message"], "global_id: no global track 5") << missing.body;
  // Seen by "c" for everyone else; the follow export is hidden the same way.
  EXPECT_EQ(Call(Method::kGet, "/api/v1/global-tracks/8").status, 200);
  const ApiResponse post =
      Call(Method::kPost, "/api/v1/global-tracks/8/follow-export", auth::Role::kOperator, only_b, json::object());
  EXPECT_EQ(post.status, 404);
  EXPECT_EQ(post.body, hidden.body);
}

TEST_F(FusionRoutesTest, FollowExportCutsFromCameraToCameraByStreamCopy) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  ASSERT_TRUE(site_->AddCamera({{"name", "b"}, {"uri", "rtsp://10.0.0.2/s"}}).ok());
  ASSERT_TRUE(Record(clip));
  const ApiResponse r = Call(Method::kPost, "/api/v1/global-tracks/4/follow-export", auth::Role::kOperator, nullptr,
                             {{"reason", "case 12"}, {"evidence", true}});
  ASSERT_EQ(r.status, 202) << r.body;
  const json j = json::parse(r.body);
  EXPECT_EQ(j["global_id"], 4);
  EXPECT_EQ(j["stream_copy"], true);
  EXPECT_EQ(j["signed"], true);
  EXPECT_EQ(j["masked"], true);  // neither camera has masks
  // a: its clip [0.5 s, 6.5 s) starts at the keyframe at 0 s; b's clip from 6.5 s starts at its keyframe at 6 s,
  // inside the overlap (b sees the object from 4.5 s), so a is cut at 6 s: 150 + 163 frames, 12.52 s.
  EXPECT_EQ(j["frames"], 313);
  EXPECT_EQ(j["duration_us"], 12'520'000);
  ASSERT_EQ(j["pieces"].size(), 2u);
  const json& a = j["pieces"][0];
  const json& b = j["pieces"][1];
  EXPECT_EQ(a["camera"], "a");
  EXPECT_EQ(a["clip"], "a-500000-6500000");
  EXPECT_EQ(a["track_ids"], json::array({5}));
  EXPECT_EQ(a["from_us"], 0);
  EXPECT_EQ(a["to_us"], 6'000'000);
  EXPECT_EQ(a["frames"], 150);
  EXPECT_EQ(a["handoff_to_next"], true);
  EXPECT_EQ(b["camera"], "b");
  EXPECT_EQ(b["clip"], "b-6500000-12500000");
  EXPECT_EQ(b["from_us"], 6'000'000);
  EXPECT_EQ(b["to_us"], 12'520'000);
  EXPECT_EQ(b["out_from_us"], 6'000'000);
  EXPECT_EQ(b["frames"], 163);
  EXPECT_EQ(b["repeat_us"], 0);
  EXPECT_EQ(j["missing"], json::array());
  EXPECT_EQ(j["ground_path"].size(), 6u);
  const std::string id = j["clip"]["id"];
  EXPECT_EQ(id, "follow-4-500000-12500000");
  EXPECT_EQ(j["clip"]["state"], "ready");
  EXPECT_EQ(j["clip"]["evidence"], true);

  // The clip is in the store and plays; the video decodes to the same frames.
  const ApiResponse got = Call(Method::kGet, "/api/v1/clips/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  const std::string video = dir_ + "/clips/" + id + "/" + id + ".mp4";
  const record::testing::FileContents c = record::testing::ReadFile(video);
  EXPECT_EQ(c.decoded, 313);
  EXPECT_EQ(c.decode_errors, 0);
  EXPECT_EQ(c.keyframes, 13);
  EXPECT_EQ(c.pts_us.back(), 12'480'000);
  // A signed package whose manifest holds the ground path and the pieces.
  auto verified = record::VerifyEvidencePackage(dir_ + "/clips/" + id, std::nullopt);
  ASSERT_TRUE(verified.ok()) << verified.status();
  const json& follow = verified->manifest["processing"]["follow"];
  EXPECT_EQ(follow["ground_path"].size(), 6u);
  EXPECT_EQ(follow["pieces"].size(), 2u);
  EXPECT_EQ(follow["intervals"].size(), 2u);
  EXPECT_EQ(verified->manifest["processing"]["masked"], true);
  // Audited: the two piece exports and the follow export.
  EXPECT_EQ(Audited("clip_export").size(), 2u);
  const auto entries = Audited("follow_export");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].entry.actor, "oli");
  EXPECT_EQ(entries[0].entry.target, "clip:" + id);
  EXPECT_EQ(entries[0].entry.detail["pieces"], json::array({"a-500000-6500000", "b-6500000-12500000"}));
  EXPECT_EQ(entries[0].entry.detail["reason"], "case 12");
  // Twice: refused, nothing changed.
  EXPECT_EQ(Call(Method::kPost, "/api/v1/global-tracks/4/follow-export", auth::Role::kOperator).status, 409);
}

TEST_F(FusionRoutesTest, FollowExportReencodesWhenAPieceIsMasked) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  ASSERT_TRUE(site_
                  ->AddCamera({{"name", "b"},
                               {"uri", "rtsp://10.0.0.2/s"},
                               {"privacy_masks", json::parse("[[[0, 0], [176, 0], [176, 144], [0, 144]]]")}})
                  .ok());
  ASSERT_TRUE(Record(clip));
  const ApiResponse r = Call(Method::kPost, "/api/v1/global-tracks/4/follow-export", auth::Role::kOperator);
  ASSERT_EQ(r.status, 202) << r.body;
  const json j = json::parse(r.body);
  EXPECT_EQ(j["stream_copy"], false);
  EXPECT_EQ(j["reencode_reason"], "piece 1 (b) differs from piece 0 (a): different parameter sets (SPS/PPS)");
  EXPECT_EQ(j["masked"], true);
  EXPECT_EQ(j["pieces"][1]["masked"], true);
  EXPECT_EQ(j["frames"], 313);
  const std::string id = j["clip"]["id"];
  const record::testing::FileContents c = record::testing::ReadFile(dir_ + "/clips/" + id + "/" + id + ".mp4");
  EXPECT_EQ(c.decoded, 313);
}

TEST_F(FusionRoutesTest, FollowExportWithoutRecordingsAndRangeErrors) {
  ASSERT_TRUE(site_->AddCamera({{"name", "b"}, {"uri", "rtsp://10.0.0.2/s"}}).ok());
  const ApiResponse none = Call(Method::kPost, "/api/v1/global-tracks/4/follow-export", auth::Role::kOperator);
  EXPECT_EQ(none.status, 404) << none.body;
  EXPECT_EQ(json::parse(none.body)["error"]["message"],
            "follow export of global track 4: no recording of any of its 2 pieces");
  const ApiResponse range = Call(Method::kPost, "/api/v1/global-tracks/4/follow-export", auth::Role::kOperator, nullptr,
                                 {{"from_us", 20 * kS}, {"to_us", 30 * kS}});
  EXPECT_EQ(range.status, 400) << range.body;
  EXPECT_EQ(json::parse(range.body)["error"]["field"], "from_us");
}

}  // namespace
}  // namespace didban::server
