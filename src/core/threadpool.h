// A small fork-join thread pool for batch-1 inference: the caller and threads-1 workers
// share each parallel region. Workers spin briefly between regions (a model runs ~70
// regions in a few milliseconds, too short for a condition-variable wake-up each time),
// then sleep. Tasks are fixed index ranges, so which thread runs a task never changes a
// result. Assignment is static: thread t (the caller is 0) runs tasks t, t + threads, ...
// Every op splits its rows or columns the same way, so each thread keeps reading what it
// wrote in the op before from its own cache; with tasks taken first-come, a caller that
// started before a worker woke could also take the worker's task and run both.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace elite {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(task) for task in [0, n_tasks), spread over the threads; returns when all ran.
  void run(int n_tasks, const std::function<void(int)>& fn);

 private:
  void worker_loop(int index);
  void run_share(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_workers_{0};
  int n_tasks_ = 0;
  const std::function<void(int)>* fn_ = nullptr;
  std::atomic<bool> stop_{false};
};

}  // namespace elite
