#include "record/jpeg.h"

#include <turbojpeg.h>

#include <algorithm>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"

namespace didban::record {
namespace {

struct TjDeleter {
  void operator()(void* h) const { tjDestroy(h); }
};

}  // namespace

absl::StatusOr<std::string> EncodeJpeg(const cv::Mat& image, int quality) {
  if (image.empty()) return absl::InvalidArgumentError("EncodeJpeg: empty image");
  if (image.depth() != CV_8U || (image.channels() != 3 && image.channels() != 1)) {
    return absl::InvalidArgumentError(absl::StrCat("EncodeJpeg: need 8-bit BGR or grey, got type ", image.type()));
  }
  cv::Mat contiguous = image.isContinuous() ? image : image.clone();
  std::unique_ptr<void, TjDeleter> handle(tjInitCompress());
  if (handle == nullptr) return absl::InternalError(absl::StrCat("EncodeJpeg: ", tjGetErrorStr2(nullptr)));
  const bool grey = image.channels() == 1;
  unsigned char* out = nullptr;
  unsigned long out_size = 0;  // NOLINT(google-runtime-int): libjpeg-turbo's type
  const int rc =
      tjCompress2(handle.get(), contiguous.data, contiguous.cols, 0, contiguous.rows, grey ? TJPF_GRAY : TJPF_BGR, &out,
                  &out_size, grey ? TJSAMP_GRAY : TJSAMP_420, std::clamp(quality, 1, 100), TJFLAG_FASTDCT);
  std::unique_ptr<unsigned char, decltype(&tjFree)> owned(out, &tjFree);
  if (rc != 0) return absl::InternalError(absl::StrCat("EncodeJpeg: ", tjGetErrorStr2(handle.get())));
  return std::string(reinterpret_cast<const char*>(out), out_size);
}

absl::Status WriteJpeg(const std::string& path, const cv::Mat& image, int quality) {
  absl::StatusOr<std::string> jpeg = EncodeJpeg(image, quality);
  if (!jpeg.ok()) return absl::Status(jpeg.status().code(), absl::StrCat(path, ": ", jpeg.status().message()));
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(jpeg->data(), static_cast<std::streamsize>(jpeg->size()));
  f.close();
  if (!f) return absl::DataLossError(absl::StrCat(path, ": cannot write JPEG"));
  return absl::OkStatus();
}

}  // namespace didban::record
