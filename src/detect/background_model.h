// A per-pixel running Gaussian background model with shadow detection: the fast default background subtractor of
// the motion detector (a single Gaussian per pixel, in the spirit of Wren et al.'s Pfinder, with MOG2's shadow test).
#ifndef DIDBAN_DETECT_BACKGROUND_MODEL_H_
#define DIDBAN_DETECT_BACKGROUND_MODEL_H_

#include <vector>

#include <opencv2/core/mat.hpp>

namespace didban::detect {

// Options of the running Gaussian background.
struct GaussianBackgroundOptions {
  float var_threshold = 16.f;  // squared distance / variance above which a pixel is foreground (MOG2's varThreshold)
  // Variances are of the squared colour distance summed over the channels (as in MOG2), grey levels squared.
  float var_init = 15.f;  // initial per-pixel variance
  float var_min = 4.f;    // variance floor (keeps noise-free areas from becoming hypersensitive)
  float var_max = 75.f;   // variance ceiling
  bool shadows = true;    // mark shadows (darker, same chromaticity) with kShadow instead of kForeground
  // Follow global brightness changes (camera auto-exposure): each image is divided by the ratio of its brightness to
  // the model's, measured over the pixels that were background in the previous image.
  bool compensate_gain = true;
  float gain_deadband = 0.05f;  // ratios within 1 +- this are taken as 1
  float shadow_tau = 0.6f;      // a shadow is at least this fraction of the background brightness (MOG2: 0.5)
  // The mean of a pixel classified foreground or shadow learns at this fraction of the learning rate (selective
  // update): a vehicle passing slowly, or a queue that never clears, stays out of the background, while a pixel left
  // foreground for good (a parked vehicle, a ghost of one that was there at the start) still melts in, this many
  // times slower. 1 = every pixel learns alike (a plain running average). [0, 1].
  float foreground_rate = 1.f;
};

// Keeps one Gaussian (mean colour, shared variance) per pixel of 8-bit 1- or 3-channel images and classifies each new
// image's pixels as background (0), shadow (127) or foreground (255). Thread-compatible.
class GaussianBackground {
 public:
  static constexpr uint8_t kBackground = 0;
  static constexpr uint8_t kShadow = 127;
  static constexpr uint8_t kForeground = 255;

  explicit GaussianBackground(const GaussianBackgroundOptions& options) : options_(options) {}

  // Classifies `image` into *mask (CV_8UC1, same size) against the current model, then learns the image with rate
  // `learning_rate` in [0, 1] (the mean moves that fraction towards the pixel; the variance learns from background
  // pixels only). The first image (or one of a new size or type) initialises the model and is all background.
  void Apply(const cv::Mat& image, float learning_rate, cv::Mat* mask);
  // Starts the model from the per-pixel median of `images` (8-bit, all of one size and type, at least one): a
  // vehicle that covers a pixel in fewer than half of them is not in the background. The variance starts at
  // var_init. The next Apply classifies against it.
  void Initialise(const std::vector<cv::Mat>& images);
  // True once the model holds an image (Initialise or a first Apply).
  bool Initialised() const { return channels_ != 0; }
  // The brightness ratio (image / model) used by the last Apply, 1 without compensation.
  float LastGain() const { return gain_; }

 private:
  GaussianBackgroundOptions options_;
  cv::Size size_;
  int channels_ = 0;
  std::vector<float> mean_;      // one plane per channel (B, G, R), row-major
  std::vector<cv::Mat> planes_;  // the input split into channels (reused)
  cv::Mat last_mask_;            // the previous image's classification
  float gain_ = 1.f;

  float Gain() const;
  std::vector<float> var_;  // one per pixel
};

}  // namespace didban::detect

#endif  // DIDBAN_DETECT_BACKGROUND_MODEL_H_
