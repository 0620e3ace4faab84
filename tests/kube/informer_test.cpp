// The typed informer cache against a scripted ListerWatcher: no API server,
// so the cache logic (paged relist, 410, events with the old value, sharing
// what did not change) is checked in milliseconds.
#include "kube/informer.h"

#include <gtest/gtest.h>

#include <deque>
#include <thread>

#include "util/error.h"

namespace ecrhelm::kube {
namespace {

json obj(const std::string& name, const std::string& rv, const std::string& value = "v") {
  return {{"metadata",
           {{"namespace", "ns"},
            {"name", name},
            {"resourceVersion", rv},
            {"managedFields", json::array({{{"manager", "kubectl"}}})}}},
          {"data", {{"k", value}}}};
}

// A compact value, as a typed cache keeps it.
struct Small {
  std::string name;
  std::string value;
};
Small decode_small(const json& o) {
  return {o["metadata"].value("name", ""), o["data"].value("k", "")};
}

// Each list() returns the next scripted snapshot (pages of items); each
// watch() plays the next scripted step: events, then an end, a 410 or a stop.
class ScriptedListerWatcher : public ListerWatcher {
 public:
  struct Watch {
    std::vector<WatchEvent> events;
    bool gone = false;  // end with a 410 after the events
  };
  std::deque<std::vector<std::vector<json>>> lists;  // snapshots, each a list of pages
  std::deque<Watch> watches;
  std::vector<std::string> watched_from;  // resourceVersion of each watch
  std::atomic<int> pages_served{0};
  std::function<void()> on_idle;  // called when the script has run out
  int fail_lists = 0;             // this many list() calls fail first

  std::string list(const ListOptions&, const std::function<void(json&&)>& on_item) override {
    if (fail_lists > 0) {
      --fail_lists;
      throw Error(ErrorKind::kNetwork, "connection refused");
    }
    if (lists.empty()) throw Error(ErrorKind::kNetwork, "no list scripted");
    auto snapshot = std::move(lists.front());
    lists.pop_front();
    std::string rv;
    for (auto& page : snapshot) {
      ++pages_served;
      for (auto& item : page) {
        rv = item["metadata"].value("resourceVersion", "");
        on_item(std::move(item));
      }
    }
    return rv;
  }
  void watch(const WatchOptions& opts,
             const std::function<bool(const WatchEvent&)>& on_event) override {
    watched_from.push_back(opts.resource_version);
    if (watches.empty()) {
      if (on_idle) on_idle();
      while (!opts.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return;
    }
    Watch w = std::move(watches.front());
    watches.pop_front();
    for (const auto& ev : w.events) {
      if (!on_event(ev)) return;
    }
    if (w.gone) throw ApiError(ErrorKind::kRemote, "too old resource version", 410, "Expired");
  }
  std::string display() const override { return "things"; }
};

struct Seen {
  std::string type, name, value, old_value;
};

TEST(TypedInformer, DecodesOncePerVersionAndReportsTheOldValueOnAChange) {
  auto lw = std::make_unique<ScriptedListerWatcher>();
  auto* script = lw.get();
  // The first list comes in two pages; then a watch modifies "a", deletes "b"
  // and ends with 410; the relist finds "a" unchanged since, "c" new.
  script->lists.push_back({{obj("a", "1"), obj("b", "2")}, {obj("d", "3")}});
  script->watches.push_back(
      {{{"MODIFIED", obj("a", "4", "new")}, {"DELETED", obj("b", "5")}, {"BOOKMARK", obj("", "6")}},
       true});
  script->lists.push_back({{obj("a", "4", "new"), obj("c", "7")}, {obj("d", "3")}});
  int decodes = 0;
  Informer<Small> inf(std::move(lw), [&](const json& o) {
    ++decodes;
    return decode_small(o);
  });
  std::atomic<bool> idle{false};
  script->on_idle = [&] { idle = true; };
  std::vector<Seen> seen;
  std::thread runner([&] {
    inf.run([&](const std::string& type, const Small& s, const Small* old) {
      seen.push_back({type, s.name, s.value, old ? old->value : "-"});
    });
  });
  while (!idle) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto a_before_stop = inf.get("ns", "a");
  inf.stop();
  runner.join();

  std::vector<std::string> got;
  for (const auto& s : seen)
    got.push_back(s.type + " " + s.name + " " + s.value + " " + s.old_value);
  EXPECT_EQ(got, (std::vector<std::string>{"ADDED a v -", "ADDED b v -", "ADDED d v -",
                                           "MODIFIED a new v", "DELETED b v -", "ADDED c v -"}));
  // Decoded: a, b, d (list), a@4 and b@5 (events), c (relist); a@4 and d@3
  // were in the cache at the relisted version and were shared, not decoded.
  EXPECT_EQ(decodes, 6);
  EXPECT_EQ(inf.relists(), 2u);
  EXPECT_EQ(script->pages_served.load(), 4);
  // The watch after the relist starts from the relist's version; the first from the first list's.
  ASSERT_GE(script->watched_from.size(), 2u);
  EXPECT_EQ(script->watched_from[0], "3");
  EXPECT_EQ(script->watched_from[1], "3");
  ASSERT_NE(a_before_stop, nullptr);
  EXPECT_EQ(a_before_stop->value, "new");
  EXPECT_EQ(inf.get("ns", "b"), nullptr);
  EXPECT_EQ(inf.size(), 3u);
  EXPECT_EQ(inf.keys(), (std::vector<std::string>{"ns/a", "ns/c", "ns/d"}));
}

TEST(TypedInformer, ReadersShareTheCachedValueAndTheJsonCacheDropsManagedFields) {
  auto lw = std::make_unique<ScriptedListerWatcher>();
  auto* script = lw.get();
  script->lists.push_back({{obj("a", "1")}});
  std::atomic<bool> idle{false};
  script->on_idle = [&] { idle = true; };
  Informer<json> inf(std::move(lw), strip_managed_fields);
  std::thread runner([&] { inf.run([](const std::string&, const json&, const json*) {}); });
  ASSERT_TRUE(inf.wait_synced(std::chrono::seconds(10)));
  while (!idle) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto one = inf.get("ns", "a");
  auto two = inf.get("ns", "a");
  inf.stop();
  runner.join();
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one.get(), two.get());  // one value, not a copy per reader
  EXPECT_FALSE((*one)["metadata"].contains("managedFields"));
  EXPECT_EQ((*one)["data"]["k"], "v");
}

TEST(TypedInformer, AFailedListIsRetriedAfterABackoff) {
  auto lw = std::make_unique<ScriptedListerWatcher>();
  auto* script = lw.get();
  // The first list() fails (network): the informer backs off and tries
  // again; until then nothing is synced.
  script->fail_lists = 1;
  script->lists.push_back({{obj("x", "9")}});
  Informer<Small> inf(std::move(lw), decode_small);
  std::atomic<bool> idle{false};
  script->on_idle = [&] { idle = true; };
  std::vector<std::string> types;
  std::thread runner([&] {
    inf.run([&](const std::string& t, const Small&, const Small*) { types.push_back(t); });
  });
  EXPECT_FALSE(inf.wait_synced(std::chrono::milliseconds(50)));
  ASSERT_TRUE(inf.wait_synced(std::chrono::seconds(10)));
  while (!idle) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  inf.stop();
  runner.join();
  EXPECT_EQ(types, std::vector<std::string>{"ADDED"});
  EXPECT_EQ(inf.size(), 1u);
}

}  // namespace
}  // namespace ecrhelm::kube
