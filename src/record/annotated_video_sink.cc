#include "record/annotated_video_sink.h"

#include <utility>

namespace didban::record {

absl::StatusOr<std::unique_ptr<AnnotatedVideoSink>> AnnotatedVideoSink::Create(
    const std::string& path, const VideoWriterOptions& writer_options, const AnnotatorOptions& annotator_options) {
  if (absl::Status valid = annotator_options.Validate(); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("video '", path, "': ", valid.message()));
  }
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<VideoWriter> writer, VideoWriter::Create(path, writer_options));
  return std::unique_ptr<AnnotatedVideoSink>(new AnnotatedVideoSink(std::move(writer), annotator_options));
}

absl::Status AnnotatedVideoSink::Consume(const FramePtr& frame, const TrackSnapshot& tracks,
                                         std::vector<Event>* events) {
  if (frame == nullptr) return absl::InvalidArgumentError("annotated video: null frame");
  cv::Mat drawn = annotator_.Annotate(*frame, tracks);
  if (overlay_) {
    double scale = on_full_ && frame->scale > 0 ? 1.0 / frame->scale : 1.0;
    static const std::vector<Event> kNone;
    overlay_(&drawn, scale, *frame, tracks, events != nullptr ? *events : kNone);
  }
  return writer_->Write(drawn, frame->pts_us);
}

absl::Status AnnotatedVideoSink::Finish() { return writer_->Close(); }

}  // namespace didban::record
