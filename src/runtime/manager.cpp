#include "runtime/manager.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "util/error.h"

namespace ecrhelm::runtime {
namespace {

// The write end of the running Manager's wake pipe, for the signal handler.
std::atomic<int> g_signal_fd{-1};

extern "C" void on_shutdown_signal(int) {
  int fd = g_signal_fd.load();
  if (fd >= 0) {
    char c = 's';
    [[maybe_unused]] ssize_t n = ::write(fd, &c, 1);  // async-signal-safe
  }
}

// SIGTERM and SIGINT wake run() while it runs; the previous handlers come back after.
class SignalScope {
 public:
  explicit SignalScope(int fd) {
    g_signal_fd = fd;
    struct sigaction sa {};
    sa.sa_handler = on_shutdown_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &old_term_);
    sigaction(SIGINT, &sa, &old_int_);
  }
  ~SignalScope() {
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGINT, &old_int_, nullptr);
    g_signal_fd = -1;
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

 private:
  struct sigaction old_term_ {};
  struct sigaction old_int_ {};
};

}  // namespace

Manager::Manager(kube::KubeClient& kube, ManagerOptions opts)
    : kube_(kube), opts_(std::move(opts)) {
  if (::pipe2(wake_fd_, O_CLOEXEC | O_NONBLOCK) != 0)
    fail(ErrorKind::kInternal, "manager: cannot create a pipe: {}", std::strerror(errno));
}

Manager::~Manager() {
  stop();
  for (int fd : wake_fd_) {
    if (fd >= 0) ::close(fd);
  }
}

Request Manager::request_of(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

void Manager::add_source(Source s) {
  std::lock_guard lock(lifecycle_mu_);
  if (started_) fail(ErrorKind::kInternal, "manager: informers are added before start()");
  sources_.push_back(std::move(s));
}

Controller& Manager::add_controller(std::string name, Reconciler& reconciler,
                                    ControllerOptions opts) {
  std::lock_guard lock(lifecycle_mu_);
  if (started_) fail(ErrorKind::kInternal, "manager: controllers are added before start()");
  controllers_.push_back(
      std::make_unique<Controller>(std::move(name), reconciler, std::move(opts)));
  return *controllers_.back();
}

void Manager::add_runnable(std::function<void()> start, std::function<void()> stop) {
  std::lock_guard lock(lifecycle_mu_);
  if (started_) fail(ErrorKind::kInternal, "manager: runnables are added before start()");
  runnables_.emplace_back(std::move(start), std::move(stop));
}

void Manager::start() {
  std::lock_guard lock(lifecycle_mu_);
  if (started_ || stopped_) return;
  started_ = true;
  for (auto& [start, stop] : runnables_) {
    if (start) start();
  }
  for (auto& s : sources_) threads_.emplace_back(s.run);
  threads_.emplace_back([this] { resync_loop(); });
  for (auto& c : controllers_) c->start();
}

void Manager::resync_loop() {
  std::unique_lock lock(resync_mu_);
  while (!resync_cv_.wait_for(lock, opts_.sync_period, [this] { return resync_stop_; })) {
    lock.unlock();
    for (auto& s : sources_) {
      if (s.resync) s.resync();
    }
    lock.lock();
  }
}

void Manager::stop() {
  std::lock_guard lock(lifecycle_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (!started_) return;
  // Writers first (a reconcile in progress finishes), so that a lost Lease
  // stops writes at once; then the informers.
  for (auto& c : controllers_) c->stop();
  {
    std::lock_guard rl(resync_mu_);
    resync_stop_ = true;
  }
  resync_cv_.notify_all();
  // Each informer's stop waits for its watch to notice the cancel (curl checks
  // about once a second while idle): stop them side by side, not in turn.
  std::vector<std::thread> stoppers;
  for (auto& s : sources_) stoppers.emplace_back(s.stop);
  for (auto& t : stoppers) t.join();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  for (auto it = runnables_.rbegin(); it != runnables_.rend(); ++it) {
    if (it->second) it->second();
  }
}

bool Manager::synced() const {
  for (const auto& s : sources_) {
    if (!s.synced()) return false;
  }
  return true;
}

uint64_t Manager::reconciles() const {
  uint64_t n = 0;
  for (const auto& c : controllers_) n += c->stats().reconciles.load();
  return n;
}

void Manager::request_stop() {
  char c = 's';
  [[maybe_unused]] ssize_t n = ::write(wake_fd_[1], &c, 1);
}

int Manager::run() {
  std::unique_ptr<LeaderElector> elector;
  if (opts_.leader_elect) {
    elector = std::make_unique<LeaderElector>(
        kube_, opts_.leader_election_namespace, opts_.leader_election_id,
        opts_.leader_identity.empty() ? default_leader_identity() : opts_.leader_identity,
        opts_.lease_timings);
  } else {
    leading_ = true;
  }
  SignalScope signals(wake_fd_[1]);

  ProbeServerOptions po;
  po.metrics_bind_address = opts_.metrics_bind_address;
  po.health_probe_bind_address = opts_.health_probe_bind_address;
  po.metrics = &registry_;
  // Ready once the caches have synced; a standby replica is ready too
  // (controller-runtime's readyz does not wait for leadership).
  po.readiness = [this]() -> std::optional<std::string> {
    if (!leading_) return std::nullopt;
    if (!synced()) return std::string("informer caches not synced yet");
    return std::nullopt;
  };
  probes_ = std::make_unique<ProbeServer>(po);
  probes_->start();
  if (probes_->metrics_port() != 0)
    spdlog::info("controller: metrics on port {}", probes_->metrics_port());
  if (probes_->health_port() != 0)
    spdlog::info("controller: health probes on port {}", probes_->health_port());

  std::thread election;
  if (elector) {
    spdlog::info("controller: waiting for lease {}/{} as {}", opts_.leader_election_namespace,
                 opts_.leader_election_id, elector->identity());
    election = std::thread([this, &elector] {
      elector->run(
          [this] {
            spdlog::info("controller: became leader");
            leading_ = true;
            start();
          },
          [this] {
            // As controller-runtime: a leader that lost its Lease stops its
            // writers at once and exits.
            stop();
            if (!shutting_down_) {
              spdlog::error("controller: leader election lost; exiting");
              request_stop();
            }
          });
    });
  } else {
    start();
  }

  for (;;) {
    pollfd p{wake_fd_[0], POLLIN, 0};
    int n = ::poll(&p, 1, -1);
    if (n > 0) break;
    if (n < 0 && errno != EINTR) break;
  }
  shutting_down_ = true;
  spdlog::info("controller: stopping");
  stop();
  if (elector) elector->stop();  // after the writers stopped: releases the Lease
  if (election.joinable()) election.join();
  probes_->stop();
  return 0;
}

}  // namespace ecrhelm::runtime
