#include "controller/eso_types.h"

#include <cmath>

#include "kube/objects.h"
#include "util/crypto.h"
#include "util/encoding.h"
#include "util/error.h"

namespace ecrhelm::controller {
namespace {

using nlohmann::json;

std::string str_field(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  if (!it->is_string()) fail(ErrorKind::kInvalidInput, "{}.{} must be a string", where, key);
  return it->get<std::string>();
}

std::map<std::string, std::string> str_map(const json& obj, const char* key,
                                           const std::string& where) {
  std::map<std::string, std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_object())
    fail(ErrorKind::kInvalidInput, "{}.{} must be a map of strings", where, key);
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) fail(ErrorKind::kInvalidInput, "{}.{}.{} must be a string", where, key, k);
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

void one_of(const std::string& value, std::initializer_list<const char*> allowed,
            const std::string& field) {
  for (const char* a : allowed) {
    if (value == a) return;
  }
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  fail(ErrorKind::kInvalidInput, "{} '{}' is not one of {}", field, value, list);
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view text) {
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.empty()) return std::nullopt;
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (start == i || i - start > 20) return std::nullopt;
    double n;
    try {
      n = std::stod(std::string(text.substr(start, i - start)));
    } catch (...) {
      return std::nullopt;
    }
    size_t u = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.')
      ++i;
    std::string_view unit = text.substr(u, i - u);
    double scale;
    if (unit == "h")
      scale = 3600e3;
    else if (unit == "m")
      scale = 60e3;
    else if (unit == "s")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1;
    else if (unit == "us" || unit == "µs")
      scale = 1e-3;
    else if (unit == "ns")
      scale = 1e-6;
    else
      return std::nullopt;
    total_ms += n * scale;
  }
  if (!std::isfinite(total_ms) || total_ms > 1e15) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

ExternalSecretSpec parse_external_secret(const json& es) {
  std::string name = kube::meta_string(es, "namespace") + "/" + kube::meta_string(es, "name");
  auto spec_it = es.find("spec");
  if (spec_it == es.end() || !spec_it->is_object()) {
    fail(ErrorKind::kInvalidInput, "ExternalSecret {} has no spec", name);
  }
  const json& spec = *spec_it;
  ExternalSecretSpec out;
  if (std::string ri = str_field(spec, "refreshInterval", "spec"); !ri.empty()) {
    auto d = parse_go_duration(ri);
    if (!d)
      fail(ErrorKind::kInvalidInput,
           "spec.refreshInterval '{}' is not a duration like 1h or 12h30m", ri);
    out.refresh_interval = *d;
  }
  if (std::string rp = str_field(spec, "refreshPolicy", "spec"); !rp.empty()) {
    one_of(rp, {"Periodic", "CreatedOnce", "OnChange"}, "spec.refreshPolicy");
    out.refresh_policy = rp;
  }
  out.target_name = kube::meta_string(es, "name");
  if (auto t = spec.find("target"); t != spec.end() && t->is_object()) {
    if (std::string n = str_field(*t, "name", "spec.target"); !n.empty()) out.target_name = n;
    if (std::string cp = str_field(*t, "creationPolicy", "spec.target"); !cp.empty()) {
      one_of(cp, {"Owner", "Orphan", "Merge", "None", "CreateOrMerge"},
             "spec.target.creationPolicy");
      out.creation_policy = cp;
    }
    if (std::string dp = str_field(*t, "deletionPolicy", "spec.target"); !dp.empty()) {
      one_of(dp, {"Retain", "Delete", "Merge"}, "spec.target.deletionPolicy");
      out.deletion_policy = dp;
    }
    if (auto tpl = t->find("template"); tpl != t->end() && tpl->is_object()) {
      out.has_template = true;
      out.template_type = str_field(*tpl, "type", "spec.target.template");
      if (std::string ev = str_field(*tpl, "engineVersion", "spec.target.template");
          !ev.empty() && ev != "v2") {
        fail(ErrorKind::kUnsupported,
             "spec.target.template.engineVersion '{}' is not supported; use v2", ev);
      }
      if (std::string mp = str_field(*tpl, "mergePolicy", "spec.target.template"); !mp.empty()) {
        one_of(mp, {"Replace", "Merge"}, "spec.target.template.mergePolicy");
        out.merge_policy = mp;
      }
      if (auto md = tpl->find("metadata"); md != tpl->end() && md->is_object()) {
        out.template_labels = str_map(*md, "labels", "spec.target.template.metadata");
        out.template_annotations = str_map(*md, "annotations", "spec.target.template.metadata");
      }
      out.template_data = str_map(*tpl, "data", "spec.target.template");
      if (tpl->contains("templateFrom") && !(*tpl)["templateFrom"].empty()) {
        fail(ErrorKind::kUnsupported,
             "spec.target.template.templateFrom is not supported by ecrhelm; use template.data");
      }
    }
  }
  if (auto data = spec.find("data"); data != spec.end() && data->is_array() && !data->empty()) {
    fail(ErrorKind::kUnsupported,
         "spec.data (secret store references) is not supported by ecrhelm; use "
         "dataFrom[].sourceRef.generatorRef");
  }
  auto df = spec.find("dataFrom");
  if (df == spec.end() || !df->is_array() || df->empty()) {
    fail(ErrorKind::kInvalidInput,
         "spec.dataFrom is empty; add a sourceRef.generatorRef to an ECRAuthorizationToken");
  }
  for (size_t i = 0; i < df->size(); ++i) {
    const json& item = (*df)[i];
    std::string where = fmt::format("spec.dataFrom[{}]", i);
    auto sr = item.find("sourceRef");
    if (!item.is_object() || sr == item.end() || !sr->is_object() ||
        !sr->contains("generatorRef")) {
      fail(ErrorKind::kUnsupported,
           "{} has no sourceRef.generatorRef; ecrhelm serves generator sources only", where);
    }
    const json& g = (*sr)["generatorRef"];
    if (!g.is_object())
      fail(ErrorKind::kInvalidInput, "{}.sourceRef.generatorRef must be an object", where);
    GeneratorRef ref{str_field(g, "apiVersion", where), str_field(g, "kind", where),
                     str_field(g, "name", where)};
    if (ref.kind != "ECRAuthorizationToken" && ref.kind != "ClusterGenerator") {
      fail(ErrorKind::kUnsupported,
           "{}.sourceRef.generatorRef kind '{}' is not served by ecrhelm; use "
           "ECRAuthorizationToken or ClusterGenerator",
           where, ref.kind);
    }
    if (ref.name.empty())
      fail(ErrorKind::kInvalidInput, "{}.sourceRef.generatorRef has no name", where);
    out.generators.push_back(std::move(ref));
  }
  return out;
}

std::string synced_resource_version(const json& es) {
  auto labels = kube::meta_map(es, "labels");
  auto annotations = kube::meta_map(es, "annotations");
  std::string material;
  for (const auto& [k, v] : labels) material += "l:" + k + "=" + v + "\n";
  for (const auto& [k, v] : annotations) {
    if (k == "kubectl.kubernetes.io/last-applied-configuration") continue;
    material += "a:" + k + "=" + v + "\n";
  }
  int64_t generation = 0;
  if (auto m = es.find("metadata"); m != es.end() && m->is_object())
    generation = m->value("generation", int64_t{0});
  return std::to_string(generation) + "-" + hex_encode(sha256(material)).substr(0, 32);
}

std::optional<ReadyCondition> ready_condition(const json& es) {
  auto st = es.find("status");
  if (st == es.end() || !st->is_object()) return std::nullopt;
  auto conds = st->find("conditions");
  if (conds == st->end() || !conds->is_array()) return std::nullopt;
  for (const auto& c : *conds) {
    if (!c.is_object() || c.value("type", "") != "Ready") continue;
    auto str = [&](const char* f) {
      auto it = c.find(f);
      return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    return ReadyCondition{str("status"), str("reason"), str("message"), str("lastTransitionTime")};
  }
  return std::nullopt;
}

ExternalSecret decode_external_secret(const json& es) {
  ExternalSecret o;
  o.ref = kube::object_ref(es);
  if (o.ref.kind.empty()) o.ref.kind = eso::kExternalSecrets.kind;
  if (o.ref.api_version.empty()) o.ref.api_version = eso::kExternalSecrets.api_version();
  auto m = es.find("metadata");
  o.deleting = m != es.end() && m->is_object() && m->contains("deletionTimestamp");
  o.synced_version = synced_resource_version(es);
  try {
    o.spec = parse_external_secret(es);
  } catch (const Error& e) {
    o.spec_error_kind = e.kind();
    o.spec_error = e.what();
  } catch (const std::exception&) {
    // parse_external_secret names the field for what it checks; anything
    // else is a value of the wrong JSON type somewhere in the spec.
    o.spec_error =
        "spec: a field has a value of the wrong type; check the ExternalSecret against ESO's "
        "CRD (kubectl apply --dry-run=server -f FILE names it)";
  }
  if (auto st = es.find("status"); st != es.end() && st->is_object()) {
    auto str = [&](const char* f) {
      auto it = st->find(f);
      return it != st->end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (std::string t = str("refreshTime"); !t.empty()) o.status.refresh_time = parse_iso8601(t);
    o.status.synced_resource_version = str("syncedResourceVersion");
    if (auto b = st->find("binding"); b != st->end() && b->is_object()) {
      if (auto n = b->find("name"); n != b->end() && n->is_string()) o.status.binding = *n;
    }
    o.status.ready = ready_condition(es);
  }
  return o;
}

}  // namespace ecrhelm::controller
