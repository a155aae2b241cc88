// Writes one JPEG per event: the frame the event was raised on, with the event's track boxed, so an operator sees
// the evidence. Sits after the rule sinks in a camera's sink list and fills Event::snapshot_path.
#ifndef DIDBAN_RECORD_SNAPSHOT_SINK_H_
#define DIDBAN_RECORD_SNAPSHOT_SINK_H_

#include <string>
#include <vector>

#include "didban/stage.h"

namespace didban::record {

// Thread-compatible.
class SnapshotSink final : public FrameSink {
 public:
  // `folder` must exist. JPEG quality in [0, 100].
  explicit SnapshotSink(std::string folder, int jpeg_quality = 85)
      : folder_(std::move(folder)), quality_(jpeg_quality) {}

  absl::Status Consume(const FramePtr& frame, const TrackSnapshot& tracks, std::vector<Event>* events) override;
  int64_t Written() const { return written_; }

 private:
  std::string folder_;
  int quality_;
  int64_t written_ = 0;
};

}  // namespace didban::record

#endif  // DIDBAN_RECORD_SNAPSHOT_SINK_H_
