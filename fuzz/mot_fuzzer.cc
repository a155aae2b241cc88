// Fuzz target: MOTChallenge detection/track text (ParseMot), then what callers do with the rows (grouping by frame,
// writing them back; the written form must read back).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/mot_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto rows = didban::ParseMot(std::string(reinterpret_cast<const char*>(data), size), "fuzz.txt");
  if (!rows.ok()) return 0;
  (void)didban::GroupByFrame(*rows);
  auto back = didban::ParseMot(didban::FormatMot(*rows), "roundtrip.txt");
  if (!back.ok() || back->size() != rows->size()) {
    std::fprintf(stderr, "the written form of parsed rows does not read back: %s\n", back.status().ToString().c_str());
    std::abort();
  }
  return 0;
}
