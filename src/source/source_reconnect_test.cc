// Reconnecting live sources: the backoff schedule on a fake clock, and a real HTTP stream (an `ffmpeg -listen 1`
// server on 127.0.0.1) that is killed and restarted under a reading source.
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
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
  void Signal(int sig) const {
    if (pid_ > 0) kill(pid_, sig);
  }
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

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A live input that was streaming is retried every after_loss_max_us for after_loss_window_us after its loss, then
// on the ordinary schedule (which kept advancing meanwhile). A "live" local file is such an input: read to its end
// (a loss), then deleted (a dead host). The fake clock makes every delay exact.
TEST(SourceReconnectTest, RetriesQuicklyAfterALossThenBacksOff) {
  DIDBAN_REQUIRE_DATA(video, "video_fixed/intel_car-detection.mp4");
  std::string dir = didban::testing::MakeTempDir("didban-after-loss");
  const std::string copy = dir + "/live.mp4";
  std::filesystem::copy_file(video, copy);
  FakeClock clock(1'000'000'000);
  SourceOptions options;
  options.clock = &clock;
  options.live = true;
  options.max_reconnects = 7;
  options.backoff.initial_us = 1'000'000;
  options.backoff.multiplier = 2.0;
  options.backoff.max_us = 30'000'000;
  options.backoff.after_loss_max_us = 200'000;
  options.backoff.after_loss_window_us = 1'000'000;
  FfmpegSource source(copy, options);
  ASSERT_TRUE(source.Open().ok());
  for (int i = 0; i < 377; ++i) ASSERT_NE(*source.Read(), nullptr) << i;
  EXPECT_EQ(clock.SteadyUs(), 1'000'000'000);
  std::filesystem::remove(copy);
  absl::StatusOr<FramePtr> next = source.Read();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), absl::StatusCode::kUnavailable);
  // Five tries 0.2 s apart inside the 1 s window, then the schedule's 6th and 7th delays (32 s and 64 s, capped).
  EXPECT_EQ(clock.SteadyUs() - 1'000'000'000, 5 * 200'000 + 30'000'000 + 30'000'000);
  SourceCounters c = source.Counters();
  EXPECT_EQ(c.reconnect_attempts, 7);
  EXPECT_EQ(c.reconnects, 0);
  EXPECT_EQ(c.offline_us, 61'000'000);
  EXPECT_EQ(c.online_us, 0);  // the fake clock did not move while the file was read
  EXPECT_EQ(c.read_errors, 0);
}

// With the window off, the first retry after a loss waits the schedule's first delay; a reopened input counts as a
// reconnect and the time offline is that delay.
TEST(SourceReconnectTest, WithoutTheWindowTheScheduleApplies) {
  DIDBAN_REQUIRE_DATA(video, "video_fixed/intel_car-detection.mp4");
  FakeClock clock(5'000'000);
  SourceOptions options;
  options.clock = &clock;
  options.live = true;
  options.backoff.initial_us = 1'500'000;
  options.backoff.after_loss_window_us = 0;
  FfmpegSource source(video, options);
  ASSERT_TRUE(source.Open().ok());
  for (int i = 0; i < 378; ++i) ASSERT_NE(*source.Read(), nullptr) << i;  // the 378th is the reopened file's first
  EXPECT_EQ(clock.SteadyUs(), 5'000'000 + 1'500'000);
  SourceCounters c = source.Counters();
  EXPECT_EQ(c.reconnects, 1);
  EXPECT_EQ(c.offline_us, 1'500'000);
  EXPECT_EQ(source.State(), SourceState::kStreaming);
}

TEST(SourceReconnectTest, TruncatedFileCountsAReadError) {
  DIDBAN_REQUIRE_DATA(video, "video_fixed/intel_car-detection.mp4");
  std::string dir = didban::testing::MakeTempDir("didban-trunc-count");
  std::string bytes;
  {
    std::ifstream in(video, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string cut = dir + "/cut.mp4";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, 300'000);
  for (const std::string& path : {video, cut}) {
    FfmpegSource source(path, SourceOptions{});
    ASSERT_TRUE(source.Open().ok());
    int64_t frames = 0;
    while (FramePtr f = *source.Read()) ++frames;
    EXPECT_EQ(source.Counters().read_errors, path == cut ? 1 : 0) << path;
    EXPECT_EQ(frames, path == cut ? 30 : 377) << path;
    EXPECT_EQ(source.State(), SourceState::kEnded);
  }
}

// Interrupt() from another thread ends a Read() that waits to reconnect (a 30 s backoff) at once.
TEST(SourceReconnectTest, InterruptEndsAReconnectWait) {
  SourceOptions options;
  options.retry_open = true;
  options.backoff.initial_us = 30'000'000;
  FfmpegSource source("http://127.0.0.1:1/live.ts", options);
  ASSERT_TRUE(source.Open().ok());
  EXPECT_EQ(source.State(), SourceState::kReconnecting);
  auto t0 = std::chrono::steady_clock::now();
  std::future<absl::StatusOr<FramePtr>> read = std::async(std::launch::async, [&] { return source.Read(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  source.Interrupt();
  ASSERT_EQ(read.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  absl::StatusOr<FramePtr> frame = read.get();
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(*frame, nullptr);
  EXPECT_EQ(source.State(), SourceState::kEnded);
  std::printf("interrupted a reconnect wait after %.3f s\n", SecondsSince(t0));
  EXPECT_GT(source.Counters().offline_us, 0);
}

// A server that accepts the connection and never answers: Open() blocks (open timeout 30 s) until Interrupt().
TEST(SourceReconnectTest, InterruptEndsAStalledOpen) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);  // the kernel completes the handshake; nobody reads the request
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/live.ts";
  SourceOptions options;
  options.open_timeout_us = 30'000'000;
  options.read_timeout_us = 30'000'000;
  FfmpegSource source(url, options);
  auto t0 = std::chrono::steady_clock::now();
  std::future<absl::Status> open = std::async(std::launch::async, [&] { return source.Open(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(open.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);  // still connecting
  source.Interrupt();
  ASSERT_EQ(open.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  absl::Status status = open.get();
  EXPECT_EQ(status.message(), "video '" + url + "': interrupted");
  std::printf("interrupted a stalled open after %.3f s\n", SecondsSince(t0));
  close(fd);
}

// A stream that stalls (its server stopped with SIGSTOP): Read() blocks (read timeout 30 s) until Interrupt().
TEST(SourceReconnectTest, InterruptEndsAStalledRead) {
  DIDBAN_REQUIRE_DATA(video, "video_fixed/intel_car-detection.mp4");
  int port = FreeLocalPort();
  ASSERT_GT(port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/live.ts";
  StreamServer server(video, url);
  ASSERT_TRUE(server.Running());
  SourceOptions options;
  options.retry_open = true;
  options.backoff.initial_us = 100'000;
  options.backoff.max_us = 200'000;
  options.read_timeout_us = 30'000'000;
  FfmpegSource source(url, options);
  ASSERT_TRUE(source.Open().ok());
  for (int i = 0; i < 3; ++i) ASSERT_NE(*source.Read(), nullptr);
  server.Signal(SIGSTOP);
  std::atomic<int> frames{0};
  auto t0 = std::chrono::steady_clock::now();
  std::future<absl::StatusOr<FramePtr>> reader = std::async(std::launch::async, [&]() -> absl::StatusOr<FramePtr> {
    for (;;) {
      absl::StatusOr<FramePtr> f = source.Read();
      if (!f.ok() || *f == nullptr) return f;
      ++frames;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // what was buffered drains; then the read blocks
  source.Interrupt();
  ASSERT_EQ(reader.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  absl::StatusOr<FramePtr> last = reader.get();
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, nullptr);
  EXPECT_EQ(source.State(), SourceState::kEnded);
  std::printf("interrupted a stalled read after %.3f s (%d buffered frames read)\n", SecondsSince(t0), frames.load());
  server.Signal(SIGCONT);
}

}  // namespace
}  // namespace didban::source
