#include <chrono>
#include <thread>

#include "didban/time.h"

namespace didban {
namespace {

class RealClock final : public Clock {
 public:
  TimeUs NowUs() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  TimeUs SteadyUs() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void SleepUs(TimeUs us) override { std::this_thread::sleep_for(std::chrono::microseconds(us)); }
};

}  // namespace

Clock& SystemClock() {
  static RealClock* clock = new RealClock();
  return *clock;
}

}  // namespace didban
