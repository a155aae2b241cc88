#include "eval/report.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "eval/mot_inputs.h"

namespace didban::eval {

std::string FormatTable(const TableColumns& columns) {
  std::string names;
  std::string values;
  for (size_t i = 0; i < columns.size(); ++i) {
    const auto& [name, value] = columns[i];
    const size_t width = std::max(name.size(), value.size());
    const bool last = i + 1 == columns.size();
    names += last ? name : name + std::string(width - name.size() + 2, ' ');
    values += last ? value : value + std::string(width - value.size() + 2, ' ');
  }
  return names + "\n" + values + "\n";
}

std::string Percent(double ratio) { return absl::StrFormat("%.2f", 100.0 * ratio); }

TableColumns MotSummaryColumns(const MotMetrics& m) {
  return {
      {"HOTA", Percent(m.hota.hota_mean)}, {"DetA", Percent(m.hota.deta_mean)}, {"AssA", Percent(m.hota.assa_mean)},
      {"MOTA", Percent(m.clear.mota)},     {"MOTP", Percent(m.clear.motp)},     {"IDF1", Percent(m.identity.idf1)},
      {"IDP", Percent(m.identity.idp)},    {"IDR", Percent(m.identity.idr)},    {"IDSW", absl::StrCat(m.clear.idsw)},
      {"FP", absl::StrCat(m.clear.fp)},    {"FN", absl::StrCat(m.clear.fn)}};
}

TableColumns GroundSummaryColumns(const MotMetrics& m, double threshold_m) {
  return {{"MODA", Percent(m.clear.moda)},
          {"MOTA", Percent(m.clear.mota)},
          {"MOTP(m)", absl::StrFormat("%.3f", MeanMatchDistance(m.clear, threshold_m))},
          {"IDF1", Percent(m.identity.idf1)},
          {"HOTA", Percent(m.hota.hota_mean)},
          {"DetA", Percent(m.hota.deta_mean)},
          {"AssA", Percent(m.hota.assa_mean)},
          {"IDSW", absl::StrCat(m.clear.idsw)},
          {"FP", absl::StrCat(m.clear.fp)},
          {"FN", absl::StrCat(m.clear.fn)}};
}

nlohmann::json MetricsToJson(const MotMetrics& m) {
  const ClearMetrics& c = m.clear;
  const IdentityMetrics& id = m.identity;
  const HotaMetrics& h = m.hota;
  auto pct = [](const auto& values) {
    nlohmann::json a = nlohmann::json::array();
    for (double v : values) a.push_back(100.0 * v);
    return a;
  };
  nlohmann::json alphas = nlohmann::json::array();
  for (int a = 0; a < HotaMetrics::kNumAlphas; ++a) alphas.push_back(HotaMetrics::Alpha(a));
  nlohmann::json j;
  j["clear"] = {{"MOTA", 100 * c.mota},
                {"MOTP", 100 * c.motp},
                {"MODA", 100 * c.moda},
                {"sMOTA", 100 * c.smota},
                {"recall", 100 * c.recall},
                {"precision", 100 * c.precision},
                {"TP", c.tp},
                {"FP", c.fp},
                {"FN", c.fn},
                {"IDSW", c.idsw},
                {"Frag", c.frag},
                {"MT", c.mt},
                {"PT", c.pt},
                {"ML", c.ml}};
  j["identity"] = {{"IDF1", 100 * id.idf1}, {"IDP", 100 * id.idp}, {"IDR", 100 * id.idr},
                   {"IDTP", id.idtp},       {"IDFP", id.idfp},     {"IDFN", id.idfn}};
  j["hota"] = {{"HOTA", 100 * h.hota_mean},   {"DetA", 100 * h.deta_mean},   {"AssA", 100 * h.assa_mean},
               {"LocA", 100 * h.loca_mean},   {"DetRe", 100 * h.detre_mean}, {"DetPr", 100 * h.detpr_mean},
               {"AssRe", 100 * h.assre_mean}, {"AssPr", 100 * h.asspr_mean}};
  j["hota"]["per_alpha"] = {{"alpha", alphas},     {"HOTA", pct(h.hota)}, {"DetA", pct(h.deta)}, {"AssA", pct(h.assa)},
                            {"LocA", pct(h.loca)}, {"TP", h.tp},          {"FN", h.fn},          {"FP", h.fp}};
  j["counts"] = {{"frames", c.num_frames},
                 {"gt_ids", c.num_gt_ids},
                 {"res_ids", m.num_res_ids},
                 {"gt_dets", m.num_gt_dets},
                 {"res_dets", m.num_res_dets}};
  return j;
}

}  // namespace didban::eval
