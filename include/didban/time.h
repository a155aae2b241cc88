// Time in didban: one microsecond timestamp travels with every frame, detection, track and event.
#ifndef DIDBAN_TIME_H_
#define DIDBAN_TIME_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace didban {

// Microseconds. For frames: the capture/presentation time from the stream (file sources start near 0; live sources
// use the wall clock at capture, microseconds since the Unix epoch).
using TimeUs = int64_t;

constexpr TimeUs kUsPerSecond = 1'000'000;
constexpr double UsToSeconds(TimeUs us) { return static_cast<double>(us) * 1e-6; }
constexpr TimeUs SecondsToUs(double s) { return static_cast<TimeUs>(s * 1e6 + (s >= 0 ? 0.5 : -0.5)); }

// A source of "now". Injected wherever wall time matters (reconnect backoff, offline alerts, retention) so tests
// control it. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch.
  virtual TimeUs NowUs() const = 0;
  // Steady (monotonic) microseconds, for measuring intervals.
  virtual TimeUs SteadyUs() const = 0;
  // Blocks the caller for `us` microseconds (a fake clock advances instead).
  virtual void SleepUs(TimeUs us) = 0;
};

// The real clock. Thread-safe. Never destroyed.
Clock& SystemClock();

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimeUs start_us = 0) : now_us_(start_us) {}
  TimeUs NowUs() const override { return now_us_.load(); }
  TimeUs SteadyUs() const override { return now_us_.load(); }
  void SleepUs(TimeUs us) override { now_us_.fetch_add(us); }
  void AdvanceUs(TimeUs us) { now_us_.fetch_add(us); }

 private:
  std::atomic<TimeUs> now_us_;
};

}  // namespace didban

#endif  // DIDBAN_TIME_H_
