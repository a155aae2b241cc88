// The route table: one list of routes (method, path template, handler, summary, parameters, request and response
// schemas, access requirement) from which both the router and the OpenAPI 3 document are made, so they cannot drift.
// Requests are plain values here (no Beast types), so routes and guards are testable without sockets.
#ifndef DIDBAN_SERVER_ROUTER_H_
#define DIDBAN_SERVER_ROUTER_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>
#include "absl/strings/string_view.h"

#include <nlohmann/json.hpp>

#include "auth/identity.h"
#include "didban/status.h"

namespace didban::server {

enum class Method { kGet, kPost, kPut, kDelete, kPatch };
absl::string_view MethodName(Method m);  // "GET" ...

// What a route needs from the guard chain. Today every request is let through (the server binds 127.0.0.1); the
// access-control issue adds authentication and roles without touching the routes.
enum class Access {
  kPublic,   // health, readiness, the OpenAPI document
  kView,     // reads site state, events, video
  kOperate,  // acknowledges events, exports clips
  kAdmin,    // changes the site (cameras, rules)
};
absl::string_view AccessName(Access a);

// A path or query parameter. Values are checked by the input guard before the handler runs.
struct ParamSpec {
  enum class In { kPath, kQuery };
  std::string name;
  In in = In::kQuery;
  nlohmann::json schema;  // {"type": "string", "format": "name"}, {"type": "integer", "minimum": 1}, ...
  bool required = false;  // path parameters are always required
  std::string description;
};

// A request after parsing: method, decoded path, path parameters, query parameters (validated), body.
struct ApiRequest {
  Method method = Method::kGet;
  std::string target;                              // as received, e.g. "/api/v1/events?camera=a"
  std::string path;                                // percent-decoded path without the query
  std::map<std::string, std::string> path_params;  // {camera} -> "a"
  std::map<std::string, std::string> query;        // percent-decoded
  std::map<std::string, std::string> headers;      // lower-case names
  std::string body;
  nlohmann::json json;     // the parsed body when the route has a request schema
  std::string request_id;  // set by the request-id guard
  std::string remote;      // peer address
  // Set by the access guard when access control is on (server/access_policy.h): the caller, and the cameras they may
  // see (null: every camera). Handlers filter lists with CameraVisible(); a hidden camera answers as a missing one.
  std::shared_ptr<const auth::Principal> principal;
  std::shared_ptr<const std::set<std::string>> visible_cameras;
  bool CameraVisible(const std::string& camera) const { return !visible_cameras || visible_cameras->count(camera) > 0; }
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};
ApiResponse JsonResponse(const nlohmann::json& body, int status = 200);
// The JSON error reply for a status (api_error.h).
ApiResponse ErrorResponse(const absl::Status& status);

using Handler = std::function<ApiResponse(const ApiRequest&)>;

struct Route {
  Method method = Method::kGet;
  std::string path;  // template: "/api/v1/cameras/{camera}"; each {name} is one path segment
  std::string operation_id;
  std::string summary;
  std::string tag;
  Access access = Access::kView;
  std::vector<ParamSpec> params;
  nlohmann::json request_schema;   // null: no body accepted
  nlohmann::json response_schema;  // for the success status
  int success_status = 200;
  std::string response_content_type = "application/json";
  bool websocket = false;  // upgraded to a WebSocket (the handler is not called)
  Handler handler;
};

class Router {
 public:
  // Adds a route; a duplicate (method, template) or a template whose {params} do not match `params` is refused.
  absl::Status Add(Route route);
  const std::vector<Route>& routes() const { return routes_; }

  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> path_params;
  };
  // The route for (method, decoded path); literal segments win over {params}. NotFound (field "path") when no
  // template matches; Unimplemented "method not allowed" when only other methods match (the server answers 405).
  absl::StatusOr<Match> Find(Method method, absl::string_view path) const;
  // Methods that exist for `path` ("GET, POST"), for the Allow header.
  std::string AllowedMethods(absl::string_view path) const;

 private:
  std::vector<Route> routes_;
};

// Splits "a/b/c" on '/', no empty segments except a trailing one; used by matching.
std::vector<std::string> SplitPath(absl::string_view path);

struct OpenApiInfo {
  std::string title = "didban monitoring center API";
  std::string version = "1";
  std::string description;
};
// The OpenAPI 3.0.3 document for every route of `router`: paths, operations, parameters, request bodies and the
// JSON error reply for 4xx/5xx. Each operation carries x-didban-access (the guard requirement).
nlohmann::json OpenApiDocument(const Router& router, const OpenApiInfo& info = {});

}  // namespace didban::server

#endif  // DIDBAN_SERVER_ROUTER_H_
