// Fuzz target: an API request's parameters and JSON body through the server's input guard (server::InputGuard:
// parameters against their specs, ParseJsonObject, ValidateJson against a request schema with every keyword the
// routes use), then the JSON reply, refusals included (server::ErrorResponse). The input is the parameter values,
// one a line (path {camera}, query limit, cursor, ack, then free "key=value" query pairs until an empty line), and
// the body after the empty line.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/str_split.h"
#include "server/guards.h"
#include "server/router.h"

namespace {

using didban::server::ParamSpec;

didban::server::Route MakeRoute() {
  didban::server::Route route;
  route.method = didban::server::Method::kPut;
  route.path = "/api/v1/cameras/{camera}";
  route.params = {
      {"camera", ParamSpec::In::kPath, {{"type", "string"}, {"format", "name"}}, true, ""},
      {"limit", ParamSpec::In::kQuery, {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}, false, ""},
      {"cursor", ParamSpec::In::kQuery, {{"type", "string"}, {"format", "cursor"}}, false, ""},
      {"ack", ParamSpec::In::kQuery, {{"type", "boolean"}}, false, ""},
  };
  route.request_schema = nlohmann::json::parse(R"({
    "type": "object", "additionalProperties": false, "required": ["uri"],
    "properties": {
      "uri": {"type": "string", "minLength": 1, "maxLength": 256},
      "enabled": {"type": "boolean"},
      "fps": {"type": "number", "minimum": 0, "maximum": 240},
      "priority": {"type": "integer", "minimum": -5, "maximum": 5},
      "detector": {"type": "object", "additionalProperties": true, "required": ["type"],
                   "properties": {"type": {"type": "string", "enum": ["motion", "dnn", "aerial"]}}},
      "rules": {"type": "array", "minItems": 0, "maxItems": 8, "items": {
        "type": "object", "required": ["type", "name"], "additionalProperties": false,
        "properties": {"type": {"type": "string", "format": "name"}, "name": {"type": "string", "format": "name"},
                       "points": {"type": "array", "maxItems": 64,
                                  "items": {"type": "array", "minItems": 2, "maxItems": 2,
                                            "items": {"type": "number"}}}}}},
      "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 64}}
    }})");
  route.handler = [](const didban::server::ApiRequest& request) { return didban::server::JsonResponse(request.json); };
  return route;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const didban::server::Route kRoute = MakeRoute();
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t blank = input.find("\n\n");
  const std::string head = input.substr(0, blank);
  didban::server::ApiRequest request;
  request.method = kRoute.method;
  request.headers["content-type"] = "application/json";
  request.body = blank == std::string::npos ? std::string() : input.substr(blank + 2);
  int line = 0;
  for (absl::string_view value : absl::StrSplit(head, '\n')) {
    switch (line++) {
      case 0:
        request.path_params["camera"] = std::string(value);
        break;
      case 1:
        if (!value.empty()) request.query["limit"] = std::string(value);
        break;
      case 2:
        if (!value.empty()) request.query["cursor"] = std::string(value);
        break;
      case 3:
        if (!value.empty()) request.query["ack"] = std::string(value);
        break;
      default: {
        std::pair<std::string, std::string> kv = absl::StrSplit(value, absl::MaxSplits('=', 1));
        request.query[kv.first] = kv.second;
      }
    }
  }
  didban::server::GuardChain chain;
  chain.Add(std::make_unique<didban::server::InputGuard>());
  didban::server::ApiResponse response = chain.Handle(request, kRoute);
  (void)response;
  return 0;
}
