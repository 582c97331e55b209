// Answers remembered for the length of one query.
//
// Every public question (one status, one isstale) is a query: it must see the
// files as they are when it starts, never an answer computed before an edit.
// Within one query the same stat, TOML file or environment lookup is asked
// thousands of times (each candidate lists its whole transitive closure), so
// answers are remembered until the query ends.
//
// Begin() opens a query (queries may nest; a nested Begin also starts a new
// generation) and End() closes one; when the last one closes, everything is
// forgotten. Outside any query nothing is remembered. An answer computed in
// an older generation is never stored, so a slow computation that straddles a
// Begin() cannot leak into the next query. Thread-safe; compute() runs
// outside the lock, so two threads may compute the same key at once (both
// answers are equal within a query, and the first stored one wins).
#pragma once

#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"

namespace jlcache {

template <typename K, typename V>
class QueryMemo {
 public:
  void Begin() {
    for (Shard& s : shards_) {
      absl::MutexLock lock(&s.mu);
      ++s.open;
      ++s.generation;
      s.map.clear();
    }
  }

  void End() {
    for (Shard& s : shards_) {
      absl::MutexLock lock(&s.mu);
      if (s.open > 0 && --s.open == 0) s.map.clear();
    }
  }

  // The remembered answer for key, or compute()'s (remembered when a query is open).
  template <typename Key, typename F>
  V Get(const Key& key, F&& compute) {
    Shard& s = shards_[absl::Hash<Key>{}(key) % kShards];
    uint64_t gen;
    {
      absl::MutexLock lock(&s.mu);
      if (s.open == 0) {
        gen = 0;
      } else {
        gen = s.generation;
        auto it = s.map.find(key);
        if (it != s.map.end()) return it->second;
      }
    }
    V value = std::forward<F>(compute)();
    if (gen != 0) {
      absl::MutexLock lock(&s.mu);
      if (gen == s.generation && s.open > 0) return s.map.try_emplace(K(key), value).first->second;
    }
    return value;
  }

 private:
  // The I/O pool's threads ask at once; one lock would serialize them.
  static constexpr size_t kShards = 16;
  struct Shard {
    absl::Mutex mu;
    int open ABSL_GUARDED_BY(mu) = 0;
    uint64_t generation ABSL_GUARDED_BY(mu) = 0;
    absl::flat_hash_map<K, V> map ABSL_GUARDED_BY(mu);
  };
  Shard shards_[kShards];
};

}  // namespace jlcache
