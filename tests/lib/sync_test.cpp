#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/condition.hpp>
#include <coronet/event.hpp>
#include <coronet/mutex.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>
#include <coronet/semaphore.hpp>

#include "event_log.hpp"
#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

spawn_options on_worker(std::uint32_t k) {
    return spawn_options{placement::pinned(k)};
}

task<void> holds_for(mutex* m, duration d, event_log* log, std::string name) {
    co_await m->lock();
    log->add(name, "locked@" + std::to_string(ms(self().now())));
    co_await self().sleep(d);
    m->unlock();
}

task<void> locker(mutex* m, event_log* log, std::string name, duration timeout, duration start) {
    co_await self().sleep(start);  // arrives in this order
    const bool ok = co_await m->lock(timeout);
    if (ok) {
        log->add(name, "locked@" + std::to_string(ms(self().now())));
        m->unlock();
    } else {
        log->add(name, "timeout@" + std::to_string(ms(self().now())));
    }
}

task<void> cancel_at(pid target, duration d) {
    co_await self().sleep(d);
    cancel(target, "test");
}

task<void> cancelled_locker(mutex* m, event_log* log) {
    try {
        co_await m->lock();
        log->add("B", "locked (wrong)");
    } catch (const cancelled_error&) {
        log->add("B", "cancelled@" + std::to_string(ms(self().now())));
    }
}

task<void> exits_holding(mutex* m) {
    co_await m->lock();  // returns without unlocking
}

task<std::string> next_holder(mutex* m) {
    co_await self().sleep(1ms);
    co_await m->lock();
    std::string out = m->abandoned() ? "abandoned" : "clean";
    m->unlock();
    out += m->abandoned() ? ", still abandoned" : ", cleared by unlock";
    co_return out;
}

task<std::string> recursive_use(recursive_mutex* m, event_log* log) {
    co_await m->lock();
    co_await m->lock();  // again: re-entrant
    log->add("R", "twice@" + std::to_string(ms(self().now())));
    co_await self().sleep(10ms);
    m->unlock();
    co_await self().sleep(10ms);  // still held once
    m->unlock();
    co_return "done";
}

task<void> recursive_other(recursive_mutex* m, event_log* log) {
    co_await self().sleep(1ms);
    co_await m->lock();
    log->add("O", "locked@" + std::to_string(ms(self().now())));
    m->unlock();
}

task<std::string> guard_and_try(mutex* m) {
    std::string out;
    {
        auto g = co_await m->scoped();
        out += m->held() ? "held" : "not held";
        out += m->try_lock() ? ", try_lock took it again (wrong)" : ", try_lock refused";
    }
    out += m->held() ? ", still held (wrong)" : ", released";
    out += m->try_lock() ? ", try_lock ok" : ", try_lock failed";
    m->unlock();
    try {
        m->unlock();
    } catch (const std::logic_error&) {
        out += ", bad unlock refused";
    }
    co_return out;
}

task<void> waits_event(event* e, event_log* log, std::string name, duration timeout) {
    const bool ok = co_await e->wait(timeout);
    log->add(name, (ok ? "set@" : "timeout@") + std::to_string(ms(self().now())));
}

task<void> sets_event(event* e, duration d) {
    co_await self().sleep(d);
    e->set();
}

task<void> acquirer(semaphore* s, std::uint32_t n, event_log* log, std::string name,
                    duration hold) {
    const bool got = co_await s->acquire(1s, n);
    if (!got) {
        log->add(name, "timeout@" + std::to_string(ms(self().now())));
        co_return;
    }
    log->add(name, "got " + std::to_string(n) + "@" + std::to_string(ms(self().now())));
    co_await self().sleep(hold);
    s->release(n);
}

struct queue_state {
    mutex m;
    condition c;
    std::vector<int> items;
};

task<void> consumer(queue_state* q, event_log* log, std::string name, duration start) {
    co_await self().sleep(start);  // they queue in this order
    co_await q->m.lock();
    const bool ok = co_await q->c.wait(
        q->m, [q] { return !q->items.empty(); }, 500ms);
    if (ok) {
        log->add(name, "got " + std::to_string(q->items.front()) + "@" +
                           std::to_string(ms(self().now())) + (q->m.held() ? " held" : ""));
        q->items.erase(q->items.begin());
    } else {
        log->add(name, "timeout@" + std::to_string(ms(self().now())) +
                           (q->m.held() ? " held" : " not held"));
    }
    q->m.unlock();
}

task<void> producer(queue_state* q, std::vector<int> values) {
    for (int v : values) {
        co_await self().sleep(10ms);
        co_await q->m.lock();
        q->items.push_back(v);
        q->c.notify_one();
        q->m.unlock();
    }
}

}  // namespace

TEST_CASE("mutex: waiters are served in order, across workers", "[core][sync]") {
    runtime rt(virtual_config(2));
    mutex m;
    event_log log;
    rt.spawn(holds_for, &m, 100ms, &log, std::string("A"));
    rt.spawn_opt(on_worker(1), locker, &m, &log, std::string("B"), infinite, 1ms);
    rt.spawn_opt(on_worker(0), locker, &m, &log, std::string("C"), infinite, 2ms);
    rt.spawn_opt(on_worker(1), locker, &m, &log, std::string("D"), infinite, 3ms);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"A: locked@0", "B: locked@100", "C: locked@100",
                                                  "D: locked@100"});
}

TEST_CASE("mutex: lock with a timeout gives false at the exact virtual deadline", "[core][sync]") {
    runtime rt(virtual_config());
    mutex m;
    event_log log;
    rt.spawn(holds_for, &m, 1s, &log, std::string("A"));
    rt.spawn(locker, &m, &log, std::string("B"), 100ms, 0ms);
    rt.spawn(locker, &m, &log, std::string("C"), 2s, 1ms);
    rt.run();
    CHECK(log.lines() ==
          std::vector<std::string>{"A: locked@0", "B: timeout@100", "C: locked@1000"});
}

TEST_CASE("mutex: a cancelled waiter leaves no stale entry behind", "[core][sync]") {
    runtime rt(virtual_config());
    mutex m;
    event_log log;
    rt.spawn(holds_for, &m, 100ms, &log, std::string("A"));
    auto b = rt.spawn(cancelled_locker, &m, &log);
    rt.spawn(locker, &m, &log, std::string("C"), infinite, 1ms);
    rt.spawn(cancel_at, b.id(), 50ms);
    rt.run();
    CHECK(log.lines() ==
          std::vector<std::string>{"A: locked@0", "B: cancelled@50", "C: locked@100"});
}

TEST_CASE("mutex: a holder that exits releases it, and the next one learns it was abandoned",
          "[core][sync]") {
    runtime rt(virtual_config(2));
    mutex m;
    rt.spawn_opt(on_worker(1), exits_holding, &m);
    auto h = rt.spawn(next_holder, &m);
    rt.run();
    CHECK(h.value() == "abandoned, cleared by unlock");
}

TEST_CASE("recursive_mutex: re-entrant for its holder, exclusive for others", "[core][sync]") {
    runtime rt(virtual_config());
    recursive_mutex m;
    event_log log;
    rt.spawn(recursive_use, &m, &log);
    rt.spawn(recursive_other, &m, &log);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"R: twice@0", "O: locked@20"});
}

TEST_CASE("mutex: scoped guard, try_lock, unlock by a non-holder", "[core][sync]") {
    runtime rt(virtual_config());
    mutex m;
    auto h = rt.spawn(guard_and_try, &m);
    rt.run();
    CHECK(h.value() == "held, try_lock refused, released, try_lock ok, bad unlock refused");
}

TEST_CASE("event: set wakes every current waiter, later waits pass until clear", "[core][sync]") {
    runtime rt(virtual_config(2));
    event e;
    event_log log;
    rt.spawn(waits_event, &e, &log, std::string("A"), infinite);
    rt.spawn_opt(on_worker(1), waits_event, &e, &log, std::string("B"), infinite);
    rt.spawn(waits_event, &e, &log, std::string("T"), 20ms);
    rt.spawn(sets_event, &e, 50ms);
    rt.run();
    CHECK(log.sorted() == std::vector<std::string>{"A: set@50", "B: set@50", "T: timeout@20"});
    CHECK(e.is_set());
    e.clear();
    CHECK_FALSE(e.is_set());
}

TEST_CASE("semaphore: counting, in order, with a bound", "[core][sync]") {
    runtime rt(virtual_config());
    semaphore s(2, 2);
    event_log log;
    rt.spawn(acquirer, &s, 1u, &log, std::string("A"), 100ms);
    rt.spawn(acquirer, &s, 2u, &log, std::string("B"), 10ms);  // waits for both permits
    rt.spawn(acquirer, &s, 1u, &log, std::string("C"), 10ms);  // does not pass B
    rt.spawn(acquirer, &s, 2u, &log, std::string("D"), 10ms);
    rt.run();
    CHECK(log.lines() ==
          std::vector<std::string>{"A: got 1@0", "B: got 2@100", "C: got 1@110", "D: got 2@120"});
    CHECK(s.available() == 2);
    CHECK_THROWS_AS(s.release(), std::logic_error);
    CHECK(s.try_acquire(2));
    CHECK_FALSE(s.try_acquire());
    CHECK_THROWS_AS(semaphore(3, 2), std::invalid_argument);
}

TEST_CASE("condition: wait with a predicate, notify in order, timeout with the mutex held",
          "[core][sync]") {
    runtime rt(virtual_config(2));
    queue_state q;
    event_log log;
    rt.spawn(consumer, &q, &log, std::string("A"), 1ms);
    rt.spawn_opt(on_worker(1), consumer, &q, &log, std::string("B"), 2ms);
    rt.spawn(consumer, &q, &log, std::string("C"), 3ms);
    rt.spawn(producer, &q, std::vector<int>{7, 8});
    rt.run();
    CHECK(log.lines() ==
          std::vector<std::string>{"A: got 7@10 held", "B: got 8@20 held", "C: timeout@503 held"});
}

namespace {

task<void> hammer(mutex* m, long* counter, int n) {
    for (int i = 0; i < n; ++i) {
        co_await m->lock();
        ++*counter;  // a plain variable: only the mutex protects it
        m->unlock();
        if (i % 64 == 0) co_await self().yield();
    }
}

}  // namespace

TEST_CASE("1 000 000 lock/unlock pairs from both workers protect a counter exactly",
          "[core][sync][threads]") {
    runtime rt(real_config(2));
    mutex m;
    long counter = 0;
    for (std::uint32_t i = 0; i < 4; ++i)
        rt.spawn_opt(on_worker(i % 2), hammer, &m, &counter, 250'000);
    rt.run();
    CHECK(counter == 1'000'000);
}

namespace {

task<void> waits_permits(semaphore* s, std::uint32_t n, duration timeout, event_log* log,
                         std::string name) {
    try {
        const bool got = co_await s->acquire(timeout, n);
        log->add(name, (got ? "got@" : "timeout@") + std::to_string(ms(self().now())));
    } catch (const cancelled_error&) {
        log->add(name, "cancelled@" + std::to_string(ms(self().now())));
    }
}

task<void> releases_at(semaphore* s, duration d, std::uint32_t n) {
    co_await self().sleep(d);
    s->release(n);
}

task<void> cond_waiter(queue_state* q, event_log* log) {
    auto guard = co_await q->m.scoped();  // its destructor unlocks: the mutex must be held
    try {
        co_await q->c.wait(q->m, [] { return false; });
        log->add("W", "woken (wrong)");
    } catch (const cancelled_error&) {
        log->add("W", std::string("cancelled, mutex ") + (q->m.held() ? "held" : "free"));
    }
}

task<void> cond_notifier(queue_state* q, event_log* log) {
    co_await self().sleep(20ms);
    co_await q->m.lock();  // free: the cancelled waiter did not keep it
    log->add("N", "locked@" + std::to_string(ms(self().now())));
    q->c.notify_one();  // nobody waits any more: no effect
    q->m.unlock();
}

}  // namespace

TEST_CASE("semaphore: timeout at the deadline, a cancelled waiter does not hold the line",
          "[core][sync]") {
    runtime rt(virtual_config());
    semaphore s(0);
    event_log log;
    rt.spawn(waits_permits, &s, 2u, 100ms, &log, std::string("T"));
    auto b = rt.spawn(waits_permits, &s, 2u, 1s, &log, std::string("B"));
    rt.spawn(waits_permits, &s, 1u, 1s, &log, std::string("C"));
    rt.spawn(cancel_at, b.id(), 150ms);
    rt.spawn(releases_at, &s, 200ms, 1u);
    rt.run();
    CHECK(log.lines() ==
          std::vector<std::string>{"T: timeout@100", "B: cancelled@150", "C: got@200"});
}

TEST_CASE("condition: a cancelled waiter leaves the queue and holds the mutex again",
          "[core][sync]") {
    runtime rt(virtual_config());
    queue_state q;
    event_log log;
    auto w = rt.spawn(cond_waiter, &q, &log);
    rt.spawn(cancel_at, w.id(), 10ms);
    rt.spawn(cond_notifier, &q, &log);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"W: cancelled, mutex held", "N: locked@20"});
}

namespace {

task<void> helper_with_local_mutex() {
    mutex local;
    co_await local.lock();
    throw std::runtime_error("helper failed while holding its own mutex");
}

task<std::string> outlives_its_local_mutex() {
    try {
        co_await helper_with_local_mutex();
    } catch (const std::runtime_error&) {
    }
    co_return "survived";  // at its exit, nothing of the dead mutex is touched
}

task<void> front_waiter_leaves(semaphore* s, event_log* log) {
    const bool got = co_await s->acquire(100ms, 2);  // wants 2, only 1 there
    log->add("A", got ? "got" : "timeout@" + std::to_string(ms(self().now())));
}

task<void> behind_it(semaphore* s, event_log* log) {
    co_await self().sleep(1ms);
    const bool got = co_await s->acquire(10s, 1);
    log->add("B", (got ? "got@" : "timeout@") + std::to_string(ms(self().now())));
}

struct self_cancelling {
    event_log* log;
    ~self_cancelling() { log->add("parent", "cleanup"); }
};

task<void> sleeping_child(event_log* log) {
    struct cleanup {
        event_log* log;
        ~cleanup() { log->add("child", "cleanup"); }
    } c{log};
    co_await self().sleep(1s);
}

task<void> parent_cancels_itself_then_locks(mutex* m, event_log* log) {
    self_cancelling c{log};
    self().spawn(sleeping_child, log);
    co_await self().yield();
    cancel(self().id(), "self");
    co_await m->lock();  // throws, but only after the child has cleaned up (LT-4)
}

}  // namespace

TEST_CASE("a mutex that dies held by its process (a frame local) is forgotten by it",
          "[core][sync]") {
    runtime rt(virtual_config());
    auto h = rt.spawn(outlives_its_local_mutex);
    rt.run();
    CHECK(h.value() == "survived");
}

TEST_CASE("semaphore: a front waiter that times out lets the ones behind it through",
          "[core][sync]") {
    runtime rt(virtual_config());
    semaphore s(1);
    event_log log;
    rt.spawn(front_waiter_leaves, &s, &log);
    rt.spawn(behind_it, &s, &log);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"A: timeout@100", "B: got@100"});
}

TEST_CASE("a cancelled process's lock wait holds until its children are torn down (LT-4)",
          "[core][sync]") {
    runtime rt(virtual_config());
    mutex m;
    event_log log;
    rt.spawn(parent_cancels_itself_then_locks, &m, &log);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"child: cleanup", "parent: cleanup"});
}
