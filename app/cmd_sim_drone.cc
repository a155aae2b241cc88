// `didban sim drone --out DIR [--seconds S] [--seed N] [--oblique] [--lawnmower]`: a synthetic drone flight over a
// desert with moving vehicles and people: flight.mp4, flight.srt (DJI telemetry with consumer-drone noise) and
// truth.csv (per frame: object ids, pixel boxes, lat/lon).
#include <string>

#include <cstdio>

#include "app/command.h"
#include "sim/drone_flight.h"

namespace didban::app {
namespace {

void SetupSimDrone(CLI::App& root, int* exit_code) {
  CLI::App* cmd = CommandGroup(root, "sim", "Synthetic scenes with exact ground truth")
                      ->add_subcommand("drone",
                                       "Write a synthetic drone flight (1280x720, 25 fps, 100 m, nadir gimbal by "
                                       "default) over a desert with moving "
                                       "vehicles and people: flight.mp4, flight.srt (DJI SRT telemetry with GNSS 1.5 "
                                       "m, altitude 0.7 m and heading "
                                       "1.5 deg noise) and truth.csv (frame,time,id,class,moving,x,y,w,h,lat,lon)");
  auto opt = std::make_shared<sim::DroneFlightOptions>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("--out", *out, "Output folder (created if missing)")->required();
  cmd->add_option("--seconds", opt->seconds, "Flight length in seconds (default 20)");
  cmd->add_option("--seed", opt->seed, "Random seed (default 1)");
  cmd->add_option("--altitude", opt->altitude_m, "Altitude above the ground, metres (default 100)");
  cmd->add_option("--speed", opt->speed_mps, "Ground speed, metres per second (default 8)");
  cmd->add_option("--pitch", opt->gimbal_pitch_deg, "Gimbal pitch, degrees (-90 nadir, default; -60 oblique)");
  cmd->add_flag("--lawnmower", opt->lawnmower, "Fly a lawnmower pattern instead of a straight line");
  cmd->callback([opt, out, exit_code] {
    auto flight = sim::DroneFlight::Create(*opt);
    if (!flight.ok()) {
      std::fprintf(stderr, "sim drone: %s\n", std::string(flight.status().message()).c_str());
      *exit_code = 1;
      return;
    }
    const absl::Status s = sim::WriteDroneFlight(**flight, *out);
    if (!s.ok()) {
      std::fprintf(stderr, "sim drone: %s\n", std::string(s.message()).c_str());
      *exit_code = 1;
      return;
    }
    std::printf("wrote %d frames to %s\n", (*flight)->FrameCount(), out->c_str());
    *exit_code = 0;
  });
}

}  // namespace
}  // namespace didban::app

DIDBAN_REGISTER_COMMAND(sim_drone, didban::app::SetupSimDrone);
