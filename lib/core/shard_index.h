// Which of a sharded table's shards a key falls in, from its hash.
//
// The shard is taken from the hash's top bits. absl's flat_hash_map uses the
// same hash inside the shard: its low 7 bits are the control tag each probe
// compares 16 slots against at once, the rest pick where probing starts.
// Sharding on the low bits (hash % shards) would give every key in a shard
// the same low bits of its tag, so each probe would find ~16x more false
// candidates to compare. The top bits are used by neither until a table
// holds far more than 2^50 slots.
#pragma once

#include <bit>
#include <cstddef>
#include <limits>

namespace jlcache {

template <size_t kShards>
constexpr size_t ShardIndex(size_t hash) {
  static_assert(kShards >= 2 && std::has_single_bit(kShards), "a power of two");
  return hash >> (std::numeric_limits<size_t>::digits - std::countr_zero(kShards));
}

}  // namespace jlcache
