// The `motion` detector for fixed cameras: background subtraction (OpenCV MOG2) at a reduced internal resolution,
// shadow removal, morphology, connected components and merging of nearby fragments. Needs no model.
#ifndef DIDBAN_DETECT_MOTION_DETECTOR_H_
#define DIDBAN_DETECT_MOTION_DETECTOR_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <opencv2/core/matx.hpp>
#include <opencv2/video/background_segm.hpp>

#include "detect/background_model.h"
#include "detect/blob_split.h"
#include "didban/stage.h"
#include "didban/status.h"
#include "didban/time.h"

namespace didban::detect {

// Options of the motion detector. Pixel sizes (`open_px`, `close_px`, `min_area_px`, `merge_gap_px`) are given for a
// 320-pixel-wide image and scale with the internal image width (areas with its square), so one configuration suits
// every camera resolution.
struct MotionOptions {
  // Background model: "gaussian" (one running Gaussian per pixel, fast; the default) or "mog2" (OpenCV's Gaussian
  // mixture, several times slower, copes better with waving trees and flicker). JSON "model".
  std::string model = "gaussian";
  // Largest width in pixels of the internal image the model runs on: frames wider than this are downscaled by the
  // smallest integer factor that fits (768 -> 256, 1280 -> 320) and boxes mapped back to frame pixels.
  // 0 = native resolution. JSON "process_width".
  int process_width = 320;
  // Variance threshold (squared Mahalanobis distance) for a pixel to be foreground. JSON "var_threshold".
  double var_threshold = 16.0;
  // Time constant of the background after warm-up, seconds: each frame is learnt with rate (frame interval / this),
  // so a stopped object melts into the background after about this long. JSON "background_time_s".
  double background_time_s = 5.0;
  // Model grey levels instead of colour (faster; but then every darker pixel passes the shadow test, so use it
  // with "shadows": false). JSON "grey".
  bool grey = false;
  // Detect shadows (darker pixels of the background's chromaticity, marked 127) and drop them from the foreground.
  // JSON "shadows".
  bool shadows = true;
  // "gaussian" model: a shadow is at least this fraction of the background's brightness (darker pixels are
  // foreground). (0, 1). JSON "shadow_tau".
  double shadow_tau = 0.6;
  // Opening kernel (removes speckle), pixels at 320 px width; 0 = none. JSON "open_px".
  int open_px = 3;
  // Closing kernel (fills holes, joins fragments), pixels at 320 px width; 0 = none. JSON "close_px".
  int close_px = 7;
  // The foreground mask is shrunk by this integer factor (a cell is foreground when at least half of it is) before
  // morphology and connected components: 2 halves the cost of those steps at a 2-pixel box granularity. 1 or 2.
  // JSON "blob_downscale".
  int blob_downscale = 2;
  // Minimum foreground pixels of a blob, at 320 px width (scaled with the square of the width). JSON "min_area_px".
  double min_area_px = 120.0;
  // Blobs whose edges are at most this far apart (both axes) merge into one box, pixels at 320 px width;
  // negative = no merging. JSON "merge_gap_px".
  double merge_gap_px = 0.0;
  // Cut blobs (after merging) where their silhouette steps by at least this factor: a narrow part on top of or below a
  // wide one, a short part beside a tall one (detect/blob_split.h: a vehicle ahead of a lorry, a car beside it).
  // 0 = off; else > 1. JSON "split_ratio".
  double split_ratio = 2.5;
  // Smallest length of each part of a cut, pixels at 320 px width. JSON "split_min_px".
  double split_min_px = 8.0;
  // Nothing is reported until this long after the first frame (the background is being learnt), µs from frame
  // timestamps. JSON "warmup_s" (seconds).
  TimeUs warmup_us = kUsPerSecond;
  // "gaussian" model: it starts from the per-pixel median of up to this many frames spread over the warm-up (the
  // frame that ends the warm-up included), so that vehicles passing during the warm-up are not in the background.
  // 1 = the last warm-up frame only. [1, 31]. JSON "init_frames".
  int init_frames = 9;
  // "gaussian" model: pixels classified foreground or shadow learn at this fraction of the background's learning
  // rate (selective update; GaussianBackgroundOptions::foreground_rate). 1 = all pixels alike. [0, 1].
  // JSON "foreground_rate".
  double foreground_rate = 0.03;
  // A frame whose foreground (shadows excluded) covers more than this fraction of the image is a glitch (a corrupted
  // or blended frame, a sudden exposure jump), not traffic: it gives no boxes. After 1 s of such frames the scene has
  // changed (the camera moved, lights went on): the model starts again with a warm-up. (0, 1]; 1 = off.
  // JSON "max_foreground".
  double max_foreground = 0.5;

  // Calibration (issue 15). The image-to-ground homography of the analysed frames (3x3, row-major: frame pixels ->
  // ground metres), as the camera's calibration gives it: `didban analyze` and the site runtime set it from the site
  // file's calibration (center::DetectorParams); absent = uncalibrated, and the size-aware steps below are off.
  // JSON "ground_homography" ([[h00, h01, h02], [h10, h11, h12], [h20, h21, h22]]).
  std::optional<cv::Matx33d> ground_homography;
  // Calibrated: a blob whose bottom row spans more than this on the ground (vehicles side by side in two lanes) is cut
  // at its weakest column (fewest foreground pixels) when that column holds at most `split_dip` of the smaller
  // side's tallest column and each part spans at least `min_vehicle_width_m`; parts are cut again, 3 deep.
  // 0 = off. JSON "split_width_m".
  double split_width_m = 6.0;
  // Smallest ground width of a part of such a cut, metres. JSON "min_vehicle_width_m".
  double min_vehicle_width_m = 1.4;
  // The weakest column's foreground pixels over the smaller side's tallest column, at most. (0, 1].
  // JSON "split_dip".
  double split_dip = 0.5;
  // Calibrated: length classes. A box whose apparent ground length (its bottom centre to its top centre, both
  // projected on the ground: the vehicle's length plus its height seen at the camera's angle) is at least this is a
  // long vehicle (class truck), shorter ones cars; a top above the horizon counts as long. 0 = no classes (unknown),
  // the default: on calibrations by eye it did no better than calling every vehicle light (docs/traffic.md).
  // JSON "long_vehicle_m".
  double long_vehicle_m = 0.0;

  absl::Status Validate() const;
};

// Parses JSON params (names above) into MotionOptions, rejecting unknown keys and wrong types; `where` prefixes errors.
absl::StatusOr<MotionOptions> ParseMotionOptions(const nlohmann::json& params, const std::string& where = "motion");

// Detects moving blobs against a learnt background. Boxes are in frame.image pixels, class kUnknown, score 1.
// The model resets when the frame size changes or time goes backwards. Thread-compatible.
class MotionDetector final : public Detector {
 public:
  explicit MotionDetector(const MotionOptions& options);

  absl::StatusOr<Detections> Detect(const Frame& frame) override;
  std::string Name() const override { return "motion"; }

  // The blobs of `image` (BGR 8-bit) taken at `time_us`, in its pixels.
  absl::StatusOr<std::vector<Box>> DetectBoxes(const cv::Mat& image, TimeUs time_us);
  // True until warm-up has passed since the first frame of the current model.
  bool WarmingUp() const { return warming_up_; }
  // The cleaned foreground mask of the last frame (internal resolution / blob_downscale, 0 or 255).
  const cv::Mat& ForegroundMaskForTest() const { return blob_mask_; }
  // The class of each box of the last DetectBoxes call (kUnknown when uncalibrated or without length classes).
  const std::vector<ObjectClass>& LastClasses() const { return classes_; }
  // The raw mask of the last frame at the internal resolution: 0 background, 127 shadow, 255 foreground.
  const cv::Mat& RawMaskForTest() const { return mask_; }
  const MotionOptions& Options() const { return options_; }

 private:
  void Reset(const cv::Size& frame_size);
  double LearningRate(TimeUs time_us) const;
  void CleanMask();
  std::vector<Box> Blobs();
  // Each box cut at silhouette steps of the blob mask (split_ratio); parts under `min_area` pixels dropped.
  std::vector<Box> SplitBoxes(const std::vector<Box>& boxes, double min_area) const;
  // Calibrated: ground point (metres) of a blob-mask pixel; nullopt above the horizon.
  std::optional<cv::Point2d> BlobToGround(double x, double y) const;
  // Calibrated: ground width (metres) of columns [x0, x1) of blob-mask row y; infinity above the horizon.
  double GroundWidth(int x0, int x1, int y) const;
  // Calibrated: each box cut at weak columns while wider on the ground than split_width_m.
  std::vector<Box> SplitWide(const std::vector<Box>& boxes) const;
  void SplitWideInto(const cv::Rect& r, int depth, std::vector<Box>* out) const;
  // Calibrated: the class of a box in blob-mask pixels by its apparent ground length.
  ObjectClass LengthClass(const Box& b) const;

  MotionOptions options_;
  cv::Ptr<cv::BackgroundSubtractorMOG2> mog2_;    // when model == "mog2"
  std::unique_ptr<GaussianBackground> gaussian_;  // when model == "gaussian"
  int64_t frames_seen_ = 0;
  cv::Size frame_size_;    // of the input frames the model was built for
  cv::Size process_size_;  // of the internal image
  double px_scale_ = 1.0;  // internal width / 320: scales the pixel options
  cv::Mat open_kernel_, close_kernel_;
  TimeUs first_us_ = 0;
  TimeUs last_us_ = 0;
  bool started_ = false;
  bool warming_up_ = true;
  double blob_scale_ = 1.0;             // blob image width / internal width
  std::vector<cv::Mat> warmup_frames_;  // internal images kept during warm-up for the median start ("gaussian")
  int warmup_stride_ = 1;               // every this many warm-up frames is kept
  int64_t warmup_count_ = 0;            // warm-up frames seen
  TimeUs glitch_since_us_ = -1;         // first of the consecutive frames over max_foreground, -1 when none
  cv::Matx33d blob_to_ground_;          // ground homography composed with blob-mask -> frame pixels
  double horizon_sign_ = 1.0;           // sign of the homogeneous w of pixels below the horizon
  std::vector<ObjectClass> classes_;    // of the last DetectBoxes' boxes
  cv::Mat small_, grey_, mask_, blob_mask_, labels_, stats_, centroids_;
};

}  // namespace didban::detect

#endif  // DIDBAN_DETECT_MOTION_DETECTOR_H_
