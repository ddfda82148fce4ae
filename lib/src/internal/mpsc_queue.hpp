#pragma once
// Intrusive multi-producer single-consumer queue (Vyukov), over message nodes.
// push: wait-free, any thread. pop / empty: the owning worker only.

#include <atomic>

#include "coronet/detail/message_node.hpp"

namespace coronet::detail {

class mpsc_queue {
  public:
    mpsc_queue() noexcept : head_(&stub_), tail_(&stub_) {}
    mpsc_queue(const mpsc_queue&) = delete;
    mpsc_queue& operator=(const mpsc_queue&) = delete;

    /// Any thread. seq_cst so that a push and the consumer's sleeping flag
    /// form a Dekker pair (see worker::idle_wait).
    void push(message* m) noexcept {
        m->next.store(nullptr, std::memory_order_relaxed);
        message* prev = head_.exchange(m, std::memory_order_seq_cst);
        prev->next.store(m, std::memory_order_release);
    }

    /// Consumer only. Returns nullptr when empty (or when a producer is
    /// between its two steps; call again later).
    message* pop() noexcept {
        message* tail = tail_;
        message* next = tail->next.load(std::memory_order_acquire);
        if (tail == &stub_) {
            if (!next) return nullptr;
            tail_ = next;
            tail = next;
            next = next->next.load(std::memory_order_acquire);
        }
        if (next) {
            tail_ = next;
            return tail;
        }
        if (tail != head_.load(std::memory_order_acquire)) return nullptr;
        push(&stub_);
        next = tail->next.load(std::memory_order_acquire);
        if (next) {
            tail_ = next;
            return tail;
        }
        return nullptr;
    }

    /// Consumer only: true when nothing is queued or being queued.
    bool empty() const noexcept {
        return tail_ == &stub_ && head_.load(std::memory_order_seq_cst) == &stub_;
    }

  private:
    std::atomic<message*> head_;
    message* tail_;
    message stub_;
};

}  // namespace coronet::detail
