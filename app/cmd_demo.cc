// `didban demo [--data DIR] [--listen 127.0.0.1:8080]`: the whole monitoring center without a camera. Renders the
// simulated demo site (sim/demo_site.h: three overlapping calibrated cameras over a junction, a highway camera, a
// drone flight with its SRT telemetry) once into H.264 files under DIR/video (reused while their version stamp
// matches), writes DIR/site.yaml, and runs it exactly as `didban serve --site DIR/site.yaml --data DIR/center
// --group junction=...` would: the files play as live cameras paced in real time and looping, through the same
// source, recorder, analysis, fusion, store and HTTP server. Prints the URL; SIGINT/SIGTERM stop it cleanly.
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

  // The drone camera's detector (moving objects on stabilised aerial video); registered by the commands that use it.
  detect::RegisterAerialDetector(detect::DetectorRegistry());
  ServeFlags serve;
  serve.site = site;
  serve.data = (data / "center").string();
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
