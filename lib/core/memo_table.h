// A thread-safe table of computed answers, kept for the table's lifetime.
//
// A query object (stale/query.h, env/env_query.h) owns one per kind of
// question, so an answer lives exactly as long as the query that computed
// it: a later call, with its own query, never sees it. compute() runs
// outside the lock, so two threads may compute the same key at once ; the
// first stored answer wins (if the file changed between the two, the
// query's journal sees two identities and is not remembered).
//
// MemoTable<std::string_view, V> keeps its own copy of each key in an arena
// (core/string_arena.h): a lookup by a temporary view allocates nothing, and
// a new key costs a copy into a block instead of an allocation of its own.
#pragma once

#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "core/mutex.h"
#include "core/shard_index.h"
#include "core/string_arena.h"

namespace jlcache {

template <typename K, typename V>
class MemoTable {
 public:
  // Room for about n keys, so a large query does not rehash as it grows.
  void Reserve(size_t n) {
    for (Shard& s : shards_) {
      MutexLock lock(&s.mu);
      s.map.reserve(n / kShards + 1);
    }
  }
  template <typename Key, typename F>
  V Get(const Key& key, F&& compute) {
    Shard& s = shards_[ShardIndex<kShards>(absl::Hash<Key>{}(key))];
    {
      MutexLock lock(&s.mu);
      auto it = s.map.find(key);
      if (it != s.map.end()) return it->second;
    }
    V value = std::forward<F>(compute)();
    MutexLock lock(&s.mu);
    if constexpr (kInterned) {
      auto it = s.map.find(key);
      if (it != s.map.end()) return it->second;
      return s.map.try_emplace(s.keys.Copy(key), std::move(value)).first->second;
    } else {
      return s.map.try_emplace(K(key), std::move(value)).first->second;
    }
  }

 private:
  // The I/O pool's threads ask at once; one lock would serialize them.
  static constexpr size_t kShards = 16;
  static constexpr bool kInterned = std::is_same_v<K, std::string_view>;
  struct NoArena {};
  struct Shard {
    Mutex mu;
    // Before the map, so it outlives the views the map holds.
    [[no_unique_address]] std::conditional_t<kInterned, StringArena, NoArena> keys ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<K, V> map ABSL_GUARDED_BY(mu);
  };
  Shard shards_[kShards];
};

// One computed value, kept for the holder's lifetime (MemoTable's single-key case).
template <typename V>
class MemoValue {
 public:
  template <typename F>
  V Get(F&& compute) {
    {
      MutexLock lock(&mu_);
      if (value_) return *value_;
    }
    V value = std::forward<F>(compute)();
    MutexLock lock(&mu_);
    if (!value_) value_.emplace(std::move(value));
    return *value_;
  }

 private:
  Mutex mu_;
  std::optional<V> value_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jlcache
