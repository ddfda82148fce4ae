// The size-class pool (see detail/pool.hpp).
//
// Each thread keeps, per 64-byte size class, a free list of at most
// `cache_limit` blocks. An overfull list hands a batch of `batch` blocks to
// a global stack (one mutex per class, taken once per batch), and an empty
// one takes a batch back from there before it carves new blocks from its
// current 2 MiB chunk (bump pointer, huge-page backed where possible). So a
// producer thread and a consumer thread recycle each other's blocks, and the
// pool holds at most the peak number of live blocks plus the caches and one
// partly used chunk per thread and class. A thread that exits hands its
// blocks and the unused tail of its chunks to the global stacks. Memory is
// kept for reuse, not returned to the system.
//
// Under AddressSanitizer or ThreadSanitizer the pool is bypassed so that the
// sanitizers see every allocation.

#include "coronet/detail/pool.hpp"

#include <sys/mman.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CORONET_POOL_BYPASS 1
#endif

namespace coronet::detail {

#ifdef CORONET_POOL_BYPASS

void* pool_alloc(std::size_t n) {
    return ::operator new(n);
}
void pool_free(void* p, std::size_t) noexcept {
    ::operator delete(p);
}

#else

namespace {

constexpr std::size_t granule = 64;
constexpr std::size_t classes = pool_max_size / granule;
constexpr std::size_t batch = 1024;
constexpr std::size_t cache_limit = 2 * batch;
constexpr std::size_t chunk_size = std::size_t{2} << 20;  // one transparent huge page

struct block {
    block* next;
};

struct region {
    char* begin;
    char* end;
};

struct global_class {
    std::mutex m;
    std::vector<std::pair<block*, std::size_t>> batches;  // lists of blocks, with their length
    std::vector<region> regions;            // unused tails of chunks, from exited threads
    std::atomic<std::size_t> available{0};  // batches.size() + regions.size()
};

global_class g_classes[classes];

/// A fresh chunk, backed by a huge page where the kernel allows it (far
/// fewer page faults when millions of messages or frames are live).
char* new_chunk() {
    void* p = std::aligned_alloc(chunk_size, chunk_size);
    if (!p) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE) && defined(CORONET_POOL_HUGEPAGES)
    ::madvise(p, chunk_size, MADV_HUGEPAGE);
#endif
    return static_cast<char*>(p);
}

struct thread_cache {
    block* head[classes] = {};
    std::size_t size[classes] = {};
    char* bump[classes] = {};
    char* bump_end[classes] = {};

    ~thread_cache() {
        for (std::size_t c = 0; c < classes; ++c) {
            global_class& g = g_classes[c];
            std::lock_guard lk(g.m);
            if (head[c]) {
                g.batches.emplace_back(head[c], size[c]);
                g.available.fetch_add(1, std::memory_order_relaxed);
            }
            if (bump[c] != bump_end[c]) {
                g.regions.push_back({bump[c], bump_end[c]});
                g.available.fetch_add(1, std::memory_order_relaxed);
            }
            head[c] = nullptr;
            size[c] = 0;
            bump[c] = bump_end[c] = nullptr;
        }
    }

    void give_batch(std::size_t c) {
        block* first = head[c];
        block* last = first;
        for (std::size_t i = 1; i < batch; ++i) last = last->next;
        head[c] = last->next;
        last->next = nullptr;
        size[c] -= batch;
        global_class& g = g_classes[c];
        std::lock_guard lk(g.m);
        g.batches.emplace_back(first, batch);
        g.available.fetch_add(1, std::memory_order_relaxed);
    }

    /// Takes a batch or a region handed back by other threads; false if none.
    bool take_global(std::size_t c) {
        global_class& g = g_classes[c];
        if (g.available.load(std::memory_order_relaxed) == 0) return false;
        std::lock_guard lk(g.m);
        if (!g.batches.empty()) {
            // The length travels with the list: walking cold blocks to count
            // them would cost a cache miss each.
            head[c] = g.batches.back().first;
            size[c] = g.batches.back().second;
            g.batches.pop_back();
            g.available.fetch_sub(1, std::memory_order_relaxed);
            return true;
        }
        if (!g.regions.empty() && bump[c] == bump_end[c]) {
            bump[c] = g.regions.back().begin;
            bump_end[c] = g.regions.back().end;
            g.regions.pop_back();
            g.available.fetch_sub(1, std::memory_order_relaxed);
            return true;
        }
        return false;
    }

    void* slow_alloc(std::size_t c) {
        const std::size_t sz = (c + 1) * granule;
        if (bump[c] == bump_end[c] && take_global(c) && head[c]) {
            block* b = head[c];
            head[c] = b->next;
            --size[c];
            return b;
        }
        if (static_cast<std::size_t>(bump_end[c] - bump[c]) < sz) {
            bump[c] = new_chunk();
            bump_end[c] = bump[c] + chunk_size / sz * sz;
        }
        void* p = bump[c];
        bump[c] += sz;
        return p;
    }
};

thread_local thread_cache t_cache;

}  // namespace

void* pool_alloc(std::size_t n) {
    if (n > pool_max_size || n == 0) return ::operator new(n);
    const std::size_t c = (n - 1) / granule;
    thread_cache& tc = t_cache;
    if (!tc.head[c]) return tc.slow_alloc(c);
    block* b = tc.head[c];
    tc.head[c] = b->next;
    --tc.size[c];
    return b;
}

void pool_free(void* p, std::size_t n) noexcept {
    if (n > pool_max_size || n == 0) {
        ::operator delete(p);
        return;
    }
    const std::size_t c = (n - 1) / granule;
    thread_cache& tc = t_cache;
    auto* b = static_cast<block*>(p);
    b->next = tc.head[c];
    tc.head[c] = b;
    if (++tc.size[c] > cache_limit) tc.give_batch(c);
}

#endif

}  // namespace coronet::detail
