// Opening video sources by URI: files, image sequences (`frames/%06d.jpg`), rtsp/rtmp/http(s)/udp/srt streams, and
// any scheme registered by another module (e.g. synthetic scenes).
#ifndef DIDBAN_SOURCE_SOURCE_H_
#define DIDBAN_SOURCE_SOURCE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "didban/stage.h"
#include "source/source_options.h"

namespace didban::source {

// Makes a (not yet opened) source for a URI.
using SourceFactory =
    std::function<absl::StatusOr<std::unique_ptr<FrameSource>>(const std::string& uri, const SourceOptions& options)>;

// Makes the source for `uri` without opening it (call Open()). The URI's scheme (the text before "://", lowercase;
// none = a local file) picks a factory registered with RegisterSourceScheme; every other scheme, plain paths and
// image-sequence patterns go to the FFmpeg source. Options are validated here: errors name the URI and the field.
absl::StatusOr<std::unique_ptr<FrameSource>> OpenSource(const std::string& uri, const SourceOptions& options);

// The same from a component's JSON parameters: {"uri": "...", ...SourceOptions keys, see ParseSourceOptions}.
absl::StatusOr<std::unique_ptr<FrameSource>> OpenSourceFromParams(const nlohmann::json& params);

// Routes URIs of `scheme` ("sim", ...) to `factory`; replaces an earlier registration. Thread-safe.
void RegisterSourceScheme(const std::string& scheme, SourceFactory factory);
// Schemes registered with RegisterSourceScheme, sorted. Thread-safe.
std::vector<std::string> RegisteredSourceSchemes();

}  // namespace didban::source

#endif  // DIDBAN_SOURCE_SOURCE_H_
