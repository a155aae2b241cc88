// A FrameSink that writes the annotated video of one camera (tracks drawn on a copy of each frame).
#ifndef DIDBAN_RECORD_ANNOTATED_VIDEO_SINK_H_
#define DIDBAN_RECORD_ANNOTATED_VIDEO_SINK_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "didban/stage.h"
#include "record/track_annotator.h"
#include "record/video_writer.h"

namespace didban::record {

// Draws each frame's tracks (TrackAnnotator) and encodes the result (VideoWriter) at the frame's timestamp.
// Raises no events. Thread-compatible.
class AnnotatedVideoSink final : public FrameSink {
 public:
  // Draws more on the annotated image in place (rules, zones, counts): the frame, its tracks and the events raised
  // for it by the sinks before this one. `scale` maps analysis pixels to the drawn image's pixels.
  using Overlay = std::function<void(cv::Mat* drawn, double scale, const Frame& frame, const TrackSnapshot& tracks,
                                     const std::vector<Event>& events)>;

  // Opens `path` for writing; errors name it.
  static absl::StatusOr<std::unique_ptr<AnnotatedVideoSink>> Create(const std::string& path,
                                                                    const VideoWriterOptions& writer_options,
                                                                    const AnnotatorOptions& annotator_options);

  absl::Status Consume(const FramePtr& frame, const TrackSnapshot& tracks, std::vector<Event>* events) override;
  absl::Status Finish() override;
  const VideoWriter& Writer() const { return *writer_; }
  void SetOverlay(Overlay overlay) { overlay_ = std::move(overlay); }

 private:
  AnnotatedVideoSink(std::unique_ptr<VideoWriter> writer, const AnnotatorOptions& annotator_options)
      : writer_(std::move(writer)), annotator_(annotator_options), on_full_(annotator_options.on_full) {}

  std::unique_ptr<VideoWriter> writer_;
  TrackAnnotator annotator_;
  bool on_full_ = false;
  Overlay overlay_;
};

}  // namespace didban::record

#endif  // DIDBAN_RECORD_ANNOTATED_VIDEO_SINK_H_
