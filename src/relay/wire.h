// The relay's wire format: subjects and the JSON bodies of the messages an edge publishes to JetStream
// (didban.<site>.<camera>.<kind>) and the center decodes: events (keyed by their stable store id), downsampled
// track points and camera states. Pure functions, no I/O; thread-safe.
#ifndef DIDBAN_RELAY_WIRE_H_
#define DIDBAN_RELAY_WIRE_H_

#include <string>
#include <string_view>
#include <vector>

#include "bus/messages.h"
#include "didban/status.h"
#include "store/store.h"

namespace didban::relay {

// What a message carries: the last token of its subject.
enum class Kind : int { kEvent = 0, kTracks, kCameraState };
// "event", "tracks", "camera_state".
const char* KindName(Kind k);

// A subject token made of `name`: every byte other than [A-Za-z0-9_-] becomes '_' ("" becomes "_"), so that
// names with dots, spaces or wildcards cannot change a subject's shape. Stream names use the same rule.
std::string SubjectToken(std::string_view name);
// "didban.<site>.<camera>.<kind>" with both names passed through SubjectToken.
std::string Subject(std::string_view site, std::string_view camera, Kind kind);
// "didban.<site>.>": every subject of one site.
std::string SiteSubjects(std::string_view site);
// The edge's stream of a site: "DIDBAN_<SITE TOKEN>".
std::string SiteStreamName(std::string_view site);
// The deliver prefix of the center's source of a site's stream: "didban_src.<site token>" (deliveries then cross
// the leaf link on subjects only that site's leaf-node user may publish, see relay/nats_config.h).
std::string SourceDeliverPrefix(std::string_view site);

// A camera's state as it crosses the link (the center keeps the latest per site and camera).
struct RemoteCameraState {
  std::string site;
  std::string camera;
  std::string health;  // bus::CameraHealthName
  TimeUs since_us = 0;
  TimeUs last_frame_us = 0;
  int64_t frames_total = 0;
  double frames_per_second = 0;
  std::string last_error;
};

// One decoded message.
struct Decoded {
  Kind kind = Kind::kEvent;
  std::string site;
  std::string camera;
  store::StoredEvent event;               // kEvent (its id set)
  std::vector<store::TrackPoint> points;  // kTracks
  RemoteCameraState state;                // kCameraState
};

// Bodies. An event keeps its stable id (store::MakeEventId when e.id is empty); it is also the message id.
std::string EncodeEvent(std::string_view site, const store::StoredEvent& e);
std::string EncodeTrackPoints(std::string_view site, std::string_view camera,
                              const std::vector<store::TrackPoint>& points);
std::string EncodeCameraState(std::string_view site, const bus::CameraState& s);

// Parses a body; InvalidArgument naming the field when it is not one of the above.
absl::StatusOr<Decoded> Decode(std::string_view body);

// Checks that a decoded message came from where it claims (the center, before storing it): its subject must be
// Subject(d.site, d.camera, d.kind), and when the center's stream sourced it, the `Nats-Stream-Source` header that
// the hub adds ("DIDBAN_NORTH:<hash> <seq>", "" when not sourced) must name SiteStreamName(d.site). A station can
// then not pass events off as another site's, not even through its own stream. PermissionDenied naming the field.
absl::Status CheckOrigin(const Decoded& d, std::string_view subject, std::string_view stream_source);

}  // namespace didban::relay

#endif  // DIDBAN_RELAY_WIRE_H_
