// `didban`, the command people and scripts run: a small launcher. `didban --help` and `didban --version` are
// answered here from text captured from the commands binary at build time (app/root_help.cmake), so they cost about
// a millisecond of CPU; anything else replaces this process (execv: same PID, signals and exit status) with
// libexec/didban-commands beside it, which links FFmpeg, OpenCV, PostgreSQL and the rest (docs/performance.md,
// start-up).
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>

namespace didban::app {
extern const char* const kRootHelp;  // `didban-commands --help`, generated
extern const char* const kVersion;   // `didban-commands --version`, generated
}  // namespace didban::app

namespace {

// The commands binary: libexec/didban-commands in the folder of this executable.
std::string CommandsBinary() {
  std::string self(PATH_MAX, '\0');
  const ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (n <= 0) return "";
  self.resize(static_cast<size_t>(n));
  const size_t slash = self.rfind('/');
  return self.substr(0, slash == std::string::npos ? 0 : slash + 1) + "libexec/didban-commands";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(didban::app::kRootHelp, stdout);
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::fputs(didban::app::kVersion, stdout);
    return 0;
  }
  const std::string commands = CommandsBinary();
  if (!commands.empty()) execv(commands.c_str(), argv);
  std::fprintf(stderr, "didban: cannot run %s: %s\n", commands.empty() ? "libexec/didban-commands" : commands.c_str(),
               std::strerror(errno));
  return 1;
}
