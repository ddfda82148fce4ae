#pragma once
/// \file behaviour.hpp
/// Behaviours: processes written as a state plus message handlers, with the
/// runtime owning the receive loop, so that their code can be hot-swapped
/// between two handlers (SEMANTICS HS-1).

#include <any>
#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "coronet/message.hpp"
#include "coronet/task.hpp"

namespace coronet {

/// One version of a behaviour: how to make its state, how to handle a
/// message, and how to take over the state of another version.
///
/// Implement it directly (the state is a std::any), or use behaviour_of<State>.
/// A behaviour object is shared by every process running that version and
/// must not change after it is registered.
///
/// **Thread safety:** the members are const and called concurrently by the
/// processes that run this version. **Suspends:** `handle` may (its
/// coroutine runs inside the process; a swap waits for it, HS-2).
class behaviour {
  public:
    behaviour(std::string name, int version) : name_(std::move(name)), version_(version) {}
    virtual ~behaviour() = default;
    behaviour(const behaviour&) = delete;
    behaviour& operator=(const behaviour&) = delete;

    const std::string& name() const noexcept { return name_; }
    int version() const noexcept { return version_; }

    /// The initial state, from the argument given at spawn.
    virtual std::any init(const std::any& arg) const = 0;
    /// Handles one message; false when this version has no handler for it
    /// (the message is then dropped and counted as unhandled). The message
    /// view is valid until the returned task finishes.
    virtual task<bool> handle(std::any& state, any_message msg) const = 0;
    /// The new state from the state of version `from` (HS-4). It must not
    /// change `old_state`: if it throws, the swap is abandoned and the old
    /// version goes on with the old state. The new state must be made by
    /// this version's code (not a copy of `old_state`'s std::any, which would
    /// keep calling into the old version's library after it is unloaded).
    /// The default refuses (throws std::invalid_argument).
    virtual std::any migrate(const std::any& old_state, const behaviour& from) const {
        (void)old_state;
        throw std::invalid_argument(name_ + " v" + std::to_string(version_) +
                                    ": no migration from " + from.name() + " v" +
                                    std::to_string(from.version()));
    }

  private:
    std::string name_;
    int version_;
};

namespace detail {
template <class F, class S, class M>
task<void> call_sync_handler(const F* f, S* s, M* m) {
    (*f)(*s, *m);
    co_return;
}
}  // namespace detail

/// A behaviour with a typed state: handlers are added per message type with
/// `on<Msg>(f)`, where `f(State&, Msg&)` returns void or task<void>;
/// migrations with `migrate_from<Old>(g)`, where `g(const Old&)` returns the
/// new State. Build it completely before registering or running it.
///
///     auto v1 = std::make_shared<coronet::behaviour_of<int>>("counter", 1);
///     v1->on<inc>([](int& n, inc&) { ++n; });
///
/// **Thread safety:** building is single-threaded; afterwards as behaviour.
/// **Suspends:** as behaviour.
template <class State>
class behaviour_of final : public behaviour {
  public:
    using behaviour::behaviour;

    /// How the initial state is made from the spawn argument (default: a
    /// State from the argument if it holds one, else State{}).
    behaviour_of& init_with(std::function<State(const std::any&)> f) {
        init_ = std::move(f);
        return *this;
    }

    /// Adds the handler of messages of type Msg (tried in the order added).
    template <class Msg, class F>
    behaviour_of& on(F f) {
        handler h;
        h.accepts = [](const any_message& m) { return m.is<Msg>(); };
        if constexpr (std::is_invocable_r_v<task<void>, F&, State&, Msg&> &&
                      !std::is_void_v<std::invoke_result_t<F&, State&, Msg&>>) {
            h.run = [f = std::move(f)](State& s, any_message m) { return f(s, m.get<Msg>()); };
        } else {
            static_assert(std::is_invocable_v<F&, State&, Msg&>,
                          "a handler is f(State&, Msg&) returning void or task<void>");
            h.run = [f = std::move(f)](State& s, any_message m) {
                return detail::call_sync_handler(&f, &s, &m.get<Msg>());
            };
        }
        handlers_.push_back(std::move(h));
        return *this;
    }

    /// Adds the migration from a version whose state type is Old.
    template <class Old, class F>
    behaviour_of& migrate_from(F f) {
        migrations_.push_back(
            {[](const std::any& a) { return std::any_cast<Old>(&a) != nullptr; },
             [f = std::move(f)](const std::any& a) { return f(*std::any_cast<Old>(&a)); }});
        return *this;
    }

    std::any init(const std::any& arg) const override {
        if (init_) return std::any(init_(arg));
        if (const State* s = std::any_cast<State>(&arg)) return std::any(*s);
        if constexpr (std::is_default_constructible_v<State>) {
            return std::any(State{});
        } else {
            throw std::invalid_argument(name() + ": no initial state (init_with)");
        }
    }

    task<bool> handle(std::any& state, any_message msg) const override {
        State* s = std::any_cast<State>(&state);
        if (!s) throw std::logic_error(name() + ": the state has another type");
        for (const auto& h : handlers_) {
            if (!h.accepts(msg)) continue;
            co_await h.run(*s, msg);
            co_return true;
        }
        co_return false;
    }

    std::any migrate(const std::any& old_state, const behaviour& from) const override {
        for (const auto& m : migrations_)
            if (m.accepts(old_state)) return std::any(m.run(old_state));
        // The same state type: a copy made here, by this version's code.
        if constexpr (std::is_copy_constructible_v<State>) {
            if (const State* same = std::any_cast<State>(&old_state)) return std::any(State(*same));
        }
        return behaviour::migrate(old_state, from);
    }

  private:
    struct handler {
        bool (*accepts)(const any_message&);
        std::function<task<void>(State&, any_message)> run;
    };
    struct migration {
        bool (*accepts)(const std::any&);
        std::function<State(const std::any&)> run;
    };
    std::function<State(const std::any&)> init_;
    std::vector<handler> handlers_;
    std::vector<migration> migrations_;
};

}  // namespace coronet
