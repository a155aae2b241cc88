// Evidence packages: key pair, manifest, Ed25519 signature and verification (evidence_package.h).
#include "record/evidence_package.h"

#include <sodium.h>
#include <sys/stat.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace didban::record {
namespace {

namespace fs = std::filesystem;

absl::Status InitSodium() {
  if (sodium_init() < 0) return absl::InternalError("libsodium: initialisation failed");
  return absl::OkStatus();
}

std::string Hex(const unsigned char* data, size_t n) {
  std::string hex(n * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), data, n);
  hex.resize(n * 2);
  return hex;
}

std::optional<std::string> FromHex(const std::string& hex, size_t bytes) {
  std::string bin(bytes, '\0');
  size_t len = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(bin.data()), bytes, hex.data(), hex.size(), nullptr, &len,
                     nullptr) != 0 ||
      len != bytes) {
    return std::nullopt;
  }
  return bin;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WriteFile(const std::string& path, const std::string& data, fs::perms perms) {
  // Created with the final permissions before anything is written (no window where a secret is readable).
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  {
    std::ofstream touch(tmp, std::ios::binary);
    if (!touch) return absl::PermissionDeniedError(absl::StrCat(tmp, ": cannot create"));
  }
  fs::permissions(tmp, perms, fs::perm_options::replace, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(tmp, ": cannot set permissions: ", ec.message()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) return absl::DataLossError(absl::StrCat(tmp, ": cannot write"));
  }
  fs::rename(tmp, path, ec);
  if (ec) return absl::DataLossError(absl::StrCat(path, ": cannot rename into place: ", ec.message()));
  return absl::OkStatus();
}

// The regular files of a package other than the manifest and its signature, by name.
absl::StatusOr<std::vector<std::string>> PayloadFiles(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name == kManifestFile || name == kSignatureFile) continue;
    if (!e.is_regular_file() || e.is_symlink()) {
      return absl::DataLossError(absl::StrCat(name, ": not a regular file (a package holds only files)"));
    }
    names.push_back(name);
  }
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": cannot list: ", ec.message()));
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::string SigningKey::PublicHex() const {
  return Hex(reinterpret_cast<const unsigned char*>(public_key.data()), public_key.size());
}

absl::StatusOr<std::string> Sha256File(const std::string& path) {
  DIDBAN_RETURN_IF_ERROR(InitSodium());
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(fs::path(path).filename().string(), ": cannot read"));
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  std::array<char, 1 << 16> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    const std::streamsize n = in.gcount();
    if (n > 0)
      crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(buf.data()), static_cast<size_t>(n));
  }
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256_final(&st, digest.data());
  return Hex(digest.data(), digest.size());
}

absl::StatusOr<SigningKey> LoadOrCreateSigningKey(const std::string& keys_dir) {
  DIDBAN_RETURN_IF_ERROR(InitSodium());
  const std::string secret_path = (fs::path(keys_dir) / kSecretKeyFile).string();
  const std::string public_path = (fs::path(keys_dir) / kPublicKeyFile).string();
  std::error_code ec;
  SigningKey key;
  if (fs::exists(secret_path, ec)) {
    struct stat sb {};
    if (stat(secret_path.c_str(), &sb) != 0)
      return absl::PermissionDeniedError(absl::StrCat(secret_path, ": cannot stat"));
    if ((sb.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
      return absl::PermissionDeniedError(
          absl::StrCat(secret_path, ": readable by others (mode ", absl::Hex(sb.st_mode & 0777), "); chmod 600 it"));
    }
    DIDBAN_ASSIGN_OR_RETURN(key.secret, ReadFile(secret_path));
    if (key.secret.size() != crypto_sign_SECRETKEYBYTES) {
      return absl::DataLossError(
          absl::StrCat(secret_path, ": ", key.secret.size(), " bytes, expected ", crypto_sign_SECRETKEYBYTES));
    }
    key.public_key.resize(crypto_sign_PUBLICKEYBYTES);
    crypto_sign_ed25519_sk_to_pk(reinterpret_cast<unsigned char*>(key.public_key.data()),
                                 reinterpret_cast<const unsigned char*>(key.secret.data()));
    if (!fs::exists(public_path, ec)) {
      DIDBAN_RETURN_IF_ERROR(
          WriteFile(public_path, key.PublicHex() + "\n",
                    fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read));
    }
    return key;
  }
  fs::create_directories(keys_dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(keys_dir, ": cannot create: ", ec.message()));
  fs::permissions(keys_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  key.secret.resize(crypto_sign_SECRETKEYBYTES);
  key.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(key.public_key.data()),
                      reinterpret_cast<unsigned char*>(key.secret.data()));
  DIDBAN_RETURN_IF_ERROR(WriteFile(secret_path, key.secret, fs::perms::owner_read | fs::perms::owner_write));
  DIDBAN_RETURN_IF_ERROR(
      WriteFile(public_path, key.PublicHex() + "\n",
                fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read));
  return key;
}

absl::StatusOr<std::string> ParsePublicKey(const std::string& file_or_hex) {
  DIDBAN_RETURN_IF_ERROR(InitSodium());
  std::string text = file_or_hex;
  std::error_code ec;
  if (fs::is_regular_file(file_or_hex, ec)) {
    DIDBAN_ASSIGN_OR_RETURN(text, ReadFile(file_or_hex));
  }
  const std::string hex(absl::StripAsciiWhitespace(text));
  std::optional<std::string> bin = FromHex(hex, crypto_sign_PUBLICKEYBYTES);
  if (!bin) return absl::InvalidArgumentError(absl::StrCat(file_or_hex, ": not a public key (64 hex digits)"));
  return *bin;
}

absl::StatusOr<nlohmann::json> SealEvidencePackage(const std::string& dir, const EvidenceInfo& info,
                                                   const SigningKey& key) {
  DIDBAN_RETURN_IF_ERROR(InitSodium());
  auto iso = [](TimeUs t) {
    return absl::FormatTime(absl::RFC3339_full, absl::FromUnixMicros(t), absl::UTCTimeZone());
  };
  nlohmann::json files = nlohmann::json::array();
  DIDBAN_ASSIGN_OR_RETURN(std::vector<std::string> names, PayloadFiles(dir));
  if (names.empty()) return absl::InvalidArgumentError(absl::StrCat(dir, ": nothing to seal"));
  for (const std::string& name : names) {
    const std::string path = (fs::path(dir) / name).string();
    DIDBAN_ASSIGN_OR_RETURN(std::string sha, Sha256File(path));
    std::error_code ec;
    files.push_back({{"name", name}, {"bytes", static_cast<int64_t>(fs::file_size(path, ec))}, {"sha256", sha}});
  }
  nlohmann::json m = {
      {"format", "didban-evidence/1"},
      {"camera", info.camera},
      {"requested", {{"from_us", info.from_us}, {"to_us", info.to_us}}},
      {"video", {{"start_us", info.start_us}, {"end_us", info.end_us}}},
      {"time_range_utc", {iso(info.start_us), iso(info.end_us)}},
      {"exported_by", info.who},
      {"reason", info.why},
      {"created_us", info.created_us},
      {"created_utc", iso(info.created_us)},
      {"software", info.software},
      {"processing", info.processing},
      {"files", files},
      {"signature", {{"algorithm", "Ed25519"}, {"public_key", key.PublicHex()}, {"file", kSignatureFile}}}};
  const std::string text = m.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                       reinterpret_cast<const unsigned char*>(key.secret.data()));
  const fs::perms readable =
      fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read;
  DIDBAN_RETURN_IF_ERROR(WriteFile((fs::path(dir) / kManifestFile).string(), text, readable));
  DIDBAN_RETURN_IF_ERROR(
      WriteFile((fs::path(dir) / kSignatureFile).string(), Hex(sig.data(), sig.size()) + "\n", readable));
  return m;
}

absl::StatusOr<EvidenceVerifyReport> VerifyEvidencePackage(const std::string& dir,
                                                           const std::optional<std::string>& public_key) {
  DIDBAN_RETURN_IF_ERROR(InitSodium());
  const std::string manifest_path = (fs::path(dir) / kManifestFile).string();
  absl::StatusOr<std::string> text = ReadFile(manifest_path);
  if (!text.ok()) return absl::NotFoundError(absl::StrCat(kManifestFile, ": missing from ", dir));
  absl::StatusOr<std::string> sig_text = ReadFile((fs::path(dir) / kSignatureFile).string());
  if (!sig_text.ok()) return absl::DataLossError(absl::StrCat(kSignatureFile, ": missing (the package is not signed)"));
  std::optional<std::string> sig = FromHex(std::string(absl::StripAsciiWhitespace(*sig_text)), crypto_sign_BYTES);
  if (!sig) return absl::DataLossError(absl::StrCat(kSignatureFile, ": not an Ed25519 signature (128 hex digits)"));
  EvidenceVerifyReport report;
  report.manifest = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  std::string key;
  if (public_key) {
    key = *public_key;
  } else {
    if (report.manifest.is_discarded()) return absl::DataLossError(absl::StrCat(kManifestFile, ": not JSON"));
    const nlohmann::json& k = report.manifest["signature"]["public_key"];
    std::optional<std::string> named =
        k.is_string() ? FromHex(k.get<std::string>(), crypto_sign_PUBLICKEYBYTES) : std::nullopt;
    if (!named) return absl::DataLossError(absl::StrCat(kManifestFile, ": signature.public_key is not a key"));
    key = *named;
  }
  if (key.size() != crypto_sign_PUBLICKEYBYTES) return absl::InvalidArgumentError("public key: expected 32 bytes");
  report.public_key_hex = Hex(reinterpret_cast<const unsigned char*>(key.data()), key.size());
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig->data()),
                                  reinterpret_cast<const unsigned char*>(text->data()), text->size(),
                                  reinterpret_cast<const unsigned char*>(key.data())) != 0) {
    return absl::DataLossError(absl::StrCat(kManifestFile,
                                            ": the signature does not match (manifest changed, or "
                                            "signed by another key than ",
                                            report.public_key_hex, ")"));
  }
  if (report.manifest.is_discarded() || !report.manifest["files"].is_array()) {
    return absl::DataLossError(absl::StrCat(kManifestFile, ": no file list"));
  }
  std::map<std::string, bool> listed;
  for (const nlohmann::json& f : report.manifest["files"]) {
    const std::string name = f.value("name", std::string());
    // A signed manifest is trusted, but a name that leaves the folder is still refused.
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
      return absl::DataLossError(absl::StrCat(kManifestFile, ": bad file name '", name, "'"));
    }
    listed[name] = true;
    const std::string path = (fs::path(dir) / name).string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return absl::DataLossError(absl::StrCat(name, ": missing (removed)"));
    const int64_t bytes = static_cast<int64_t>(fs::file_size(path, ec));
    if (bytes != f.value("bytes", int64_t{-1})) {
      return absl::DataLossError(
          absl::StrCat(name, ": ", bytes, " bytes, the manifest says ", f.value("bytes", int64_t{-1}), " (changed)"));
    }
    DIDBAN_ASSIGN_OR_RETURN(std::string sha, Sha256File(path));
    if (sha != f.value("sha256", std::string())) {
      return absl::DataLossError(absl::StrCat(name, ": SHA-256 does not match the manifest (changed)"));
    }
    ++report.files;
  }
  DIDBAN_ASSIGN_OR_RETURN(std::vector<std::string> present, PayloadFiles(dir));
  for (const std::string& name : present) {
    if (!listed.count(name)) return absl::DataLossError(absl::StrCat(name, ": not in the manifest (added)"));
  }
  return report;
}

}  // namespace didban::record
