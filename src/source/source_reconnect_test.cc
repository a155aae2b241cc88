// Reconnecting live sources: the backoff schedule on a fake clock, and a real HTTP stream (an `ffmpeg -listen 1`
// server on 127.0.0.1) that is killed and restarted under a reading source.
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "source/ffmpeg_source.h"
#include "testing/data.h"

extern char** environ;

namespace didban::source {
namespace {

TEST(SourceReconnectTest, FollowsTheBackoffScheduleThenFails) {
  FakeClock clock(1'000'000'000);
  SourceOptions options;
  options.clock = &clock;
  options.retry_open = true;
  options.max_reconnects = 4;
  options.backoff.initial_us = 100'000;
  options.backoff.multiplier = 2.0;
  options.backoff.max_us = 500'000;
  const std::string uri = "http://127.0.0.1:1/live.ts";  // nothing listens on port 1: refused at once
  FfmpegSource source(uri, options);
  ASSERT_TRUE(source.Open().ok());
  EXPECT_TRUE(source.Info().live);
  EXPECT_EQ(source.State(), SourceState::kReconnecting);
  absl::StatusOr<FramePtr> frame = source.Read();
  ASSERT_FALSE(frame.ok());
  EXPECT_EQ(frame.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(frame.status().message(), "video '" + uri +
                                          "' is unreachable after 4 reconnect attempts: cannot open video '" + uri +
                                          "': Connection refused");
  EXPECT_EQ(source.State(), SourceState::kFailed);
  EXPECT_EQ(clock.NowUs() - 1'000'000'000, 100'000 + 200'000 + 400'000 + 500'000);
  EXPECT_EQ(source.Counters().reconnect_attempts, 4);
  EXPECT_EQ(source.Counters().reconnects, 0);
  // Failed stays failed.
  EXPECT_EQ(source.Read().status().code(), absl::StatusCode::kUnavailable);
}

TEST(SourceReconnectTest, FirstOpenFailsFastWithoutRetryOpen) {
  FakeClock clock;
  SourceOptions options;
  options.clock = &clock;
  FfmpegSource source("http://127.0.0.1:1/live.ts", options);
  absl::Status opened = source.Open();
  EXPECT_EQ(opened.message(), "cannot open video 'http://127.0.0.1:1/live.ts': Connection refused");
  EXPECT_EQ(source.State(), SourceState::kFailed);
  EXPECT_EQ(clock.NowUs(), 0);
}

int FreeLocalPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// An `ffmpeg` process serving `video` (looped, in real time) as MPEG-TS over HTTP to one client.
class StreamServer {
 public:
  StreamServer(const std::string& video, const std::string& url) {
    std::vector<std::string> args = {"ffmpeg",       "-nostdin", "-hide_banner", "-loglevel", "quiet", "-re",
                                     "-stream_loop", "-1",       "-i",           video,       "-an",   "-c:v",
                                     "copy",         "-f",       "mpegts",       "-listen",   "1",     url};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "ffmpeg", nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~StreamServer() { Kill(); }
  bool Running() const { return pid_ > 0; }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

TEST(SourceReconnectTest, ReconnectsToARestartedHttpStream) {
  DIDBAN_REQUIRE_DATA(video, "video_fixed/intel_car-detection.mp4");
  int port = FreeLocalPort();
  ASSERT_GT(port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/live.ts";
  auto server = std::make_unique<StreamServer>(video, url);
  ASSERT_TRUE(server->Running()) << "cannot start ffmpeg";

  SourceOptions options;
  options.retry_open = true;  // the server may not listen yet
  options.max_reconnects = 60;
  options.backoff.initial_us = 100'000;
  options.backoff.max_us = 400'000;
  options.open_timeout_us = 5'000'000;
  options.read_timeout_us = 3'000'000;
  FfmpegSource source(url, options);
  ASSERT_TRUE(source.Open().ok());

  std::vector<TimeUs> pts;
  auto read_one = [&]() -> bool {
    absl::StatusOr<FramePtr> f = source.Read();
    if (!f.ok() || *f == nullptr) {
      ADD_FAILURE() << (f.ok() ? "unexpected end" : std::string(f.status().message()));
      return false;
    }
    EXPECT_EQ((*f)->full.cols, 768);
    EXPECT_EQ((*f)->index, static_cast<int64_t>(pts.size()));
    pts.push_back((*f)->pts_us);
    return true;
  };
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(read_one());
  EXPECT_EQ(source.State(), SourceState::kStreaming);
  const int64_t reconnects_before = source.Counters().reconnects;  // 0, or 1 if the first open had to retry

  server->Kill();
  server = std::make_unique<StreamServer>(video, url);
  ASSERT_TRUE(server->Running());
  // Frames buffered before the kill come first, then the loss, the reconnect, and frames from the new server.
  int after = 0;
  for (int i = 0; i < 400 && after < 5; ++i) {
    ASSERT_TRUE(read_one());
    if (source.Counters().reconnects > reconnects_before) ++after;
  }
  EXPECT_EQ(after, 5);
  EXPECT_EQ(source.Counters().reconnects, reconnects_before + 1);
  EXPECT_EQ(source.State(), SourceState::kStreaming);
  EXPECT_TRUE(source.Info().live);
  for (size_t i = 1; i < pts.size(); ++i) EXPECT_GT(pts[i], pts[i - 1]) << i;
  EXPECT_GT(pts.front(), SecondsToUs(1.7e9));  // live frames carry wall-clock time (after Nov 2023)
  source.Interrupt();
  EXPECT_EQ(*source.Read(), nullptr);
  EXPECT_EQ(source.State(), SourceState::kEnded);
}

}  // namespace
}  // namespace didban::source
