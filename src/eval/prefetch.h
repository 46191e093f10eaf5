// OrderedPrefetch: computes fn(0), fn(1), ..., fn(n-1) on `workers` threads, at most
// `window` items ahead of the consumer, and hands them out in index order. Used to decode
// and preprocess images while the model runs. Each item is computed by one call of fn
// with its index only, so results never depend on the number of workers or on which
// worker ran them.
//
//   OrderedPrefetch<Tensor> q(n, 3, 8, [&](size_t i) { return load(i); });
//   for (size_t i = 0; i < n; ++i) use(q.take(i));
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace elite {

template <class T>
class OrderedPrefetch {
 public:
  OrderedPrefetch(size_t n, int workers, size_t window, std::function<T(size_t)> fn)
      : fn_(std::move(fn)), slots_(n), window_(std::max<size_t>(window, 1)) {
    const int w = static_cast<int>(std::min<size_t>(std::max(workers, 1), std::max<size_t>(n, 1)));
    for (int i = 0; i < w; ++i) threads_.emplace_back([this] { work(); });
  }
  ~OrderedPrefetch() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  OrderedPrefetch(const OrderedPrefetch&) = delete;
  OrderedPrefetch& operator=(const OrderedPrefetch&) = delete;

  // Item i; call with i = 0, 1, 2, ... in order. Blocks until it is ready.
  T take(size_t i) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return slots_[i].has_value(); });
    T value = std::move(*slots_[i]);
    slots_[i].reset();
    consumed_ = i + 1;
    lock.unlock();
    cv_.notify_all();
    return value;
  }

 private:
  void work() {
    for (;;) {
      size_t i;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || next_ >= slots_.size() || next_ < consumed_ + window_; });
        if (stop_ || next_ >= slots_.size()) return;
        i = next_++;
      }
      T value = fn_(i);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        slots_[i] = std::move(value);
      }
      cv_.notify_all();
    }
  }

  std::function<T(size_t)> fn_;
  std::vector<std::optional<T>> slots_;
  size_t window_;
  size_t next_ = 0, consumed_ = 0;
  bool stop_ = false;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
};

}  // namespace elite
