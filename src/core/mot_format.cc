#include "core/mot_format.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/str_format.h"

namespace didban {
namespace {

absl::Status LineError(const std::string& name, int line, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(name, ":", line, ": ", what));
}

}  // namespace

absl::StatusOr<std::vector<MotRow>> ParseMot(const std::string& text, const std::string& name,
                                             const MotLimits& limits) {
  if (limits.max_frame < 1 || limits.max_frame > std::numeric_limits<int>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the frame limit must be in [1, ", std::numeric_limits<int>::max(), "], got ", limits.max_frame));
  }
  std::vector<MotRow> rows;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  std::vector<double> v;
  std::vector<std::string> token;  // each number as written, for messages
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    v.clear();
    token.clear();
    const char* p = line.c_str() + first;
    int col = 0;
    while (*p != '\0') {
      ++col;
      char* end = nullptr;
      errno = 0;
      double x = std::strtod(p, &end);
      if (end == p || errno == ERANGE || !std::isfinite(x)) {
        std::string field(p, std::strcspn(p, ", \t"));
        return LineError(name, line_no, absl::StrCat("column ", col, ": not a number: '", field, "'"));
      }
      v.push_back(x);
      if (token.size() < 6) token.emplace_back(p, static_cast<size_t>(end - p));
      p = end;
      while (*p == ' ' || *p == '\t') ++p;
      if (*p == ',') {
        ++p;
        while (*p == ' ' || *p == '\t') ++p;
        if (*p == '\0') return LineError(name, line_no, "trailing comma");
      } else if (*p != '\0' && end == p) {
        return LineError(name, line_no,
                         absl::StrCat("column ", col, ": unexpected character '", std::string(1, *p), "'"));
      }
    }
    if (v.size() < 6) {
      return LineError(name, line_no, absl::StrCat("expected at least 6 columns (frame,id,x,y,w,h), got ", v.size()));
    }
    MotRow r;
    if (v[0] < 1 || v[0] != std::floor(v[0])) {
      return LineError(name, line_no, absl::StrCat("frame must be an integer >= 1, got ", token[0]));
    }
    if (v[0] > static_cast<double>(limits.max_frame)) {
      return absl::OutOfRangeError(absl::StrCat(name, ":", line_no, ": frame ", token[0], " is above the limit of ",
                                                limits.max_frame, " (raise it with --max-frame)"));
    }
    r.frame = static_cast<int>(v[0]);
    if (v[1] != std::floor(v[1]) || std::fabs(v[1]) > limits.max_abs_id) {
      return LineError(
          name, line_no,
          absl::StrCat("id must be an integer of magnitude at most ", limits.max_abs_id, ", got ", token[1]));
    }
    r.id = static_cast<int64_t>(v[1]);
    if (v[4] < 0 || v[5] < 0) {
      return LineError(name, line_no, absl::StrCat("negative box size ", v[4], "x", v[5]));
    }
    for (int k = 2; k < 6; ++k) {
      if (std::fabs(v[k]) > limits.max_coordinate_px) {
        static constexpr const char* kNames[] = {"", "", "x", "y", "w", "h"};
        return absl::OutOfRangeError(absl::StrCat(name, ":", line_no, ": box ", kNames[k], " ", token[k],
                                                  " is beyond the limit of ", limits.max_coordinate_px, " px"));
      }
    }
    r.box = {static_cast<float>(v[2]), static_cast<float>(v[3]), static_cast<float>(v[4]), static_cast<float>(v[5])};
    if (v.size() > 6) {
      if (std::fabs(v[6]) > std::numeric_limits<float>::max()) {  // would not convert to a float (found by fuzzing)
        return LineError(name, line_no, absl::StrCat("column 7: score ", v[6], " is beyond the range of a float"));
      }
      r.score = static_cast<float>(v[6]);
    }
    if (v.size() > 7) r.c8 = v[7];
    if (v.size() > 8) r.c9 = v[8];
    if (v.size() > 9) r.c10 = v[9];
    rows.push_back(r);
  }
  return rows;
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path, int64_t max_bytes) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open (", std::strerror(errno), ")"));
  }
  auto too_big = [&](int64_t bytes) {
    return absl::OutOfRangeError(
        absl::StrCat(path, ": ", bytes, " bytes is above the limit of ", max_bytes, " bytes for a text input"));
  };
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > static_cast<uintmax_t>(max_bytes)) return too_big(static_cast<int64_t>(size));
  }
  // Read in chunks so that a pipe or a file that grows cannot exceed the limit either.
  std::string out;
  char buf[1 << 16];
  while (f) {
    f.read(buf, sizeof(buf));
    out.append(buf, static_cast<size_t>(f.gcount()));
    if (static_cast<int64_t>(out.size()) > max_bytes) return too_big(static_cast<int64_t>(out.size()));
  }
  if (f.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return out;
}

absl::Status WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write (", std::strerror(errno), ")"));
  f << text;
  f.close();
  if (!f) return absl::DataLossError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<MotRow>> ReadMotFile(const std::string& path, const MotLimits& limits) {
  DIDBAN_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  return ParseMot(text, path, limits);
}

std::string FormatMot(const std::vector<MotRow>& rows) {
  std::string out;
  out.reserve(rows.size() * 48);
  for (const MotRow& r : rows) {
    absl::StrAppendFormat(&out, "%d,%d,%.2f,%.2f,%.2f,%.2f,%.4g,-1,-1,-1\n", r.frame, r.id, r.box.x, r.box.y, r.box.w,
                          r.box.h, r.score);
  }
  return out;
}

absl::Status WriteMotFile(const std::string& path, const std::vector<MotRow>& rows) {
  return WriteTextFile(path, FormatMot(rows));
}

std::map<int, std::vector<MotRow>> GroupByFrame(const std::vector<MotRow>& rows) {
  std::map<int, std::vector<MotRow>> out;
  for (const MotRow& r : rows) out[r.frame].push_back(r);
  return out;
}

}  // namespace didban
