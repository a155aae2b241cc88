#include "center/source_policy.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "testing/data.h"

namespace didban::center {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(SourcePolicyTest, DefaultsAllowEveryStreamAndOnlyFilesBesideTheSite) {
  const std::string dir = ::didban::testing::MakeTempDir("source_policy");
  fs::create_directories(dir + "/site/clips");
  std::ofstream(dir + "/site/clips/a.mp4") << "x";
  std::ofstream(dir + "/outside.mp4") << "x";
  fs::create_symlink(dir + "/outside.mp4", dir + "/site/clips/link.mp4");
  auto p = SourcePolicy::FromSection(nullptr, dir + "/site");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->Check("rtsp://10.1.2.3:554/stream1").ok());
  EXPECT_TRUE(p->Check("https://cams.example.org/live.ts").ok());
  EXPECT_TRUE(p->Check(dir + "/site/clips/a.mp4").ok());
  EXPECT_TRUE(p->Check("file://" + dir + "/site/clips/a.mp4").ok());
  EXPECT_EQ(Message(p->Check(dir + "/site/clips/../../outside.mp4")),
            "camera.uri: '" + dir + "/outside.mp4' is outside the folders the site allows (sources.file_roots: " + dir +
                "/site)");
  EXPECT_FALSE(p->Check(dir + "/site/clips/link.mp4").ok());  // a link out of the root is followed
  EXPECT_EQ(Message(p->Check("/etc/passwd")),
            "camera.uri: '/etc/passwd' is outside the folders the site allows (sources.file_roots: " + dir + "/site)");
  EXPECT_EQ(Message(p->Check("gopher://x/")),
            "camera.uri: the site does not allow 'gopher' sources (sources.schemes: file, http, https, rtsp, "
            "rtsps, sim)");
}

TEST(SourcePolicyTest, SchemesHostsAndRootsFromTheSection) {
  auto p = SourcePolicy::FromSection(
      json{{"schemes", {"rtsp", "RTSPS"}}, {"hosts", {"10.0.0.7", "*.cams.example.org", "192.168.10.0/24"}}},
      "/srv/site");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->Check("rtsp://10.0.0.7/s").ok());
  EXPECT_TRUE(p->Check("rtsp://admin:secret@North.Cams.Example.org:8554/s").ok());
  EXPECT_TRUE(p->Check("rtsps://192.168.10.200/s").ok());
  EXPECT_EQ(Message(p->Check("rtsp://192.168.11.1/s")),
            "camera.uri: host '192.168.11.1' is not one the site allows (sources.hosts)");
  EXPECT_EQ(Message(p->Check("rtsp://evilcams.example.org/s")),
            "camera.uri: host 'evilcams.example.org' is not one the site allows (sources.hosts)");
  EXPECT_EQ(Message(p->Check("rtsp://127.0.0.1@10.0.0.8/s")),  // the host is after the user part
            "camera.uri: host '10.0.0.8' is not one the site allows (sources.hosts)");
  EXPECT_EQ(Message(p->Check("http://10.0.0.7/s")),
            "camera.uri: the site does not allow 'http' sources (sources.schemes: rtsp, rtsps)");
  EXPECT_EQ(Message(p->Check("/srv/site/a.mp4")),
            "camera.uri: the site does not allow 'file' sources (sources.schemes: rtsp, rtsps)");
}

TEST(SourcePolicyTest, BadSectionsNameTheKey) {
  EXPECT_EQ(Message(SourcePolicy::FromSection(json{{"schemes", {"rtsp", "ftp"}}}, "/s").status()),
            "sources.schemes[1]: unknown scheme 'ftp' (known: rtsp, rtsps, http, https, file, sim)");
  EXPECT_EQ(Message(SourcePolicy::FromSection(json{{"hosts", {"10.0.0.0/33"}}}, "/s").status()),
            "sources.hosts[0]: '10.0.0.0/33' is not an IPv4 CIDR block (a.b.c.d/0-32)");
  EXPECT_EQ(Message(SourcePolicy::FromSection(json{{"hosts", "10.0.0.1"}}, "/s").status()),
            "sources.hosts: expected a list");
  EXPECT_EQ(Message(SourcePolicy::FromSection(json{{"roots", json::array()}}, "/s").status()),
            "sources.roots: unknown key (known: file_roots, hosts, schemes)");
  auto p = SourcePolicy::FromSection(json{{"file_roots", {"clips", "/data/video"}}}, "/srv/site");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->file_roots(), (std::vector<std::string>{"/srv/site/clips", "/data/video"}));
}

}  // namespace
}  // namespace didban::center
