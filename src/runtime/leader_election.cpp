#include "runtime/leader_election.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <random>
#include <thread>

#include "kube/resource.h"
#include "util/error.h"

namespace ecrhelm::runtime {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr size_t kHostNameMax = 256;
constexpr int kIdentityRandomBytes = 8;
// A MicroTime as the API server writes it: "2006-01-02T15:04:05.000000Z".
constexpr size_t kMicroTimeBufferSize = 40;
constexpr int64_t kMicrosPerSecond = 1000000;
// What a released lease says (client-go's release()).
constexpr int kReleasedLeaseDurationSeconds = 1;

std::mt19937_64& rng() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

std::string micro_time(std::chrono::system_clock::time_point t) {
  const int64_t micros =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(micros / kMicrosPerSecond);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, kMicroTimeBufferSize> buf{};
  const size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:06d}Z", std::string_view(buf.data(), n), micros % kMicrosPerSecond);
}

int lease_seconds(milliseconds lease) {
  return std::max(
      1, static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(lease).count()));
}

}  // namespace

std::string default_leader_identity() {
  std::array<char, kHostNameMax> host{};
  std::string name = gethostname(host.data(), host.size() - 1) == 0 ? host.data() : "";
  if (name.empty()) name = "ecrhelm";
  std::string suffix;
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < kIdentityRandomBytes; ++i) suffix += fmt::format("{:02x}", byte(rng()));
  return name + "_" + suffix;
}

LeaderElector::LeaderElector(kube::KubeClient& client, std::string ns, std::string name,
                             std::string identity, LeaseTimings t)
    : client_(client),
      ns_(std::move(ns)),
      name_(std::move(name)),
      identity_(std::move(identity)),
      timings_(t) {
  if (ns_.empty() || name_.empty() || identity_.empty()) {
    fail(ErrorKind::kInvalidInput,
         "leader election needs a namespace, a lease name and an identity (got \"{}\", \"{}\", "
         "\"{}\")",
         ns_, name_, identity_);
  }
  const auto retry_jittered =
      std::chrono::duration<double, std::milli>(timings_.retry) * kLeaseAcquireJitterFactor;
  if (timings_.retry.count() <= 0 || !(timings_.lease > timings_.renew_deadline) ||
      !(std::chrono::duration<double, std::milli>(timings_.renew_deadline) > retry_jittered)) {
    fail(ErrorKind::kInvalidInput,
         "leader election timings must satisfy lease ({} ms) > renew deadline ({} ms) > retry "
         "period ({} ms) x {}",
         timings_.lease.count(), timings_.renew_deadline.count(), timings_.retry.count(),
         kLeaseAcquireJitterFactor);
  }
}

LeaderElector::~LeaderElector() = default;

bool LeaderElector::stopping() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_requested_ || abandon_requested_;
}

bool LeaderElector::wait_for_stop(milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, d, [this] { return stop_requested_ || abandon_requested_; });
}

void LeaderElector::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_requested_ = true;
  }
  cv_.notify_all();
}

void LeaderElector::abandon() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    abandon_requested_ = true;
  }
  cv_.notify_all();
}

bool LeaderElector::is_leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leading_ && Clock::now() - last_renew_ < timings_.renew_deadline;
}

json LeaderElector::record_for_update(const json& old_spec, bool leader) const {
  const std::string now = micro_time(std::chrono::system_clock::now());
  json spec = {{"holderIdentity", identity_},
               {"leaseDurationSeconds", lease_seconds(timings_.lease)},
               {"acquireTime", now},
               {"renewTime", now},
               {"leaseTransitions", 0}};
  const int64_t transitions = old_spec.value("leaseTransitions", int64_t{0});
  if (leader) {
    if (old_spec.contains("acquireTime")) spec["acquireTime"] = old_spec["acquireTime"];
    spec["leaseTransitions"] = transitions;
  } else {
    spec["leaseTransitions"] = transitions + 1;
  }
  return spec;
}

// client-go's tryAcquireOrRenew, step by step.
bool LeaderElector::try_acquire_or_renew() {
  const auto now = Clock::now();
  std::optional<json> lease;
  try {
    lease = client_.get_if_exists(kube::resources::kLeases, ns_, name_);
  } catch (const std::exception& e) {
    spdlog::warn("leader election: cannot read lease {}/{}: {}", ns_, name_, e.what());
    return false;
  }

  // 1. No lease yet: create it, holding it.
  if (!lease) {
    json obj = {{"apiVersion", kube::resources::kLeases.api_version()},
                {"kind", kube::resources::kLeases.kind},
                {"metadata", {{"name", name_}, {"namespace", ns_}}},
                {"spec", record_for_update(json::object(), false)}};
    obj["spec"]["leaseTransitions"] = 0;
    try {
      json created = client_.create(kube::resources::kLeases, ns_, obj);
      observed_spec_ = created.value("spec", json::object());
      observed_lease_ = std::move(created);
      observed_time_ = now;
      return true;
    } catch (const std::exception& e) {
      if (kube::is_already_exists(e)) {
        spdlog::debug("leader election: lease {}/{} was created by another candidate", ns_, name_);
      } else {
        spdlog::warn("leader election: cannot create lease {}/{}: {}", ns_, name_, e.what());
      }
      return false;
    }
  }

  // 2. A record exists: note when it last changed, by our clock.
  json old_spec = lease->value("spec", json::object());
  if (old_spec != observed_spec_) {
    observed_spec_ = old_spec;
    observed_time_ = now;
  }
  observed_lease_ = *lease;
  const std::string holder = old_spec.value("holderIdentity", "");
  const bool held_by_us = holder == identity_;
  if (!holder.empty() && !held_by_us && now < observed_time_ + timings_.lease) {
    spdlog::debug("leader election: lease {}/{} is held by {} and has not expired", ns_, name_,
                  holder);
    return false;
  }

  // 3. Ours to take or renew; resourceVersion makes the write conditional.
  json obj = *lease;
  obj["spec"] = record_for_update(old_spec, held_by_us);
  try {
    json updated = client_.update(kube::resources::kLeases, ns_, obj);
    observed_spec_ = updated.value("spec", json::object());
    observed_lease_ = std::move(updated);
    observed_time_ = now;
    return true;
  } catch (const std::exception& e) {
    if (kube::is_conflict(e)) {
      spdlog::debug("leader election: lease {}/{} changed meanwhile (another candidate won)", ns_,
                    name_);
    } else {
      spdlog::warn("leader election: cannot update lease {}/{}: {}", ns_, name_, e.what());
    }
    return false;
  }
}

// client-go's release(): hand the lease back so a successor need not wait.
bool LeaderElector::release() {
  if (observed_spec_.value("holderIdentity", "") != identity_) return true;
  const std::string now = micro_time(std::chrono::system_clock::now());
  json obj = observed_lease_;
  obj["spec"] = {{"holderIdentity", ""},
                 {"leaseDurationSeconds", kReleasedLeaseDurationSeconds},
                 {"acquireTime", now},
                 {"renewTime", now},
                 {"leaseTransitions", observed_spec_.value("leaseTransitions", int64_t{0})}};
  try {
    json updated = client_.update(kube::resources::kLeases, ns_, obj);
    observed_spec_ = updated.value("spec", json::object());
    observed_lease_ = std::move(updated);
    spdlog::info("leader election: {} released lease {}/{}", identity_, ns_, name_);
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("leader election: cannot release lease {}/{}: {}", ns_, name_, e.what());
    return false;
  }
}

void LeaderElector::run(std::function<void()> on_started, std::function<void()> on_stopped) {
  if (ran_.exchange(true)) fail(ErrorKind::kInternal, "LeaderElector::run called twice");

  // Acquire: every retry period, jittered.
  spdlog::info("leader election: {} trying to acquire lease {}/{}", identity_, ns_, name_);
  std::uniform_real_distribution<double> jitter(0.0, kLeaseAcquireJitterFactor);
  while (true) {
    if (stopping()) return;
    if (try_acquire_or_renew()) break;
    const auto wait = std::chrono::duration_cast<milliseconds>(
        std::chrono::duration<double, std::milli>(timings_.retry) * (1.0 + jitter(rng())));
    if (wait_for_stop(wait)) return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    leading_ = true;
    last_renew_ = Clock::now();
  }
  spdlog::info("leader election: {} acquired lease {}/{}", identity_, ns_, name_);
  std::thread started([&on_started] {
    try {
      if (on_started) on_started();
    } catch (const std::exception& e) {
      spdlog::error("leader election: on_started failed: {}", e.what());
    }
  });

  // Renew: after each success wait a retry period, then retry every retry
  // period until one succeeds within renew_deadline.
  bool lost = false;
  while (!wait_for_stop(timings_.retry)) {
    const auto deadline = Clock::now() + timings_.renew_deadline;
    bool renewed = false;
    while (true) {
      renewed = try_acquire_or_renew() && Clock::now() < deadline;
      const auto now = Clock::now();
      if (renewed || now >= deadline) break;
      if (wait_for_stop(
              std::min(timings_.retry, std::chrono::duration_cast<milliseconds>(deadline - now)))) {
        break;
      }
    }
    if (renewed) {
      std::lock_guard<std::mutex> lock(mu_);
      last_renew_ = Clock::now();
      continue;
    }
    if (stopping()) break;
    lost = true;
    break;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    leading_ = false;
  }
  if (lost) {
    spdlog::warn("leader election: {} lost lease {}/{}: no renewal within {} ms", identity_, ns_,
                 name_, timings_.renew_deadline.count());
  }

  // Stop our work before a successor can start: on_stopped, join, then release.
  try {
    if (on_stopped) on_stopped();
  } catch (const std::exception& e) {
    spdlog::error("leader election: on_stopped failed: {}", e.what());
  }
  started.join();
  bool release_lease = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    release_lease = !lost && stop_requested_ && !abandon_requested_;
  }
  if (release_lease) release();
}

}  // namespace ecrhelm::runtime
