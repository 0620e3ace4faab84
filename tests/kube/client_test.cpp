// KubeClient against the real kube-apiserver of the test bed.
#include "kube/client.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "kube/informer.h"
#include "kube/kubeconfig.h"
#include "kube/objects.h"
#include "support/kube.h"
#include "support/testbed.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/strings.h"

namespace ecrhelm::kube {
namespace {

using test::admin_client;
using test::make_secret;
using test::ScopedNamespace;

std::string data_of(const json& secret, const std::string& key) {
  return secret_data(secret).at(key).reveal();
}

// An error thrown by f, or a failed expectation.
template <typename F>
ApiError api_error(F f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no ApiError";
  return ApiError(ErrorKind::kInternal, "none", 0, "");
}

TEST(KubeClient, CreateGetUpdateDeleteASecret) {
  ScopedNamespace ns("crud");
  auto c = admin_client();
  json created =
      c->create(resources::kSecrets, ns.name(), make_secret(ns.name(), "repo", {{"url", "a"}}));
  EXPECT_EQ(meta_string(created, "name"), "repo");
  json got = c->get(resources::kSecrets, ns.name(), "repo");
  EXPECT_EQ(data_of(got, "url"), "a");
  got["data"]["url"] = base64_encode("b");
  json updated = c->update(resources::kSecrets, ns.name(), got);
  EXPECT_NE(meta_string(updated, "resourceVersion"), meta_string(got, "resourceVersion"));
  EXPECT_EQ(data_of(c->get(resources::kSecrets, ns.name(), "repo"), "url"), "b");
  EXPECT_TRUE(c->remove(resources::kSecrets, ns.name(), "repo"));
  EXPECT_FALSE(c->remove(resources::kSecrets, ns.name(), "repo"));
  EXPECT_FALSE(c->get_if_exists(resources::kSecrets, ns.name(), "repo").has_value());
}

TEST(KubeClient, NotFoundNamesVerbObjectAndReason) {
  ScopedNamespace ns("nf");
  auto c = admin_client();
  ApiError e = api_error([&] { c->get(resources::kSecrets, ns.name(), "missing"); });
  EXPECT_EQ(e.status(), 404);
  EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  EXPECT_EQ(e.reason(), "NotFound");
  EXPECT_EQ(std::string(e.what()),
            "kube get secrets " + ns.name() + "/missing: secrets \"missing\" not found (NotFound)");
}

TEST(KubeClient, CreatingTwiceIsAlreadyExistsNotAConflict) {
  ScopedNamespace ns("dup");
  auto c = admin_client();
  c->create(resources::kSecrets, ns.name(), make_secret(ns.name(), "s", {}));
  ApiError e = api_error(
      [&] { c->create(resources::kSecrets, ns.name(), make_secret(ns.name(), "s", {})); });
  EXPECT_TRUE(is_already_exists(e));
  EXPECT_FALSE(is_conflict(e));
}

TEST(KubeClient, ValidationErrorIs422WithTheServersMessage) {
  ScopedNamespace ns("val");
  auto c = admin_client();
  ApiError e = api_error(
      [&] { c->create(resources::kSecrets, ns.name(), make_secret(ns.name(), "Bad_Name", {})); });
  EXPECT_EQ(e.status(), 422);
  EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(e.reason(), "Invalid");
  EXPECT_NE(std::string(e.what()).find("Bad_Name"), std::string::npos) << e.what();
}

TEST(KubeClient, StaleUpdateIsAConflictAndNothingIsLost) {
  ScopedNamespace ns("conf");
  auto a = admin_client();
  auto b = admin_client();
  a->create(resources::kSecrets, ns.name(), make_secret(ns.name(), "s", {{"k", "0"}}));
  json seen_by_a = a->get(resources::kSecrets, ns.name(), "s");
  json seen_by_b = b->get(resources::kSecrets, ns.name(), "s");
  seen_by_b["data"]["b"] = base64_encode("from-b");
  b->update(resources::kSecrets, ns.name(), seen_by_b);
  seen_by_a["data"]["a"] = base64_encode("from-a");
  ApiError e = api_error([&] { a->update(resources::kSecrets, ns.name(), seen_by_a); });
  EXPECT_TRUE(is_conflict(e));
  EXPECT_EQ(e.kind(), ErrorKind::kConflict);
  EXPECT_NE(std::string(e.what()).find("read the object again"), std::string::npos);
  // Read, apply again, write: both changes survive.
  json fresh = a->get(resources::kSecrets, ns.name(), "s");
  fresh["data"]["a"] = base64_encode("from-a");
  a->update(resources::kSecrets, ns.name(), fresh);
  json final_ = a->get(resources::kSecrets, ns.name(), "s");
  EXPECT_EQ(data_of(final_, "a"), "from-a");
  EXPECT_EQ(data_of(final_, "b"), "from-b");
}

TEST(KubeClient, ConcurrentConflictingUpdatesLoseNothingWhenRetried) {
  ScopedNamespace ns("race");
  auto setup = admin_client();
  setup->create(resources::kSecrets, ns.name(), make_secret(ns.name(), "s", {}));
  constexpr int kWriters = 4, kEach = 5;
  std::vector<std::thread> threads;
  std::atomic<int> conflicts{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto c = admin_client();
      for (int i = 0; i < kEach; ++i) {
        for (;;) {
          json s = c->get(resources::kSecrets, ns.name(), "s");
          if (!s.contains("data") || s["data"].is_null()) s["data"] = json::object();
          s["data"]["w" + std::to_string(w) + "-" + std::to_string(i)] = base64_encode("x");
          try {
            c->update(resources::kSecrets, ns.name(), s);
            break;
          } catch (const ApiError& e) {
            if (!is_conflict(e)) throw;
            ++conflicts;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  json s = setup->get(resources::kSecrets, ns.name(), "s");
  EXPECT_EQ(s["data"].size(), size_t(kWriters * kEach));
}

TEST(KubeClient, MergePatchKeepsEveryOtherKeyAndLabel) {
  ScopedNamespace ns("merge");
  auto c = admin_client();
  c->create(
      resources::kSecrets, ns.name(),
      make_secret(ns.name(), "repo",
                  {{"url", "u"}, {"type", "helm"}, {"enableOCI", "true"}, {"password", "old"}},
                  {{"argocd.argoproj.io/secret-type", "repository"}}));
  json patch = {{"data", {{"password", base64_encode("new")}}},
                {"metadata", {{"labels", {{"extra", "1"}}}}}};
  c->patch(resources::kSecrets, ns.name(), "repo", PatchType::kMerge, patch);
  json s = c->get(resources::kSecrets, ns.name(), "repo");
  EXPECT_EQ(data_of(s, "password"), "new");
  EXPECT_EQ(data_of(s, "url"), "u");
  EXPECT_EQ(data_of(s, "type"), "helm");
  EXPECT_EQ(data_of(s, "enableOCI"), "true");
  auto labels = meta_map(s, "labels");
  EXPECT_EQ(labels["argocd.argoproj.io/secret-type"], "repository");
  EXPECT_EQ(labels["extra"], "1");
}

TEST(KubeClient, ServerSideApplyOwnsOnlyItsFieldsAndConflictsWithoutForce) {
  ScopedNamespace ns("ssa");
  auto c = admin_client();
  c->create(resources::kSecrets, ns.name(),
            make_secret(ns.name(), "repo", {{"url", "u"}, {"password", "p0"}}));
  json apply = {{"apiVersion", "v1"},
                {"kind", "Secret"},
                {"metadata", {{"name", "repo"}, {"namespace", ns.name()}}},
                {"data", {{"password", base64_encode("p1")}}}};
  // The creator (manager "ecrhelm" here too, via POST -> "before-first-apply"
  // semantics) owns password through Update; another applier must force.
  PatchOptions other{"someone-else", false};
  ApiError e = api_error(
      [&] { c->patch(resources::kSecrets, ns.name(), "repo", PatchType::kApply, apply, other); });
  EXPECT_EQ(e.status(), 409);
  EXPECT_NE(std::string(e.what()).find("conflict"), std::string::npos) << e.what();
  other.force = true;
  json after = c->patch(resources::kSecrets, ns.name(), "repo", PatchType::kApply, apply, other);
  EXPECT_EQ(data_of(after, "password"), "p1");
  EXPECT_EQ(data_of(after, "url"), "u");  // not in the applied config: kept
  bool manager_seen = false;
  for (const auto& mf : after["metadata"]["managedFields"]) {
    if (mf.value("manager", "") == "someone-else" && mf.value("operation", "") == "Apply") {
      manager_seen = true;
      EXPECT_TRUE(mf["fieldsV1"]["f:data"].contains("f:password"));
      EXPECT_FALSE(mf["fieldsV1"]["f:data"].contains("f:url"));
    }
  }
  EXPECT_TRUE(manager_seen);
}

TEST(KubeClient, ListPagesThrough1200Secrets) {
  ScopedNamespace ns("page");
  auto c = admin_client();
  constexpr int kCount = 1200;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto ct = admin_client();
      for (int i = t; i < kCount; i += 4) {
        ct->create(resources::kSecrets, ns.name(),
                   make_secret(ns.name(), "s-" + std::to_string(i), {{"i", std::to_string(i)}},
                               {{"batch", "p"}}));
      }
    });
  }
  for (auto& th : threads) th.join();
  uint64_t before = c->requests_sent();
  ListOptions lo;
  lo.label_selector = "batch=p";
  ListResult all = c->list(resources::kSecrets, ns.name(), lo, 100);
  EXPECT_EQ(all.items.size(), size_t(kCount));
  EXPECT_EQ(c->requests_sent() - before, 12u);  // 12 pages of 100
  EXPECT_FALSE(all.resource_version.empty());
  std::set<std::string> names;
  for (const auto& s : all.items) names.insert(meta_string(s, "name"));
  EXPECT_EQ(names.size(), size_t(kCount));
  // A field selector narrows on the server.
  ListOptions one;
  one.field_selector = "metadata.name=s-7";
  EXPECT_EQ(c->list(resources::kSecrets, ns.name(), one).items.size(), 1u);
}

TEST(KubeClient, WatchDeliversEventsFromAResourceVersion) {
  ScopedNamespace ns("watch");
  auto c = admin_client();
  ListResult start = c->list(resources::kSecrets, ns.name());
  std::thread writer([&] {
    auto w = admin_client();
    w->create(resources::kSecrets, ns.name(), make_secret(ns.name(), "a", {}));
    w->patch(resources::kSecrets, ns.name(), "a", PatchType::kMerge,
             {{"data", {{"k", base64_encode("v")}}}});
    w->remove(resources::kSecrets, ns.name(), "a");
  });
  std::vector<std::string> seen;
  WatchOptions wo;
  wo.resource_version = start.resource_version;
  wo.timeout_seconds = 30;
  c->watch(resources::kSecrets, ns.name(), wo, [&](const WatchEvent& ev) {
    if (ev.type != "BOOKMARK") seen.push_back(ev.type + " " + meta_string(ev.object, "name"));
    return seen.size() < 3;
  });
  writer.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED a", "MODIFIED a", "DELETED a"}));
}

const ResourceType kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};

TEST(KubeClient, WatchFromACompactedVersionIsGone) {
  ScopedNamespace ns("gone");
  auto c = admin_client();
  json cm = c->create(kConfigMaps, ns.name(), test::make_configmap(ns.name(), "a", {{"k", "v"}}));
  std::string old_rv = meta_string(cm, "resourceVersion");
  c->patch(kConfigMaps, ns.name(), "a", PatchType::kMerge, {{"data", {{"k", "w"}}}});
  c->create(kConfigMaps, ns.name(), test::make_configmap(ns.name(), "b", {}));
  test::compact_etcd();  // history before "b" is gone
  ApiError e = api_error([&] {
    WatchOptions wo;
    wo.resource_version = old_rv;
    wo.timeout_seconds = 10;
    c->watch(kConfigMaps, ns.name(), wo, [](const WatchEvent&) { return true; });
  });
  EXPECT_TRUE(is_gone(e)) << e.what();
  EXPECT_EQ(e.reason(), "Expired");
}

TEST(KubeClient, WatchStopsWhenCancelled) {
  ScopedNamespace ns("cancel");
  auto c = admin_client();
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
  });
  WatchOptions wo;
  wo.timeout_seconds = 120;
  wo.cancelled = [&] { return stop.load(); };
  auto t0 = std::chrono::steady_clock::now();
  c->watch(resources::kSecrets, ns.name(), wo, [](const WatchEvent&) { return true; });
  stopper.join();
  // It returned (not after the 120 s server timeout): the cancel flag ended it.
  EXPECT_TRUE(stop.load());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(100));
}

TEST(Informer, CachesAndRelistsAcrossA410WithoutLosingAnObject) {
  ScopedNamespace ns("inf");
  auto c = admin_client();
  c->create(kConfigMaps, ns.name(), test::make_configmap(ns.name(), "before", {{"k", "v"}}));
  JsonInformer inf(*c, kConfigMaps, ns.name());
  std::mutex mu;
  std::vector<std::string> events;
  std::thread runner([&] {
    inf.run([&](const std::string& type, const json& obj, const json*) {
      std::lock_guard lock(mu);
      events.push_back(type + " " + meta_string(obj, "name"));
    });
  });
  ASSERT_TRUE(inf.wait_synced(std::chrono::seconds(30)));
  auto cached = inf.get(ns.name(), "before");
  ASSERT_TRUE(cached != nullptr);
  // The server keeps managedFields; the cache drops them (memory).
  EXPECT_TRUE(c->get(kConfigMaps, ns.name(), "before")["metadata"].contains("managedFields"));
  EXPECT_FALSE((*cached)["metadata"].contains("managedFields")) << cached->dump();
  auto saw = [&](const std::string& e) {
    for (int i = 0; i < 300; ++i) {
      {
        std::lock_guard lock(mu);
        if (std::find(events.begin(), events.end(), e) != events.end()) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  c->create(kConfigMaps, ns.name(), test::make_configmap(ns.name(), "during", {}));
  EXPECT_TRUE(saw("ADDED during"));
  inf.stop();
  runner.join();

  // While nobody watches, "before" is deleted and "after" created, and etcd
  // compacts away the history: the informer's re-watch gets 410 Gone, it
  // relists, and reports both changes.
  c->remove(kConfigMaps, ns.name(), "before");
  c->create(kConfigMaps, ns.name(), test::make_configmap(ns.name(), "after", {}));
  test::compact_etcd();
  std::thread runner2([&] {
    inf.run([&](const std::string& type, const json& obj, const json*) {
      std::lock_guard lock(mu);
      events.push_back(type + " " + meta_string(obj, "name"));
    });
  });
  EXPECT_TRUE(saw("DELETED before"));
  EXPECT_TRUE(saw("ADDED after"));
  inf.stop();
  runner2.join();
  EXPECT_EQ(inf.relists(), 2u);
  EXPECT_EQ(inf.get(ns.name(), "before"), nullptr);
  EXPECT_NE(inf.get(ns.name(), "after"), nullptr);
  EXPECT_NE(inf.get(ns.name(), "during"), nullptr);
}

}  // namespace
}  // namespace ecrhelm::kube
