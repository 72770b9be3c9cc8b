#pragma once
// Projector: keeps the live projections current in a process that appends.
// A thread catches up (ProjectionEngine::catch_up) whenever the log's head
// has moved: at once after notify(), else within `poll_interval`. The lag is
// bounded by one catch-up's duration plus the interval.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "adapters/projections/projection_engine.h"

namespace mledger {

class Projector {
 public:
  Projector(ProjectionEngine& engine, EventLog& log,
            std::chrono::milliseconds poll_interval = std::chrono::milliseconds(50));
  ~Projector();  // stop()
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  void notify();
  // Catches up one last time, joins the thread, and returns the first failure
  // (the thread stops catching up after one). Idempotent.
  [[nodiscard]] Status stop();
  // The head the projections were last brought to.
  uint64_t caught_up_to() const;

 private:
  void run();
  Status catch_up_once();

  ProjectionEngine& engine_;
  EventLog& log_;
  const std::chrono::milliseconds poll_interval_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool notified_ = false;
  bool stopped_ = false;
  Status failure_;
  uint64_t caught_up_to_ = 0;
  std::thread thread_;
};

}  // namespace mledger
