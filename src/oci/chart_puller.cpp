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
#include "util/temp_files.h"

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
    on_signal_.emplace(tmp_);
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
    on_signal_.reset();
  }

 private:
  std::string dir_, tmp_;
  std::optional<TempFileGuard> on_signal_;  // removed on SIGINT/SIGTERM/SIGHUP too
  int fd_ = -1;
  bool committed_ = false;
};

std::string join_path(const std::string& dir, const std::string& name) {
  if (name.starts_with("/")) return name;
  return dir.empty() || dir == "." ? name : dir + "/" + name;
}

// The folders from `dir` up that do not exist yet: removed again (if still
// empty) when the pull that created them fails, so a failed --untar leaves
// no empty --untardir behind.
class CreatedFolders {
 public:
  explicit CreatedFolders(const std::string& dir) {
    for (std::string d = dir; !d.empty() && d != "." && d != "/" && !file_exists(d);
         d = dirname_of(d))
      missing_.push_back(d);
  }
  ~CreatedFolders() {
    if (!keep_)
      for (const auto& d : missing_) ::rmdir(d.c_str());  // only succeeds when empty
  }
  void keep() { keep_ = true; }

 private:
  std::vector<std::string> missing_;  // deepest first
  bool keep_ = false;
};

// name:tag, or name@sha256:... when pulled by digest only (never name:sha256:...).
std::string shown(const Reference& ref, const std::string& tag, const std::string& digest = "") {
  std::string out = ref.registry + "/" + ref.repository;
  if (!tag.empty()) return out + ":" + tag;
  std::string d = digest.empty() ? ref.digest : digest;
  return d.empty() ? out : out + "@" + d;
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
  auto fetch = [&] {
    try {
      return out.tag.empty() ? client_.get_manifest(ref, ref.digest, ref.digest)
                             : client_.get_manifest(ref, out.tag);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kNotFound || !is_partial_version(version)) throw;
      fail(ErrorKind::kNotFound,
           "{}; --version {} names one tag (as in Helm and Argo CD), not a range: write ~{} "
           "for the newest {}.x",
           e.what(), version, version, version);
    }
  };
  FetchedManifest fm = fetch();
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
      fail(ErrorKind::kInvalidInput, "index {} holds no Helm chart manifest", shown(ref, out.tag));
    }
  }
  out.digest = fm.digest;
  out.manifest = parse_manifest(fm.body);
  if (out.manifest.config.media_type != kHelmConfigMediaType) {
    fail(ErrorKind::kInvalidInput,
         "{} is not a Helm chart: its config media type is '{}', not '{}'", shown(ref, out.tag),
         out.manifest.config.media_type, kHelmConfigMediaType);
  }
  out.layers = find_chart_layers(out.manifest);
  if (out.layers.legacy_media_type) {
    warn(fmt::format("{} uses the legacy chart media type {}", shown(ref, out.tag),
                     kHelmLegacyChartLayerMediaType));
  }
  return out;
}

std::string ChartPuller::fetch_chart_bytes(const ResolvedChart& chart) {
  return client_.fetch_blob_bytes(chart.ref, chart.layers.chart, kMaxChartBlobBytes);
}

PullResult ChartPuller::pull(const Reference& ref, const PullOptions& opts) {
  ResolvedChart chart = resolve(ref, opts.version);
  // The config (which names the file) and the chart layer are fetched at
  // once, the chart into a temporary file: one registry round trip less.
  // resolve() has cached the registry's authorization for both.
  const std::string dir = opts.untar ? join_path(opts.dest_dir, opts.untar_dir) : opts.dest_dir;
  // Checked before anything is written or fetched (fetch_blob checks again).
  if (chart.layers.chart.size < 0 || uint64_t(chart.layers.chart.size) > kMaxChartBlobBytes) {
    fail(ErrorKind::kRemote,
         "the chart layer of {} declares {} bytes, over the {} byte chart limit; refused before "
         "downloading",
         shown(ref, chart.tag, chart.digest), chart.layers.chart.size, kMaxChartBlobBytes);
  }
  CreatedFolders created(dir);
  PendingFile out(dir.empty() ? "." : dir);
  auto config_job = std::async(std::launch::async, [&] {
    return client_.fetch_blob_bytes(chart.ref, chart.manifest.config, kMaxConfigBlobBytes);
  });
  const auto total = uint64_t(chart.layers.chart.size);
  uint64_t received = 0;
  if (opts.progress) opts.progress(0, total);
  client_.fetch_blob(
      chart.ref, chart.layers.chart,
      [&](std::string_view chunk) {
        if (!out.write(chunk)) return false;
        received += chunk.size();
        if (opts.progress) opts.progress(received, total);
        return true;
      },
      int64_t(kMaxChartBlobBytes));
  std::string config = config_job.get();
  auto cj = nlohmann::json::parse(config, nullptr, false);
  std::string config_name, config_version;
  if (cj.is_object() && cj.contains("name") && cj["name"].is_string()) config_name = cj["name"];
  if (cj.is_object() && cj.contains("version") && cj["version"].is_string())
    config_version = cj["version"];
  // Named as helm pull names it (pkg/downloader DownloadTo): the last element
  // of the reference's path and the tag it resolved, never Chart.yaml's
  // values. Pulled by digest only (no tag), the version is Chart.yaml's.
  PullResult r;
  r.digest = chart.digest;
  r.tag = chart.tag;
  r.name = ref.repository.substr(ref.repository.rfind('/') + 1);
  r.version = chart.tag.empty() ? config_version : from_tag(chart.tag);
  if (r.version.empty()) r.version = chart.digest.substr(chart.digest.find(':') + 1, 12);
  if ((!config_name.empty() && config_name != r.name) ||
      (!config_version.empty() && config_version != r.version)) {
    warn(fmt::format(
        "{} holds chart {} {} (its Chart.yaml); named {}-{}.tgz from the "
        "reference, as helm pull does",
        shown(ref, chart.tag, chart.digest), config_name, config_version, r.name, r.version));
  }
  if (r.version.find('/') != std::string::npos || r.version.starts_with(".")) {
    fail(ErrorKind::kInvalidInput, "chart version '{}' of {}/{} is not a safe file name", r.version,
         ref.registry, ref.repository);
  }
  std::string file_name = r.name + "-" + r.version + ".tgz";
  if (opts.untar) {
    // extract_chart never replaces an existing folder.
    r.path = extract_chart(out.tmp_path(), join_path(opts.dest_dir, opts.untar_dir),
                           fmt::format("{}/{}@{}", ref.registry, ref.repository, chart.digest));
  } else {
    std::optional<PendingFile> prov;
    if (opts.prov) {
      if (!chart.layers.provenance) {
        fail(ErrorKind::kNotFound, "{} has no provenance layer (--prov)",
             shown(ref, chart.tag, chart.digest));
      }
      std::string p =
          client_.fetch_blob_bytes(chart.ref, *chart.layers.provenance, kMaxProvenanceBytes);
      prov.emplace(dir.empty() ? "." : dir);
      prov->write(p);
    }
    claim(join_path(dir, file_name), chart, ref);
    out.commit(file_name);
    if (prov) prov->commit(file_name + ".prov");
    r.path = join_path(dir, file_name);
  }
  created.keep();
  return r;
}

void ChartPuller::claim(const std::string& path, const ResolvedChart& chart, const Reference& ref) {
  std::lock_guard lock(claimed_mu_);
  auto [it, inserted] = claimed_.emplace(path, chart.digest);
  if (!inserted && it->second != chart.digest) {
    fail(ErrorKind::kInvalidInput,
         "{}/{}@{} would overwrite {}, written by another reference of this pull; pull them into "
         "different folders (-d)",
         ref.registry, ref.repository, chart.digest, path);
  }
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
