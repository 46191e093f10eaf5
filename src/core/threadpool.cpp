#include "core/threadpool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ELITE_CPU_RELAX() _mm_pause()
#else
#define ELITE_CPU_RELAX() ((void)0)
#endif

namespace elite {
namespace {
// About 50-100 us of spinning before a worker goes to sleep.
constexpr int kSpinIterations = 20000;
}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_share(int index) {
  for (int task = index; task < n_tasks_; task += threads()) (*fn_)(task);
}

void ThreadPool::run(int n_tasks, const std::function<void(int)>& fn) {
  if (n_tasks <= 0) return;
  if (workers_.empty() || n_tasks == 1) {
    for (int t = 0; t < n_tasks; ++t) fn(t);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = &fn;
    n_tasks_ = n_tasks;
    pending_workers_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  run_share(0);
  for (int spins = 1; pending_workers_.load(std::memory_order_acquire) != 0; ++spins) {
    ELITE_CPU_RELAX();
    if (spins % 64 == 0) std::this_thread::yield();
  }
}

void ThreadPool::worker_loop(int index) {
  // Not generation_.load(): a worker that starts late must still join region 1.
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && spins < kSpinIterations) {
      ELITE_CPU_RELAX();
      // Under oversubscription, let the thread doing the work have the core.
      if (++spins % 64 == 0) std::this_thread::yield();
    }
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load()) return;
    // fn_ and n_tasks_ were written before the release increment of generation_.
    run_share(index);
    pending_workers_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace elite
