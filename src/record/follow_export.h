// The "follow" video: one MP4 that cuts from camera to camera as an object moves through the site, joined from one
// exported clip per camera piece (each an ExportClip stream copy, or a masked re-encode for a camera with privacy
// masks). Pieces are joined by stream copy when they all have the same codec parameters (codec, size and SPS/PPS:
// one H.264 stream can carry only one set in an MP4 'avc1' track); otherwise every piece is decoded and re-encoded
// (libx264) at the first piece's size, and the result says so. A stream-copied clip starts at a keyframe, so a
// piece's first frame may lie before its planned start: cuts are keyframe-aligned (FollowJoin reports each piece's
// real span, and how much of the site's time was shown twice at a cut).
#ifndef DIDBAN_RECORD_FOLLOW_EXPORT_H_
#define DIDBAN_RECORD_FOLLOW_EXPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "didban/status.h"
#include "didban/time.h"
#include "record/video_writer.h"

namespace didban::record {

// One piece to join: an MP4 of one camera whose first frame was shown at `file_start_us` (site time: the clip's
// ExportedClip::start_us), taken up to `to_us` (frames decoded at or after it are left out).
struct FollowPieceFile {
  std::string camera;
  std::string path;
  TimeUs file_start_us = 0;
  TimeUs to_us = 0;
};

// What one piece became in the joined file.
struct JoinedPiece {
  std::string camera;
  TimeUs from_us = 0;      // site time of its first frame
  TimeUs to_us = 0;        // site time of the end of its last frame
  TimeUs out_from_us = 0;  // the same in the joined file's time (0 = its start)
  TimeUs out_to_us = 0;
  int64_t frames = 0;
  TimeUs repeat_us = 0;  // site time shown again: the previous piece ran past this piece's first frame by this much
};

struct FollowJoin {
  std::string path;
  bool stream_copy = true;  // false: re-encoded (the pieces' codec parameters differ); `reencode_reason` says how
  std::string reencode_reason;
  std::string encoder;  // the encoder when re-encoded ("libx264" or "mpeg4"), "" for a stream copy
  std::vector<JoinedPiece> pieces;
  int64_t frames = 0;
  TimeUs duration_us = 0;  // end of the last frame in the joined file
};

struct FollowJoinOptions {
  VideoWriterOptions writer;  // when re-encoding; fps from the first piece when it can be read
};

// Joins `pieces` (in order) into `out_path` (.mp4). Errors: InvalidArgument without pieces or for a piece whose to_us
// is not after its file_start_us, DataLoss naming a piece that cannot be read, NotFound when no frame is taken at all;
// nothing is left at `out_path` on an error.
absl::StatusOr<FollowJoin> JoinFollowPieces(const std::vector<FollowPieceFile>& pieces, const std::string& out_path,
                                            const FollowJoinOptions& options = {});

}  // namespace didban::record

#endif  // DIDBAN_RECORD_FOLLOW_EXPORT_H_
