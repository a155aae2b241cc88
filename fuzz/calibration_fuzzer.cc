// Fuzz target: calibration files (geo::LoadTsaiCalibration, geo::LoadOpenCvXmlCalibration). The loaders read files,
// so the input is written to temporary files: all of it as the Tsai file, and, split at its first NUL byte, as the
// OpenCV intrinsic and extrinsic files.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "geo/camera_calibration.h"

namespace {

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string kDir = [] {
    const char* tmp = std::getenv("TMPDIR");
    return std::string(tmp != nullptr ? tmp : "/tmp") + "/didban-calibration-fuzz-" + std::to_string(getpid());
  }();
  static const std::string kTsai = kDir + "-tsai.xml", kIntrinsic = kDir + "-intr.xml", kExtrinsic = kDir + "-extr.xml";
  static const bool kCleanUp = [] {
    return std::atexit([] {
             for (const std::string* path : {&kTsai, &kIntrinsic, &kExtrinsic}) std::remove(path->c_str());
           }) == 0;
  }();
  (void)kCleanUp;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  WriteFile(kTsai, bytes);
  (void)didban::geo::LoadTsaiCalibration(kTsai);
  const size_t nul = bytes.find('\0');
  WriteFile(kIntrinsic, bytes.substr(0, nul));
  WriteFile(kExtrinsic, nul == std::string::npos ? std::string() : bytes.substr(nul + 1));
  (void)didban::geo::LoadOpenCvXmlCalibration(kIntrinsic, kExtrinsic, 0.01);
  return 0;
}
