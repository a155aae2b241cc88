// Access to the shared, third-party test material in ../shared/data (never copied into the project).
#ifndef DIDBAN_TESTING_DATA_H_
#define DIDBAN_TESTING_DATA_H_

#include <string>

#include <gtest/gtest.h>

namespace didban::testing {

// Root of the test material: $DIDBAN_DATA if set, else the folder configured at build time (../shared/data).
std::string DataDir();

// Full path of `relative` under DataDir(), or "" when the file is missing.
std::string DataPathOrEmpty(const std::string& relative);

// True when running under CI (environment variable CI set and not "false"/"0").
bool InCi();

// A fresh, empty temporary directory for one test, removed by the OS eventually (under $TMPDIR).
std::string MakeTempDir(const std::string& prefix);

}  // namespace didban::testing

// Resolves `relative` into `var`. When the file is missing: under CI the test fails (CI must have the data); on a
// developer's machine without ../shared/data the test is skipped with the path it looked for.
#define DIDBAN_REQUIRE_DATA(var, relative)                                                             \
  std::string var = ::didban::testing::DataPathOrEmpty(relative);                                      \
  if (var.empty()) {                                                                                   \
    if (::didban::testing::InCi()) {                                                                   \
      FAIL() << "test material missing under CI: " << ::didban::testing::DataDir() << "/" << relative; \
    } else {                                                                                           \
      GTEST_SKIP() << "test material missing: " << ::didban::testing::DataDir() << "/" << relative;    \
    }                                                                                                  \
  }

#endif  // DIDBAN_TESTING_DATA_H_
