#include <benchmark/benchmark.h>

#include "core/bounded_queue.h"

namespace didban {
namespace {

void BM_BoundedQueuePushPop(benchmark::State& state) {
  BoundedQueue<int> q(2, OverflowPolicy::kDropOldest);
  int i = 0;
  for (auto _ : state) {
    q.Push(i++);
    benchmark::DoNotOptimize(q.Pop());
  }
}
BENCHMARK(BM_BoundedQueuePushPop);

}  // namespace
}  // namespace didban

BENCHMARK_MAIN();
