// `didban serve --site S`: runs a site live. The site runtime (center/) runs every camera's graph, the fusers and the
// offline/online supervision; the store keeps events, tracks and segments; the segment recorder records each camera
// by stream copy; the HTTP server (server/) serves the API and the live WebSocket over a SiteBackend adapter defined
// here. SIGTERM or SIGINT stops it cleanly: server first, then the cameras (segments closed), then the store flushed.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "app/command.h"
#include "app/serve.h"
#include "app/serve_auth.h"
#include "app/serve_relay.h"
#include "audit/audit_log.h"
#include "bus/hub.h"
#include "center/recording.h"
#include "center/site_runtime.h"
#include "config/site_config.h"
#include "record/clip_export.h"
#include "record/evidence_package.h"
#include "record/jpeg.h"
#include "record/privacy_mask.h"
#include "record/segment.h"
#include "record/segment_recorder.h"
#include "record/segment_repair.h"
#include "server/api_error.h"
#include "server/http_server.h"
#include "server/live_video.h"
#include "server/metrics.h"
#include "server/site_backend.h"
#include "server/station_directory.h"
#include "server/tls.h"
#include "store/store.h"

namespace didban::app {
namespace {

server::CameraStatus ToServerStatus(const bus::CameraState& s) {
  server::CameraStatus out;
  out.state = bus::CameraHealthName(s.health);
  if (s.health != bus::CameraHealth::kOnline) out.last_error = s.last_error;
  out.last_frame_us = s.last_frame_us;
  out.frames_total = static_cast<uint64_t>(s.frames_total);
  out.frames_per_second = s.frames_per_second;
  out.frames_dropped_total = static_cast<uint64_t>(s.graph.frames_dropped);
  out.reconnects_total = static_cast<uint64_t>(s.graph.source.reconnects + std::max<int64_t>(0, s.starts - 1));
  out.queue_depth = static_cast<int64_t>(s.graph.queue_depth);
  const CameraStatus& g = s.graph;
  if (g.frames_decoded > 0) out.stage_seconds["decode"] = g.decode_us * 1e-6 / static_cast<double>(g.frames_decoded);
  if (g.frames_analysed > 0) {
    const double n = static_cast<double>(g.frames_analysed);
    out.stage_seconds["detect"] = g.detect_us * 1e-6 / n;
    out.stage_seconds["track"] = g.track_us * 1e-6 / n;
    out.stage_seconds["sinks"] = g.sinks_us * 1e-6 / n;
  }
  return out;
}

server::CameraInfo ToServerInfo(const center::CameraEntry& e) {
  server::CameraInfo out;
  out.name = e.name;
  out.definition = e.definition;
  out.status = ToServerStatus(e.state);
  return out;
}

// The runtime names a definition's bad field as "camera.<field>: ..."; the server's reply carries it as `field`.
absl::Status WithField(absl::Status s) {
  const std::string message(s.message());
  const std::string prefix = "camera.";
  const size_t end = message.find(": ");
  if (s.ok() || message.rfind(prefix, 0) != 0 || end == std::string::npos) return s;
  return server::FieldError(s.code(), message.substr(prefix.size(), end - prefix.size()), message);
}

// A camera's privacy masks from its definition (`privacy_masks:`); empty when it has none.
absl::StatusOr<record::PrivacyMask> MaskOf(const center::SiteRuntime* runtime, const std::string& camera) {
  DIDBAN_ASSIGN_OR_RETURN(config::CameraConfig c, runtime->CameraConfigOf(camera));
  return record::ParsePrivacyMask(c.privacy_masks, absl::StrCat("camera ", camera, ": privacy_masks"));
}

// The server's view of the site: the runtime's snapshots, the store and the hub; nothing else.
class RuntimeBackend final : public server::SiteBackend {
 public:
  RuntimeBackend(center::SiteRuntime* runtime, store::Store* store, bus::Hub* hub, std::string clips_dir)
      : runtime_(runtime), store_(store), hub_(hub), clips_dir_(std::move(clips_dir)) {}

  server::SiteInfo Site() const override {
    server::SiteInfo s;
    s.name = runtime_->Site().name;
    if (runtime_->Site().origin) {
      s.origin_lat = runtime_->Site().origin->lat;
      s.origin_lon = runtime_->Site().origin->lon;
    }
    s.started_us = runtime_->StartedUs();
    return s;
  }
  bool Ready() const override { return runtime_->Running() && store_ != nullptr; }
  std::vector<server::CameraInfo> Cameras() const override {
    std::vector<server::CameraInfo> out;
    for (const center::CameraEntry& e : runtime_->Cameras()) out.push_back(WithRecording(ToServerInfo(e)));
    return out;
  }
  absl::StatusOr<server::CameraInfo> Camera(const std::string& name) const override {
    DIDBAN_ASSIGN_OR_RETURN(center::CameraEntry e, runtime_->Camera(name));
    return WithRecording(ToServerInfo(e));
  }
  void SetRecording(center::SiteRecording* recording) { recording_ = recording; }
  void SetVideo(server::LiveVideo* video) { video_ = video; }
  // The stations a center has heard of (their cameras' sites: site grants reach them); nullptr elsewhere.
  void SetStations(const server::StationDirectory* stations) { stations_ = stations; }
  const server::StationDirectory* Stations() const override { return stations_; }
  server::LiveVideo* Video() override { return video_; }
  absl::StatusOr<server::CameraInfo> AddCamera(const nlohmann::json& definition) override {
    absl::StatusOr<center::CameraEntry> e = runtime_->AddCamera(definition);
    if (!e.ok()) return WithField(e.status());
    return ToServerInfo(*e);
  }
  absl::StatusOr<server::CameraInfo> UpdateCamera(const std::string& name, const nlohmann::json& definition) override {
    absl::StatusOr<center::CameraEntry> e = runtime_->UpdateCamera(name, definition);
    if (!e.ok()) return WithField(e.status());
    return ToServerInfo(*e);
  }
  absl::Status RemoveCamera(const std::string& name) override { return runtime_->RemoveCamera(name); }
  // The latest analysed frame as JPEG, with the camera's privacy masks filled (record/privacy_mask.h).
  absl::StatusOr<std::string> SnapshotJpeg(const std::string& camera) const override {
    DIDBAN_ASSIGN_OR_RETURN(record::PrivacyMask mask, MaskOf(runtime_, camera));
    if (mask.empty()) return runtime_->SnapshotJpeg(camera);
    DIDBAN_ASSIGN_OR_RETURN(FramePtr frame, runtime_->LatestFrame(camera));
    if (frame == nullptr) return absl::UnavailableError(absl::StrCat("camera ", camera, ": no frame analysed yet"));
    cv::Mat image = (frame->full.empty() ? frame->image : frame->full).clone();
    record::ApplyPrivacyMask(mask, image, frame->full.empty() ? frame->scale : 1.0);
    return record::EncodeJpeg(image);
  }
  store::Store* EventStore() override { return store_; }
  audit::AuditLog* Audit() override { return audit_; }
  absl::StatusOr<nlohmann::json> SealPackage(const std::string& dir, const record::EvidenceInfo& info) override {
    return record::SealEvidencePackage(dir, info, key_);
  }
  void SetEvidence(audit::AuditLog* audit, record::SigningKey key) {
    audit_ = audit;
    key_ = std::move(key);
  }
  // Exports an evidence package into <data>/clips/<id>/ (the MP4, manifest.json with the SHA-256 of every file,
  // manifest.sig by the server's Ed25519 key), synchronously, and records the clip in the store and the export in the
  // audit log. The MP4 is a stream copy of the camera's closed segments, or, for a camera with privacy masks (unless
  // the caller may unmask) or when tracked objects are to be blurred, a re-encode with the masks filled and the boxes
  // blurred. Nothing is left behind on an error.
  absl::StatusOr<store::Clip> ExportClip(const server::ClipRequest& request) override {
    DIDBAN_RETURN_IF_ERROR(runtime_->Camera(request.camera).status());
    DIDBAN_ASSIGN_OR_RETURN(record::PrivacyMask mask, MaskOf(runtime_, request.camera));
    std::set<ObjectClass> blur;
    if (request.blur_people) blur.insert(ObjectClass::kPerson);
    for (const std::string& name : request.blur_classes) {
      const ObjectClass c = ObjectClassFromName(name);
      if (c == ObjectClass::kOther && name != "other") {
        return server::InvalidField("blur_classes", absl::StrCat("blur_classes: unknown class '", name, "'"));
      }
      blur.insert(c);
    }
    store::SegmentQuery q;
    q.cameras = {request.camera};
    q.from_us = request.from_us;
    q.to_us = request.to_us;
    q.open = false;
    DIDBAN_ASSIGN_OR_RETURN(std::vector<store::Segment> segments, store_->QuerySegments(q));
    // Segments recorded masked (masked_recording) hold masked pixels only: their stream copy needs no second mask,
    // and no `unmask` can bring back what was never stored.
    const bool recorded_masked =
        !segments.empty() && std::all_of(segments.begin(), segments.end(), [&](const store::Segment& s) {
          return record::IsMaskedSegment(s.path, request.camera);
        });
    const bool masked = !mask.empty() && !request.unmask && !recorded_masked;
    const bool unmasked = !mask.empty() && request.unmask && !recorded_masked;
    std::vector<record::SegmentInfo> infos;
    for (const store::Segment& seg : segments) {
      absl::StatusOr<record::SegmentInfo> info = record::ProbeSegment(seg.path, request.camera);
      if (!info.ok()) return absl::DataLossError(std::string(info.status().message()));
      infos.push_back(*std::move(info));
    }
    store::Clip clip;
    clip.id = absl::StrCat(record::SafeCameraName(request.camera), "-", request.from_us, "-", request.to_us);
    clip.camera = request.camera;
    const std::filesystem::path dir = std::filesystem::path(clips_dir_) / clip.id;
    std::error_code ec;
    if (std::filesystem::exists(dir, ec)) {
      return absl::AlreadyExistsError(absl::StrCat("clip ", clip.id, ": already exported"));
    }
    std::filesystem::create_directories(dir, ec);
    if (ec) return absl::PermissionDeniedError(absl::StrCat(dir.string(), ": cannot create: ", ec.message()));
    auto cleanup = [&dir](absl::Status s) {
      std::error_code rm;
      std::filesystem::remove_all(dir, rm);
      return s;
    };
    const std::string path = (dir / (clip.id + ".mp4")).string();
    record::ExportedClip exported;
    nlohmann::json processing = {{"masked", masked || recorded_masked},
                                 {"unmasked_by_permission", unmasked},
                                 {"masked_recording", recorded_masked}};
    if (masked || !blur.empty()) {
      record::MaskedExportOptions mo;
      if (masked) mo.mask = mask;
      int64_t blurred_boxes = 0;
      if (!blur.empty()) {
        // The camera's stored track boxes (full-resolution pixels) of the chosen classes, by frame time.
        store::TrackQuery tq;
        tq.cameras = {request.camera};
        tq.from_us = request.from_us - 10'000'000;  // the clip starts at the keyframe before from_us
        tq.to_us = request.to_us + 1'000'000;
        tq.limit = 1'000'000;
        absl::StatusOr<std::vector<store::TrackPoint>> points = store_->QueryTracks(tq);
        if (!points.ok()) return cleanup(points.status());
        auto boxes = std::make_shared<std::map<TimeUs, std::vector<Box>>>();
        for (const store::TrackPoint& p : *points) {
          if (blur.count(p.object_class)) (*boxes)[p.time_us].push_back(p.box);
        }
        // Tracks are stored downsampled: a frame blurs the boxes of the nearest stored times within 0.5 s.
        mo.blur_boxes = [boxes](TimeUs t) {
          std::vector<Box> out;
          auto add = [&](std::map<TimeUs, std::vector<Box>>::const_iterator it) {
            if (it != boxes->end() && std::llabs(it->first - t) <= 500'000) {
              out.insert(out.end(), it->second.begin(), it->second.end());
            }
          };
          auto after = boxes->lower_bound(t);
          add(after);
          if (after != boxes->begin()) add(std::prev(after));
          return out;
        };
      }
      absl::StatusOr<record::MaskedExport> m =
          record::ExportMaskedClip(infos, request.from_us, request.to_us, path, mo);
      if (!m.ok()) return cleanup(m.status());
      exported = m->clip;
      blurred_boxes = m->blurred_boxes;
      std::vector<std::string> names;
      names.reserve(blur.size());
      for (ObjectClass c : blur) names.emplace_back(ObjectClassName(c));
      processing["reencoded"] = m->encoder;
      processing["blurred_classes"] = names;
      processing["blurred_boxes"] = blurred_boxes;
      processing["reencode_cpu_s"] = m->cpu_seconds;
    } else {
      absl::StatusOr<record::ExportedClip> e = record::ExportClip(infos, request.from_us, request.to_us, path);
      if (!e.ok()) return cleanup(e.status());
      exported = *e;
      processing["reencoded"] = false;
    }
    record::EvidenceInfo info;
    info.camera = request.camera;
    info.from_us = request.from_us;
    info.to_us = request.to_us;
    info.start_us = exported.start_us;
    info.end_us = exported.end_us;
    info.who = request.actor;
    info.why = request.reason;
    info.created_us = absl::ToUnixMicros(absl::Now());
    info.processing = processing;
    absl::StatusOr<nlohmann::json> manifest = record::SealEvidencePackage(dir.string(), info, key_);
    if (!manifest.ok()) return cleanup(manifest.status());
    clip.start_us = exported.start_us;
    clip.end_us = exported.end_us;
    clip.path = path;
    clip.bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
    clip.state = store::ClipState::kReady;
    clip.detail = absl::StrCat(exported.frames, " frames from ", exported.segments, " segments",
                               masked || recorded_masked ? ", masked" : "", blur.empty() ? "" : ", blurred",
                               "; package ", dir.string());
    clip.evidence = request.evidence;
    clip.created_us = info.created_us;
    if (!store_->PutClip(clip)) {
      return cleanup(absl::ResourceExhaustedError("the store's write queue is full; try again"));
    }
    DIDBAN_RETURN_IF_ERROR(store_->Flush());  // GET /clips/{id} right after finds it
    if (audit_ != nullptr) {
      audit::AuditEntry e;
      e.actor = request.actor;
      e.action = unmasked ? "clip_export_unmasked" : "clip_export";
      e.target = absl::StrCat("clip:", clip.id);
      e.source = request.source;
      e.detail = {{"camera", request.camera},
                  {"from_us", request.from_us},
                  {"to_us", request.to_us},
                  {"reason", request.reason},
                  {"evidence", request.evidence},
                  {"processing", processing},
                  {"manifest_sha256", record::Sha256File((dir / record::kManifestFile).string()).value_or("")}};
      audit_->Record(std::move(e));
    }
    return clip;
  }
  absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(bus::SubscriberOptions options) override {
    return hub_->Subscribe(std::move(options));
  }

 private:
  // The recorder's byte count in the camera's status (didban_recording_bytes_total).
  server::CameraInfo WithRecording(server::CameraInfo info) const {
    if (recording_ == nullptr) return info;
    if (std::optional<record::RecorderCounters> c = recording_->Counters(info.name)) {
      info.status.recording_bytes_total = static_cast<uint64_t>(c->bytes);
    }
    return info;
  }

  center::SiteRuntime* runtime_;
  audit::AuditLog* audit_ = nullptr;
  record::SigningKey key_;
  center::SiteRecording* recording_ = nullptr;
  server::LiveVideo* video_ = nullptr;
  const server::StationDirectory* stations_ = nullptr;
  store::Store* store_;
  bus::Hub* hub_;
  const std::string clips_dir_;
};

// Each camera's packet tee: its one connection's packets go to the recorder (when it records) and to the live video.
// One tee per camera, kept until shutdown; its targets are set again at each graph start (before the source runs).
class PacketTees {
 public:
  source::PacketSink* For(const std::string& camera, source::PacketSink* recorder, source::PacketSink* live) {
    absl::MutexLock lock(&mu_);
    std::unique_ptr<Tee>& t = tees_[camera];
    if (t == nullptr) t = std::make_unique<Tee>();
    t->recorder.store(recorder);
    t->live.store(live);
    return t.get();
  }

 private:
  struct Tee final : source::PacketSink {
    std::atomic<source::PacketSink*> recorder{nullptr};
    std::atomic<source::PacketSink*> live{nullptr};
    void OnStreamStart(const source::PacketStreamInfo& info) override {
      for (source::PacketSink* s : {recorder.load(), live.load()}) {
        if (s != nullptr) s->OnStreamStart(info);
      }
    }
    void OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) override {
      for (source::PacketSink* s : {recorder.load(), live.load()}) {
        if (s != nullptr) s->OnPacket(packet, pts_us, dts_us);
      }
    }
    void OnStreamEnd() override {
      for (source::PacketSink* s : {recorder.load(), live.load()}) {
        if (s != nullptr) s->OnStreamEnd();
      }
    }
  };
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Tee>> tees_ ABSL_GUARDED_BY(mu_);
};

// The web UI folder: the flag's, else the first of <bin>/../share/didban/web, <bin>/web and web/dist in a folder
// above the binary (build/app/didban in a checkout) that holds an index.html; "" when none (or --web none).
std::string FindWebRoot(const std::string& flag) {
  if (flag == "none") return "";
  if (!flag.empty()) return flag;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::canonical("/proc/self/exe", ec);
  if (ec) return "";
  std::vector<std::filesystem::path> candidates = {exe.parent_path() / ".." / "share" / "didban" / "web",
                                                   exe.parent_path() / "web"};
  for (std::filesystem::path d = exe.parent_path(); d.has_relative_path(); d = d.parent_path()) {
    candidates.push_back(d / "web" / "dist");
  }
  for (const auto& c : candidates) {
    if (std::filesystem::is_regular_file(c / "index.html", ec)) return c.lexically_normal().string();
  }
  return "";
}

absl::Status ParseListen(const std::string& listen, server::ServerOptions* o) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("--listen: expected ADDRESS:PORT, got " + listen);
  uint32_t port = 0;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError("--listen: bad port in " + listen);
  }
  std::string address = listen.substr(0, colon);
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  o->address = address.empty() ? "127.0.0.1" : address;
  o->port = static_cast<uint16_t>(port);
  return absl::OkStatus();
}

}  // namespace

absl::Status RunServe(const ServeFlags& f) {
  // SIGINT/SIGTERM are blocked in every thread (threads inherit the mask) and awaited below with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  DIDBAN_RETURN_IF_ERROR(ValidateRelayFlags(f.relay));
  DIDBAN_ASSIGN_OR_RETURN(config::SiteConfig site, config::LoadSiteConfig(f.site));
  const config::SiteRecordingConfig site_recording = site.recording;
  server::ServerOptions so;
  DIDBAN_RETURN_IF_ERROR(ParseListen(f.listen, &so));
  so.web_root = FindWebRoot(f.web);
  so.tls_cert_file = f.tls_cert;
  so.tls_key_file = f.tls_key;
  so.tls = !f.tls_cert.empty();
  DIDBAN_RETURN_IF_ERROR(so.Validate());
  // The certificate and key are checked before anything starts (the server loads them again when it starts).
  if (so.tls) DIDBAN_RETURN_IF_ERROR(server::MakeTlsServerContext(so.tls_cert_file, so.tls_key_file).status());

  const std::filesystem::path site_dir = std::filesystem::path(f.site).parent_path();
  const std::string data =
      f.data.empty() ? (site_dir / (std::filesystem::path(f.site).stem().string() + "-data")).string() : f.data;
  std::error_code ec;
  std::filesystem::create_directories(data, ec);
  if (ec) return absl::PermissionDeniedError(data + ": cannot create the data folder: " + ec.message());
  // The audit log (hash-chained, <data>/audit.db) and the key that signs evidence packages (<data>/keys/).
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<audit::AuditLog> audit_log,
                          audit::AuditLog::Open((std::filesystem::path(data) / "audit.db").string()));
  DIDBAN_ASSIGN_OR_RETURN(record::SigningKey signing_key,
                          record::LoadOrCreateSigningKey((std::filesystem::path(data) / "keys").string()));
  so.audit = audit_log.get();  // the server's guards record logins, views, refusals and changes here
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<auth::AuthStore> auth_store, OpenServeAuth(f.auth, data, so.address));
  so.auth = auth_store.get();

  center::RuntimeOptions ro;
  ro.offline_after_s = f.offline_after_s;
  ro.replay_speed = f.speed;
  ro.loop_files = !f.no_loop;
  if (site.sections.is_object() && site.sections.contains("fusion")) {
    DIDBAN_ASSIGN_OR_RETURN(ro.fuser, fuse::FuserOptions::FromJson(site.sections["fusion"], f.site + ": fusion"));
  }
  for (const std::string& g : f.groups) {
    std::vector<std::string> kv = absl::StrSplit(g, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[0].empty()) return absl::InvalidArgumentError("--group: expected NAME=CAM1,CAM2: " + g);
    ro.fusion_groups[kv[0]] = absl::StrSplit(kv[1], ',', absl::SkipEmpty());
  }

  const std::string store_url = f.store.empty() ? (std::filesystem::path(data) / "site.db").string() : f.store;
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, store::OpenStore(store_url));
  store::Store* st = store.get();
  // Recording: the index repaired first (segments left open by a kill -9), recorders per camera from their
  // `recording:` settings, retention every check_every_s; recording_failed / recording_resumed go out as events.
  std::atomic<center::SiteRuntime*> runtime_ptr{nullptr};
  center::SiteRecordingOptions rec;
  rec.dir = (std::filesystem::path(data) / "recordings").string();
  rec.site = site_recording;
  rec.store = st;
  rec.on_event = [&runtime_ptr](const Event& e) {
    if (center::SiteRuntime* rt = runtime_ptr.load()) rt->PublishEvent(e);
  };
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<center::SiteRecording> recording, center::SiteRecording::Create(rec));
  DIDBAN_ASSIGN_OR_RETURN(int64_t repaired, recording->RepairIndex());
  if (repaired > 0) spdlog::info("recordings: {} index rows repaired", repaired);
  // Live video (fMP4 by stream copy from the packet tee; MJPEG from the latest analysed frames), muxed and encoded
  // only while someone watches.
  server::LiveVideoOptions lvo;
  lvo.fragment_us = static_cast<TimeUs>(f.live_fragment_ms * 1000.0);
  lvo.latest_frame = [&runtime_ptr](const std::string& camera) -> FramePtr {
    center::SiteRuntime* rt = runtime_ptr.load();
    if (rt == nullptr) return nullptr;
    absl::StatusOr<FramePtr> frame = rt->LatestFrame(camera);
    return frame.ok() ? *frame : nullptr;
  };
  lvo.mask_pixels = [&runtime_ptr](const std::string& camera, cv::Mat* image) {
    center::SiteRuntime* rt = runtime_ptr.load();
    if (rt == nullptr) return;
    absl::StatusOr<record::PrivacyMask> mask = MaskOf(rt, camera);
    if (!mask.ok()) {
      image->setTo(cv::Scalar::all(0));  // a mask that cannot be read hides the whole picture
      return;
    }
    absl::StatusOr<FramePtr> frame = rt->LatestFrame(camera);
    double scale = 1.0;
    // `image` is the analysed frame (MJPEG) or a full-resolution decoded frame (the masked fMP4 re-encode).
    if (frame.ok() && *frame != nullptr && !(*frame)->full.empty() && (*frame)->full.cols > 0) {
      scale = static_cast<double>(image->cols) / (*frame)->full.cols;
    } else if (frame.ok() && *frame != nullptr && (*frame)->image.cols > 0) {
      scale = (*frame)->scale * image->cols / (*frame)->image.cols;
    }
    record::ApplyPrivacyMask(*mask, *image, scale);
  };
  // Whether a camera's live fMP4 must be masked (asked as each viewer arrives); a mask that cannot be read counts.
  lvo.masked = [&runtime_ptr](const std::string& camera) {
    center::SiteRuntime* rt = runtime_ptr.load();
    if (rt == nullptr) return true;
    absl::StatusOr<record::PrivacyMask> mask = MaskOf(rt, camera);
    return !mask.ok() || !mask->empty();
  };
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<server::LiveVideo> live_video, server::LiveVideo::Create(std::move(lvo)));
  PacketTees tees;
  ro.packet_sink = [&runtime_ptr, &recording, &tees, &live_video,
                    record_on = !f.no_record](const std::string& camera) -> source::PacketSink* {
    source::PacketSink* recorder = nullptr;
    center::SiteRuntime* rt = runtime_ptr.load();
    if (record_on && rt != nullptr) {
      absl::StatusOr<config::CameraConfig> c = rt->CameraConfigOf(camera);
      if (c.ok()) recorder = recording->SinkFor(*c);
    }
    // Every camera's packets reach its live feed; for a camera with privacy masks LiveVideo gives the stream copy
    // only to viewers allowed to unmask, and the masked re-encode to the others (lvo.masked).
    return tees.For(camera, recorder, live_video->PacketSink(camera));
  };

  center::RuntimeHooks hooks;
  hooks.on_event = [st, &recording](const Event& e) {
    recording->OnEvent(e);
    store::StoredEvent se;
    se.event = e;
    st->AddEvent(std::move(se));
  };
  // Which global track each camera's local track belongs to, from the fused steps, so that camera track points are
  // stored with their global id (GET /api/v1/global-tracks/{id} reads the cameras' intervals from them). A fused step
  // trails the camera's frames (fixed-lag fusion by lag_s), so points before the first fused step stay untagged; the
  // global-track view (fuse/global_track_view.h) joins them by local track.
  struct GlobalIds {
    std::mutex mu;
    std::map<std::pair<std::string, int64_t>, int64_t> of;  // (camera, local id) -> global id
  };
  auto global_ids = std::make_shared<GlobalIds>();
  hooks.on_tracks = [st, global_ids](const bus::CameraTracks& t) {
    std::vector<store::TrackPoint> points;
    std::lock_guard<std::mutex> lock(global_ids->mu);
    for (const bus::TrackView& v : t.tracks) {
      if (v.state != TrackState::kConfirmed && v.state != TrackState::kRemoved) continue;
      store::TrackPoint p;
      p.camera = t.camera;
      p.track_id = v.id;
      p.time_us = t.pts_us;
      p.object_class = v.object_class;
      p.box = v.box;
      p.ground = v.ground;
      p.last = v.state == TrackState::kRemoved;
      if (auto it = global_ids->of.find({t.camera, v.id}); it != global_ids->of.end()) {
        p.global_id = it->second;
        if (p.last) global_ids->of.erase(it);
      }
      points.push_back(std::move(p));
    }
    if (!points.empty()) st->AddTrackPoints(std::move(points));
  };
  hooks.on_fused = [st, global_ids](const bus::GroupTracks& g) {
    {
      std::lock_guard<std::mutex> lock(global_ids->mu);
      if (global_ids->of.size() > 100'000) global_ids->of.clear();  // bounded: tracks that never ended
      for (const fuse::FusedTrack& t : g.step.tracks) {
        for (const fuse::Contribution& c : t.cameras) global_ids->of[{c.camera, c.local_id}] = t.id;
      }
    }
    std::vector<store::TrackPoint> points;
    for (const fuse::FusedTrack& t : g.step.tracks) {
      store::TrackPoint p;
      p.track_id = t.id;
      p.global_id = t.id;
      p.time_us = g.step.time;
      p.ground = t.position;
      p.speed_kmh = std::hypot(t.velocity.x, t.velocity.y) * 3.6;
      points.push_back(std::move(p));
    }
    if (!points.empty()) st->AddTrackPoints(std::move(points));
  };

  hooks.on_stats = [st](std::vector<store::StatRow> rows) { st->PutStats(std::move(rows)); };

  bus::Hub hub;
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<center::SiteRuntime> runtime,
                          center::SiteRuntime::Create(std::move(site), ro, &hub, hooks));
  runtime_ptr.store(runtime.get());
  DIDBAN_RETURN_IF_ERROR(runtime->Start());
  // --role edge|center: the JetStream relay (docs/scale-out.md); nothing for the default single-node role.
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<ServeRelay> relay,
                          ServeRelay::Start(f.relay, runtime->Site().name, &hub, st));
  recording->StartRetention();
  RuntimeBackend backend(runtime.get(), st, &hub, (std::filesystem::path(data) / "clips").string());
  backend.SetRecording(recording.get());
  backend.SetVideo(live_video.get());
  backend.SetStations(relay->Stations());
  backend.SetEvidence(audit_log.get(), signing_key);
  server::MetricsRegistry metrics;
  metrics.AddCollector([&relay](server::MetricsRegistry& m) { relay->Collect(m); });
  metrics.AddCollector([&recording](server::MetricsRegistry& m) {
    const center::RecordingTotals t = recording->Totals();
    auto& deleted = m.AddCounter("didban_retention_segments_deleted_total",
                                 "Recording segments deleted by retention, by reason", {"reason"});
    for (const auto& [reason, n] : t.deleted_by_reason) deleted.WithLabels({reason}).SetTotal(static_cast<double>(n));
    m.AddCounter("didban_retention_bytes_deleted_total", "Bytes of recording segments deleted by retention", {})
        .WithLabels({})
        .SetTotal(static_cast<double>(t.bytes_deleted));
    m.AddCounter("didban_retention_runs_total", "Retention passes", {})
        .WithLabels({})
        .SetTotal(static_cast<double>(t.retention_runs));
    m.AddCounter("didban_retention_delete_errors_total", "Segment files retention could not delete", {})
        .WithLabels({})
        .SetTotal(static_cast<double>(t.delete_errors));
  });
  absl::StatusOr<std::unique_ptr<server::HttpServer>> http = server::HttpServer::Start(so, backend, metrics);
  if (!http.ok()) {
    runtime->Stop();
    recording->StopRetention();
    recording->CloseAll();
    (void)store->Close();
    return http.status();
  }
  std::printf("didban serve: site %s, %zu cameras, listening on %s://%s:%u (data %s)\n", runtime->Site().name.c_str(),
              runtime->Cameras().size(), (*http)->scheme().c_str(), (*http)->address().c_str(),
              static_cast<unsigned>((*http)->port()), data.c_str());
  if (!so.web_root.empty()) std::printf("web UI: %s\n", so.web_root.c_str());
  std::fflush(stdout);
  if (f.on_listening) {
    f.on_listening(absl::StrCat((*http)->scheme(), "://", (*http)->address(), ":", (*http)->port()));
  }

  // Wait for SIGINT/SIGTERM, printing a status line now and then when asked to.
  int sig = 0;
  while (true) {
    if (f.status_every_s > 0) {
      timespec ts{};
      ts.tv_sec = static_cast<time_t>(f.status_every_s);
      ts.tv_nsec = static_cast<decltype(ts.tv_nsec)>((f.status_every_s - static_cast<double>(ts.tv_sec)) * 1e9);
      sig = sigtimedwait(&signals, nullptr, &ts);
      if (sig < 0) {
        for (const center::CameraEntry& e : runtime->Cameras()) {
          std::printf("%s: %s, %lld frames, %lld dropped%s%s\n", e.name.c_str(), bus::CameraHealthName(e.state.health),
                      static_cast<long long>(e.state.frames_total),
                      static_cast<long long>(e.state.graph.frames_dropped), e.state.last_error.empty() ? "" : ", ",
                      e.state.last_error.c_str());
        }
        if (const std::string line = relay->StatusLine(); !line.empty()) std::printf("%s\n", line.c_str());
        std::fflush(stdout);
        continue;
      }
    } else if (sigwait(&signals, &sig) != 0) {
      continue;
    }
    break;
  }
  std::printf("didban serve: %s, stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  std::fflush(stdout);
  // A second signal during shutdown exits at once.
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  (*http)->Stop();
  runtime->Stop();
  relay->Stop();  // after the cameras: the last events are published
  recording->StopRetention();
  recording->CloseAll();
  absl::Status flushed = store->Close();
  hub.Close();
  absl::Status audited = audit_log->Close();  // everything recorded is written
  if (!audited.ok()) spdlog::error("audit log: {}", std::string(audited.message()));
  if (!flushed.ok()) return flushed;
  std::printf("didban serve: stopped (store flushed)\n");
  return absl::OkStatus();
}

namespace {

void Setup(CLI::App& root, int* exit_code) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = root.add_subcommand("serve", "Run a site live: analyse its cameras, record them, serve the API");
  cmd->add_option("--site", flags->site, "Site configuration (YAML)")->required();
  cmd->add_option("--listen", flags->listen, "HTTP listen ADDRESS:PORT (port 0: a free one)")->capture_default_str();
  cmd->add_option("--web", flags->web, "Web UI folder served at / (default: web/dist found near the binary; none)");
  cmd->add_option("--data", flags->data, "Data folder (store, recordings); default: <site>-data beside the site");
  cmd->add_option("--live-fragment-ms", flags->live_fragment_ms,
                  "Live fMP4 fragment length, ms (0: one per frame; longer: less CPU per viewer, more latency)")
      ->capture_default_str();
  cmd->add_option("--store", flags->store, "Store URL (sqlite path or postgresql://...); default: DATA/site.db");
  cmd->add_option("--offline-after", flags->offline_after_s, "Seconds without a frame before camera_offline")
      ->capture_default_str();
  cmd->add_option("--speed", flags->speed, "Playback rate of cameras that are files")->capture_default_str();
  cmd->add_flag("--no-loop", flags->no_loop, "Files play once instead of looping");
  cmd->add_flag("--no-record", flags->no_record, "Do not record segments");
  cmd->add_option("--auth", flags->auth,
                  "Access control: on, off (loopback only) or auto (on once DATA/auth.db has users; see `didban user`)")
      ->capture_default_str();
  cmd->add_option("--tls-cert", flags->tls_cert,
                  "Serve HTTPS/WSS only: PEM certificate (chain, server certificate first); needs --tls-key");
  cmd->add_option("--tls-key", flags->tls_key, "The certificate's PEM private key (unencrypted); needs --tls-cert");
  cmd->add_option("--group", flags->groups, "Fusion group NAME=CAM1,CAM2 (repeat); default: all calibrated cameras");
  cmd->add_option("--status-every", flags->status_every_s, "Print each camera's state every this many seconds");
  AddRelayFlags(cmd, &flags->relay);
  cmd->callback([flags, exit_code] {
    absl::Status s = RunServe(*flags);
    if (!s.ok()) {
      std::fprintf(stderr, "didban serve: %s\n", std::string(s.message()).c_str());
      *exit_code = 1;
    }
  });
}

DIDBAN_REGISTER_COMMAND(serve, Setup);

}  // namespace
}  // namespace didban::app
