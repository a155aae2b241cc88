#include "core/json_io.h"

#include <string>

namespace didban {
namespace {

// Length of the well-formed UTF-8 sequence at text[i], or 0 when the byte there does not start one.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte (RFC 3629 table)
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlong forms
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // no overlong forms
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

size_t FirstInvalidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string ToValidUtf8(std::string_view text) {
  if (IsValidUtf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string DumpJson(const nlohmann::json& json, int indent) {
  return json.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json EventToJson(const Event& e) {
  nlohmann::json j = {{"time_us", e.time_us},
                      {"time_s", UsToSeconds(e.time_us)},
                      {"camera", ToValidUtf8(e.camera)},
                      {"type", ToValidUtf8(e.type)},
                      {"track_id", e.track_id},
                      {"class", std::string(ObjectClassName(e.object_class))}};
  if (!e.rule.empty()) j["rule"] = ToValidUtf8(e.rule);
  if (e.other_track_id != 0) j["other_track_id"] = e.other_track_id;
  if (e.ground) j["ground"] = {e.ground->x, e.ground->y};
  if (!e.unit.empty() || e.value != 0) {
    j["value"] = e.value;
    j["unit"] = ToValidUtf8(e.unit);
  }
  if (!e.detail.empty()) j["detail"] = ToValidUtf8(e.detail);
  if (!e.snapshot_path.empty()) j["snapshot"] = ToValidUtf8(e.snapshot_path);
  return j;
}

nlohmann::json TrackToJson(const Track& t) {
  return {{"id", t.id},
          {"box", {t.box.x, t.box.y, t.box.w, t.box.h}},
          {"score", t.score},
          {"class", std::string(ObjectClassName(t.object_class))},
          {"state", static_cast<int>(t.state)},
          {"first_seen_us", t.first_seen_us},
          {"last_seen_us", t.last_seen_us},
          {"hits", t.hits},
          {"velocity_px_s", {t.vx, t.vy}}};
}

}  // namespace didban
