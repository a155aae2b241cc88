// Fuzz target: ground-plane positions CSV (eval::ParseGroundCsv), then writing it back and reading that.
#include <cstddef>
#include <cstdint>
#include <string>

#include "eval/mot_inputs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto rows = didban::eval::ParseGroundCsv(std::string(reinterpret_cast<const char*>(data), size), "fuzz.csv");
  if (!rows.ok()) return 0;
  (void)didban::eval::ParseGroundCsv(didban::eval::FormatGroundCsv(*rows), "roundtrip.csv");
  return 0;
}
