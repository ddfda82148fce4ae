#pragma once
// An intrusive doubly linked FIFO of waiters (locks, channels). Internal.

namespace coronet::detail {

/// FIFO of `Node`s that have `next`, `prev` and `queued` members. Not
/// synchronised: its owner guards it with its own lock.
///
/// **Thread safety:** none. **Suspends:** never.
template <class Node>
class intrusive_fifo {
  public:
    void push_back(Node& n) noexcept {
        n.next = nullptr;
        n.prev = tail_;
        if (tail_)
            tail_->next = &n;
        else
            head_ = &n;
        tail_ = &n;
        n.queued = true;
    }
    void remove(Node& n) noexcept {
        if (n.prev)
            n.prev->next = n.next;
        else
            head_ = n.next;
        if (n.next)
            n.next->prev = n.prev;
        else
            tail_ = n.prev;
        n.next = n.prev = nullptr;
        n.queued = false;
    }
    Node* front() const noexcept { return head_; }
    bool empty() const noexcept { return head_ == nullptr; }

  private:
    Node* head_ = nullptr;
    Node* tail_ = nullptr;
};

}  // namespace coronet::detail
