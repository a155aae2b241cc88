#include "eval/report.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "eval/mot_inputs.h"

namespace didban::eval {

std::string FormatTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) {
    width[i] = header[i].size();
    for (const auto& row : rows) {
      if (i < row.size()) width[i] = std::max(width[i], row[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < header.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : "";
      out += cell;
      if (i + 1 < header.size()) out += std::string(width[i] - cell.size() + 2, ' ');
    }
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string FormatTable(const TableColumns& columns) {
  std::vector<std::string> header;
  std::vector<std::string> values;
  for (const auto& [name, value] : columns) {
    header.push_back(name);
    values.push_back(value);
  }
  return FormatTable(header, {values});
}

std::string FormatNamedRows(const std::string& first_column,
                            const std::vector<std::pair<std::string, TableColumns>>& rows) {
  std::vector<std::string> header = {first_column};
  if (!rows.empty()) {
    for (const auto& column : rows.front().second) header.push_back(column.first);
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& [name, columns] : rows) {
    std::vector<std::string> row = {name};
    for (const auto& column : columns) row.push_back(column.second);
    cells.push_back(std::move(row));
  }
  return FormatTable(header, cells);
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

nlohmann::json GroundMetricsToJson(const MotMetrics& m, double threshold_m) {
  nlohmann::json j = MetricsToJson(m);
  j["clear"]["MOTP_m"] = MeanMatchDistance(m.clear, threshold_m);
  j["threshold_m"] = threshold_m;
  return j;
}

}  // namespace didban::eval
