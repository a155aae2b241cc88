// The center's stations: camera sites, live state and API addresses (see station_directory.h).
#include "server/station_directory.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace didban::server {
namespace {

using nlohmann::json;

std::shared_ptr<const std::map<std::string, std::string>> SitesOf(
    const std::map<std::string, std::vector<std::string>>& claims) {
  auto out = std::make_shared<std::map<std::string, std::string>>();
  for (const auto& [camera, sites] : claims) (*out)[camera] = sites.size() == 1 ? sites[0] : "";
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<StationDirectory>> StationDirectory::Open(std::string path) {
  std::unique_ptr<StationDirectory> d(new StationDirectory(path));
  absl::MutexLock lock(&d->mu_);
  if (!path.empty() && std::filesystem::exists(path)) {
    std::ifstream f(path);
    std::stringstream text;
    text << f.rdbuf();
    const json j = json::parse(text.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("cameras") || !j["cameras"].is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not a station camera file ({\"cameras\": {\"CAMERA\": [\"SITE\"]}})"));
    }
    for (const auto& [camera, sites] : j["cameras"].items()) {
      if (!sites.is_array())
        return absl::InvalidArgumentError(absl::StrCat(path, ": cameras.", camera, ": not a list"));
      for (const json& s : sites) {
        if (!s.is_string()) {
          return absl::InvalidArgumentError(absl::StrCat(path, ": cameras.", camera, ": a site is not a string"));
        }
        d->claims_[camera].push_back(s.get<std::string>());
      }
    }
  }
  d->camera_sites_ = SitesOf(d->claims_);
  return d;
}

absl::Status StationDirectory::Save() {
  if (path_.empty()) return absl::OkStatus();
  json cameras = json::object();
  for (const auto& [camera, sites] : claims_) cameras[camera] = sites;
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << json({{"cameras", cameras}}).dump(1) << "\n";
    if (!f.good()) return absl::UnavailableError(absl::StrCat(tmp, ": cannot write"));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path_, ec);
  if (ec) return absl::UnavailableError(absl::StrCat(path_, ": ", ec.message()));
  return absl::OkStatus();
}

void StationDirectory::NoteCamera(const std::string& site, const std::string& camera) {
  if (site.empty() || camera.empty()) return;
  absl::MutexLock lock(&mu_);
  auto it = camera_sites_->find(camera);
  if (it != camera_sites_->end() && it->second == site) return;  // known (the common case)
  std::vector<std::string>& sites = claims_[camera];
  if (std::find(sites.begin(), sites.end(), site) != sites.end()) return;
  sites.push_back(site);
  if (sites.size() == 2) {
    spdlog::warn(
        "stations: camera '{}' is reported by sites '{}' and '{}': shown only to users who see every camera "
        "(camera names must be unique across stations)",
        camera, sites[0], sites[1]);
  }
  camera_sites_ = SitesOf(claims_);
  if (absl::Status s = Save(); !s.ok()) spdlog::warn("stations: {}", std::string(s.message()));
}

void StationDirectory::SetUrl(const std::string& site, const std::string& url) {
  absl::MutexLock lock(&mu_);
  urls_[site] = url;
}

void StationDirectory::SetToken(const std::string& site, const std::string& token) {
  absl::MutexLock lock(&mu_);
  tokens_[site] = token;
}

void StationDirectory::SetOwners(const std::string& site, const std::map<std::string, std::string>& owners) {
  absl::MutexLock lock(&mu_);
  owners_[site] = owners;
}

std::shared_ptr<const std::map<std::string, std::string>> StationDirectory::CameraOwners() const {
  absl::MutexLock lock(&mu_);
  auto out = std::make_shared<std::map<std::string, std::string>>();
  for (const auto& [site, cameras] : owners_) {
    for (const auto& [camera, owner] : cameras) {
      auto it = camera_sites_->find(camera);
      if (it != camera_sites_->end() && it->second == site) (*out)[camera] = owner;
    }
  }
  return out;
}

void StationDirectory::SetProxyOptions(const StationProxyOptions& options) {
  absl::MutexLock lock(&mu_);
  proxy_ = options;
}

StationProxyOptions StationDirectory::ProxyOptions() const {
  absl::MutexLock lock(&mu_);
  return proxy_;
}

StationEndpoint StationDirectory::EndpointOf(const std::string& site) const {
  absl::MutexLock lock(&mu_);
  StationEndpoint e;
  e.site = site;
  if (auto it = urls_.find(site); it != urls_.end()) e.url = it->second;
  if (auto it = tokens_.find(site); it != tokens_.end()) e.token = it->second;
  return e;
}

void StationDirectory::SetLiveSource(std::function<std::vector<StationLive>()> source) {
  absl::MutexLock lock(&mu_);
  live_ = std::move(source);
}

std::shared_ptr<const std::map<std::string, std::string>> StationDirectory::CameraSites() const {
  absl::MutexLock lock(&mu_);
  return camera_sites_;
}

std::string StationDirectory::SiteOf(const std::string& camera) const {
  std::shared_ptr<const std::map<std::string, std::string>> sites = CameraSites();
  auto it = sites->find(camera);
  return it == sites->end() ? "" : it->second;
}

std::string StationDirectory::UrlOf(const std::string& site) const {
  absl::MutexLock lock(&mu_);
  auto it = urls_.find(site);
  return it == urls_.end() ? "" : it->second;
}

std::vector<StationInfo> StationDirectory::List() const {
  std::function<std::vector<StationLive>()> live;
  std::map<std::string, StationInfo> by_site;
  {
    absl::MutexLock lock(&mu_);
    live = live_;
    for (const auto& [site, url] : urls_) by_site[site].url = url;
    for (const auto& [camera, sites] : claims_) {
      for (const std::string& s : sites) by_site[s].cameras.push_back(camera);
    }
  }
  if (live) {
    for (const StationLive& l : live()) {
      StationInfo& i = by_site[l.site];
      i.online = l.online;
      i.last_heard_us = l.last_heard_us;
    }
  }
  std::vector<StationInfo> out;
  for (auto& [site, info] : by_site) {
    info.site = site;
    std::sort(info.cameras.begin(), info.cameras.end());
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace didban::server
