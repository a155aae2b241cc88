#include "record/track_log_sink.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"

namespace didban::record {

absl::StatusOr<std::unique_ptr<TrackLogSink>> TrackLogSink::Create(const std::string& path) {
  std::unique_ptr<TrackLogSink> sink(new TrackLogSink(path));
  if (!path.empty()) {
    sink->out_.open(path, std::ios::trunc);
    if (!sink->out_) {
      return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write tracks (", std::strerror(errno), ")"));
    }
  }
  return sink;
}

absl::Status TrackLogSink::Consume(const FramePtr& frame, const TrackSnapshot& tracks, std::vector<Event>* /*events*/) {
  ++frames_;
  const float inv = frame->scale > 0 ? static_cast<float>(1.0 / frame->scale) : 1.f;
  bool wrote = false;
  for (const Track& t : tracks.tracks) {
    if (t.state != TrackState::kConfirmed) continue;
    ++track_rows_;
    classes_[t.id] = t.object_class;
    if (!out_.is_open()) continue;
    Box b = t.box.Scaled(inv);
    line_.clear();
    absl::StrAppendFormat(&line_, "%d,%d,%.2f,%.2f,%.2f,%.2f,%.3f,-1,-1,-1\n", frame->index + 1, t.id, b.x, b.y, b.w,
                          b.h, t.score);
    out_ << line_;
    wrote = true;
  }
  // Each frame's rows reach the file before the next frame (one write per frame with tracks), so a killed run loses
  // at most the frame in hand.
  if (wrote) out_.flush();
  if (out_.is_open() && !out_) return absl::DataLossError(absl::StrCat(path_, ": write failed (disk full?)"));
  return absl::OkStatus();
}

absl::Status TrackLogSink::Finish() {
  if (out_.is_open()) {
    out_.close();
    if (!out_) return absl::DataLossError(absl::StrCat(path_, ": write failed on close"));
  }
  return absl::OkStatus();
}

nlohmann::json TrackLogSink::Summary() const {
  nlohmann::json by_class = nlohmann::json::object();
  for (const auto& [id, c] : classes_) {
    std::string name(ObjectClassName(c));
    by_class[name] = by_class.value(name, 0) + 1;
  }
  return {{"frames", frames_}, {"tracks", classes_.size()}, {"track_rows", track_rows_}, {"tracks_by_class", by_class}};
}

}  // namespace didban::record
