// Controller: one Reconciler and its own WorkQueue (controller-runtime's
// controller): event handlers and resyncs enqueue Requests; `workers`
// threads hand each request to the reconciler, one at a time per request;
// a Result's requeue_after schedules the next look, an error retries with
// the request's exponential backoff, a TerminalError is logged and waits
// for the object to change.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/reconciler.h"
#include "runtime/work_queue.h"

namespace ecrhelm::runtime {

struct ControllerOptions {
  int workers = 1;  // at least one
  // Called after each reconcile with its wall time (metrics); may be empty.
  std::function<void(std::chrono::duration<double>)> on_reconcile;
  const QueueClock* clock = nullptr;  // the queue's; null = the steady clock
};

// Counters of what the controller did, for logs, metrics and tests.
struct ControllerStats {
  std::atomic<uint64_t> reconciles{0};
  std::atomic<uint64_t> errors{0};    // retried with backoff
  std::atomic<uint64_t> terminal{0};  // TerminalError: not retried
};

class Controller {
 public:
  // `name` names the controller in logs ("externalsecret": "controller:
  // externalsecret ns/name: why").
  Controller(std::string name, Reconciler& reconciler, ControllerOptions opts = {});
  ~Controller();  // stop()
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  const std::string& name() const { return name_; }
  // Thread-safe; a request already queued is not queued twice.
  void enqueue(const Request& req) { queue_.add(req); }
  // Starts the workers; returns at once.
  void start();
  // Shuts the queue down and joins the workers (a reconcile in progress finishes). Idempotent.
  void stop();
  // One due request reconciled on the caller's thread; false when none was due
  // (unit tests with a hand-moved clock, instead of start()).
  bool process_next();

  WorkQueue& queue() { return queue_; }
  const ControllerStats& stats() const { return stats_; }

 private:
  void worker();
  void handle(const Request& req);

  std::string name_;
  Reconciler& reconciler_;
  ControllerOptions opts_;
  WorkQueue queue_;
  ControllerStats stats_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stopped_{false};
};

}  // namespace ecrhelm::runtime
