#include "server/router.h"

#include <gtest/gtest.h>

#include "server/api_error.h"
#include "server/api_routes.h"
#include "server/guards.h"
#include "server/test_site.h"

namespace didban::server {
namespace {

Route Simple(Method m, const std::string& path, std::vector<ParamSpec> params = {}) {
  Route r;
  r.method = m;
  r.path = path;
  r.operation_id = path;
  r.params = std::move(params);
  r.handler = [path](const ApiRequest&) { return JsonResponse({{"route", path}}); };
  return r;
}

TEST(RouterTest, MatchesTemplatesLiteralsFirst) {
  Router router;
  ASSERT_TRUE(router.Add(Simple(Method::kGet, "/a/{x}", {{"x", ParamSpec::In::kPath}})).ok());
  ASSERT_TRUE(router.Add(Simple(Method::kGet, "/a/fixed")).ok());
  ASSERT_TRUE(router.Add(Simple(Method::kDelete, "/a/{x}", {{"x", ParamSpec::In::kPath}})).ok());
  auto m = router.Find(Method::kGet, "/a/fixed");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->route->path, "/a/fixed");
  m = router.Find(Method::kGet, "/a/other");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->path_params.at("x"), "other");
  EXPECT_EQ(router.Find(Method::kPut, "/a/other").status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(router.AllowedMethods("/a/other"), "GET, DELETE");
  auto missing = router.Find(Method::kGet, "/a/b/c");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusField(missing.status()), "path");
  EXPECT_EQ(router.Find(Method::kGet, "/a/").status().code(), absl::StatusCode::kNotFound);
}

TEST(RouterTest, RefusesDuplicatesAndUndeclaredPathParameters) {
  Router router;
  ASSERT_TRUE(router.Add(Simple(Method::kGet, "/x")).ok());
  EXPECT_EQ(router.Add(Simple(Method::kGet, "/x")).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(router.Add(Simple(Method::kGet, "/y/{id}")).message(),
            "route GET /y/{id}: path parameters do not match the template");
}

TEST(RouterTest, OpenApiDocumentHasEveryRouteAndNothingElse) {
  TestSite site;
  MetricsRegistry metrics;
  Router router;
  ASSERT_TRUE(AddApiRoutes(site, metrics, router).ok());
  const nlohmann::json doc = OpenApiDocument(router);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  size_t operations = 0;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      ++operations;
      bool found = false;
      for (const auto& r : router.routes()) {
        std::string m(MethodName(r.method));
        for (auto& c : m) c = static_cast<char>(std::tolower(c));
        if (r.path == path && m == method) {
          found = true;
          EXPECT_EQ(op["operationId"], r.operation_id);
          EXPECT_EQ(op["x-didban-access"], std::string(AccessName(r.access)));
          // Every path parameter of the template is documented as a required path parameter.
          for (const auto& p : r.params) {
            bool documented = false;
            for (const auto& dp : op.value("parameters", nlohmann::json::array())) {
              documented = documented || (dp["name"] == p.name);
            }
            EXPECT_TRUE(documented) << path << " " << p.name;
          }
          EXPECT_EQ(op.contains("requestBody"), !r.request_schema.is_null()) << path;
        }
      }
      EXPECT_TRUE(found) << method << " " << path;
    }
  }
  EXPECT_EQ(operations, router.routes().size());
}

TEST(GuardTest, InputGuardNamesTheParameter) {
  Route r = Simple(Method::kGet, "/e/{camera}",
                   {{"camera", ParamSpec::In::kPath, {{"type", "string"}, {"format", "name"}}},
                    {"limit", ParamSpec::In::kQuery, {{"type", "integer"}, {"minimum", 1}, {"maximum", 10}}}});
  InputGuard guard;
  ApiRequest req;
  req.path_params["camera"] = "north";
  req.query["limit"] = "5";
  EXPECT_TRUE(guard.Before(req, r).ok());
  req.query["limit"] = "50";
  absl::Status st = guard.Before(req, r);
  EXPECT_EQ(StatusField(st), "limit");
  EXPECT_EQ(st.message(), "limit: must be <= 10");
  req.query["limit"] = "5";
  req.query["order"] = "x";
  st = guard.Before(req, r);
  EXPECT_EQ(StatusField(st), "order");
  EXPECT_EQ(st.message(), "order: unknown query parameter");
  req.query.erase("order");
  req.path_params["camera"] = "..";
  EXPECT_EQ(StatusField(guard.Before(req, r)), "camera");
  req.path_params["camera"] = "north";
  req.body = "{}";
  st = guard.Before(req, r);
  EXPECT_EQ(st.message(), "body: this route takes no body");
}

}  // namespace
}  // namespace didban::server
