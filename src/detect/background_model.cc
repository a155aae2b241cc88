#include "detect/background_model.h"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>

namespace didban::detect {

namespace {

// GCC vectorises these loops only at -O3 without trapping math; ask for that here (they are the detector's hot spot).
#if defined(__GNUC__) && !defined(__clang__)
#define DIDBAN_VECTORIZE __attribute__((optimize("O3", "no-trapping-math", "associative-math", "no-signed-zeros")))
#else
#define DIDBAN_VECTORIZE
#endif

// One row of a 3-channel image given as planes. Branch-free so that the compiler vectorises it.
DIDBAN_VECTORIZE void ApplyRow3(const uint8_t* __restrict pb, const uint8_t* __restrict pg,
                                const uint8_t* __restrict pr, float* __restrict mb_row, float* __restrict mg_row,
                                float* __restrict mr_row, float* __restrict var, uint8_t* __restrict out, int n,
                                const GaussianBackgroundOptions& o, float alpha, float inv_gain) {
  const float t = o.var_threshold;
  const float tau = o.shadow_tau;
  const float shadow_on = o.shadows ? 1.f : 0.f;
  const float vmin = o.var_min, vmax = o.var_max;
  const float alpha_fg = alpha * o.foreground_rate;
  for (int i = 0; i < n; ++i) {
    float b = pb[i] * inv_gain, g = pg[i] * inv_gain, r = pr[i] * inv_gain;
    float mb = mb_row[i], mg = mg_row[i], mr = mr_row[i];
    float db = b - mb, dg = g - mg, dr = r - mr;
    float dist2 = db * db + dg * dg + dr * dr;
    float v = var[i];
    float fg = dist2 > t * v ? 1.f : 0.f;
    // Shadow: the pixel is the background scaled by a in [tau, 1) and close to that scaled colour.
    float num = b * mb + g * mg + r * mr;
    float den = mb * mb + mg * mg + mr * mr + 1e-3f;
    float a = num / den;
    float sb = a * mb - b, sg = a * mg - g, sr = a * mr - r;
    float dist2a = sb * sb + sg * sg + sr * sr;
    float shadow = a >= tau ? shadow_on : 0.f;
    shadow = a < 1.f ? shadow : 0.f;
    shadow = dist2a < t * v * a * a ? shadow : 0.f;
    // 255 foreground, 127 shadow, 0 background.
    out[i] = static_cast<uint8_t>(static_cast<int>(fg * (255.f - 128.f * shadow)));
    float am = fg > 0.f ? alpha_fg : alpha;  // selective update: foreground and shadow learn slower
    mb_row[i] = mb + am * db;
    mg_row[i] = mg + am * dg;
    mr_row[i] = mr + am * dr;
    float nv = v + alpha * (dist2 - v);
    nv = nv < vmin ? vmin : (nv > vmax ? vmax : nv);
    var[i] = fg > 0.f ? v : nv;
  }
}

DIDBAN_VECTORIZE void ApplyRow1(const uint8_t* __restrict px, float* __restrict mean, float* __restrict var,
                                uint8_t* __restrict out, int n, const GaussianBackgroundOptions& o, float alpha,
                                float inv_gain) {
  const float t = o.var_threshold;
  const float tau = o.shadow_tau;
  const float shadow_on = o.shadows ? 1.f : 0.f;
  const float vmin = o.var_min, vmax = o.var_max;
  const float alpha_fg = alpha * o.foreground_rate;
  for (int i = 0; i < n; ++i) {
    float p = px[i] * inv_gain, m = mean[i];
    float d = p - m;
    float dist2 = d * d;
    float v = var[i];
    float fg = dist2 > t * v ? 1.f : 0.f;
    float a = p / (m + 1e-3f);
    float shadow = a >= tau ? shadow_on : 0.f;
    shadow = a < 1.f ? shadow : 0.f;
    out[i] = static_cast<uint8_t>(static_cast<int>(fg * (255.f - 128.f * shadow)));
    mean[i] = m + (fg > 0.f ? alpha_fg : alpha) * d;
    float nv = v + alpha * (dist2 - v);
    nv = nv < vmin ? vmin : (nv > vmax ? vmax : nv);
    var[i] = fg > 0.f ? v : nv;
  }
}

// Sums of the image and of the model over the pixels that were background in `last` (0 there).
DIDBAN_VECTORIZE void SumBackground(const uint8_t* __restrict px, const float* __restrict mean,
                                    const uint8_t* __restrict last, int n, double* image_sum, double* model_sum) {
  float si = 0.f, sm = 0.f;
  for (int i = 0; i < n; ++i) {
    float w = last[i] == 0 ? 1.f : 0.f;
    si += w * static_cast<float>(px[i]);
    sm += w * mean[i];
  }
  *image_sum += si;
  *model_sum += sm;
}

}  // namespace

float GaussianBackground::Gain() const {
  double image_sum = 0, model_sum = 0;
  const int n = size_.width;
  const size_t area = static_cast<size_t>(size_.area());
  for (int c = 0; c < channels_; ++c) {
    for (int y = 0; y < size_.height; y += 4) {  // every 4th row is plenty for one global ratio
      SumBackground(planes_[c].ptr<uint8_t>(y), &mean_[c * area + static_cast<size_t>(y) * n],
                    last_mask_.ptr<uint8_t>(y), n, &image_sum, &model_sum);
    }
  }
  if (model_sum < 1.0 || image_sum < 1.0) return 1.f;
  float gain = std::clamp(static_cast<float>(image_sum / model_sum), 0.5f, 2.f);
  // Small drifts are left to the learning rate; only real exposure jumps are compensated.
  return std::abs(gain - 1.f) < options_.gain_deadband ? 1.f : gain;
}

void GaussianBackground::Initialise(const std::vector<cv::Mat>& images) {
  CV_Assert(!images.empty());
  const cv::Mat& first = images.front();
  CV_Assert(first.depth() == CV_8U && (first.channels() == 1 || first.channels() == 3));
  for (const cv::Mat& m : images) CV_Assert(m.size() == first.size() && m.type() == first.type());
  size_ = first.size();
  channels_ = first.channels();
  const int n = first.cols;
  const size_t area = static_cast<size_t>(first.total());
  const size_t k = images.size();
  mean_.assign(area * channels_, 0.f);
  var_.assign(area, options_.var_init);
  std::vector<uint8_t> values(k);
  for (int y = 0; y < first.rows; ++y) {
    for (int x = 0; x < n; ++x) {
      for (int c = 0; c < channels_; ++c) {
        for (size_t i = 0; i < k; ++i) values[i] = images[i].ptr<uint8_t>(y)[x * channels_ + c];
        auto mid = values.begin() + static_cast<std::ptrdiff_t>(k / 2);
        std::nth_element(values.begin(), mid, values.end());
        float med = *mid;
        if (k % 2 == 0) {  // the mean of the two middle values
          med = 0.5f * (med + static_cast<float>(*std::max_element(values.begin(), mid)));
        }
        mean_[c * area + static_cast<size_t>(y) * n + x] = med;
      }
    }
  }
  last_mask_ = cv::Mat::zeros(size_, CV_8UC1);
  gain_ = 1.f;
}

void GaussianBackground::Apply(const cv::Mat& image, float learning_rate, cv::Mat* mask) {
  CV_Assert(image.depth() == CV_8U && (image.channels() == 1 || image.channels() == 3));
  mask->create(image.size(), CV_8UC1);
  const int n = image.cols;
  const size_t area = static_cast<size_t>(image.total());
  if (image.channels() == 3) {
    cv::split(image, planes_);
  } else {
    planes_.assign(1, image);
  }
  if (image.size() != size_ || image.channels() != channels_) {
    size_ = image.size();
    channels_ = image.channels();
    mean_.assign(area * channels_, 0.f);
    var_.assign(area, options_.var_init);
    for (int c = 0; c < channels_; ++c) {
      for (int y = 0; y < image.rows; ++y) {
        const uint8_t* px = planes_[c].ptr<uint8_t>(y);
        std::copy(px, px + n, mean_.begin() + static_cast<std::ptrdiff_t>(c * area + static_cast<size_t>(y) * n));
      }
    }
    mask->setTo(0);
    mask->copyTo(last_mask_);
    gain_ = 1.f;
    return;
  }
  const float alpha = std::clamp(learning_rate, 0.f, 1.f);
  gain_ = options_.compensate_gain ? Gain() : 1.f;
  const float inv_gain = 1.f / gain_;
  for (int y = 0; y < image.rows; ++y) {
    size_t row = static_cast<size_t>(y) * n;
    if (channels_ == 3) {
      ApplyRow3(planes_[0].ptr<uint8_t>(y), planes_[1].ptr<uint8_t>(y), planes_[2].ptr<uint8_t>(y), &mean_[row],
                &mean_[area + row], &mean_[2 * area + row], &var_[row], mask->ptr<uint8_t>(y), n, options_, alpha,
                inv_gain);
    } else {
      ApplyRow1(planes_[0].ptr<uint8_t>(y), &mean_[row], &var_[row], mask->ptr<uint8_t>(y), n, options_, alpha,
                inv_gain);
    }
  }
  mask->copyTo(last_mask_);
}

}  // namespace didban::detect
