#pragma once
// Per-worker intrusive binary min-heap of timers, ordered by (deadline, seq).
// O(log n) insert and removal; a disarmed timer leaves nothing behind.

#include <cstdint>
#include <vector>

#include "coronet/time.hpp"

namespace coronet::detail {

struct timer_node {
    static constexpr std::uint32_t unarmed = 0xffffffffu;
    time_point deadline{};
    std::uint64_t seq = 0;
    std::uint32_t index = unarmed;
    void (*fire)(timer_node*) = nullptr;
    bool armed() const noexcept { return index != unarmed; }
};

class timer_heap {
  public:
    void insert(timer_node* t, time_point deadline) {
        t->deadline = deadline;
        t->seq = ++seq_;
        t->index = static_cast<std::uint32_t>(heap_.size());
        heap_.push_back(t);
        up(t->index);
    }
    void remove(timer_node* t) noexcept {
        std::uint32_t i = t->index;
        t->index = timer_node::unarmed;
        timer_node* last = heap_.back();
        heap_.pop_back();
        if (last == t) return;
        heap_[i] = last;
        last->index = i;
        if (!up(i)) down(i);
    }
    bool empty() const noexcept { return heap_.empty(); }
    std::size_t size() const noexcept { return heap_.size(); }
    timer_node* top() const noexcept { return heap_.front(); }
    /// Pops the earliest timer if it is due at `now`.
    timer_node* pop_due(time_point now) noexcept {
        if (heap_.empty() || heap_.front()->deadline > now) return nullptr;
        timer_node* t = heap_.front();
        remove(t);
        return t;
    }
    void clear() noexcept {
        for (auto* t : heap_) t->index = timer_node::unarmed;
        heap_.clear();
    }

  private:
    static bool less(const timer_node* a, const timer_node* b) noexcept {
        return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
    }
    void place(std::uint32_t i, timer_node* t) noexcept {
        heap_[i] = t;
        t->index = i;
    }
    bool up(std::uint32_t i) noexcept {
        timer_node* t = heap_[i];
        bool moved = false;
        while (i > 0) {
            std::uint32_t parent = (i - 1) / 2;
            if (!less(t, heap_[parent])) break;
            place(i, heap_[parent]);
            i = parent;
            moved = true;
        }
        place(i, t);
        return moved;
    }
    void down(std::uint32_t i) noexcept {
        timer_node* t = heap_[i];
        const auto n = static_cast<std::uint32_t>(heap_.size());
        for (;;) {
            std::uint32_t c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && less(heap_[c + 1], heap_[c])) ++c;
            if (!less(heap_[c], t)) break;
            place(i, heap_[c]);
            i = c;
        }
        place(i, t);
    }

    std::vector<timer_node*> heap_;
    std::uint64_t seq_ = 0;
};

}  // namespace coronet::detail
