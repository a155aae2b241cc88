// The `didban` command: parses flags and runs one subcommand. See `didban --help`.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <exception>
#include <new>

#include <spdlog/spdlog.h>

#include "app/command.h"

namespace didban::app {

CommandRegistration::CommandRegistration(const char* name, CommandSetup setup) {
  Commands().emplace_back(name, std::move(setup));
}

std::vector<std::pair<std::string, CommandSetup>>& Commands() {
  static auto* commands = new std::vector<std::pair<std::string, CommandSetup>>();
  return *commands;
}

CLI::App* CommandGroup(CLI::App& root, const std::string& name, const std::string& description) {
  for (CLI::App* sub : root.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  CLI::App* group = root.add_subcommand(name, description);
  group->require_subcommand(1);
  return group;
}

}  // namespace didban::app

int main(int argc, char** argv) {
  CLI::App root("didban: video analytics for road-safety and public-safety operations rooms", "didban");
  root.require_subcommand(1);
  root.set_version_flag("--version", "didban 0.1.0");
  bool verbose = false;
  root.add_flag("-v,--verbose", verbose, "Debug logging");
  int exit_code = 0;
  auto& commands = didban::app::Commands();
  std::sort(commands.begin(), commands.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [name, setup] : commands) setup(root, &exit_code);
  root.parse_complete_callback([&] { spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info); });
  spdlog::set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version print and exit 0; every other usage error exits 2.
    return root.exit(e) == 0 ? 0 : 2;
  } catch (const std::bad_alloc&) {
    // The last resort: inputs are checked against documented limits (docs/security.md) before anything is sized
    // from them, and third-party exceptions are caught at their adapters; reaching here is a bug worth reporting.
    std::fprintf(stderr, "didban: out of memory (a limit in docs/security.md is missing; please report the input)\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "didban: internal error: %s (please report the input)\n", e.what());
    return 1;
  }
  return exit_code;
}
