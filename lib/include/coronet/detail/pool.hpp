#pragma once
// Size-class pool for the runtime's small, hot allocations: message nodes,
// process records and coroutine frames. Internal.

#include <cstddef>

namespace coronet::detail {

/// Allocates `n` bytes (any thread). Sizes up to pool_max_size come from
/// per-thread caches refilled in batches; larger ones from operator new.
void* pool_alloc(std::size_t n);
/// Frees memory from pool_alloc with the same size (any thread).
void pool_free(void* p, std::size_t n) noexcept;

inline constexpr std::size_t pool_max_size = 1024;

}  // namespace coronet::detail
