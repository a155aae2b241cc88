// A constant-velocity Kalman filter over (centre x, centre y, aspect ratio w/h, height) as in SORT/ByteTrack, with
// time steps expressed in nominal frame periods (a step may be fractional: the filter is driven by timestamps).
#ifndef DIDBAN_TRACK_KALMAN_XYAH_H_
#define DIDBAN_TRACK_KALMAN_XYAH_H_

#include <Eigen/Core>

#include "didban/geometry.h"

namespace didban::track {

// Noise model of KalmanXyah. The standard deviations scale with the box height (ByteTrack's weights).
struct KalmanXyahNoise {
  float std_weight_position = 1.f / 20;   // position noise per step, as a fraction of the height
  float std_weight_velocity = 1.f / 160;  // velocity noise per step, as a fraction of the height
};

// One track's filter state: an 8-vector (cx, cy, a, h, vcx, vcy, va, vh), velocities per frame period, and its
// covariance. A plain value (fixed-size, no allocation). Thread-compatible.
class KalmanXyah {
 public:
  using Mean = Eigen::Matrix<float, 8, 1>;
  using Cov = Eigen::Matrix<float, 8, 8>;
  using Measurement = Eigen::Matrix<float, 4, 1>;

  // (cx, cy, w/h, h) of a top-left/size box.
  static Measurement ToXyah(const Box& box);
  // Inverse of ToXyah.
  static Box FromXyah(float cx, float cy, float a, float h);

  // Starts at `box` with zero velocity.
  void Initiate(const Box& box, const KalmanXyahNoise& noise);
  // Advances the state by `steps` frame periods (1 = one nominal frame; may be fractional). Process noise is scaled
  // by `steps`. `freeze_height_velocity` zeroes vh first (ByteTrack does so for lost tracks).
  void Predict(float steps, bool freeze_height_velocity, const KalmanXyahNoise& noise);
  // Corrects the state with an observed box.
  void Update(const Box& box, const KalmanXyahNoise& noise);

  // The box of the current state.
  Box StateBox() const { return FromXyah(mean_(0), mean_(1), mean_(2), mean_(3)); }
  const Mean& mean() const { return mean_; }
  const Cov& covariance() const { return cov_; }

 private:
  Mean mean_ = Mean::Zero();
  Cov cov_ = Cov::Identity();
};

}  // namespace didban::track

#endif  // DIDBAN_TRACK_KALMAN_XYAH_H_
