// A one-line terminal progress bar (frames, frames/s, ETA) for long commands. Shown only when stderr is a terminal.
#ifndef DIDBAN_APP_PROGRESS_H_
#define DIDBAN_APP_PROGRESS_H_

#include <cstdint>
#include <string>

namespace didban::app {

// Not thread-safe: call from one thread.
class ProgressBar {
 public:
  // total: expected frames (0 if unknown). Disabled when stderr is not a TTY or `enabled` is false.
  ProgressBar(std::string label, int64_t total, bool enabled = true);
  ~ProgressBar();
  // Redraws at most 10 times a second.
  void Update(int64_t done);
  void Finish();

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  int64_t start_us_;
  int64_t last_draw_us_ = 0;
  int64_t done_ = 0;
  bool finished_ = false;
};

}  // namespace didban::app

#endif  // DIDBAN_APP_PROGRESS_H_
