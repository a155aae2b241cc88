#include "bus/messages.h"

#include <utility>

#include "core/json_io.h"

namespace didban::bus {

const char* TopicName(Topic t) {
  switch (t) {
    case Topic::kEvent:
      return "event";
    case Topic::kTracks:
      return "tracks";
    case Topic::kCameraState:
      return "camera_state";
    case Topic::kFusedTracks:
      return "fused_tracks";
  }
  return "?";
}

const char* CameraHealthName(CameraHealth h) {
  switch (h) {
    case CameraHealth::kStarting:
      return "starting";
    case CameraHealth::kOnline:
      return "online";
    case CameraHealth::kOffline:
      return "offline";
    case CameraHealth::kStopped:
      return "stopped";
  }
  return "?";
}

namespace {

template <typename T>
const T* Get(const Message& m) {
  const auto* p = std::get_if<std::shared_ptr<const T>>(&m.payload);
  return p == nullptr ? nullptr : p->get();
}

}  // namespace

const Event* Message::event() const { return Get<Event>(*this); }
const CameraTracks* Message::tracks() const { return Get<CameraTracks>(*this); }
const CameraState* Message::state() const { return Get<CameraState>(*this); }
const GroupTracks* Message::fused() const { return Get<GroupTracks>(*this); }

Message Message::Of(Event e) {
  Message m;
  m.topic = Topic::kEvent;
  m.camera = e.camera;
  m.payload = std::make_shared<const Event>(std::move(e));
  return m;
}

Message Message::Of(CameraTracks t) {
  Message m;
  m.topic = Topic::kTracks;
  m.camera = t.camera;
  m.payload = std::make_shared<const CameraTracks>(std::move(t));
  return m;
}

Message Message::Of(CameraState s) {
  Message m;
  m.topic = Topic::kCameraState;
  m.camera = s.camera;
  m.payload = std::make_shared<const CameraState>(std::move(s));
  return m;
}

Message Message::Of(GroupTracks g) {
  Message m;
  m.topic = Topic::kFusedTracks;
  m.camera = g.group;
  m.payload = std::make_shared<const GroupTracks>(std::move(g));
  return m;
}

nlohmann::json CameraTracksToJson(const CameraTracks& t) {
  nlohmann::json tracks = nlohmann::json::array();
  for (const TrackView& v : t.tracks) {
    nlohmann::json j = {{"id", v.id},
                        {"class", std::string(ObjectClassName(v.object_class))},
                        {"state", static_cast<int>(v.state)},
                        {"score", v.score},
                        {"box", {v.box.x, v.box.y, v.box.w, v.box.h}},
                        {"velocity_px_s", {v.vx, v.vy}}};
    if (v.ground) j["ground"] = {v.ground->x, v.ground->y};
    tracks.push_back(std::move(j));
  }
  return {{"camera", t.camera}, {"pts_us", t.pts_us}, {"frame_index", t.frame_index},
          {"width", t.width},   {"height", t.height}, {"tracks", std::move(tracks)}};
}

nlohmann::json CameraStateToJson(const CameraState& s) {
  const CameraStatus& g = s.graph;
  return {{"camera", s.camera},
          {"health", CameraHealthName(s.health)},
          {"since_us", s.since_us},
          {"last_frame_us", s.last_frame_us},
          {"starts", s.starts},
          {"last_error", s.last_error},
          {"frames_total", s.frames_total},
          {"frames_per_second", s.frames_per_second},
          {"source_state", SourceStateName(g.source_state)},
          {"frames_decoded", g.frames_decoded},
          {"frames_analysed", g.frames_analysed},
          {"frames_dropped", g.frames_dropped},
          {"events", g.events},
          {"queue_depth", g.queue_depth},
          {"last_frame_pts_us", g.last_frame_pts_us}};
}

nlohmann::json GroupTracksToJson(const GroupTracks& g) {
  nlohmann::json tracks = nlohmann::json::array();
  for (const fuse::FusedTrack& t : g.step.tracks) {
    nlohmann::json cams = nlohmann::json::array();
    for (const fuse::Contribution& c : t.cameras) cams.push_back({{"camera", c.camera}, {"track_id", c.local_id}});
    tracks.push_back({{"id", t.id},
                      {"position", {t.position.x, t.position.y}},
                      {"velocity", {t.velocity.x, t.velocity.y}},
                      {"cameras", std::move(cams)}});
  }
  return {{"group", g.group}, {"time_us", g.step.time}, {"tracks", std::move(tracks)}};
}

nlohmann::json MessageToJson(const Message& m) {
  nlohmann::json data;
  if (const Event* e = m.event()) data = EventToJson(*e);
  if (const CameraTracks* t = m.tracks()) data = CameraTracksToJson(*t);
  if (const CameraState* s = m.state()) data = CameraStateToJson(*s);
  if (const GroupTracks* g = m.fused()) data = GroupTracksToJson(*g);
  return {{"topic", TopicName(m.topic)}, {"seq", m.seq}, {"camera", m.camera}, {"data", std::move(data)}};
}

}  // namespace didban::bus
