#include "app/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "didban/time.h"

namespace didban::app {

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled && isatty(STDERR_FILENO) == 1),
      start_us_(SystemClock().SteadyUs()) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(int64_t done) {
  done_ = done;
  if (!enabled_) return;
  int64_t now = SystemClock().SteadyUs();
  if (now - last_draw_us_ < 100'000 && (total_ == 0 || done < total_)) return;
  last_draw_us_ = now;
  double secs = std::max(1e-6, UsToSeconds(now - start_us_));
  double fps = done / secs;
  constexpr int kWidth = 30;
  if (total_ > 0) {
    double f = std::min(1.0, static_cast<double>(done) / total_);
    int filled = static_cast<int>(f * kWidth);
    double eta = fps > 0 ? (total_ - done) / fps : 0;
    std::fprintf(stderr, "\r%s [%.*s%*s] %3.0f%% %lld/%lld  %.0f frames/s  ETA %02d:%02d ", label_.c_str(), filled,
                 "##############################", kWidth - filled, "", f * 100, static_cast<long long>(done),
                 static_cast<long long>(total_), fps, static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
  } else {
    std::fprintf(stderr, "\r%s %lld frames  %.0f frames/s ", label_.c_str(), static_cast<long long>(done), fps);
  }
  std::fflush(stderr);
}

void ProgressBar::Finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  last_draw_us_ = 0;
  Update(done_);
  std::fprintf(stderr, "\n");
}

}  // namespace didban::app
