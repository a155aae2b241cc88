#include "server/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace didban::server {
namespace {

namespace fs = std::filesystem;

std::string Header(const ApiResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("didban_static_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
             std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(base_ / "dist" / "assets");
    Write(base_ / "dist" / "index.html", "<!doctype html><div id=\"app\"></div>");
    Write(base_ / "dist" / "assets" / "index-abc.js", "console.log(1)");
    Write(base_ / "dist" / "assets" / "index-abc.css", "body{}");
    Write(base_ / "dist" / ".hidden", "secret-content");
    Write(base_ / "secret.txt", "outside");
    fs::create_symlink(base_ / "secret.txt", base_ / "dist" / "assets" / "link.txt");
  }
  void TearDown() override { fs::remove_all(base_); }
  static void Write(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
  fs::path base_;
};

TEST_F(StaticFilesTest, ServesIndexAndAssetsWithTypesAndCaching) {
  auto web = StaticFiles::Open((base_ / "dist").string());
  ASSERT_TRUE(web.ok()) << web.status();
  ApiResponse index = web->Serve("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index.body, "<!doctype html><div id=\"app\"></div>");
  EXPECT_EQ(Header(index, "Cache-Control"), "no-cache");
  EXPECT_EQ(Header(index, "Content-Security-Policy").rfind("default-src 'self';", 0), 0u);
  ApiResponse js = web->Serve("/assets/index-abc.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(Header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Header(js, "Content-Security-Policy"), "");
  EXPECT_EQ(web->Serve("/assets/index-abc.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(StaticFiles::ContentType("a.woff2"), "font/woff2");
  EXPECT_EQ(StaticFiles::ContentType("a.bin"), "application/octet-stream");
}

TEST_F(StaticFilesTest, RefusesTraversalHiddenFilesAndLinksOutOfTheRoot) {
  auto web = StaticFiles::Open((base_ / "dist").string());
  ASSERT_TRUE(web.ok());
  for (const char* p : {"/../secret.txt", "/assets/../../secret.txt", "/assets/link.txt", "/.hidden", "/assets/",
                        "/assets//index-abc.js", "/assets\\index-abc.js", "/nope.js", "/assets"}) {
    ApiResponse r = web->Serve(p);
    EXPECT_EQ(r.status, 404) << p;
    EXPECT_EQ(r.body.find("outside"), std::string::npos) << p;
  }
}

TEST_F(StaticFilesTest, OpenNeedsAFolderWithIndexHtml) {
  EXPECT_EQ(StaticFiles::Open((base_ / "missing").string()).status().code(), absl::StatusCode::kNotFound);
  fs::remove(base_ / "dist" / "index.html");
  auto web = StaticFiles::Open((base_ / "dist").string());
  ASSERT_FALSE(web.ok());
  EXPECT_NE(web.status().message().find("index.html"), std::string::npos);
}

}  // namespace
}  // namespace didban::server
