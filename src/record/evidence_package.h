// Evidence packages: an exported clip in a folder of its own with `manifest.json` (camera, time range, who, why,
// when, the SHA-256 of every other file, the software version, the signing key) and `manifest.sig`, an Ed25519
// signature (libsodium) of manifest.json's exact bytes by the server's key. The key pair lives in `<data>/keys/`
// (`export_ed25519.key`, the 64-byte secret key, mode 0600, in a 0700 folder; `export_ed25519.pub`, the public key
// as hex), made at first use. VerifyEvidencePackage() checks the signature and every hash and names what fails.
// Free functions; thread-compatible (two first uses at once could each make a key: call it once at start-up).
#ifndef DIDBAN_RECORD_EVIDENCE_PACKAGE_H_
#define DIDBAN_RECORD_EVIDENCE_PACKAGE_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "didban/status.h"
#include "didban/time.h"

namespace didban::record {

inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kSignatureFile = "manifest.sig";
inline constexpr const char* kSecretKeyFile = "export_ed25519.key";
inline constexpr const char* kPublicKeyFile = "export_ed25519.pub";

// An Ed25519 key pair (libsodium's layout: the 64-byte secret key holds the seed and the public key).
struct SigningKey {
  std::string secret;      // 64 bytes
  std::string public_key;  // 32 bytes
  std::string PublicHex() const;
};

// Loads the key pair from `keys_dir`, or makes one there (folder 0700, secret key file 0600) when none exists.
// Errors name the file (a secret key file of the wrong size or readable by others is refused).
absl::StatusOr<SigningKey> LoadOrCreateSigningKey(const std::string& keys_dir);
// Reads a public key: 64 hex digits, from a file or given directly.
absl::StatusOr<std::string> ParsePublicKey(const std::string& file_or_hex);

// What the manifest says besides the file hashes.
struct EvidenceInfo {
  std::string camera;
  TimeUs from_us = 0, to_us = 0;    // the range asked for
  TimeUs start_us = 0, end_us = 0;  // the range the video holds
  std::string who;                  // the user who exported it
  std::string why;                  // the reason given
  TimeUs created_us = 0;            // when
  std::string software = "didban 0.1.0";
  nlohmann::json processing = nlohmann::json::object();  // e.g. {"masked": true, "blurred_classes": ["person"]}
};

// Writes manifest.json (the SHA-256 of every regular file in `dir` except the manifest and signature) and
// manifest.sig (hex signature) into `dir`. Returns the manifest written.
absl::StatusOr<nlohmann::json> SealEvidencePackage(const std::string& dir, const EvidenceInfo& info,
                                                   const SigningKey& key);

struct EvidenceVerifyReport {
  nlohmann::json manifest;
  int files = 0;
  std::string public_key_hex;  // the key the signature was checked with
};

// Checks `dir`: the signature of manifest.json with `public_key` (32 bytes; nullopt = the key the manifest names,
// which proves integrity but not origin), then every listed file's size and SHA-256, and that no file was added.
// DataLoss naming the file that fails ("clip.mp4: SHA-256 does not match the manifest (changed)").
absl::StatusOr<EvidenceVerifyReport> VerifyEvidencePackage(const std::string& dir,
                                                           const std::optional<std::string>& public_key);

// SHA-256 of a file as lowercase hex. Errors name the file.
absl::StatusOr<std::string> Sha256File(const std::string& path);

}  // namespace didban::record

#endif  // DIDBAN_RECORD_EVIDENCE_PACKAGE_H_
