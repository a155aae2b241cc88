// A FrameSink that writes the annotated video of one camera (tracks drawn on a copy of each frame).
#ifndef DIDBAN_RECORD_ANNOTATED_VIDEO_SINK_H_
#define DIDBAN_RECORD_ANNOTATED_VIDEO_SINK_H_

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
  // Opens `path` for writing; errors name it.
  static absl::StatusOr<std::unique_ptr<AnnotatedVideoSink>> Create(const std::string& path,
                                                                    const VideoWriterOptions& writer_options,
                                                                    const AnnotatorOptions& annotator_options);

  absl::Status Consume(const FramePtr& frame, const TrackSnapshot& tracks, std::vector<Event>* events) override;
  absl::Status Finish() override;
  const VideoWriter& Writer() const { return *writer_; }

 private:
  AnnotatedVideoSink(std::unique_ptr<VideoWriter> writer, const AnnotatorOptions& annotator_options)
      : writer_(std::move(writer)), annotator_(annotator_options) {}

  std::unique_ptr<VideoWriter> writer_;
  TrackAnnotator annotator_;
};

}  // namespace didban::record

#endif  // DIDBAN_RECORD_ANNOTATED_VIDEO_SINK_H_
