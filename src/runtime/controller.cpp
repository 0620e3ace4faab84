#include "runtime/controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ecrhelm::runtime {

Controller::Controller(std::string name, Reconciler& reconciler, ControllerOptions opts)
    : name_(std::move(name)),
      reconciler_(reconciler),
      opts_(std::move(opts)),
      queue_(opts_.clock ? *opts_.clock : QueueClock::steady()) {}

Controller::~Controller() { stop(); }

void Controller::start() {
  for (int i = 0; i < std::max(1, opts_.workers); ++i) workers_.emplace_back([this] { worker(); });
}

void Controller::stop() {
  if (stopped_.exchange(true)) return;
  queue_.shutdown();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
}

bool Controller::process_next() {
  auto req = queue_.try_get();
  if (!req) return false;
  handle(*req);
  queue_.done(*req);
  return true;
}

void Controller::worker() {
  while (auto req = queue_.get()) {
    handle(*req);
    queue_.done(*req);
  }
}

void Controller::handle(const Request& req) {
  ++stats_.reconciles;
  auto started = std::chrono::steady_clock::now();
  auto observe = [&] {
    if (opts_.on_reconcile) opts_.on_reconcile(std::chrono::steady_clock::now() - started);
  };
  try {
    Result r = reconciler_.reconcile(req);
    observe();
    queue_.forget(req);
    if (r.requeue_after) queue_.add_after(req, *r.requeue_after);
  } catch (const TerminalError& e) {
    observe();
    ++stats_.terminal;
    queue_.forget(req);
    spdlog::warn("controller: {} {}: {}", name_, req.key(), e.what());
  } catch (const std::exception& e) {
    observe();
    ++stats_.errors;
    auto delay = queue_.add_rate_limited(req);
    spdlog::warn("controller: {} {}: {} (retry in {} ms)", name_, req.key(), e.what(),
                 delay.count());
  }
}

}  // namespace ecrhelm::runtime
