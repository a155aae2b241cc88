#include "sim/drone_eval.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace didban::sim {

void AerialScore::AddFrame(const std::vector<DroneTruth>& truth, const std::vector<AerialReport>& reports,
                           int image_height) {
  // Candidate pairs over all true objects (parked ones too: a report on them is matched, then counted as false).
  std::vector<std::tuple<double, size_t, size_t>> pairs;
  for (size_t i = 0; i < truth.size(); ++i) {
    for (size_t j = 0; j < reports.size(); ++j) {
      const double iou = Iou(truth[i].box, reports[j].box);
      const Point2 a = truth[i].box.Center();
      const Point2 b = reports[j].box.Center();
      const double d = std::hypot(a.x - b.x, a.y - b.y);
      if (iou >= kMinIou) {
        pairs.emplace_back(1 + iou, i, j);
      } else if (d <= kMaxCentrePx) {
        pairs.emplace_back(1 - d / (kMaxCentrePx + 1), i, j);
      }
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto& x, const auto& y) { return std::get<0>(x) > std::get<0>(y); });
  std::vector<bool> used_t(truth.size(), false), used_r(reports.size(), false);
  for (const auto& [score, i, j] : pairs) {
    if (used_t[i] || used_r[j]) continue;
    used_t[i] = used_r[j] = true;
    if (!truth[i].moving) {
      ++false_positives_;
      ++fp_parked_;
      continue;
    }
    ++matched_;
    if (truth[i].object_class == ObjectClass::kPerson) ++people_matched_;
    if (reports[j].has_ground) {
      const geo::LocalFrame f(truth[i].lat, truth[i].lon);
      const Point2 e = f.ToLocal(reports[j].lat, reports[j].lon);
      geo_errors_m_.push_back(std::hypot(e.x, e.y));
    }
  }
  for (size_t j = 0; j < reports.size(); ++j) {
    if (used_r[j]) continue;
    ++false_positives_;
    const Point2 b = reports[j].box.Center();
    for (const DroneTruth& t : truth) {
      const Point2 a = t.box.Center();
      if (t.moving && std::hypot(a.x - b.x, a.y - b.y) <= kNearPx) {
        ++fp_near_;
        break;
      }
    }
  }
  for (size_t i = 0; i < truth.size(); ++i) {
    if (!truth[i].moving) continue;
    ++truth_;
    if (truth[i].object_class == ObjectClass::kPerson) ++people_truth_;
    if (!used_t[i]) {
      const double y = truth[i].box.Center().y;
      ++missed_third_[std::clamp(static_cast<int>(3 * y / std::max(1, image_height)), 0, 2)];
    }
  }
  reports_ += static_cast<int>(reports.size());
}

double AerialScore::GeoErrorQuantileM(double q) const {
  if (geo_errors_m_.empty()) return -1;
  std::vector<double> v = geo_errors_m_;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(std::lround(q * (v.size() - 1))));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

double AerialScore::MedianGeoErrorM() const { return GeoErrorQuantileM(0.5); }

}  // namespace didban::sim
