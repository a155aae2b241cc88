// Playback of an exported clip of a camera with privacy masks through the real route table (server/api_routes.cc),
// a real SQLite store, a real audit log, a real signed evidence package and a real video: a viewer gets the masked
// re-encode (made once, then served from the cache), an admin who asks `?unmask=1` gets the file as exported and the
// view is audited (playback_unmasked), a viewer who asks is refused naming `unmask`; a clip whose package says it was
// masked, or a camera without masks, is served as it is; an unmasked clip of a removed camera plays only with unmask.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "audit/audit_log.h"
#include "auth/identity.h"
#include "record/evidence_package.h"
#include "record/privacy_mask.h"
#include "server/api_error.h"
#include "server/api_routes.h"
#include "server/metrics.h"
#include "server/router.h"
#include "server/test_site.h"
#include "source/ffmpeg_source.h"
#include "testing/data.h"

namespace didban::server {
namespace {

using nlohmann::json;

constexpr char kClip[] = "video_fixed/traffic/autostrade_a01_haze.mp4";  // 352x288, 375 frames
constexpr char kMask[] = "[[[0, 0], [176, 0], [176, 144], [0, 144]]]";   // the top-left quarter

// The test site with an audit log (TestSite keeps none): every other call goes to the TestSite.
class AuditedSite final : public SiteBackend {
 public:
  explicit AuditedSite(audit::AuditLog* log) : log_(log) {}
  TestSite& site() { return site_; }

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
  absl::StatusOr<store::Clip> ExportClip(const ClipRequest& r) override { return site_.ExportClip(r); }
  audit::AuditLog* Audit() override { return log_; }
  absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(bus::SubscriberOptions o) override {
    return site_.Subscribe(std::move(o));
  }

 private:
  TestSite site_;
  audit::AuditLog* log_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ClipPlaybackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = didban::testing::MakeTempDir("clip_playback");
    auto log = audit::AuditLog::Open(dir_ + "/audit.db");
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
    site_ = std::make_unique<AuditedSite>(log_.get());
    ASSERT_TRUE(AddApiRoutes(*site_, metrics_, router_).ok());
    ASSERT_TRUE(
        site_->AddCamera({{"name", "gate"}, {"uri", "rtsp://10.0.0.1/s"}, {"privacy_masks", json::parse(kMask)}}).ok());
    ASSERT_TRUE(site_->AddCamera({{"name", "open"}, {"uri", "rtsp://10.0.0.2/s"}}).ok());
  }

  // An exported clip as serve makes one: <dir>/clips/<id>/<id>.mp4 (here the test video itself, a stream copy) in a
  // signed evidence package whose manifest records whether it was masked; the clip in the store.
  void AddClip(const std::string& id, const std::string& camera, const std::string& video, bool masked) {
    const std::filesystem::path package = std::filesystem::path(dir_) / "clips" / id;
    std::filesystem::create_directories(package);
    std::filesystem::copy_file(video, package / (id + ".mp4"));
    auto key = record::LoadOrCreateSigningKey(dir_ + "/keys");
    ASSERT_TRUE(key.ok()) << key.status();
    record::EvidenceInfo info;
    info.camera = camera;
    info.to_us = info.end_us = 15'000'000;
    info.who = "ada";
    info.processing = {{"masked", masked}, {"unmasked_by_permission", !masked}};
    ASSERT_TRUE(record::SealEvidencePackage(package.string(), info, *key).ok());
    store::Clip clip;
    clip.id = id;
    clip.camera = camera;
    clip.start_us = 0;
    clip.end_us = 15'000'000;
    clip.path = (package / (id + ".mp4")).string();
    clip.bytes = static_cast<int64_t>(std::filesystem::file_size(clip.path));
    clip.state = store::ClipState::kReady;
    ASSERT_TRUE(site_->EventStore()->PutClip(clip));
    ASSERT_TRUE(site_->EventStore()->Flush().ok());
  }

  // GET /api/v1/clips/{id}/video.mp4 as `role` (nullopt: access control off), with `unmask` when given.
  ApiResponse Get(const std::string& id, std::optional<auth::Role> role, const std::string& unmask = "") {
    ApiRequest r;
    r.method = Method::kGet;
    r.path = "/api/v1/clips/" + id + "/video.mp4";
    r.target = r.path + (unmask.empty() ? "" : "?unmask=" + unmask);
    r.remote = "127.0.0.1:5000";
    r.request_id = "req-1";
    if (!unmask.empty()) r.query["unmask"] = unmask;
    if (role) {
      auto p = std::make_shared<auth::Principal>();
      p->name = *role == auth::Role::kAdmin ? "ada" : "vic";
      p->role = *role;
      r.principal = p;
    }
    auto match = router_.Find(r.method, r.path);
    EXPECT_TRUE(match.ok()) << match.status();
    if (!match.ok()) return {};
    r.path_params = match->path_params;
    return match->route->handler(r);
  }

  static std::string Header(const ApiResponse& resp, const std::string& name) {
    for (const auto& [k, v] : resp.headers) {
      if (k == name) return v;
    }
    return "";
  }

  // Decodes `mp4` and checks every frame: black under the mask (a few pixels in from its edge), a picture beside
  // it. Returns the frames decoded.
  int CheckMasked(const std::string& mp4, bool want_masked) {
    const std::string path = dir_ + "/check.mp4";
    std::ofstream(path, std::ios::binary) << mp4;
    source::SourceOptions so;
    source::FfmpegSource src(path, so);
    EXPECT_TRUE(src.Open().ok());
    int frames = 0;
    for (;;) {
      absl::StatusOr<FramePtr> f = src.Read();
      EXPECT_TRUE(f.ok()) << f.status();
      if (!f.ok() || *f == nullptr) break;
      const cv::Mat& img = (*f)->full.empty() ? (*f)->image : (*f)->full;
      double lo = 0, hi = 0;
      cv::minMaxLoc(img(cv::Rect(2, 2, 172, 140)).reshape(1), &lo, &hi);
      if (want_masked) {
        EXPECT_LE(hi, 24) << "frame " << frames;
      } else {
        EXPECT_GT(hi, 60) << "frame " << frames;
      }
      EXPECT_GT(cv::mean(img(cv::Rect(180, 148, 172, 140)))[1], 40) << "frame " << frames;
      ++frames;
    }
    return frames;
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
  std::unique_ptr<AuditedSite> site_;
  MetricsRegistry metrics_;
  Router router_;
};

TEST_F(ClipPlaybackTest, ViewerGetsTheMaskedReencodeAndAdminWithUnmaskTheStreamCopyAudited) {
  DIDBAN_REQUIRE_DATA(video, kClip);
  AddClip("gate-0-15000000", "gate", video, /*masked=*/false);  // exported with unmask: the file is not masked
  const std::string original = ReadAll(video);

  // A viewer: the masked re-encode, made once and kept outside the signed package.
  const ApiResponse first = Get("gate-0-15000000", auth::Role::kViewer);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.content_type, "video/mp4");
  EXPECT_EQ(Header(first, "X-Didban-Masked"), "true");
  EXPECT_NE(first.body, original);
  EXPECT_EQ(CheckMasked(first.body, true), 375);
  const std::filesystem::path cache =
      std::filesystem::path(dir_) / "clips" / ".masked" /
      ("gate-0-15000000-" + record::PrivacyMaskKey(*record::ParsePrivacyMask(json::parse(kMask), "mask")) + ".mp4");
  ASSERT_TRUE(std::filesystem::exists(cache)) << cache;
  const auto made = std::filesystem::last_write_time(cache);
  // The package still verifies: nothing was added to its folder.
  EXPECT_TRUE(record::VerifyEvidencePackage(dir_ + "/clips/gate-0-15000000", std::nullopt).ok());

  // Again (and an admin who does not ask to unmask): the same bytes from the cache, no second re-encode.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const ApiResponse second = Get("gate-0-15000000", auth::Role::kViewer);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.body, first.body);
  const ApiResponse admin_masked = Get("gate-0-15000000", auth::Role::kAdmin);
  ASSERT_EQ(admin_masked.status, 200);
  EXPECT_EQ(admin_masked.body, first.body);
  EXPECT_EQ(std::filesystem::last_write_time(cache), made);
  EXPECT_TRUE(Audited("playback_unmasked").empty());

  // A viewer who asks to unmask is refused, naming the field; nothing is audited as an unmasked view.
  const ApiResponse refused = Get("gate-0-15000000", auth::Role::kViewer, "1");
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(json::parse(refused.body)["error"].value("field", ""), "unmask") << refused.body;
  EXPECT_TRUE(Audited("playback_unmasked").empty());

  // An admin who asks: the file as exported (the stream copy), never cached by the browser, audited.
  const ApiResponse unmasked = Get("gate-0-15000000", auth::Role::kAdmin, "1");
  ASSERT_EQ(unmasked.status, 200) << unmasked.body;
  EXPECT_EQ(unmasked.body, original);
  EXPECT_EQ(Header(unmasked, "X-Didban-Masked"), "false");
  EXPECT_EQ(Header(unmasked, "Cache-Control"), "no-store");
  EXPECT_EQ(CheckMasked(unmasked.body, false), 375);
  const std::vector<audit::StoredAuditEntry> audited = Audited("playback_unmasked");
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].entry.actor, "ada");
  EXPECT_EQ(audited[0].entry.target, "clip:gate-0-15000000");
  EXPECT_EQ(audited[0].entry.source, "127.0.0.1:5000");
  EXPECT_EQ(audited[0].entry.detail.value("camera", ""), "gate");
  EXPECT_EQ(audited[0].entry.detail.value("request_id", ""), "req-1");

  // Without access control, asking is enough (and audited as "local").
  const ApiResponse local = Get("gate-0-15000000", std::nullopt, "true");
  ASSERT_EQ(local.status, 200);
  EXPECT_EQ(local.body, original);
  ASSERT_EQ(Audited("playback_unmasked").size(), 2u);
  EXPECT_EQ(Audited("playback_unmasked")[1].entry.actor, "local");
  const ApiResponse local_masked = Get("gate-0-15000000", std::nullopt);
  EXPECT_EQ(local_masked.body, first.body);
}

TEST_F(ClipPlaybackTest, MaskedFilesAndCamerasWithoutMasksAreServedAsTheyAre) {
  DIDBAN_REQUIRE_DATA(video, kClip);
  const std::string original = ReadAll(video);
  // The package says the export was masked: no second mask, no re-encode.
  AddClip("gate-1-2", "gate", video, /*masked=*/true);
  const ApiResponse masked = Get("gate-1-2", auth::Role::kViewer);
  ASSERT_EQ(masked.status, 200) << masked.body;
  EXPECT_EQ(masked.body, original);
  EXPECT_EQ(Header(masked, "X-Didban-Masked"), "true");
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir_) / "clips" / ".masked"));
  // A camera without masks: the file.
  AddClip("open-1-2", "open", video, /*masked=*/false);
  const ApiResponse open = Get("open-1-2", auth::Role::kViewer);
  ASSERT_EQ(open.status, 200) << open.body;
  EXPECT_EQ(open.body, original);
  EXPECT_TRUE(Audited("playback_unmasked").empty());
}

TEST_F(ClipPlaybackTest, AnUnmaskedClipOfARemovedCameraPlaysOnlyWithUnmask) {
  DIDBAN_REQUIRE_DATA(video, kClip);
  AddClip("gate-3-4", "gate", video, /*masked=*/false);  // exported unmasked while the camera had masks
  ASSERT_TRUE(site_->RemoveCamera("gate").ok());
  const ApiResponse viewer = Get("gate-3-4", auth::Role::kViewer);
  EXPECT_EQ(viewer.status, 403) << viewer.body;
  EXPECT_EQ(json::parse(viewer.body)["error"].value("field", ""), "unmask") << viewer.body;
  const ApiResponse admin = Get("gate-3-4", auth::Role::kAdmin);
  EXPECT_EQ(admin.status, 403) << admin.body;
  const ApiResponse unmasked = Get("gate-3-4", auth::Role::kAdmin, "1");
  ASSERT_EQ(unmasked.status, 200) << unmasked.body;
  EXPECT_EQ(unmasked.body, ReadAll(video));
  EXPECT_EQ(Audited("playback_unmasked").size(), 1u);
}

}  // namespace
}  // namespace didban::server
