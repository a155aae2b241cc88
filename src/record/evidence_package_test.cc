// Evidence packages: sealed with a key made at first use (secret 0600), verified with the server's public key, and
// every kind of change is found and named: a changed byte of the clip, a removed or added file, an edited manifest, a
// package signed by another key.
#include "record/evidence_package.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "testing/data.h"

namespace didban::record {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

class EvidencePackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::MakeTempDir("evidence");
    pkg_ = fs::path(root_) / "pkg";
    fs::create_directories(pkg_);
    Write(pkg_ / "clip.mp4", std::string(100'000, 'v'));
    Write(pkg_ / "tracks.json", "[]");
    auto key = LoadOrCreateSigningKey((fs::path(root_) / "keys").string());
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = *key;
    EvidenceInfo info;
    info.camera = "gate";
    info.from_us = 1'000'000;
    info.to_us = 5'000'000;
    info.start_us = 900'000;
    info.end_us = 5'000'000;
    info.who = "ali";
    info.why = "case 12/7";
    info.created_us = 1'764'600'000'000'000;
    auto m = SealEvidencePackage(pkg_.string(), info, key_);
    ASSERT_TRUE(m.ok()) << m.status();
    manifest_ = *m;
  }
  std::string root_;
  fs::path pkg_;
  SigningKey key_;
  nlohmann::json manifest_;
};

TEST_F(EvidencePackageTest, KeyIsPrivateAndReloaded) {
  struct stat sb {};
  ASSERT_EQ(stat((fs::path(root_) / "keys" / kSecretKeyFile).c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((fs::path(root_) / "keys").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0700u);
  auto again = LoadOrCreateSigningKey((fs::path(root_) / "keys").string());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->PublicHex(), key_.PublicHex());
  auto pub = ParsePublicKey((fs::path(root_) / "keys" / kPublicKeyFile).string());
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(*pub, key_.public_key);
  fs::permissions(fs::path(root_) / "keys" / kSecretKeyFile, fs::perms::group_read, fs::perm_options::add);
  EXPECT_EQ(LoadOrCreateSigningKey((fs::path(root_) / "keys").string()).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(EvidencePackageTest, ManifestListsEveryFile) {
  EXPECT_EQ(manifest_["camera"], "gate");
  EXPECT_EQ(manifest_["exported_by"], "ali");
  EXPECT_EQ(manifest_["reason"], "case 12/7");
  ASSERT_EQ(manifest_["files"].size(), 2u);
  EXPECT_EQ(manifest_["files"][0]["name"], "clip.mp4");
  EXPECT_EQ(manifest_["files"][0]["bytes"], 100'000);
  EXPECT_EQ(manifest_["files"][0]["sha256"], *Sha256File((pkg_ / "clip.mp4").string()));
  EXPECT_EQ(manifest_["files"][1]["sha256"],
            "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945");  // SHA-256 of "[]"
  EXPECT_EQ(manifest_["signature"]["public_key"], key_.PublicHex());
}

TEST_F(EvidencePackageTest, IntactPackageVerifies) {
  auto r = VerifyEvidencePackage(pkg_.string(), key_.public_key);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->files, 2);
  auto self = VerifyEvidencePackage(pkg_.string(), std::nullopt);
  ASSERT_TRUE(self.ok()) << self.status();
  EXPECT_EQ(self->public_key_hex, key_.PublicHex());
}

TEST_F(EvidencePackageTest, ChangedClipIsNamed) {
  {
    std::fstream f(pkg_ / "clip.mp4", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(5000);
    f.put('x');
  }
  auto r = VerifyEvidencePackage(pkg_.string(), key_.public_key);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(), "clip.mp4: SHA-256 does not match the manifest (changed)");
}

TEST_F(EvidencePackageTest, RemovedAndAddedFilesAreNamed) {
  fs::remove(pkg_ / "tracks.json");
  EXPECT_EQ(VerifyEvidencePackage(pkg_.string(), key_.public_key).status().message(), "tracks.json: missing (removed)");
  Write(pkg_ / "tracks.json", "[]");
  Write(pkg_ / "extra.txt", "x");
  EXPECT_EQ(VerifyEvidencePackage(pkg_.string(), key_.public_key).status().message(),
            "extra.txt: not in the manifest (added)");
}

TEST_F(EvidencePackageTest, EditedManifestFailsTheSignature) {
  std::ifstream in(pkg_ / kManifestFile);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.replace(text.find("case 12/7"), 9, "case 12/8");
  Write(pkg_ / kManifestFile, text);
  auto r = VerifyEvidencePackage(pkg_.string(), key_.public_key);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "manifest.json: the signature does not match")) << r.status();
}

TEST_F(EvidencePackageTest, AnotherKeyFails) {
  auto other = LoadOrCreateSigningKey((fs::path(root_) / "other-keys").string());
  ASSERT_TRUE(other.ok());
  auto r = VerifyEvidencePackage(pkg_.string(), other->public_key);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  // Re-signed by the other key (a forger who rewrote the manifest): verifying against the server's key still fails.
  ASSERT_TRUE(SealEvidencePackage(pkg_.string(), EvidenceInfo{}, *other).ok());
  EXPECT_TRUE(VerifyEvidencePackage(pkg_.string(), std::nullopt).ok());
  EXPECT_FALSE(VerifyEvidencePackage(pkg_.string(), key_.public_key).ok());
}

}  // namespace
}  // namespace didban::record
