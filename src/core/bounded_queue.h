// A bounded multi-producer multi-consumer queue with a named overflow policy and an observable depth.
#ifndef DIDBAN_CORE_BOUNDED_QUEUE_H_
#define DIDBAN_CORE_BOUNDED_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace didban {

enum class OverflowPolicy {
  kBlock,       // the producer waits for room (files: analyse every frame)
  kDropOldest,  // the oldest queued item is discarded (live video: stay current)
  kDropNewest,  // the item being pushed is discarded
};

// Thread-safe.
template <typename T>
class BoundedQueue {
 public:
  BoundedQueue(size_t capacity, OverflowPolicy policy) : capacity_(capacity == 0 ? 1 : capacity), policy_(policy) {}

  // Returns false if the queue is closed (the item is dropped) or, under kDropNewest, when full.
  bool Push(T item) {
    absl::MutexLock lock(&mu_);
    if (policy_ == OverflowPolicy::kBlock) {
      auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_ || items_.size() < capacity_; };
      mu_.Await(absl::Condition(&room));
    }
    if (closed_) {
      ++refused_;
      return false;
    }
    if (items_.size() >= capacity_) {
      if (policy_ == OverflowPolicy::kDropNewest) {
        ++dropped_;
        return false;
      }
      items_.pop_front();
      ++dropped_;
    }
    items_.push_back(std::move(item));
    return true;
  }

  // Blocks until an item is available; std::nullopt once the queue is closed and drained.
  std::optional<T> Pop() {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_ || !items_.empty(); };
    mu_.Await(absl::Condition(&ready));
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // No more pushes; consumers drain what is queued, then Pop returns std::nullopt.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

  size_t Depth() const {
    absl::MutexLock lock(&mu_);
    return items_.size();
  }
  int64_t Dropped() const {
    absl::MutexLock lock(&mu_);
    return dropped_;
  }
  // Items pushed after Close() (not counted in Dropped()).
  int64_t Refused() const {
    absl::MutexLock lock(&mu_);
    return refused_;
  }
  size_t Capacity() const { return capacity_; }
  OverflowPolicy Policy() const { return policy_; }

 private:
  const size_t capacity_;
  const OverflowPolicy policy_;
  mutable absl::Mutex mu_;
  std::deque<T> items_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t refused_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace didban

#endif  // DIDBAN_CORE_BOUNDED_QUEUE_H_
