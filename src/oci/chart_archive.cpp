#include "oci/chart_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>
#include <set>
#include <vector>

#include "util/crypto.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"
#include "util/temp_files.h"

namespace ecrhelm::oci {
namespace {

struct ArchiveReader {
  archive* a = archive_read_new();
  ~ArchiveReader() { archive_read_free(a); }
};

// Normalised relative path, or an error naming the entry.
std::string safe_path(std::string_view raw, std::string_view what) {
  if (raw.empty())
    fail(ErrorKind::kInvalidInput, "chart archive has an entry with an empty {}", what);
  if (raw.front() == '/') {
    fail(ErrorKind::kInvalidInput, "chart archive entry {} '{}' is an absolute path; refused", what,
         raw);
  }
  std::vector<std::string_view> parts;
  for (auto p : split(raw, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      fail(ErrorKind::kInvalidInput, "chart archive entry {} '{}' contains '..'; refused", what,
           raw);
    }
    parts.push_back(p);
  }
  if (parts.empty()) return "";
  std::string out;
  for (auto p : parts) {  // appended: `"/" + std::string(p)` trips GCC 12's false -Wrestrict
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

// A symlink target must stay inside the tree once resolved from its folder.
void check_symlink(const std::string& path, std::string_view target) {
  if (target.empty() || target.front() == '/') {
    fail(ErrorKind::kInvalidInput,
         "chart archive symlink '{}' points to '{}' outside the chart; refused", path, target);
  }
  std::vector<std::string_view> stack;
  for (auto p : split(path, '/')) stack.push_back(p);
  stack.pop_back();  // the link's own name
  for (auto p : split(target, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (stack.empty()) {
        fail(ErrorKind::kInvalidInput,
             "chart archive symlink '{}' points to '{}' outside the chart; refused", path, target);
      }
      stack.pop_back();
    } else {
      stack.push_back(p);
    }
  }
}

struct Entry {
  std::string path;  // safe, normalised
  int type;
  std::string symlink;   // target as written (checked to stay inside)
  std::string hardlink;  // safe, normalised path of the linked entry
};

// Walks every entry of the archive, enforcing the rules and limits; calls
// on_entry for each and on_data for each regular file's bytes.
void walk(archive* a, const std::function<bool(const Entry&)>& on_entry,
          const std::function<void(const Entry&, std::string_view)>& on_data) {
  archive_entry* e = nullptr;
  size_t total = 0, entries = 0;
  std::set<std::string> symlinks;  // nothing may be placed below a symlink
  while (true) {
    int rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      fail(ErrorKind::kInvalidInput, "chart archive is not a valid .tgz: {}",
           archive_error_string(a));
    }
    if (++entries > kMaxChartEntries) {
      fail(ErrorKind::kInvalidInput, "chart archive has more than {} entries; refused",
           kMaxChartEntries);
    }
    const char* raw = archive_entry_pathname(e);
    Entry ent{safe_path(raw ? raw : "", "path"), int(archive_entry_filetype(e)), "", ""};
    auto through_symlink = [&](const std::string& p) {
      for (size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1))
        if (symlinks.count(p.substr(0, slash))) return true;
      return false;
    };
    if (through_symlink(ent.path)) {
      fail(ErrorKind::kInvalidInput, "chart archive entry '{}' goes through a symlink; refused",
           ent.path);
    }
    if (ent.type == AE_IFLNK) {
      symlinks.insert(ent.path);
      const char* t = archive_entry_symlink(e);
      ent.symlink = t ? t : "";
      check_symlink(ent.path, ent.symlink);
    } else if (const char* hl = archive_entry_hardlink(e)) {
      ent.hardlink = safe_path(hl, "hard link target");
      if (ent.hardlink.empty() || through_symlink(ent.hardlink) || symlinks.count(ent.hardlink)) {
        fail(ErrorKind::kInvalidInput, "chart archive hard link '{}' has no usable target; refused",
             ent.path);
      }
    } else if (ent.type != AE_IFREG && ent.type != AE_IFDIR) {
      fail(ErrorKind::kInvalidInput,
           "chart archive entry '{}' is a device, fifo or socket; refused", ent.path);
    }
    bool want = on_entry(ent);
    if (ent.type != AE_IFREG) continue;
    size_t file_bytes = 0;
    const void* buf;
    size_t size;
    la_int64_t offset;
    while (true) {
      int r = archive_read_data_block(a, &buf, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        fail(ErrorKind::kInvalidInput, "chart archive entry '{}' is corrupt: {}", ent.path,
             archive_error_string(a));
      }
      file_bytes += size;
      total += size;
      if (file_bytes > kMaxChartFileBytes) {
        fail(ErrorKind::kInvalidInput, "chart archive file '{}' is larger than {} bytes; refused",
             ent.path, kMaxChartFileBytes);
      }
      if (total > kMaxChartUncompressedBytes) {
        fail(ErrorKind::kInvalidInput,
             "chart archive expands to more than {} bytes (a gzip bomb?); refused",
             kMaxChartUncompressedBytes);
      }
      if (want) on_data(ent, std::string_view(static_cast<const char*>(buf), size));
    }
  }
}

void open_memory(ArchiveReader& r, std::string_view tgz) {
  archive_read_support_filter_gzip(r.a);
  archive_read_support_format_tar(r.a);
  if (archive_read_open_memory(r.a, tgz.data(), tgz.size()) != ARCHIVE_OK) {
    fail(ErrorKind::kInvalidInput, "chart archive is not a valid .tgz: {}",
         archive_error_string(r.a));
  }
}

}  // namespace

ChartMetadata parse_chart_yaml(std::string_view text) {
  ChartMetadata m;
  try {
    YAML::Node n = YAML::Load(std::string(text));
    if (!n.IsMap()) fail(ErrorKind::kInvalidInput, "Chart.yaml is not a YAML mapping");
    auto get = [&](const char* k) {
      return n[k] && n[k].IsScalar() ? n[k].as<std::string>() : std::string();
    };
    m.api_version = get("apiVersion");
    m.name = get("name");
    m.version = get("version");
    m.app_version = get("appVersion");
    m.description = get("description");
  } catch (const YAML::Exception& e) {
    fail(ErrorKind::kInvalidInput, "Chart.yaml is not valid YAML: {}", e.what());
  }
  if (m.name.empty() || m.version.empty()) {
    fail(ErrorKind::kInvalidInput, "Chart.yaml lacks name or version");
  }
  return m;
}

std::optional<std::string> read_chart_file(std::string_view tgz, std::string_view name) {
  ArchiveReader r;
  open_memory(r, tgz);
  std::optional<std::string> found;
  walk(
      r.a,
      [&](const Entry& e) {
        auto slash = e.path.find('/');
        bool match = e.type == AE_IFREG && slash != std::string::npos &&
                     e.path.find('/', slash + 1) == std::string::npos &&
                     std::string_view(e.path).substr(slash + 1) == name;
        if (match && !found) found = std::string();
        return match;
      },
      [&](const Entry&, std::string_view data) { found->append(data); });
  return found;
}

void check_chart_archive(std::string_view tgz) {
  ArchiveReader r;
  open_memory(r, tgz);
  walk(
      r.a, [](const Entry&) { return false; }, [](const Entry&, std::string_view) {});
}

std::string extract_chart(const std::string& tgz_path, const std::string& parent,
                          const std::string& what) {
  const std::string& name = what.empty() ? tgz_path : what;
  make_dirs(parent, 0755);
  std::string tmp = parent + "/.ecrhelm-untar-" + hex_encode(random_bytes(6));
  make_dirs(tmp, 0700);
  TempFileGuard on_signal(tmp, /*is_folder=*/true);
  auto cleanup = [&] {
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
  };
  try {
    ArchiveReader r;
    archive_read_support_filter_gzip(r.a);
    archive_read_support_format_tar(r.a);
    if (archive_read_open_filename(r.a, tgz_path.c_str(), 1 << 16) != ARCHIVE_OK) {
      fail(ErrorKind::kInvalidInput, "chart archive {} is not a valid .tgz: {}", name,
           archive_error_string(r.a));
    }
    std::string top;
    int out_fd = -1;
    auto close_out = [&] {
      if (out_fd >= 0) ::close(out_fd);
      out_fd = -1;
    };
    walk(
        r.a,
        [&](const Entry& e) {
          close_out();
          if (e.path.empty()) return false;
          std::string first = e.path.substr(0, e.path.find('/'));
          if (top.empty()) top = first;
          if (first != top) {
            fail(ErrorKind::kInvalidInput,
                 "chart archive has more than one top folder ('{}' and '{}'); refused", top, first);
          }
          std::string dest = tmp + "/" + e.path;
          if (e.type == AE_IFDIR) {
            make_dirs(dest, 0755);
            return false;
          }
          make_dirs(dirname_of(dest), 0755);
          if (e.type == AE_IFLNK) {
            if (::symlink(e.symlink.c_str(), dest.c_str()) != 0) {
              fail(ErrorKind::kInvalidInput, "chart archive symlink '{}' cannot be created",
                   e.path);
            }
            return false;
          }
          if (!e.hardlink.empty()) {
            if (::link((tmp + "/" + e.hardlink).c_str(), dest.c_str()) != 0) {
              fail(ErrorKind::kInvalidInput,
                   "chart archive hard link '{}' points to '{}', which is not an earlier file",
                   e.path, e.hardlink);
            }
            return false;
          }
          out_fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
          if (out_fd < 0) {
            fail(ErrorKind::kInvalidInput,
                 "chart archive entry '{}' cannot be written (duplicate?)", e.path);
          }
          return true;
        },
        [&](const Entry& e, std::string_view data) {
          size_t off = 0;
          while (off < data.size()) {
            ssize_t n = ::write(out_fd, data.data() + off, data.size() - off);
            if (n < 0) fail(ErrorKind::kInvalidInput, "cannot write {}", e.path);
            off += size_t(n);
          }
        });
    close_out();
    if (top.empty()) fail(ErrorKind::kInvalidInput, "chart archive {} is empty", name);
    std::string final_dir = parent + "/" + top;
    if (file_exists(final_dir)) {
      fail(ErrorKind::kInvalidInput, "{} already exists; remove it or choose another --untardir",
           final_dir);
    }
    if (::rename((tmp + "/" + top).c_str(), final_dir.c_str()) != 0) {
      fail(ErrorKind::kInvalidInput, "cannot move the chart into {}", final_dir);
    }
    cleanup();
    return final_dir;
  } catch (const Error& e) {
    cleanup();
    if (std::string_view(e.what()).find(name) != std::string_view::npos) throw;
    fail(e.kind(), "{}: {}", name, e.what());
  } catch (...) {
    cleanup();
    throw;
  }
}

}  // namespace ecrhelm::oci
