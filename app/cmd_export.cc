// `didban export verify PACKAGE_DIR [--key PUB]`: checks an evidence package (the Ed25519 signature of its manifest,
// then the size and SHA-256 of every file, and that none was added) and names the file that fails (exit 1). With
// --key (the server's `<data>/keys/export_ed25519.pub`, or its 64 hex digits) the signature must be by that key;
// without it, by the key the manifest names, which shows the package is intact but not who made it.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "app/command.h"
#include "record/evidence_package.h"

namespace didban::app {
namespace {

struct ExportVerifyFlags {
  std::string package;
  std::string key;
};

absl::Status RunVerify(const ExportVerifyFlags& f) {
  std::optional<std::string> key;
  if (!f.key.empty()) {
    DIDBAN_ASSIGN_OR_RETURN(key, record::ParsePublicKey(f.key));
  }
  DIDBAN_ASSIGN_OR_RETURN(record::EvidenceVerifyReport r, record::VerifyEvidencePackage(f.package, key));
  std::printf("%s: signature valid (Ed25519, key %s%s), %d files match the manifest\n", f.package.c_str(),
              r.public_key_hex.c_str(), key ? "" : ", as named by the manifest: pass --key to check who signed",
              r.files);
  const nlohmann::json& range = r.manifest["time_range_utc"];
  auto at = [&range](size_t i) {
    return range.is_array() && range.size() > i && range[i].is_string() ? range[i].get<std::string>() : "?";
  };
  std::printf("camera %s, %s .. %s, exported by %s: %s\n", r.manifest.value("camera", "").c_str(), at(0).c_str(),
              at(1).c_str(), r.manifest.value("exported_by", "").c_str(), r.manifest.value("reason", "").c_str());
  return absl::OkStatus();
}

void Setup(CLI::App& root, int* exit_code) {
  auto f = std::make_shared<ExportVerifyFlags>();
  CLI::App* cmd = CommandGroup(root, "export", "Evidence packages (signed clip exports)")
                      ->add_subcommand("verify", "Check an evidence package's signature and file hashes");
  cmd->add_option("package", f->package, "The package folder (manifest.json, manifest.sig, the clip)")->required();
  cmd->add_option("--key", f->key, "The server's public key: a .pub file or 64 hex digits");
  cmd->callback([f, exit_code] {
    absl::Status s = RunVerify(*f);
    if (!s.ok()) {
      std::fprintf(stderr, "didban export verify: %s\n", std::string(s.message()).c_str());
      *exit_code = 1;
    }
  });
}

DIDBAN_REGISTER_COMMAND(export, Setup);

}  // namespace
}  // namespace didban::app
