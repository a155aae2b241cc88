// Moving objects in video from a moving camera (drones): estimates the camera's ego-motion between consecutive frames
// (corners tracked by pyramidal Lucas-Kanade at reduced resolution, RANSAC homography), keeps a background image
// warped into the current frame's coordinates, and reports foreground blobs that the motion-compensated difference
// with a frame a few steps back confirms as moving. The foreground steps run at an analysis resolution chosen from
// the expected size of the smallest object (min_object_px): the frame divided by an integer step so that this object
// keeps at least analysis_object_px pixels. Every per-frame image buffer is kept and reused (no per-frame
// allocation of frame-sized images). Thread-compatible (one instance per video).
#ifndef DIDBAN_DETECT_AERIAL_MOTION_DETECTOR_H_
#define DIDBAN_DETECT_AERIAL_MOTION_DETECTOR_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "didban/detection.h"
#include "didban/frame.h"
#include "didban/registry.h"
#include "didban/stage.h"
#include "didban/status.h"

namespace didban::detect {

struct AerialMotionOptions {
  // Ego-motion.
  double motion_scale = 0.5;         // image scale at which corners are tracked, (0, 1]
  int max_corners = 300;             // corners tracked per frame
  double corner_quality = 0.005;     // goodFeaturesToTrack quality level
  double corner_min_distance = 10;   // pixels at motion_scale
  double ransac_threshold_px = 1.0;  // RANSAC reprojection threshold, pixels at motion_scale
  int min_inliers = 20;              // fewer homography inliers => ego-motion lost, the model restarts
  // Foreground.
  double blur_sigma_px = 1.0;     // Gaussian blur before differencing, pixels (0 = none)
  double bg_learning_rate = 0.1;  // background update per frame where no object was found, (0, 1]
  double fg_learning_rate = 0.0;  // update under reported moving objects, [0, bg_learning_rate]
  // Update of foreground pixels that no reported object covers (the ghost of an object in the first frames, the parts
  // of a slow uniform vehicle that the motion check did not confirm yet), [fg_learning_rate, bg_learning_rate]: below
  // bg_learning_rate, a slow vehicle is not learnt into the background before it is confirmed.
  double unconfirmed_learning_rate = 0.1;
  int warmup_frames = 5;           // frames a pixel must have been seen before it can be foreground
  int diff_threshold = 22;         // grey levels between the frame and the background
  int confirm_gap_frames = 8;      // the motion check compares with the frame this many frames back
  int confirm_threshold = 18;      // grey levels for the motion check
  double confirm_fraction = 0.08;  // fraction of a blob's pixels that must pass the motion check
  int close_px = 5;                // closing kernel (joins an object's parts), pixels; 0 = none
  int open_px = 2;                 // opening kernel (removes specks), pixels; 0 = none
  // Blobs.
  double min_area_px = 10;     // foreground pixels
  double max_area_px = 20000;  // foreground pixels
  int min_side_px = 3;         // box side, pixels
  int max_side_px = 250;       // box side, pixels
  // Analysis resolution. The pixel sizes above (blur, kernels, blob limits) are analysis pixels.
  double min_object_px = 0;       // side of the smallest object to detect, frame pixels (0: unknown, full resolution)
  double analysis_object_px = 5;  // pixels that object must keep at the analysis resolution
  int max_analysis_step = 4;      // the analysis resolution is the frame's divided by at most this

  // The integer step the frame is divided by for analysis: floor(min_object_px / analysis_object_px) within
  // [1, max_analysis_step].
  int AnalysisStep() const;

  absl::Status Validate() const;
};

// Parses {"motion_scale": 0.5, "diff_threshold": 22, ...} (keys as the field names) over the defaults.
absl::StatusOr<AerialMotionOptions> ParseAerialMotionOptions(const nlohmann::json& params);

class AerialMotionDetector final : public Detector {
 public:
  explicit AerialMotionDetector(AerialMotionOptions options);
  static absl::StatusOr<std::unique_ptr<AerialMotionDetector>> Create(const AerialMotionOptions& options);

  // Boxes of moving objects in frame.image pixels, score = fraction of the blob confirmed as moving (0..1).
  absl::StatusOr<Detections> Detect(const Frame& frame) override;
  std::string Name() const override { return "aerial"; }

  // Homography from the last frame's pixels to the previous frame's pixels (identity for the first frame or when
  // ego-motion was lost: see LastMotionValid()).
  const cv::Matx33d& LastHomography() const { return last_h_; }
  bool LastMotionValid() const { return last_valid_; }
  // RANSAC inliers of the last ego-motion estimate.
  int LastInliers() const { return last_inliers_; }
  // The analysis resolution divided by the frame's (1 / AerialMotionOptions::AnalysisStep()).
  double AnalysisScale() const { return 1.0 / step_; }

 private:
  // Estimates current -> previous in frame pixels; false when lost.
  bool EstimateEgoMotion(cv::Matx33d* cur_to_prev);
  // The homography from the current frame to the frame k frames back (k <= frames_ - 1, k < motion_.size()).
  cv::Matx33d ChainBack(int k) const;
  // The homography from the current frame to the frame confirm_gap_frames back, and that frame; false when the
  // history is too short.
  bool ChainToGap(cv::Matx33d* cur_to_old, const cv::Mat** old) const;
  // Foreground blobs of fg_ within the size limits whose pixels moved relative to the frame confirm_gap_frames back,
  // as detections in analysis pixels; marks their pixels in objects_. Returns whether any was found.
  bool Blobs(const cv::Mat& gray, Detections* out);
  // Starts the history over.
  void Reset();

  AerialMotionOptions options_;
  int step_ = 1;
  cv::Mat open_kernel_, close_kernel_;
  // Reused per-frame buffers.
  cv::Mat gray_full_;  // the frame in grey (when it has colour)
  cv::Mat analysis_;   // the grey frame at the analysis resolution (when step_ > 1)
  cv::Mat small_, prev_small_;
  cv::Mat background_, warped_background_;  // CV_32F, analysis pixels, current frame coordinates
  cv::Mat seen_;                            // CV_8U, 255 where the ground was already in view warmup_frames ago
  cv::Mat background8_, high_, low_, fg_, objects_, grown_;  // CV_8U
  cv::Mat labels_, stats_, centroids_;
  cv::Mat roi_warped_, roi_high_, roi_low_;
  std::vector<cv::Point2f> prev_corners_, cur_corners_, src_, dst_;
  std::vector<unsigned char> status_, inlier_flags_;
  std::vector<float> err_;
  std::vector<cv::Point2f> tracked_;  // inlier corners of the last estimate, in the current frame
  size_t detected_corners_ = 0;       // corners found by the last search
  // Since the last restart: frames_ frames; the last confirm_gap_frames + 1 blurred grey frames (analysis pixels)
  // and the last max(confirm_gap_frames, warmup_frames) + 1 frame-to-previous homographies (analysis pixels), in
  // rings indexed by the frame number.
  int64_t frames_ = 0;
  std::vector<cv::Mat> grays_;
  std::vector<cv::Matx33d> to_prev_;
  cv::Matx33d last_h_ = cv::Matx33d::eye();
  bool last_valid_ = false;
  int last_inliers_ = 0;
};

// Registers "aerial" (params: AerialMotionOptions keys) in `registry`.
void RegisterAerialDetector(Registry<Detector>& registry);

}  // namespace didban::detect

#endif  // DIDBAN_DETECT_AERIAL_MOTION_DETECTOR_H_
