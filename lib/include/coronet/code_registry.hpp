#pragma once
/// \file code_registry.hpp
/// Versions of behaviours, reference-counted, some from shared libraries
/// loaded at run time (SEMANTICS HS-6).

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coronet/behaviour.hpp"

namespace coronet {

namespace detail {
struct code_entry;
}

/// A counted reference to one behaviour version: while any behaviour_ref
/// to a version exists (a process runs it, a caller holds it), the version
/// cannot be unloaded.
///
/// **Thread safety:** copy and destroy from any thread (the count is
/// atomic). **Suspends:** never.
class behaviour_ref {
  public:
    behaviour_ref() noexcept = default;
    /// A reference to a version that is not in any registry (in-program
    /// code); counted all the same.
    explicit behaviour_ref(std::shared_ptr<const behaviour> b);
    behaviour_ref(const behaviour_ref& o) noexcept;
    behaviour_ref(behaviour_ref&& o) noexcept : e_(std::move(o.e_)) {}
    behaviour_ref& operator=(behaviour_ref o) noexcept {
        std::swap(e_, o.e_);
        return *this;
    }
    ~behaviour_ref();

    explicit operator bool() const noexcept { return e_ != nullptr; }
    const behaviour& operator*() const noexcept;
    const behaviour* operator->() const noexcept { return &**this; }

  private:
    friend class code_registry;
    explicit behaviour_ref(std::shared_ptr<detail::code_entry> e) noexcept;
    std::shared_ptr<detail::code_entry> e_;
};

/// The behaviour versions a runtime knows, by name and version. Get it with
/// `runtime::code()` or, inside a process, `coronet::code()`.
///
/// A shared library adds its versions from an entry point
///
///     extern "C" void coronet_register(coronet::code_registry& r) {
///         r.add(std::make_shared<my_behaviour_v2>());
///     }
///
/// and is loaded with load_library(path). The library is compiled against
/// coronet's headers but not linked with coronet: it uses the program's
/// copy, so the program must export its symbols (CMake ENABLE_EXPORTS,
/// i.e. -rdynamic). A library stays loaded until none of its versions is
/// registered or referenced. Only behaviour_refs are counted: before you
/// unload a version, no other value whose code lives in its library may be
/// left (messages of types it defines still queued, exceptions it threw kept
/// in exit reasons, std::any or std::function objects it made).
///
/// **Thread safety:** every member may be called from any thread.
/// **Suspends:** never (load_library blocks in dlopen).
class code_registry {
  public:
    code_registry();
    ~code_registry();
    code_registry(const code_registry&) = delete;
    code_registry& operator=(const code_registry&) = delete;

    /// Registers a version. Throws std::invalid_argument when that name and
    /// version are already registered.
    void add(std::shared_ptr<const behaviour> b);
    /// The version `version` of `name`, or the highest registered version
    /// when `version` is 0; an empty ref when there is none.
    behaviour_ref find(std::string_view name, int version = 0) const;
    /// (name, version) of every registered version, sorted.
    std::vector<std::pair<std::string, int>> list() const;
    /// How many behaviour_refs to that version exist (0 if unknown).
    long users(std::string_view name, int version) const;
    /// Removes a version from the registry. Fails (false, and `why`) when it
    /// is unknown or still referenced (HS-6); its library is closed when no
    /// version of it is left.
    bool unload(std::string_view name, int version, std::string* why = nullptr);
    /// Loads a shared library and runs its coronet_register entry point;
    /// returns the versions it added. Throws std::runtime_error (with
    /// dlerror's text) when the library or its entry point cannot be
    /// loaded, and rethrows what the entry point throws (nothing of that
    /// library stays registered then).
    std::vector<std::pair<std::string, int>> load_library(const std::string& path);

  private:
    mutable std::mutex m_;
    std::vector<std::shared_ptr<detail::code_entry>> entries_;  // guarded by m_
    std::shared_ptr<void> loading_;  // the library whose entry point runs; guarded by m_
    std::mutex load_m_;              // one load_library at a time
};

/// The registry of the current process's runtime. Throws std::logic_error
/// outside a process.
code_registry& code();

}  // namespace coronet
