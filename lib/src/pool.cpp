// The size-class pool (see detail/pool.hpp).
//
// Each thread keeps, per 64-byte size class, a free list of at most
// `cache_limit` blocks. An overfull list hands a batch of `batch` blocks to
// a global stack (one mutex per class, taken once per batch), and an empty
// one takes a batch back from there before carving a new chunk. So a
// producer thread and a consumer thread recycle each other's blocks, and the
// pool holds at most the peak number of live blocks plus the caches.
// Memory is kept for reuse, not returned to the system.
//
// Under AddressSanitizer or ThreadSanitizer the pool is bypassed so that the
// sanitizers see every allocation.

#include "coronet/detail/pool.hpp"

#include <mutex>
#include <new>
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

struct block {
    block* next;
};

struct global_class {
    std::mutex m;
    std::vector<block*> batches;  // each a list of `batch` blocks
};

global_class g_classes[classes];

struct thread_cache {
    block* head[classes] = {};
    std::size_t size[classes] = {};

    ~thread_cache() {
        for (std::size_t c = 0; c < classes; ++c)
            while (size[c] >= batch) give_batch(c);
        // Fewer than a batch left per class: handed back as a short batch.
        for (std::size_t c = 0; c < classes; ++c) {
            if (!head[c]) continue;
            std::lock_guard lk(g_classes[c].m);
            g_classes[c].batches.push_back(head[c]);
            head[c] = nullptr;
            size[c] = 0;
        }
    }

    void give_batch(std::size_t c) {
        block* first = head[c];
        block* last = first;
        for (std::size_t i = 1; i < batch; ++i) last = last->next;
        head[c] = last->next;
        last->next = nullptr;
        size[c] -= batch;
        std::lock_guard lk(g_classes[c].m);
        g_classes[c].batches.push_back(first);
    }

    void refill(std::size_t c) {
        {
            std::lock_guard lk(g_classes[c].m);
            auto& b = g_classes[c].batches;
            if (!b.empty()) {
                block* list = b.back();
                b.pop_back();
                std::size_t n = 0;
                for (block* x = list; x; x = x->next) ++n;
                head[c] = list;
                size[c] = n;
                return;
            }
        }
        const std::size_t sz = (c + 1) * granule;
        auto* chunk = static_cast<char*>(::operator new(sz* batch));
        for (std::size_t i = 0; i < batch; ++i) {
            auto* b = reinterpret_cast<block*>(chunk + i * sz);
            b->next = head[c];
            head[c] = b;
        }
        size[c] += batch;
    }
};

thread_local thread_cache t_cache;

}  // namespace

void* pool_alloc(std::size_t n) {
    if (n > pool_max_size || n == 0) return ::operator new(n);
    const std::size_t c = (n - 1) / granule;
    thread_cache& tc = t_cache;
    if (!tc.head[c]) tc.refill(c);
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
