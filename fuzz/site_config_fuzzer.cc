// Fuzz target: site configuration YAML (config::ParseSiteConfig), then the JSON form of its free sections, as the
// server and the stages read them. The site file lies in a folder that does not exist, so calibration files named
// relative to it are not found.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/site_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto site = didban::config::ParseSiteConfig(std::string(reinterpret_cast<const char*>(data), size),
                                              "/nonexistent-didban-fuzz/site.yaml");
  if (!site.ok()) return 0;
  (void)site->sections.dump();
  for (const didban::config::CameraConfig& camera : site->cameras) (void)site->FindCamera(camera.name);
  return 0;
}
