// A one-line terminal progress bar (frames, frames/s, ETA, a note such as drops and reconnects) for long commands.
// Shown only when stderr is a terminal; while it is shown, log lines (spdlog's default logger, which also carries
// FFmpeg's lines) are printed above it instead of breaking into it.
#ifndef DIDBAN_APP_PROGRESS_H_
#define DIDBAN_APP_PROGRESS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace spdlog {
class logger;
}

namespace didban::app {

// Thread-safe: Update() from one thread, log lines from any.
class ProgressBar {
 public:
  // total: expected frames (0 if unknown). Disabled when stderr is not a TTY or `enabled` is false.
  ProgressBar(std::string label, int64_t total, bool enabled = true);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Redraws at most 10 times a second; `note` (called only when redrawing) is appended to the line.
  void Update(int64_t done, const std::function<std::string()>& note = nullptr);
  // Draws the last state, ends the line and gives the logger back.
  void Finish();
  // Prints `text` (ending in a newline) on a line of its own above the bar, then redraws the bar.
  void PrintAbove(const std::string& text);

 private:
  void Draw(int64_t now_us, const std::string& note);

  std::string label_;
  int64_t total_;
  bool enabled_;
  int64_t start_us_;
  int64_t last_draw_us_ = 0;
  int64_t done_ = 0;
  bool finished_ = false;
  std::mutex mu_;                                    // the terminal line
  std::string line_;                                 // what is drawn now ("" = nothing)
  std::string note_;                                 // the last note
  std::shared_ptr<spdlog::logger> previous_logger_;  // restored by Finish()
};

}  // namespace didban::app

#endif  // DIDBAN_APP_PROGRESS_H_
