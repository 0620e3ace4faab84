// Strict OCI / Docker manifest and index parsing over nlohmann::json, and
// Helm's choice of chart and provenance layers.
#include "oci/manifest.h"

#include <nlohmann/json.hpp>

#include <limits>

#include "oci/reference.h"
#include "util/error.h"

namespace ecrhelm::oci {
namespace {

using nlohmann::json;

constexpr int kSchemaVersion = 2;
constexpr size_t kMaxShownChars = 80;            // how much of a bad value an error message quotes
constexpr size_t kMaxMediaTypeNameLength = 127;  // RFC 6838 restricted-name

std::string shown_json(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > kMaxShownChars) s = s.substr(0, kMaxShownChars) + "...";
  return s;
}

std::string shown(std::string_view s) {
  if (s.size() <= kMaxShownChars) return std::string(s);
  return std::string(s.substr(0, kMaxShownChars)) + "...";
}

// Parsing context: which document ("image manifest", "image index") is read.
struct Doc {
  std::string_view what;

  [[noreturn]] void bad(const std::string& field, const std::string& problem) const {
    fail(ErrorKind::kInvalidInput, "invalid {}: \"{}\" {}", what, field, problem);
  }

  const json* optional(const json& obj, const char* key) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
  }
  const json& required(const json& obj, const char* key, const std::string& field) const {
    const json* v = optional(obj, key);
    if (!v) bad(field, "is missing; it is a required field");
    return *v;
  }
  std::string string_value(const json& v, const std::string& field) const {
    if (!v.is_string()) bad(field, fmt::format("must be a string, got {}", shown_json(v)));
    return v.get<std::string>();
  }
  std::string optional_string(const json& obj, const char* key, const std::string& field) const {
    const json* v = optional(obj, key);
    return v ? string_value(*v, field) : std::string();
  }
  int64_t non_negative_integer(const json& v, const std::string& field) const {
    if (v.is_number_unsigned()) {
      auto u = v.get<uint64_t>();
      if (u > uint64_t(std::numeric_limits<int64_t>::max())) {
        bad(field, fmt::format("is {}, larger than a 64-bit size", u));
      }
      return int64_t(u);
    }
    if (v.is_number_integer()) {
      auto i = v.get<int64_t>();
      if (i < 0) bad(field, fmt::format("must be a non-negative integer, got {}", i));
      return i;
    }
    bad(field, fmt::format("must be a non-negative integer, got {}", shown_json(v)));
  }
  std::map<std::string, std::string> string_map(const json& obj, const char* key,
                                                const std::string& field) const {
    std::map<std::string, std::string> out;
    const json* v = optional(obj, key);
    if (!v) return out;
    if (!v->is_object())
      bad(field, fmt::format("must be an object of strings, got {}", shown_json(*v)));
    for (const auto& [k, val] : v->items()) {
      out.emplace(k, string_value(val, fmt::format("{}[\"{}\"]", field, shown(k))));
    }
    return out;
  }
  std::vector<std::string> string_list(const json& v, const std::string& field) const {
    if (!v.is_array())
      bad(field, fmt::format("must be an array of strings, got {}", shown_json(v)));
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
      out.push_back(string_value(v[i], fmt::format("{}[{}]", field, i)));
    }
    return out;
  }
  const json& object(const json& v, const std::string& field) const {
    if (!v.is_object()) bad(field, fmt::format("must be an object, got {}", shown_json(v)));
    return v;
  }
};

// RFC 6838: type-name "/" subtype-name, both restricted-names.
bool is_restricted_name(std::string_view s) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (s.empty() || s.size() > kMaxMediaTypeNameLength || !alnum(s.front())) return false;
  for (char c : s) {
    if (!alnum(c) && std::string_view("!#$&-^_.+").find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool is_media_type(std::string_view s) {
  size_t slash = s.find('/');
  return slash != std::string_view::npos && is_restricted_name(s.substr(0, slash)) &&
         is_restricted_name(s.substr(slash + 1));
}

std::string media_type_field(const Doc& d, const json& v, const std::string& field) {
  std::string mt = d.string_value(v, field);
  if (!is_media_type(mt)) {
    d.bad(field, fmt::format("\"{}\" is not a media type (type/subtype)", shown(mt)));
  }
  return mt;
}

Platform parse_platform(const Doc& d, const json& v, const std::string& field) {
  d.object(v, field);
  Platform p;
  p.architecture = d.string_value(d.required(v, "architecture", field + ".architecture"),
                                  field + ".architecture");
  p.os = d.string_value(d.required(v, "os", field + ".os"), field + ".os");
  p.os_version = d.optional_string(v, "os.version", field + ".os.version");
  if (const json* f = d.optional(v, "os.features"))
    p.os_features = d.string_list(*f, field + ".os.features");
  p.variant = d.optional_string(v, "variant", field + ".variant");
  return p;
}

Descriptor parse_descriptor(const Doc& d, const json& v, const std::string& field) {
  d.object(v, field);
  Descriptor out;
  out.media_type =
      media_type_field(d, d.required(v, "mediaType", field + ".mediaType"), field + ".mediaType");
  out.digest = d.string_value(d.required(v, "digest", field + ".digest"), field + ".digest");
  if (auto why = digest_problem(out.digest)) d.bad(field + ".digest", "is not valid: " + *why);
  out.size = d.non_negative_integer(d.required(v, "size", field + ".size"), field + ".size");
  out.annotations = d.string_map(v, "annotations", field + ".annotations");
  if (const json* at = d.optional(v, "artifactType")) {
    out.artifact_type = media_type_field(d, *at, field + ".artifactType");
  }
  if (const json* urls = d.optional(v, "urls")) out.urls = d.string_list(*urls, field + ".urls");
  if (const json* p = d.optional(v, "platform"))
    out.platform = parse_platform(d, *p, field + ".platform");
  return out;
}

json parse_root(const Doc& d, std::string_view text) {
  if (text.size() > kMaxManifestBytes) {
    fail(ErrorKind::kInvalidInput, "invalid {}: it is {} bytes; at most {} are accepted", d.what,
         text.size(), kMaxManifestBytes);
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) fail(ErrorKind::kInvalidInput, "invalid {}: it is not JSON", d.what);
  if (!j.is_object()) {
    fail(ErrorKind::kInvalidInput, "invalid {}: expected a JSON object, got {}", d.what,
         shown_json(j));
  }
  const json& sv = d.required(j, "schemaVersion", "schemaVersion");
  if (!sv.is_number_integer() || sv.get<int64_t>() != kSchemaVersion) {
    d.bad("schemaVersion", fmt::format("must be {}, got {}", kSchemaVersion, shown_json(sv)));
  }
  return j;
}

}  // namespace

bool is_valid_digest(std::string_view digest) { return !digest_problem(digest).has_value(); }

bool is_manifest_media_type(std::string_view mt) {
  return mt == kOciManifestMediaType || mt == kDockerManifestMediaType;
}

bool is_index_media_type(std::string_view mt) {
  return mt == kOciIndexMediaType || mt == kDockerManifestListMediaType;
}

Manifest parse_manifest(std::string_view text) {
  const Doc d{"image manifest"};
  json j = parse_root(d, text);
  Manifest m;
  m.schema_version = kSchemaVersion;
  m.media_type = d.optional_string(j, "mediaType", "mediaType");
  if (!m.media_type.empty() && !is_manifest_media_type(m.media_type)) {
    if (is_index_media_type(m.media_type)) {
      d.bad("mediaType", fmt::format("is \"{}\": this is an index of manifests, not a manifest; "
                                     "pick one of its manifests (or use parse_index)",
                                     m.media_type));
    }
    d.bad("mediaType", fmt::format("is \"{}\"; expected \"{}\" or \"{}\"", shown(m.media_type),
                                   kOciManifestMediaType, kDockerManifestMediaType));
  }
  if (!d.optional(j, "config") && d.optional(j, "manifests")) {
    d.bad("config",
          "is missing and \"manifests\" is present: this looks like an index, not a "
          "manifest");
  }
  if (const json* at = d.optional(j, "artifactType")) {
    m.artifact_type = media_type_field(d, *at, "artifactType");
  }
  m.config = parse_descriptor(d, d.required(j, "config", "config"), "config");
  const json& layers = d.required(j, "layers", "layers");
  if (!layers.is_array())
    d.bad("layers", fmt::format("must be an array, got {}", shown_json(layers)));
  for (size_t i = 0; i < layers.size(); ++i) {
    m.layers.push_back(parse_descriptor(d, layers[i], fmt::format("layers[{}]", i)));
  }
  if (const json* s = d.optional(j, "subject")) m.subject = parse_descriptor(d, *s, "subject");
  m.annotations = d.string_map(j, "annotations", "annotations");
  return m;
}

Index parse_index(std::string_view text) {
  const Doc d{"image index"};
  json j = parse_root(d, text);
  Index idx;
  idx.schema_version = kSchemaVersion;
  idx.media_type = d.optional_string(j, "mediaType", "mediaType");
  if (!idx.media_type.empty() && !is_index_media_type(idx.media_type)) {
    if (is_manifest_media_type(idx.media_type)) {
      d.bad("mediaType", fmt::format("is \"{}\": this is a manifest, not an index (use "
                                     "parse_manifest)",
                                     idx.media_type));
    }
    d.bad("mediaType", fmt::format("is \"{}\"; expected \"{}\" or \"{}\"", shown(idx.media_type),
                                   kOciIndexMediaType, kDockerManifestListMediaType));
  }
  if (const json* at = d.optional(j, "artifactType")) {
    idx.artifact_type = media_type_field(d, *at, "artifactType");
  }
  const json& list = d.required(j, "manifests", "manifests");
  if (!list.is_array())
    d.bad("manifests", fmt::format("must be an array, got {}", shown_json(list)));
  for (size_t i = 0; i < list.size(); ++i) {
    idx.manifests.push_back(parse_descriptor(d, list[i], fmt::format("manifests[{}]", i)));
  }
  idx.annotations = d.string_map(j, "annotations", "annotations");
  return idx;
}

HelmChartLayers find_chart_layers(const Manifest& manifest) {
  if (manifest.config.media_type != kHelmConfigMediaType) {
    fail(ErrorKind::kInvalidInput,
         "not a Helm chart: the manifest's config has media type \"{}\", expected \"{}\"; check "
         "that the reference names a chart pushed with `helm push`, not a container image",
         shown(manifest.config.media_type), kHelmConfigMediaType);
  }
  const Descriptor* chart = nullptr;
  const Descriptor* prov = nullptr;
  size_t charts = 0;
  size_t provs = 0;
  for (const Descriptor& layer : manifest.layers) {
    if (layer.media_type == kHelmChartLayerMediaType ||
        layer.media_type == kHelmLegacyChartLayerMediaType) {
      ++charts;
      chart = &layer;
    } else if (layer.media_type == kHelmProvenanceMediaType) {
      ++provs;
      prov = &layer;
    }
  }
  if (charts == 0) {
    fail(ErrorKind::kInvalidInput,
         "Helm chart manifest has no chart layer: expected one layer of media type \"{}\" (or the "
         "legacy \"{}\"); push the chart again with a current Helm",
         kHelmChartLayerMediaType, kHelmLegacyChartLayerMediaType);
  }
  if (charts > 1) {
    fail(ErrorKind::kInvalidInput,
         "Helm chart manifest has {} chart layers; expected exactly one of media type \"{}\"",
         charts, kHelmChartLayerMediaType);
  }
  if (provs > 1) {
    fail(ErrorKind::kInvalidInput,
         "Helm chart manifest has {} provenance layers; expected at most one of media type \"{}\"",
         provs, kHelmProvenanceMediaType);
  }
  HelmChartLayers out;
  out.chart = *chart;
  out.legacy_media_type = chart->media_type == kHelmLegacyChartLayerMediaType;
  if (prov) out.provenance = *prov;
  return out;
}

}  // namespace ecrhelm::oci
