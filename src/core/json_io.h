// JSON forms of the public values (events, tracks) used by files, the bus and the server, and the UTF-8 guard that
// every string passes before it reaches nlohmann::json (whose dump() throws type_error 316 on invalid UTF-8).
#ifndef DIDBAN_CORE_JSON_IO_H_
#define DIDBAN_CORE_JSON_IO_H_

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "didban/event.h"
#include "didban/track.h"

namespace didban {

// Byte offset of the first byte of `text` that is not part of a well-formed UTF-8 sequence (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or std::string_view::npos when all of it is UTF-8.
size_t FirstInvalidUtf8(std::string_view text);
inline bool IsValidUtf8(std::string_view text) { return FirstInvalidUtf8(text) == std::string_view::npos; }

// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD.
std::string ToValidUtf8(std::string_view text);

// json.dump(indent) that never throws: invalid UTF-8 in strings is replaced by U+FFFD (the last guard; strings
// from user input are checked or replaced where they are read).
std::string DumpJson(const nlohmann::json& json, int indent = -1);

// {"time_us", "time_s", "camera", "type", "rule", "track_id", "class", "value", "unit", ...}; optional fields only
// when set. Strings are passed through ToValidUtf8.
nlohmann::json EventToJson(const Event& e);
nlohmann::json TrackToJson(const Track& t);

}  // namespace didban

#endif  // DIDBAN_CORE_JSON_IO_H_
