#include "track/kalman_xyah.h"

#include <Eigen/LU>

namespace didban::track {

KalmanXyah::Measurement KalmanXyah::ToXyah(const Box& box) {
  Measurement z;
  z << box.x + box.w / 2, box.y + box.h / 2, box.w / box.h, box.h;
  return z;
}

Box KalmanXyah::FromXyah(float cx, float cy, float a, float h) {
  const float w = a * h;
  return Box{cx - w / 2, cy - h / 2, w, h};
}

void KalmanXyah::Initiate(const Box& box, const KalmanXyahNoise& noise) {
  const Measurement z = ToXyah(box);
  mean_.head<4>() = z;
  mean_.tail<4>().setZero();
  const float h = z(3);
  const float p = 2 * noise.std_weight_position * h;
  const float v = 10 * noise.std_weight_velocity * h;
  Mean std;
  std << p, p, 1e-2f, p, v, v, 1e-5f, v;
  cov_ = std.array().square().matrix().asDiagonal();
}

void KalmanXyah::Predict(float steps, bool freeze_height_velocity, const KalmanXyahNoise& noise) {
  if (freeze_height_velocity) mean_(7) = 0;
  const float h = mean_(3);
  const float p = noise.std_weight_position * h;
  const float v = noise.std_weight_velocity * h;
  Mean q;
  q << p * p, p * p, 1e-4f, p * p, v * v, v * v, 1e-10f, v * v;
  // mean = F mean with F = [I, steps*I; 0, I].
  mean_.head<4>() += steps * mean_.tail<4>();
  // cov = F cov F' + Q, written block-wise (P11 += s(P12 + P21) + s^2 P22; P12 += s P22; P21 += s P22).
  const Eigen::Matrix4f p22 = cov_.bottomRightCorner<4, 4>();
  cov_.topLeftCorner<4, 4>() +=
      steps * (cov_.topRightCorner<4, 4>() + cov_.bottomLeftCorner<4, 4>()) + (steps * steps) * p22;
  cov_.topRightCorner<4, 4>() += steps * p22;
  cov_.bottomLeftCorner<4, 4>() += steps * p22;
  cov_.diagonal() += steps * q;
}

void KalmanXyah::Update(const Box& box, const KalmanXyahNoise& noise) {
  const Measurement z = ToXyah(box);
  const float h = mean_(3);
  const float p = noise.std_weight_position * h;
  Eigen::Matrix4f s = cov_.topLeftCorner<4, 4>();
  s.diagonal() += Eigen::Vector4f(p * p, p * p, 1e-2f, p * p);
  // K = P H' S^-1 with H = [I 0]: P H' is the left 8x4 block. S is small, symmetric positive definite: its closed-form
  // inverse (fixed size, no allocation) is exact enough and much faster than a general solve.
  const Eigen::Matrix<float, 8, 4> pht = cov_.leftCols<4>();
  const Eigen::Matrix4f s_inv = s.inverse();
  const Eigen::Matrix<float, 8, 4> gain = pht.lazyProduct(s_inv);
  const Measurement innovation = z - mean_.head<4>();
  mean_.noalias() += gain.lazyProduct(innovation);
  // P -= K S K' = K (P H')'.
  cov_.noalias() -= gain.lazyProduct(pht.transpose());
}

}  // namespace didban::track
