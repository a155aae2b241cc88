#include "server/router.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/api_error.h"

namespace didban::server {

absl::string_view MethodName(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kDelete:
      return "DELETE";
    case Method::kPatch:
      return "PATCH";
  }
  return "GET";
}

absl::string_view AccessName(Access a) {
  switch (a) {
    case Access::kPublic:
      return "public";
    case Access::kView:
      return "view";
    case Access::kOperate:
      return "operate";
    case Access::kAdmin:
      return "admin";
  }
  return "admin";
}

ApiResponse JsonResponse(const nlohmann::json& body, int status) {
  ApiResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

ApiResponse ErrorResponse(const absl::Status& status) {
  const ApiError e = ApiErrorFromStatus(status);
  return JsonResponse(ApiErrorBody(e), e.http_status);
}

std::vector<std::string> SplitPath(absl::string_view path) {
  std::vector<std::string> out;
  if (!path.empty() && path[0] == '/') path.remove_prefix(1);
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    if (slash == absl::string_view::npos) {
      out.emplace_back(path.substr(start));
      break;
    }
    out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

namespace {

bool IsParam(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

bool MatchTemplate(const std::vector<std::string>& tmpl, const std::vector<std::string>& segs,
                   std::map<std::string, std::string>* params) {
  if (tmpl.size() != segs.size()) return false;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (IsParam(tmpl[i])) {
      if (segs[i].empty()) return false;
      (*params)[tmpl[i].substr(1, tmpl[i].size() - 2)] = segs[i];
    } else if (tmpl[i] != segs[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status Router::Add(Route route) {
  std::set<std::string> declared;
  for (const auto& p : route.params) {
    if (p.in == ParamSpec::In::kPath) declared.insert(p.name);
  }
  std::set<std::string> in_template;
  for (const auto& seg : SplitPath(route.path)) {
    if (IsParam(seg)) in_template.insert(seg.substr(1, seg.size() - 2));
  }
  if (declared != in_template) {
    return absl::InvalidArgumentError(absl::StrCat("route ", MethodName(route.method), " ", route.path,
                                                   ": path parameters do not match the template"));
  }
  for (const auto& r : routes_) {
    if (r.method == route.method && r.path == route.path) {
      return absl::AlreadyExistsError(absl::StrCat("route ", MethodName(route.method), " ", route.path, " twice"));
    }
  }
  if (!route.websocket && !route.handler) {
    return absl::InvalidArgumentError(absl::StrCat("route ", route.path, ": no handler"));
  }
  routes_.push_back(std::move(route));
  return absl::OkStatus();
}

absl::StatusOr<Router::Match> Router::Find(Method method, absl::string_view path) const {
  const auto segs = SplitPath(path);
  bool other_method = false;
  // Literal segments win over parameters: try exact templates first.
  const Route* best = nullptr;
  int best_literals = -1;
  std::map<std::string, std::string> best_params;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!MatchTemplate(SplitPath(r.path), segs, &params)) continue;
    if (r.method != method) {
      other_method = true;
      continue;
    }
    const int literals = static_cast<int>(segs.size() - params.size());
    if (literals > best_literals) {
      best = &r;
      best_literals = literals;
      best_params = std::move(params);
    }
  }
  if (best) return Match{best, std::move(best_params)};
  if (other_method) return absl::UnimplementedError("method not allowed");
  return FieldError(absl::StatusCode::kNotFound, "path", absl::StrCat("no route for ", path));
}

std::string Router::AllowedMethods(absl::string_view path) const {
  const auto segs = SplitPath(path);
  std::vector<std::string> methods;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (MatchTemplate(SplitPath(r.path), segs, &params)) methods.emplace_back(MethodName(r.method));
  }
  return absl::StrJoin(methods, ", ");
}

nlohmann::json OpenApiDocument(const Router& router, const OpenApiInfo& info) {
  nlohmann::json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", info.title}, {"version", info.version}};
  if (!info.description.empty()) doc["info"]["description"] = info.description;
  doc["components"]["schemas"]["Error"] = {
      {"type", "object"},
      {"required", {"error"}},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"required", {"code", "message"}},
          {"properties",
           {{"code", {{"type", "string"}}},
            {"message", {{"type", "string"}}},
            {"field", {{"type", "string"}, {"description", "the offending field, parameter or JSON path"}}}}}}}}}};
  const nlohmann::json error_ref = {{"$ref", "#/components/schemas/Error"}};
  doc["paths"] = nlohmann::json::object();
  for (const auto& r : router.routes()) {
    nlohmann::json op;
    op["operationId"] = r.operation_id;
    op["summary"] = r.summary;
    if (!r.tag.empty()) op["tags"] = {r.tag};
    op["x-didban-access"] = std::string(AccessName(r.access));
    if (r.websocket) op["x-didban-websocket"] = true;
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : r.params) {
      nlohmann::json jp = {{"name", p.name},
                           {"in", p.in == ParamSpec::In::kPath ? "path" : "query"},
                           {"required", p.in == ParamSpec::In::kPath || p.required},
                           {"schema", p.schema.is_null() ? nlohmann::json{{"type", "string"}} : p.schema}};
      if (!p.description.empty()) jp["description"] = p.description;
      params.push_back(std::move(jp));
    }
    if (!params.empty()) op["parameters"] = std::move(params);
    if (!r.request_schema.is_null()) {
      op["requestBody"] = {{"required", true}, {"content", {{"application/json", {{"schema", r.request_schema}}}}}};
    }
    nlohmann::json ok = {{"description", r.websocket ? "switching protocols to a WebSocket" : "success"}};
    if (!r.response_schema.is_null()) {
      ok["content"][r.response_content_type]["schema"] = r.response_schema;
    } else if (r.response_content_type != "application/json") {
      ok["content"][r.response_content_type]["schema"] = {{"type", "string"}, {"format", "binary"}};
    }
    op["responses"][std::to_string(r.websocket ? 101 : r.success_status)] = std::move(ok);
    op["responses"]["4XX"] = {{"description", "refused; the body names the field"},
                              {"content", {{"application/json", {{"schema", error_ref}}}}}};
    op["responses"]["5XX"] = {{"description", "server or site failure"},
                              {"content", {{"application/json", {{"schema", error_ref}}}}}};
    std::string method(MethodName(r.method));
    for (auto& c : method) c = static_cast<char>(c - 'A' + 'a');
    doc["paths"][r.path][method] = std::move(op);
  }
  return doc;
}

}  // namespace didban::server
