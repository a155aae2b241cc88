// The relay's subjects and JSON bodies (see wire.h).
#include "relay/wire.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <exception>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "core/json_io.h"
#include "didban/object_class.h"

namespace didban::relay {
namespace {

using nlohmann::json;

constexpr int kVersion = 1;

json GroundJson(const std::optional<Point2>& p) {
  if (!p) return nullptr;
  return json::array({p->x, p->y});
}

std::optional<Point2> GroundFrom(const json& j) {
  if (!j.is_array() || j.size() != 2) return std::nullopt;
  return Point2{j[0].get<double>(), j[1].get<double>()};
}

Event EventFrom(const json& j) {
  Event e;
  e.time_us = j.at("time_us").get<int64_t>();
  e.camera = j.at("camera").get<std::string>();
  e.type = j.at("type").get<std::string>();
  e.rule = j.value("rule", "");
  e.track_id = j.value("track_id", int64_t{0});
  e.other_track_id = j.value("other_track_id", int64_t{0});
  e.object_class = ObjectClassFromName(j.value("class", "unknown"));
  if (j.contains("ground")) e.ground = GroundFrom(j["ground"]);
  e.value = j.value("value", 0.0);
  e.unit = j.value("unit", "");
  e.detail = j.value("detail", "");
  e.snapshot_path = j.value("snapshot_path", "");
  return e;
}

// Appends `text` as a JSON string (made valid UTF-8 first), escaped as nlohmann::json::dump escapes it.
void AppendString(std::string* out, std::string_view text) {
  const std::string valid = IsValidUtf8(text) ? std::string() : ToValidUtf8(text);
  const std::string_view s = valid.empty() ? text : std::string_view(valid);
  out->push_back('"');
  size_t plain = 0;  // start of the run of bytes that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) continue;
    out->append(s.substr(plain, i - plain));
    plain = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out->append("\\u00");
        out->push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 0xF]);
        out->push_back(kHex[static_cast<unsigned char>(c) & 0xF]);
      }
    }
  }
  out->append(s.substr(plain));
  out->push_back('"');
}

// Appends `v` as the shortest text that reads back to the same double (null when not finite, as nlohmann does).
void AppendDouble(std::string* out, double v) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  char buf[32];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), v);
  std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
  out->append(text);
  // An integral value keeps a decimal point, so that it reads back as a number with a fraction ("42.0").
  if (text.find_first_of(".eEn") == std::string_view::npos) out->append(".0");
}

void AppendKey(std::string* out, std::string_view key) {
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

}  // namespace

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kEvent:
      return "event";
    case Kind::kTracks:
      return "tracks";
    case Kind::kCameraState:
      return "camera_state";
  }
  return "event";
}

std::string SubjectToken(std::string_view name) {
  if (name.empty()) return "_";
  std::string out(name);
  for (char& c : out) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return out;
}

std::string Subject(std::string_view site, std::string_view camera, Kind kind) {
  return absl::StrCat("didban.", SubjectToken(site), ".", SubjectToken(camera), ".", KindName(kind));
}

std::string SiteSubjects(std::string_view site) { return absl::StrCat("didban.", SubjectToken(site), ".>"); }

std::string SiteStreamName(std::string_view site) {
  std::string token = SubjectToken(site);
  for (char& c : token) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "DIDBAN_" + token;
}

std::string SourceDeliverPrefix(std::string_view site) { return "didban_src." + SubjectToken(site); }

absl::Status CheckOrigin(const Decoded& d, std::string_view subject, std::string_view stream_source) {
  const std::string want = Subject(d.site, d.camera, d.kind);
  if (subject != want) {
    return absl::PermissionDeniedError(absl::StrCat("subject: '", std::string(subject), "' does not carry site '",
                                                    d.site, "' camera '", d.camera, "' (want '", want, "')"));
  }
  if (!stream_source.empty()) {
    const std::string stream(stream_source.substr(0, stream_source.find_first_of(": ")));
    if (stream != SiteStreamName(d.site)) {
      return absl::PermissionDeniedError(absl::StrCat("Nats-Stream-Source: '", stream, "' is not site '", d.site,
                                                      "''s stream ", SiteStreamName(d.site)));
    }
  }
  return absl::OkStatus();
}

std::string EncodeEvent(std::string_view site, const store::StoredEvent& e) {
  // Written directly (the edge encodes every event it publishes, and building an nlohmann::json object of 18 keys
  // to dump it cost more than the rest of the encoding): the same JSON value, keys in nlohmann's sorted order.
  const Event& ev = e.event;
  std::string out;
  out.reserve(256 + ev.camera.size() * 2 + ev.type.size() + ev.rule.size() + ev.unit.size() + ev.detail.size() +
              ev.snapshot_path.size() + site.size());
  out.push_back('{');
  AppendKey(&out, "camera");
  AppendString(&out, ev.camera);
  out.push_back(',');
  AppendKey(&out, "event");
  out.push_back('{');
  AppendKey(&out, "camera");
  AppendString(&out, ev.camera);
  out.push_back(',');
  AppendKey(&out, "class");
  AppendString(&out, ObjectClassName(ev.object_class));
  out.push_back(',');
  AppendKey(&out, "detail");
  AppendString(&out, ev.detail);
  out.push_back(',');
  AppendKey(&out, "ground");
  if (ev.ground) {
    out.push_back('[');
    AppendDouble(&out, ev.ground->x);
    out.push_back(',');
    AppendDouble(&out, ev.ground->y);
    out.push_back(']');
  } else {
    out.append("null");
  }
  out.push_back(',');
  AppendKey(&out, "other_track_id");
  absl::StrAppend(&out, ev.other_track_id);
  out.push_back(',');
  AppendKey(&out, "rule");
  AppendString(&out, ev.rule);
  out.push_back(',');
  AppendKey(&out, "snapshot_path");
  AppendString(&out, ev.snapshot_path);
  out.push_back(',');
  AppendKey(&out, "time_us");
  absl::StrAppend(&out, ev.time_us);
  out.push_back(',');
  AppendKey(&out, "track_id");
  absl::StrAppend(&out, ev.track_id);
  out.push_back(',');
  AppendKey(&out, "type");
  AppendString(&out, ev.type);
  out.push_back(',');
  AppendKey(&out, "unit");
  AppendString(&out, ev.unit);
  out.push_back(',');
  AppendKey(&out, "value");
  AppendDouble(&out, ev.value);
  out.append("},");
  AppendKey(&out, "id");
  AppendString(&out, e.id.empty() ? store::MakeEventId(ev) : e.id);
  out.push_back(',');
  AppendKey(&out, "kind");
  AppendString(&out, KindName(Kind::kEvent));
  out.push_back(',');
  AppendKey(&out, "site");
  AppendString(&out, site);
  out.push_back(',');
  AppendKey(&out, "v");
  absl::StrAppend(&out, kVersion);
  out.push_back('}');
  return out;
}

std::string EncodeTrackPoints(std::string_view site, std::string_view camera,
                              const std::vector<store::TrackPoint>& points) {
  json arr = json::array();
  for (const store::TrackPoint& p : points) {
    arr.push_back(json{{"track_id", p.track_id},
                       {"global_id", p.global_id},
                       {"time_us", p.time_us},
                       {"class", std::string(ObjectClassName(p.object_class))},
                       {"box", json::array({p.box.x, p.box.y, p.box.w, p.box.h})},
                       {"ground", GroundJson(p.ground)},
                       {"speed_kmh", p.speed_kmh},
                       {"last", p.last}});
  }
  json j{{"v", kVersion},
         {"kind", KindName(Kind::kTracks)},
         {"site", ToValidUtf8(site)},
         {"camera", ToValidUtf8(camera)},
         {"points", std::move(arr)}};
  return DumpJson(j);
}

std::string EncodeCameraState(std::string_view site, const bus::CameraState& s) {
  json j{{"v", kVersion},
         {"kind", KindName(Kind::kCameraState)},
         {"site", ToValidUtf8(site)},
         {"camera", ToValidUtf8(s.camera)},
         {"health", bus::CameraHealthName(s.health)},
         {"since_us", s.since_us},
         {"last_frame_us", s.last_frame_us},
         {"frames_total", s.frames_total},
         {"frames_per_second", s.frames_per_second},
         {"last_error", ToValidUtf8(s.last_error)}};
  return DumpJson(j);
}

absl::StatusOr<Decoded> Decode(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError("relay message: not a JSON object");
  Decoded d;
  std::string field = "kind";
  try {
    const std::string kind = j.at("kind").get<std::string>();
    field = "site";
    d.site = j.at("site").get<std::string>();
    field = "camera";
    d.camera = j.at("camera").get<std::string>();
    if (kind == KindName(Kind::kEvent)) {
      d.kind = Kind::kEvent;
      field = "event";
      d.event.event = EventFrom(j.at("event"));
      field = "id";
      d.event.id = j.at("id").get<std::string>();
      if (d.event.id.empty()) return absl::InvalidArgumentError("relay message: empty event id");
    } else if (kind == KindName(Kind::kTracks)) {
      d.kind = Kind::kTracks;
      field = "points";
      for (const json& p : j.at("points")) {
        store::TrackPoint t;
        t.camera = d.camera;
        t.track_id = p.at("track_id").get<int64_t>();
        t.global_id = p.value("global_id", int64_t{0});
        t.time_us = p.at("time_us").get<int64_t>();
        t.object_class = ObjectClassFromName(p.value("class", "unknown"));
        const json& b = p.at("box");
        if (!b.is_array() || b.size() != 4) return absl::InvalidArgumentError("relay message: points[].box");
        t.box = Box{b[0].get<float>(), b[1].get<float>(), b[2].get<float>(), b[3].get<float>()};
        if (p.contains("ground")) t.ground = GroundFrom(p["ground"]);
        t.speed_kmh = p.value("speed_kmh", 0.0);
        t.last = p.value("last", false);
        d.points.push_back(std::move(t));
      }
    } else if (kind == KindName(Kind::kCameraState)) {
      d.kind = Kind::kCameraState;
      field = "health";
      RemoteCameraState& s = d.state;
      s.site = d.site;
      s.camera = d.camera;
      s.health = j.at("health").get<std::string>();
      s.since_us = j.value("since_us", int64_t{0});
      s.last_frame_us = j.value("last_frame_us", int64_t{0});
      s.frames_total = j.value("frames_total", int64_t{0});
      s.frames_per_second = j.value("frames_per_second", 0.0);
      s.last_error = j.value("last_error", "");
    } else {
      return absl::InvalidArgumentError("relay message: unknown kind \"" + ToValidUtf8(kind) + "\"");
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("relay message: field ", field, ": ", std::string(e.what())));
  }
  return d;
}

}  // namespace didban::relay
