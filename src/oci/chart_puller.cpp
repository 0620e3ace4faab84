#include "oci/chart_puller.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>

#include "oci/chart_archive.h"
#include "oci/semver.h"
#include "util/crypto.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"

namespace ecrhelm::oci {
namespace {

// A file written under a temporary name in its folder and renamed into place
// on commit(); removed if never committed.
class PendingFile {
 public:
  explicit PendingFile(const std::string& dir)
      : dir_(dir), tmp_(dir + "/.ecrhelm-" + hex_encode(random_bytes(6)) + ".part") {
    make_dirs(dir, 0755);
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) fail(ErrorKind::kInvalidInput, "cannot write in {}; check the folder", dir);
  }
  ~PendingFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  bool write(std::string_view data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
      if (n < 0) return false;
      off += size_t(n);
    }
    return true;
  }
  const std::string& tmp_path() const { return tmp_; }
  // Atomic (nothing partial is ever visible) but not forced to disk, as
  // helm pull: an fsync of a large chart costs more than the download.
  // `name` is a file name in the folder given at construction.
  void commit(const std::string& name) {
    std::string final_path = dir_ + "/" + name;
    if (::close(fd_) != 0) {
      fd_ = -1;
      fail(ErrorKind::kInvalidInput, "cannot write {}", final_path);
    }
    fd_ = -1;
    if (::rename(tmp_.c_str(), final_path.c_str()) != 0)
      fail(ErrorKind::kInvalidInput, "cannot write {}", final_path);
    committed_ = true;
  }

 private:
  std::string dir_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

std::string join_path(const std::string& dir, const std::string& name) {
  if (name.starts_with("/")) return name;
  return dir.empty() || dir == "." ? name : dir + "/" + name;
}

}  // namespace

std::string ChartPuller::pick_tag(const Reference& ref, const std::string& version) {
  if (version.empty()) {
    if (!ref.tag.empty()) return ref.tag;
    if (!ref.digest.empty()) return "";
  } else if (!ref.tag.empty() && from_tag(ref.tag) != version && ref.tag != version) {
    fail(ErrorKind::kInvalidInput,
         "the reference's tag {} and --version {} disagree; give only one of them", ref.tag,
         version);
  }
  if (!version.empty() && is_exact_version(version)) return to_tag(version);  // Helm: no listing
  Constraint c = Constraint::parse(version.empty() ? "*" : version);
  auto tags = client_.list_tags(ref);
  auto best = highest_match(c, tags);
  if (!best) {
    fail(ErrorKind::kNotFound, "no tag of {}/{} matches version '{}' ({} tags listed)",
         ref.registry, ref.repository, version.empty() ? "latest" : version, tags.size());
  }
  return best->original;
}

ResolvedChart ChartPuller::resolve(const Reference& ref, const std::string& version) {
  ResolvedChart out;
  out.ref = ref;
  out.tag = pick_tag(ref, version);
  out.ref.tag = out.tag;
  FetchedManifest fm = out.tag.empty() ? client_.get_manifest(ref, ref.digest, ref.digest)
                                       : client_.get_manifest(ref, out.tag);
  if (!ref.digest.empty() && fm.digest != ref.digest) {
    fail(ErrorKind::kInvalidInput, "tag {} of {} has digest {}, not the pinned {}", out.tag,
         ref.repository, fm.digest, ref.digest);
  }
  bool is_index = is_index_media_type(fm.media_type);
  if (fm.media_type.empty()) {
    auto j = nlohmann::json::parse(fm.body, nullptr, false);
    is_index = j.is_object() && j.contains("manifests");
  }
  if (is_index) {
    Index idx = parse_index(fm.body);
    bool found = false;
    for (size_t i = 0; i < idx.manifests.size() && i < kMaxIndexCandidates && !found; ++i) {
      const auto& d = idx.manifests[i];
      if (!d.media_type.empty() && !is_manifest_media_type(d.media_type)) continue;
      FetchedManifest child = client_.get_manifest(ref, d.digest, d.digest);
      if (parse_manifest(child.body).config.media_type == kHelmConfigMediaType) {
        fm = std::move(child);
        found = true;
      }
    }
    if (!found) {
      fail(ErrorKind::kInvalidInput, "index {} of {} holds no Helm chart manifest", out.tag,
           ref.repository);
    }
  }
  out.digest = fm.digest;
  out.manifest = parse_manifest(fm.body);
  if (out.manifest.config.media_type != kHelmConfigMediaType) {
    fail(ErrorKind::kInvalidInput,
         "{}/{}:{} is not a Helm chart: its config media type is '{}', not '{}'", ref.registry,
         ref.repository, out.tag, out.manifest.config.media_type, kHelmConfigMediaType);
  }
  out.layers = find_chart_layers(out.manifest);
  if (out.layers.legacy_media_type) {
    warn(fmt::format("{}/{}:{} uses the legacy chart media type {}", ref.registry, ref.repository,
                     out.tag, kHelmLegacyChartLayerMediaType));
  }
  return out;
}

std::string ChartPuller::fetch_chart_bytes(const ResolvedChart& chart) {
  return client_.fetch_blob_bytes(chart.ref, chart.layers.chart, kMaxChartUncompressedBytes);
}

PullResult ChartPuller::pull(const Reference& ref, const PullOptions& opts) {
  ResolvedChart chart = resolve(ref, opts.version);
  // The config (which names the file) and the chart layer are fetched at
  // once, the chart into a temporary file: one registry round trip less.
  // resolve() has cached the registry's authorization for both.
  const std::string dir = opts.untar ? join_path(opts.dest_dir, opts.untar_dir) : opts.dest_dir;
  PendingFile out(dir.empty() ? "." : dir);
  auto config_job = std::async(std::launch::async, [&] {
    return client_.fetch_blob_bytes(chart.ref, chart.manifest.config, kMaxConfigBlobBytes);
  });
  client_.fetch_blob(chart.ref, chart.layers.chart,
                     [&](std::string_view chunk) { return out.write(chunk); });
  std::string config = config_job.get();
  auto cj = nlohmann::json::parse(config, nullptr, false);
  PullResult r;
  r.digest = chart.digest;
  r.tag = chart.tag;
  if (cj.is_object() && cj.contains("name") && cj["name"].is_string()) r.name = cj["name"];
  if (cj.is_object() && cj.contains("version") && cj["version"].is_string())
    r.version = cj["version"];
  if (r.name.empty()) r.name = ref.repository.substr(ref.repository.rfind('/') + 1);
  if (r.version.empty()) r.version = from_tag(chart.tag);
  if (r.name.find('/') != std::string::npos || r.name.starts_with(".") ||
      r.version.find('/') != std::string::npos) {
    fail(ErrorKind::kInvalidInput, "chart name '{}' or version '{}' is not a safe file name",
         r.name, r.version);
  }
  std::string file_name = r.name + "-" + r.version + ".tgz";
  if (opts.untar) {
    r.path = extract_chart(out.tmp_path(), join_path(opts.dest_dir, opts.untar_dir));
  } else {
    std::optional<PendingFile> prov;
    if (opts.prov) {
      if (!chart.layers.provenance) {
        fail(ErrorKind::kNotFound, "{}/{}:{} has no provenance layer (--prov)", ref.registry,
             ref.repository, chart.tag);
      }
      std::string p =
          client_.fetch_blob_bytes(chart.ref, *chart.layers.provenance, kMaxProvenanceBytes);
      prov.emplace(dir.empty() ? "." : dir);
      prov->write(p);
    }
    out.commit(file_name);
    if (prov) prov->commit(file_name + ".prov");
    r.path = join_path(dir, file_name);
  }
  return r;
}

std::vector<std::string> ChartPuller::versions(const Reference& ref) {
  auto tags = client_.list_tags(ref);
  std::vector<std::pair<Version, std::string>> semver;
  std::vector<std::string> other;
  for (const auto& t : tags) {
    if (auto v = Version::parse(from_tag(t)))
      semver.emplace_back(*v, from_tag(t));
    else
      other.push_back(t);
  }
  std::stable_sort(semver.begin(), semver.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::sort(other.begin(), other.end());
  std::vector<std::string> out;
  for (auto& [v, t] : semver) out.push_back(t);
  out.insert(out.end(), other.begin(), other.end());
  return out;
}

}  // namespace ecrhelm::oci
