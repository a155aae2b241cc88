#include "record/snapshot_sink.h"

#include <filesystem>

#include <opencv2/imgproc.hpp>

#include "record/jpeg.h"

namespace didban::record {

absl::Status SnapshotSink::Consume(const FramePtr& frame, const TrackSnapshot& tracks, std::vector<Event>* events) {
  if (events == nullptr || events->empty() || frame == nullptr) return absl::OkStatus();
  const bool full = !frame->full.empty();
  const double scale = full && frame->scale > 0 ? 1.0 / frame->scale : 1.0;
  for (Event& e : *events) {
    if (!e.snapshot_path.empty()) continue;
    cv::Mat image = (full ? frame->full : frame->image).clone();
    for (int64_t id : {e.track_id, e.other_track_id}) {
      if (id == 0) continue;
      for (const Track& t : tracks.tracks) {
        if (t.id != id) continue;
        Box b = t.box.Scaled(static_cast<float>(scale));
        cv::rectangle(image,
                      cv::Rect(cv::Point(static_cast<int>(b.x), static_cast<int>(b.y)),
                               cv::Size(static_cast<int>(b.w), static_cast<int>(b.h))),
                      cv::Scalar(0, 0, 255), 2);
      }
    }
    std::string name = absl::StrCat(e.time_us, "_", e.type, "_", e.track_id, ".jpg");
    std::string path = (std::filesystem::path(folder_) / name).string();
    DIDBAN_RETURN_IF_ERROR(WriteJpeg(path, image, quality_));
    e.snapshot_path = path;
    ++written_;
  }
  return absl::OkStatus();
}

}  // namespace didban::record
