#include "source/source.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <utility>

#include "source/ffmpeg_source.h"

namespace didban::source {
namespace {

struct Schemes {
  std::mutex mu;
  std::map<std::string, SourceFactory> factories;
};

Schemes& GetSchemes() {
  static Schemes* schemes = new Schemes();
  return *schemes;
}

std::string SchemeOf(const std::string& uri) {
  size_t p = uri.find("://");
  if (p == std::string::npos) return "";
  std::string scheme = uri.substr(0, p);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  return scheme;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FrameSource>> OpenSource(const std::string& uri, const SourceOptions& options) {
  if (uri.empty()) return absl::InvalidArgumentError("video source: empty URI");
  if (absl::Status valid = options.Validate(); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("video '", uri, "': ", valid.message()));
  }
  SourceFactory factory;
  {
    Schemes& schemes = GetSchemes();
    std::lock_guard<std::mutex> lock(schemes.mu);
    auto it = schemes.factories.find(SchemeOf(uri));
    if (it != schemes.factories.end()) factory = it->second;
  }
  if (factory) return factory(uri, options);
  return std::unique_ptr<FrameSource>(std::make_unique<FfmpegSource>(uri, options));
}

absl::StatusOr<std::unique_ptr<FrameSource>> OpenSourceFromParams(const nlohmann::json& params) {
  if (!params.is_object() || !params.contains("uri") || !params["uri"].is_string()) {
    return absl::InvalidArgumentError("source: missing 'uri' (a file, image pattern or stream URL)");
  }
  DIDBAN_ASSIGN_OR_RETURN(SourceOptions options, ParseSourceOptions(params));
  return OpenSource(params["uri"].get<std::string>(), options);
}

void RegisterSourceScheme(const std::string& scheme, SourceFactory factory) {
  Schemes& schemes = GetSchemes();
  std::lock_guard<std::mutex> lock(schemes.mu);
  schemes.factories[scheme] = std::move(factory);
}

std::vector<std::string> RegisteredSourceSchemes() {
  Schemes& schemes = GetSchemes();
  std::lock_guard<std::mutex> lock(schemes.mu);
  std::vector<std::string> out;
  for (const auto& [name, _] : schemes.factories) out.push_back(name);
  return out;
}

}  // namespace didban::source
