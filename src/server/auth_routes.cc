#include "server/auth_routes.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/access_policy.h"
#include "server/api_error.h"
#include "server/validation.h"

namespace didban::server {
namespace {

using nlohmann::json;
using In = ParamSpec::In;

json Str(size_t max_length) { return {{"type", "string"}, {"maxLength", max_length}}; }
json NameSchema() { return {{"type", "string"}, {"format", "name"}, {"pattern", std::string(kNamePattern)}}; }
json Obj(json properties, std::vector<std::string> required = {}) {
  json o = {{"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
  if (!required.empty()) o["required"] = required;
  return o;
}
json Enum(std::vector<std::string> values) { return {{"type", "string"}, {"enum", std::move(values)}}; }
json RoleSchema() { return Enum({"admin", "operator", "viewer"}); }
json LanguageSchema() { return Enum({"fa", "en"}); }
json GrantSchema() {
  return {{"type", "string"},
          {"maxLength", 140},
          {"pattern", "^(all|(camera|owner|site):[A-Za-z0-9_.-]+)$"},
          {"description", "camera:NAME, owner:NAME, site:NAME or all"}};
}
json UserSchema() {
  return Obj({{"name", NameSchema()},
              {"role", RoleSchema()},
              {"language", LanguageSchema()},
              {"disabled", {{"type", "boolean"}}},
              {"created_us", {{"type", "integer"}}},
              {"grants", {{"type", "array"}, {"items", GrantSchema()}}}});
}
json TokenSchema() {
  return Obj({{"id", Str(64)},
              {"user", NameSchema()},
              {"name", Str(128)},
              {"scope", Enum({"admin", "operator", "viewer", "metrics"})},
              {"cameras", {{"type", "array"}, {"items", NameSchema()}}},
              {"created_us", {{"type", "integer"}}},
              {"expires_us", {{"type", "integer"}}},
              {"revoked_us", {{"type", "integer"}}},
              {"last_used_us", {{"type", "integer"}}},
              {"token", Str(128)}});
}
json MeSchema() {
  return Obj({{"user",
               {{"type", "object"},
                {"properties",
                 {{"name", NameSchema()},
                  {"role", RoleSchema()},
                  {"language", LanguageSchema()},
                  {"cameras", {{"description", "the cameras this user may see, or \"*\" for all"}}}}}}},
              {"csrf_token", Str(128)}});
}

Route MakeRoute(Method method, std::string path, std::string operation_id, std::string summary, Access access,
                std::vector<ParamSpec> params, json request_schema, json response_schema, int status, Handler handler) {
  Route r;
  r.method = method;
  r.path = std::move(path);
  r.operation_id = std::move(operation_id);
  r.summary = std::move(summary);
  r.tag = "access";
  r.access = access;
  r.params = std::move(params);
  r.request_schema = std::move(request_schema);
  r.response_schema = std::move(response_schema);
  r.success_status = status;
  r.handler = std::move(handler);
  return r;
}

void Record(audit::AuditSink* sink, const ApiRequest& r, std::string actor, std::string action, std::string target,
            bool allowed, json detail = json::object()) {
  if (!sink) return;
  audit::AuditEntry e;
  e.actor = std::move(actor);
  e.action = std::move(action);
  e.target = std::move(target);
  e.source = r.remote;
  e.allowed = allowed;
  detail["request_id"] = r.request_id;
  e.detail = std::move(detail);
  sink->Record(std::move(e));
}

std::string Actor(const ApiRequest& r) { return r.principal ? r.principal->Actor() : "anonymous"; }

json MeJson(const ApiRequest& r, const auth::Principal& p) {
  json cameras = "*";
  if (r.visible_cameras) cameras = json(std::vector<std::string>(r.visible_cameras->begin(), r.visible_cameras->end()));
  return {{"user",
           {{"name", p.name},
            {"role", std::string(auth::RoleName(p.role))},
            {"language", p.language},
            {"cameras", cameras}}},
          {"csrf_token", p.csrf_token}};
}

std::string SessionCookie(const std::string& value, bool tls, bool clear) {
  std::string c = absl::StrCat(kSessionCookie, "=", value, "; HttpOnly; SameSite=Strict; Path=/");
  if (clear) c += "; Max-Age=0";
  if (tls) c += "; Secure";
  return c;
}

// A user-related store error names its field.
absl::Status Named(absl::Status st, const std::string& field) {
  if (st.ok() || !StatusField(st).empty()) return st;
  return FieldError(st.code(), field, absl::StrCat(field, ": ", st.message()));
}

ApiResponse UserReply(auth::AuthStore* s, const std::string& name, int status = 200) {
  absl::StatusOr<auth::User> u = s->GetUser(name);
  if (!u.ok()) return ErrorResponse(Named(u.status(), "user"));
  return JsonResponse(UserToJson(*u), status);
}

}  // namespace

json UserToJson(const auth::User& u) {
  json grants = json::array();
  for (const auth::Grant& g : u.grants) grants.push_back(auth::GrantText(g));
  return {{"name", u.name},
          {"role", std::string(auth::RoleName(u.role))},
          {"language", u.language},
          {"disabled", u.disabled},
          {"created_us", u.created_us},
          {"grants", grants}};
}

json TokenToJson(const auth::TokenInfo& t) {
  json j = {{"id", t.id},
            {"user", t.user},
            {"name", t.name},
            {"scope", t.scope},
            {"created_us", t.created_us},
            {"expires_us", t.expires_us},
            {"revoked_us", t.revoked_us},
            {"last_used_us", t.last_used_us}};
  if (t.cameras) j["cameras"] = *t.cameras;
  return j;
}

absl::Status AddAuthRoutes(auth::AuthStore& store, audit::AuditSink* audit, bool tls, Router& router) {
  auth::AuthStore* s = &store;
  std::vector<Route> routes;

  routes.push_back(MakeRoute(
      Method::kPost, "/api/v1/auth/login", "login",
      "Logs in: sets the HttpOnly session cookie and returns the CSRF token that changes made with it must echo",
      Access::kPublic, {}, Obj({{"username", Str(64)}, {"password", Str(1024)}}, {"username", "password"}), MeSchema(),
      200, [s, audit, tls](const ApiRequest& r) {
        const std::string user = r.json["username"].get<std::string>();
        absl::StatusOr<auth::NewSession> session =
            s->Login(user, r.json["password"].get<std::string>(), ClientAddress(r.remote));
        if (!session.ok()) {
          const bool limited = session.status().code() == absl::StatusCode::kResourceExhausted;
          Record(audit, r, auth::IsValidUserName(user) ? user : "anonymous", "login_failed",
                 auth::IsValidUserName(user) ? absl::StrCat("user:", user) : "", false,
                 {{"reason", limited ? "locked out" : "wrong name or password"}});
          ApiResponse resp = ErrorResponse(session.status());
          if (limited) {
            resp.headers.emplace_back("Retry-After",
                                      std::to_string(s->LoginRetryAfterS(user, ClientAddress(r.remote))));
          }
          return resp;
        }
        Record(audit, r, user, "login", absl::StrCat("user:", user), true);
        ApiResponse resp = JsonResponse({{"user",
                                          {{"name", session->principal.name},
                                           {"role", std::string(auth::RoleName(session->principal.role))},
                                           {"language", session->principal.language}}},
                                         {"csrf_token", session->principal.csrf_token}});
        resp.headers.emplace_back("Set-Cookie", SessionCookie(session->id, tls, false));
        return resp;
      }));
  routes.push_back(MakeRoute(Method::kPost, "/api/v1/auth/logout", "logout",
                             "Ends the session of the cookie (and clears the cookie)", Access::kView, {}, nullptr,
                             nullptr, 204, [s, audit, tls](const ApiRequest& r) {
                               const std::string id = SessionCookieOf(r);
                               if (!id.empty()) (void)s->Logout(id);
                               Record(audit, r, Actor(r), "logout", "", true);
                               ApiResponse resp;
                               resp.status = 204;
                               resp.content_type = "application/json";
                               resp.headers.emplace_back("Set-Cookie", SessionCookie("", tls, true));
                               return resp;
                             }));
  routes.push_back(MakeRoute(Method::kGet, "/api/v1/auth/me", "getMe",
                             "Who is logged in: name, role, language, the cameras they may see, the CSRF token",
                             Access::kView, {}, nullptr, MeSchema(), 200,
                             [](const ApiRequest& r) { return JsonResponse(MeJson(r, *r.principal)); }));
  routes.push_back(
      MakeRoute(Method::kPatch, "/api/v1/auth/me", "updateMe", "Changes the user's own language", Access::kView, {},
                Obj({{"language", LanguageSchema()}}, {"language"}), MeSchema(), 200, [s](const ApiRequest& r) {
                  const std::string language = r.json["language"].get<std::string>();
                  if (auto st = s->UpdateUser(r.principal->name, std::nullopt, language, std::nullopt); !st.ok()) {
                    return ErrorResponse(st);
                  }
                  auth::Principal p = *r.principal;
                  p.language = language;
                  return JsonResponse(MeJson(r, p));
                }));

  // --- administration ---
  const ParamSpec user_param{"user", In::kPath, NameSchema(), true, "user name"};
  routes.push_back(
      MakeRoute(Method::kGet, "/api/v1/users", "listUsers", "Users with their roles and grants", Access::kAdmin, {},
                nullptr, Obj({{"users", {{"type", "array"}, {"items", UserSchema()}}}}), 200, [s](const ApiRequest&) {
                  absl::StatusOr<std::vector<auth::User>> users = s->ListUsers();
                  if (!users.ok()) return ErrorResponse(users.status());
                  json list = json::array();
                  for (const auth::User& u : *users) list.push_back(UserToJson(u));
                  return JsonResponse({{"users", list}});
                }));
  routes.push_back(MakeRoute(Method::kPost, "/api/v1/users", "addUser",
                             "Adds a user (the password must pass the strength rules)", Access::kAdmin, {},
                             Obj({{"name", NameSchema()},
                                  {"role", RoleSchema()},
                                  {"password", Str(1024)},
                                  {"language", LanguageSchema()},
                                  {"grants", {{"type", "array"}, {"items", GrantSchema()}, {"maxItems", 1000}}}},
                                 {"name", "role", "password"}),
                             UserSchema(), 201, [s, audit](const ApiRequest& r) {
                               const std::string name = r.json["name"].get<std::string>();
                               absl::StatusOr<auth::Role> role = auth::ParseRole(r.json["role"].get<std::string>());
                               if (!role.ok()) return ErrorResponse(Named(role.status(), "role"));
                               std::vector<auth::Grant> grants;
                               for (const auto& g : r.json.value("grants", json::array())) {
                                 absl::StatusOr<auth::Grant> grant = auth::ParseGrant(g.get<std::string>());
                                 if (!grant.ok()) return ErrorResponse(Named(grant.status(), "grants"));
                                 grants.push_back(*grant);
                               }
                               absl::Status st = s->AddUser(name, *role, r.json["password"].get<std::string>(),
                                                            r.json.value("language", std::string("en")));
                               if (!st.ok()) {
                                 const std::string msg(st.message());
                                 return ErrorResponse(Named(st, absl::StartsWith(msg, "password")   ? "password"
                                                                : absl::StartsWith(msg, "language") ? "language"
                                                                                                    : "name"));
                               }
                               for (const auth::Grant& g : grants) (void)s->AddGrant(name, g);
                               Record(audit, r, Actor(r), "user_add", absl::StrCat("user:", name), true,
                                      {{"role", std::string(auth::RoleName(*role))}});
                               return UserReply(s, name, 201);
                             }));
  routes.push_back(MakeRoute(Method::kGet, "/api/v1/users/{user}", "getUser", "One user", Access::kAdmin, {user_param},
                             nullptr, UserSchema(), 200,
                             [s](const ApiRequest& r) { return UserReply(s, r.path_params.at("user")); }));
  routes.push_back(MakeRoute(
      Method::kPatch, "/api/v1/users/{user}", "updateUser",
      "Changes a user's role, language, password or disabled flag (a new password or disabling ends their sessions)",
      Access::kAdmin, {user_param},
      Obj({{"role", RoleSchema()},
           {"language", LanguageSchema()},
           {"disabled", {{"type", "boolean"}}},
           {"password", Str(1024)}}),
      UserSchema(), 200, [s, audit](const ApiRequest& r) {
        const std::string& name = r.path_params.at("user");
        std::optional<auth::Role> role;
        if (r.json.contains("role")) role = *auth::ParseRole(r.json["role"].get<std::string>());
        std::optional<std::string> language;
        if (r.json.contains("language")) language = r.json["language"].get<std::string>();
        std::optional<bool> disabled;
        if (r.json.contains("disabled")) disabled = r.json["disabled"].get<bool>();
        if (r.json.contains("password")) {
          if (auto st = s->SetPassword(name, r.json["password"].get<std::string>()); !st.ok()) {
            return ErrorResponse(Named(st, st.code() == absl::StatusCode::kNotFound ? "user" : "password"));
          }
        }
        if (auto st = s->UpdateUser(name, role, language, disabled); !st.ok()) return ErrorResponse(Named(st, "user"));
        Record(audit, r, Actor(r), "user_change", absl::StrCat("user:", name), true,
               {{"fields", [&] {
                   json f = json::array();
                   for (const auto& [k, v] : r.json.items()) f.push_back(k);
                   return f;
                 }()}});
        return UserReply(s, name);
      }));
  routes.push_back(MakeRoute(Method::kDelete, "/api/v1/users/{user}", "removeUser",
                             "Removes a user with their grants, sessions and tokens", Access::kAdmin, {user_param},
                             nullptr, Obj({{"removed", NameSchema()}}), 200, [s, audit](const ApiRequest& r) {
                               const std::string& name = r.path_params.at("user");
                               if (r.principal && r.principal->name == name) {
                                 return ErrorResponse(FieldError(absl::StatusCode::kFailedPrecondition, "user",
                                                                 "user: an admin cannot remove themselves"));
                               }
                               if (auto st = s->RemoveUser(name); !st.ok()) return ErrorResponse(Named(st, "user"));
                               Record(audit, r, Actor(r), "user_remove", absl::StrCat("user:", name), true);
                               return JsonResponse({{"removed", name}});
                             }));
  routes.push_back(MakeRoute(Method::kPost, "/api/v1/users/{user}/grants", "grantCameras",
                             "Grants a user cameras: one camera, an owner's cameras, a site, or all", Access::kAdmin,
                             {user_param}, Obj({{"grant", GrantSchema()}}, {"grant"}), UserSchema(), 200,
                             [s, audit](const ApiRequest& r) {
                               const std::string& name = r.path_params.at("user");
                               absl::StatusOr<auth::Grant> g = auth::ParseGrant(r.json["grant"].get<std::string>());
                               if (!g.ok()) return ErrorResponse(Named(g.status(), "grant"));
                               if (auto st = s->AddGrant(name, *g); !st.ok()) return ErrorResponse(Named(st, "user"));
                               Record(audit, r, Actor(r), "permission_grant", absl::StrCat("user:", name), true,
                                      {{"grant", auth::GrantText(*g)}});
                               return UserReply(s, name);
                             }));
  routes.push_back(MakeRoute(
      Method::kDelete, "/api/v1/users/{user}/grants/{grant}", "revokeCameras", "Takes a grant back", Access::kAdmin,
      {user_param, ParamSpec{"grant", In::kPath, GrantSchema(), true, "the grant, e.g. camera:north"}}, nullptr,
      UserSchema(), 200, [s, audit](const ApiRequest& r) {
        const std::string& name = r.path_params.at("user");
        absl::StatusOr<auth::Grant> g = auth::ParseGrant(r.path_params.at("grant"));
        if (!g.ok()) return ErrorResponse(Named(g.status(), "grant"));
        if (auto st = s->RemoveGrant(name, *g); !st.ok()) {
          return ErrorResponse(Named(st, "grant"));
        }
        Record(audit, r, Actor(r), "permission_revoke", absl::StrCat("user:", name), true,
               {{"grant", auth::GrantText(*g)}});
        return UserReply(s, name);
      }));
  routes.push_back(MakeRoute(
      Method::kGet, "/api/v1/tokens", "listTokens", "API tokens (never their secrets)", Access::kAdmin,
      {ParamSpec{"user", In::kQuery, NameSchema(), false, "only this user's"}}, nullptr,
      Obj({{"tokens", {{"type", "array"}, {"items", TokenSchema()}}}}), 200, [s](const ApiRequest& r) {
        auto it = r.query.find("user");
        absl::StatusOr<std::vector<auth::TokenInfo>> tokens = s->ListTokens(it == r.query.end() ? "" : it->second);
        if (!tokens.ok()) return ErrorResponse(tokens.status());
        json list = json::array();
        for (const auth::TokenInfo& t : *tokens) list.push_back(TokenToJson(t));
        return JsonResponse({{"tokens", list}});
      }));
  routes.push_back(MakeRoute(
      Method::kPost, "/api/v1/tokens", "createToken",
      "Creates an API token for a user (scope at most the user's role, or metrics); the secret is returned once",
      Access::kAdmin, {},
      Obj({{"user", NameSchema()},
           {"name", Str(128)},
           {"scope", Enum({"admin", "operator", "viewer", "metrics"})},
           {"cameras", {{"type", "array"}, {"items", NameSchema()}, {"maxItems", 1000}}},
           {"ttl_s", {{"type", "integer"}, {"minimum", 1}, {"maximum", 366 * 24 * 3600}}}},
          {"user", "name", "scope"}),
      TokenSchema(), 201, [s, audit](const ApiRequest& r) {
        std::optional<std::vector<std::string>> cameras;
        if (r.json.contains("cameras")) cameras = r.json["cameras"].get<std::vector<std::string>>();
        const std::string user = r.json["user"].get<std::string>();
        absl::StatusOr<auth::NewToken> t =
            s->CreateToken(user, r.json["name"].get<std::string>(), r.json["scope"].get<std::string>(), cameras,
                           r.json.value("ttl_s", int64_t{0}) * kUsPerSecond);
        if (!t.ok()) {
          return ErrorResponse(Named(t.status(), t.status().code() == absl::StatusCode::kNotFound ? "user" : "scope"));
        }
        Record(audit, r, Actor(r), "token_create", absl::StrCat("token:", t->info.id), true,
               {{"user", user}, {"scope", t->info.scope}});
        json j = TokenToJson(t->info);
        j["token"] = t->secret;
        return JsonResponse(j, 201);
      }));
  routes.push_back(MakeRoute(Method::kDelete, "/api/v1/tokens/{token}", "revokeToken", "Revokes an API token",
                             Access::kAdmin, {ParamSpec{"token", In::kPath, NameSchema(), true, "token id"}}, nullptr,
                             Obj({{"revoked", Str(64)}}), 200, [s, audit](const ApiRequest& r) {
                               const std::string& id = r.path_params.at("token");
                               if (auto st = s->RevokeToken(id); !st.ok()) return ErrorResponse(Named(st, "token"));
                               Record(audit, r, Actor(r), "token_revoke", absl::StrCat("token:", id), true);
                               return JsonResponse({{"revoked", id}});
                             }));

  for (auto& r : routes) DIDBAN_RETURN_IF_ERROR(router.Add(std::move(r)));
  return absl::OkStatus();
}

}  // namespace didban::server
