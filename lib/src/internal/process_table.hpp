#pragma once
// Per-worker table slot -> process. A pid carries its slot, so a lookup is
// one index plus a serial check (a stale pid finds another serial: no match).
// The owner allocates from its free list; other threads (spawning onto this
// worker) only reserve fresh indices with an atomic counter, and the owner
// fills the slot when it adopts the process.

#include <atomic>
#include <cstdint>
#include <vector>

namespace coronet::detail {

struct process;

class process_table {
  public:
    /// Owner thread.
    std::uint32_t alloc_local() {
        if (!free_.empty()) {
            std::uint32_t s = free_.back();
            free_.pop_back();
            return s;
        }
        return fresh_.fetch_add(1, std::memory_order_relaxed);
    }
    /// Any thread.
    std::uint32_t alloc_remote() noexcept { return fresh_.fetch_add(1, std::memory_order_relaxed); }

    process* find(std::uint32_t slot, std::uint64_t serial) const noexcept {
        if (slot >= slots_.size()) return nullptr;
        const entry& e = slots_[slot];
        return e.serial == serial ? e.p : nullptr;
    }
    template <class F>
    void for_slot(std::uint32_t slot, F&& f) const {
        if (slot < slots_.size() && slots_[slot].p) f(slots_[slot].p);
    }
    void insert(std::uint32_t slot, std::uint64_t serial, process* p) {
        if (slot >= slots_.size())
            slots_.resize(std::max<std::size_t>(slot + 1, slots_.size() * 2));
        slots_[slot] = entry{serial, p};
        ++size_;
    }
    void erase(std::uint32_t slot) {
        slots_[slot] = entry{};
        free_.push_back(slot);
        --size_;
    }
    std::size_t size() const noexcept { return size_; }
    template <class F>
    void for_each(F&& f) const {
        for (const entry& e : slots_)
            if (e.serial) f(e.p);
    }

  private:
    struct entry {
        std::uint64_t serial = 0;
        process* p = nullptr;
    };
    std::vector<entry> slots_ = std::vector<entry>(64);
    std::vector<std::uint32_t> free_;
    std::atomic<std::uint32_t> fresh_{0};
    std::size_t size_ = 0;
};

}  // namespace coronet::detail
