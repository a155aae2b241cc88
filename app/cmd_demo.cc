// `didban demo [--data DIR] [--listen 127.0.0.1:8080]`: the whole monitoring center without a camera. Renders the
// simulated demo site (sim/demo_site.h: three overlapping calibrated cameras over a junction, a highway camera, a
// drone flight with its SRT telemetry) once into H.264 files under DIR/video (reused while their version stamp
// matches), writes DIR/site.yaml, and runs it exactly as `didban serve --site DIR/site.yaml --data DIR/center
// --group junction=...` would: the files play as live cameras paced in real time and looping, through the same
// source, recorder, analysis, fusion, store and HTTP server. Creates the login `demo` (password printed, kept in
// DIR/demo-password) and prints the URL; SIGINT/SIGTERM stop it cleanly.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "app/command.h"
#include "app/serve.h"
#include "auth/auth_store.h"
#include "detect/aerial_motion_detector.h"
#include "detect/detectors.h"
#include "sim/demo_site.h"

namespace didban::app {
namespace {

struct DemoFlags {
  std::string data = "didban-demo";
  std::string listen = "127.0.0.1:8080";
  bool render_only = false;
  double status_every_s = 0;
};

absl::Status WriteSite(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) return absl::PermissionDeniedError(tmp + ": cannot write the demo site file");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::PermissionDeniedError(path + ": cannot write the demo site file: " + ec.message());
  return absl::OkStatus();
}

// The demo login: user `demo` (admin) in the demo's auth database (<data>/auth.db of `serve`, which turns access
// control on once it holds a user: `--auth auto`) with a random password kept in DIR/demo-password (owner-only), so
// that every start prints the same one; a new one is made when the file is missing.
absl::StatusOr<std::string> EnsureDemoLogin(const std::filesystem::path& data, const std::string& center) {
  const std::filesystem::path file = data / "demo-password";
  std::error_code ec;
  std::filesystem::create_directories(center, ec);
  if (ec) return absl::PermissionDeniedError(center + ": cannot create the data folder: " + ec.message());
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<auth::AuthStore> store,
                          auth::AuthStore::Open((std::filesystem::path(center) / "auth.db").string()));
  std::string password;
  {
    std::ifstream f(file);
    std::getline(f, password);
  }
  const bool exists = store->GetUser("demo").ok();
  if (exists && !password.empty()) return password;
  // 16 characters of a 32-letter alphabet without look-alikes (80 bits), in groups of four.
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
  std::ifstream random("/dev/urandom", std::ios::binary);
  unsigned char bytes[16];
  if (!random.read(reinterpret_cast<char*>(bytes), sizeof(bytes))) {
    return absl::InternalError("/dev/urandom: cannot read");
  }
  password.clear();
  for (size_t i = 0; i < sizeof(bytes); ++i) {
    if (i > 0 && i % 4 == 0) password += '-';
    password += kAlphabet[bytes[i] % 32];
  }
  DIDBAN_RETURN_IF_ERROR(exists ? store->SetPassword("demo", password)
                                : store->AddUser("demo", auth::Role::kAdmin, password));
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return absl::PermissionDeniedError(file.string() + ": cannot write the demo password");
  const std::string line = password + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) return absl::PermissionDeniedError(file.string() + ": cannot write the demo password");
  return password;
}

absl::Status RunDemo(const DemoFlags& f) {
  const sim::DemoOptions options;
  const std::filesystem::path data = std::filesystem::absolute(f.data);
  const std::string video = (data / "video").string();
  const auto t0 = std::chrono::steady_clock::now();
  std::printf("didban demo: demo site %s in %s\n", sim::DemoVersion(options).c_str(), video.c_str());
  std::fflush(stdout);
  std::set<std::string> announced;
  DIDBAN_ASSIGN_OR_RETURN(
      bool rendered,
      sim::RenderDemoSite(video, options, [&announced](const std::string& camera, int64_t /*done*/, int64_t n) {
        if (announced.insert(camera).second) {
          std::printf("didban demo: rendering %s (%lld frames)\n", camera.c_str(), static_cast<long long>(n));
          std::fflush(stdout);
        }
      }));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (rendered) {
    std::printf("didban demo: rendered in %.1f s\n", seconds);
  } else {
    std::printf("didban demo: the rendered files are up to date\n");
  }
  const std::string site = (data / "site.yaml").string();
  DIDBAN_RETURN_IF_ERROR(WriteSite(site, sim::DemoSiteYaml(video, options)));
  std::printf("didban demo: site file %s\n", site.c_str());
  std::fflush(stdout);
  if (f.render_only) return absl::OkStatus();

  const std::string center = (data / "center").string();
  DIDBAN_ASSIGN_OR_RETURN(const std::string password, EnsureDemoLogin(data, center));
  std::printf("didban demo: log in as demo with password %s (kept in %s)\n", password.c_str(),
              (data / "demo-password").c_str());
  std::fflush(stdout);

  // The drone camera's detector (moving objects on stabilised aerial video); registered by the commands that use it.
  detect::RegisterAerialDetector(detect::DetectorRegistry());
  ServeFlags serve;
  serve.site = site;
  serve.data = center;
  serve.listen = f.listen;
  serve.status_every_s = f.status_every_s;
  serve.groups = {absl::StrCat(sim::kDemoFusionGroup, "=junction-1,junction-2,junction-3")};
  serve.on_listening = [](const std::string& url) {
    std::printf("didban demo: open %s/ in a browser (API: %s/api/v1/cameras); Ctrl-C stops\n", url.c_str(),
                url.c_str());
    std::fflush(stdout);
  };
  return RunServe(serve);
}

void SetupDemo(CLI::App& root, int* exit_code) {
  auto flags = std::make_shared<DemoFlags>();
  CLI::App* cmd = root.add_subcommand(
      "demo",
      "Run the monitoring center on a simulated site: a junction seen by three overlapping cameras, a highway and a "
      "drone, rendered once into DATA/video and played live (as `didban serve`)");
  cmd->add_option("--data", flags->data, "Demo folder: rendered video, site.yaml, center/ (store, recordings)")
      ->capture_default_str();
  cmd->add_option("--listen", flags->listen, "HTTP listen ADDRESS:PORT (port 0: a free one)")->capture_default_str();
  cmd->add_flag("--render-only", flags->render_only, "Render the files and write site.yaml, then exit");
  cmd->add_option("--status-every", flags->status_every_s, "Print each camera's state every this many seconds");
  cmd->callback([flags, exit_code] {
    absl::Status s = RunDemo(*flags);
    if (!s.ok()) {
      std::fprintf(stderr, "didban demo: %s\n", std::string(s.message()).c_str());
      *exit_code = 1;
    }
  });
}

}  // namespace

DIDBAN_REGISTER_COMMAND(demo, SetupDemo);

}  // namespace didban::app
