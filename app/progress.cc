#include "app/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "didban/time.h"

namespace didban::app {
namespace {

// A spdlog sink that prints each formatted line above the progress bar.
class AboveBarSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit AboveBarSink(ProgressBar* bar) : bar_(bar) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    bar_->PrintAbove(fmt::to_string(formatted));
  }
  void flush_() override { std::fflush(stderr); }

 private:
  ProgressBar* bar_;
};

}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled && isatty(STDERR_FILENO) == 1),
      start_us_(SystemClock().SteadyUs()) {
  if (!enabled_) return;
  // Log lines go above the bar from now on. The previous logger is kept alive (other threads may hold its raw
  // pointer for the call in progress) and restored by Finish().
  previous_logger_ = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(previous_logger_->name(), std::make_shared<AboveBarSink>(this));
  logger->set_level(previous_logger_->level());
  logger->set_pattern("[%H:%M:%S.%e] [%l] %v");
  spdlog::set_default_logger(std::move(logger));
}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(int64_t done, const std::function<std::string()>& note) {
  done_ = done;
  if (!enabled_ || finished_) return;
  int64_t now = SystemClock().SteadyUs();
  if (now - last_draw_us_ < 100'000 && (total_ == 0 || done < total_)) return;
  last_draw_us_ = now;
  Draw(now, note ? note() : note_);
}

void ProgressBar::Draw(int64_t now_us, const std::string& note) {
  double secs = std::max(1e-6, UsToSeconds(now_us - start_us_));
  double fps = done_ / secs;
  constexpr int kWidth = 30;
  char buf[512];
  if (total_ > 0) {
    double f = std::min(1.0, static_cast<double>(done_) / total_);
    int filled = static_cast<int>(f * kWidth);
    double eta = fps > 0 ? (total_ - done_) / fps : 0;
    std::snprintf(buf, sizeof(buf), "%s [%.*s%*s] %3.0f%% %lld/%lld  %.0f frames/s  ETA %02d:%02d", label_.c_str(),
                  filled, "##############################", kWidth - filled, "", f * 100, static_cast<long long>(done_),
                  static_cast<long long>(total_), fps, static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%s %lld frames  %.1f frames/s", label_.c_str(), static_cast<long long>(done_),
                  fps);
  }
  std::lock_guard<std::mutex> lock(mu_);
  note_ = note;
  line_ = std::string(buf) + (note.empty() ? "" : "  " + note);
  std::fprintf(stderr, "\r\033[K%s", line_.c_str());
  std::fflush(stderr);
}

void ProgressBar::PrintAbove(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!line_.empty()) std::fputs("\r\033[K", stderr);
  std::fputs(text.c_str(), stderr);
  if (!line_.empty()) std::fputs(line_.c_str(), stderr);
  std::fflush(stderr);
}

void ProgressBar::Finish() {
  if (!enabled_ || finished_) return;
  Draw(SystemClock().SteadyUs(), note_);
  finished_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::fprintf(stderr, "\n");
    line_.clear();
  }
  if (previous_logger_) spdlog::set_default_logger(previous_logger_);
}

}  // namespace didban::app
