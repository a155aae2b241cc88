// The `didban` command's subcommands register themselves here, one file each (app/cmd_*.cc), so adding a command
// touches no other file. Commands do flags, wiring and exit codes only; the work lives in src/.
#ifndef DIDBAN_APP_COMMAND_H_
#define DIDBAN_APP_COMMAND_H_

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace didban::app {

// Adds a subcommand to `root`. The subcommand's callback stores the process exit code in *exit_code
// (0 success, 1 failure with a message on stderr, 2 bad usage).
using CommandSetup = std::function<void(CLI::App& root, int* exit_code)>;

struct CommandRegistration {
  CommandRegistration(const char* name, CommandSetup setup);
};

std::vector<std::pair<std::string, CommandSetup>>& Commands();

// The command group `name` under `root` (e.g. "drone", "sim"), created with `description` by the first command file
// that asks for it; a group requires one of its subcommands.
CLI::App* CommandGroup(CLI::App& root, const std::string& name, const std::string& description);

}  // namespace didban::app

#define DIDBAN_REGISTER_COMMAND(name, setup) \
  static ::didban::app::CommandRegistration didban_command_registration_##name(#name, setup)

#endif  // DIDBAN_APP_COMMAND_H_
