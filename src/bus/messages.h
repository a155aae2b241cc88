// The typed messages of the in-process hub: events, one camera's track snapshot, a camera's state, and the fused
// ground tracks of a group of overlapping cameras. Messages are immutable values shared by every subscriber.
#ifndef DIDBAN_BUS_MESSAGES_H_
#define DIDBAN_BUS_MESSAGES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/camera_graph.h"
#include "didban/event.h"
#include "didban/geometry.h"
#include "didban/object_class.h"
#include "didban/time.h"
#include "didban/track.h"
#include "fuse/fuser.h"

namespace didban::bus {

// What a message is about. Values are bits so that a subscriber can ask for several (see SubscriberOptions::topics).
enum class Topic : uint32_t {
  kEvent = 1,        // an Event raised by a camera's rules or by the runtime (camera_offline, camera_online)
  kTracks = 2,       // a camera's tracks after one analysed frame
  kCameraState = 4,  // a camera's health and counters (on every change and periodically)
  kFusedTracks = 8,  // the global ground tracks of one fusion group after one fused step
};
constexpr uint32_t kAllTopics = 1 | 2 | 4 | 8;
constexpr uint32_t TopicBit(Topic t) { return static_cast<uint32_t>(t); }
// "event", "tracks", "camera_state", "fused_tracks".
const char* TopicName(Topic t);

// One track of a camera's snapshot.
struct TrackView {
  int64_t id = 0;  // per-camera track id
  ObjectClass object_class = ObjectClass::kUnknown;
  TrackState state = TrackState::kTentative;
  float score = 0;
  Box box;                       // full-resolution pixels of the camera's stream
  float vx = 0, vy = 0;          // box-centre velocity, full-resolution pixels per second
  std::optional<Point2> ground;  // ground point in the site's local frame, metres; empty when uncalibrated
};

// A camera's tracks after one analysed frame.
struct CameraTracks {
  std::string camera;
  TimeUs pts_us = 0;          // the frame's presentation time (live: wall clock at capture, µs since the epoch)
  int64_t frame_index = 0;    // the frame's index over the source's life
  int width = 0, height = 0;  // full-resolution frame size, pixels
  std::vector<TrackView> tracks;
};

// A camera's health as the runtime sees it.
enum class CameraHealth : int {
  kStarting = 0,  // added, no frame analysed yet (and not yet silent for the offline delay)
  kOnline,        // frames arrive
  kOffline,       // no analysed frame for the offline delay; the runtime keeps reconnecting
  kStopped,       // removed or the runtime stopped
};
// "starting", "online", "offline", "stopped".
const char* CameraHealthName(CameraHealth h);

struct CameraState {
  std::string camera;
  CameraHealth health = CameraHealth::kStarting;
  TimeUs since_us = 0;           // wall time of the last health change, µs since the epoch
  TimeUs last_frame_us = 0;      // wall time when the last frame was analysed, µs since the epoch; 0 = none yet
  int64_t starts = 0;            // times the camera's graph was (re)started
  std::string last_error;        // the error that ended the last graph (or its start), empty if none
  CameraStatus graph;            // counters of the current graph (reset on restart)
  int64_t frames_total = 0;      // analysed frames over every graph of this camera
  double frames_per_second = 0;  // analysed frames per second over the last second or more (supervision ticks)
};

// The global ground tracks of one group of overlapping cameras after one fused step.
struct GroupTracks {
  std::string group;
  fuse::FusedStep step;
};

// One hub message: the topic, a hub-wide sequence number and the shared immutable payload.
struct Message {
  Topic topic = Topic::kEvent;
  uint64_t seq = 0;    // publish order over the hub's life, from 1
  std::string camera;  // the camera (or, for kFusedTracks, the group) the message is about
  std::variant<std::shared_ptr<const Event>, std::shared_ptr<const CameraTracks>, std::shared_ptr<const CameraState>,
               std::shared_ptr<const GroupTracks>>
      payload;

  // The payload of the message's topic, or nullptr when the message is of another topic.
  const Event* event() const;
  const CameraTracks* tracks() const;
  const CameraState* state() const;
  const GroupTracks* fused() const;

  static Message Of(Event e);
  static Message Of(CameraTracks t);
  static Message Of(CameraState s);
  static Message Of(GroupTracks g);
};

// JSON forms (the server's WebSocket and REST bodies): {"topic", "seq", "camera", "data": {...}}.
nlohmann::json MessageToJson(const Message& m);
nlohmann::json CameraTracksToJson(const CameraTracks& t);
nlohmann::json CameraStateToJson(const CameraState& s);
nlohmann::json GroupTracksToJson(const GroupTracks& g);

}  // namespace didban::bus

#endif  // DIDBAN_BUS_MESSAGES_H_
