// The code registry (SEMANTICS HS-6): behaviour versions by name and
// version, each counted by the behaviour_refs that point at it, some owned
// by a shared library that is closed when none of its versions is left.

#include "coronet/code_registry.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>

#include "internal/core.hpp"

namespace coronet {

namespace detail {

/// One version. The library handle is declared first so that it is released
/// last: the behaviour's code lives in it.
struct code_entry {
    std::shared_ptr<void> library;
    std::shared_ptr<const behaviour> b;
    std::atomic<long> users{0};
};

}  // namespace detail

namespace {

std::shared_ptr<detail::code_entry> make_entry(std::shared_ptr<const behaviour> b,
                                               std::shared_ptr<void> lib) {
    if (!b) throw std::invalid_argument("coronet: a null behaviour");
    auto e = std::make_shared<detail::code_entry>();
    e->library = std::move(lib);
    e->b = std::move(b);
    return e;
}

}  // namespace

// ---------------------------------------------------------------- behaviour_ref

behaviour_ref::behaviour_ref(std::shared_ptr<const behaviour> b)
    : behaviour_ref(make_entry(std::move(b), nullptr)) {}

behaviour_ref::behaviour_ref(std::shared_ptr<detail::code_entry> e) noexcept : e_(std::move(e)) {
    if (e_) e_->users.fetch_add(1, std::memory_order_relaxed);
}

behaviour_ref::behaviour_ref(const behaviour_ref& o) noexcept : e_(o.e_) {
    if (e_) e_->users.fetch_add(1, std::memory_order_relaxed);
}

behaviour_ref::~behaviour_ref() {
    if (e_) e_->users.fetch_sub(1, std::memory_order_acq_rel);
}

const behaviour& behaviour_ref::operator*() const noexcept {
    return *e_->b;
}

// ---------------------------------------------------------------- registry

code_registry::code_registry() = default;
code_registry::~code_registry() = default;

void code_registry::add(std::shared_ptr<const behaviour> b) {
    std::lock_guard lk(m_);
    auto e = make_entry(std::move(b), loading_);
    for (const auto& x : entries_)
        if (x->b->name() == e->b->name() && x->b->version() == e->b->version())
            throw std::invalid_argument("coronet: behaviour " + e->b->name() + " v" +
                                        std::to_string(e->b->version()) + " is already registered");
    entries_.push_back(std::move(e));
}

behaviour_ref code_registry::find(std::string_view name, int version) const {
    std::lock_guard lk(m_);
    std::shared_ptr<detail::code_entry> best;
    for (const auto& e : entries_) {
        if (e->b->name() != name) continue;
        if (version != 0 ? e->b->version() == version
                         : (!best || e->b->version() > best->b->version()))
            best = e;
    }
    return behaviour_ref(std::move(best));
}

std::vector<std::pair<std::string, int>> code_registry::list() const {
    std::vector<std::pair<std::string, int>> out;
    {
        std::lock_guard lk(m_);
        for (const auto& e : entries_) out.emplace_back(e->b->name(), e->b->version());
    }
    std::sort(out.begin(), out.end());
    return out;
}

long code_registry::users(std::string_view name, int version) const {
    std::lock_guard lk(m_);
    for (const auto& e : entries_)
        if (e->b->name() == name && e->b->version() == version)
            return e->users.load(std::memory_order_acquire);
    return 0;
}

bool code_registry::unload(std::string_view name, int version, std::string* why) {
    std::shared_ptr<detail::code_entry> gone;  // released after the lock
    std::lock_guard lk(m_);
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) {
        return e->b->name() == name && e->b->version() == version;
    });
    const std::string what = std::string(name) + " v" + std::to_string(version);
    if (it == entries_.end()) {
        if (why) *why = what + " is not registered";
        return false;
    }
    if (long n = (*it)->users.load(std::memory_order_acquire); n > 0) {
        if (why) *why = what + " is in use (" + std::to_string(n) + " references)";
        return false;
    }
    gone = std::move(*it);
    entries_.erase(it);
    return true;
}

std::vector<std::pair<std::string, int>> code_registry::load_library(const std::string& path) {
    std::lock_guard load(load_m_);
    void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char* e = ::dlerror();
        throw std::runtime_error("coronet: cannot load " + path + ": " + (e ? e : "unknown"));
    }
    std::shared_ptr<void> lib(h, [](void* x) { ::dlclose(x); });
    using entry_fn = void (*)(code_registry&);
    auto fn = reinterpret_cast<entry_fn>(::dlsym(h, "coronet_register"));
    if (!fn) throw std::runtime_error("coronet: " + path + " has no coronet_register entry point");
    std::size_t before;
    {
        std::lock_guard lk(m_);
        before = entries_.size();
        loading_ = lib;
    }
    struct reset {
        code_registry* r;
        ~reset() {
            std::lock_guard lk(r->m_);
            r->loading_.reset();
        }
    } guard{this};
    std::vector<std::pair<std::string, int>> added;
    try {
        fn(*this);
    } catch (...) {
        std::lock_guard lk(m_);
        entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                      [&](const auto& e) { return e->library == lib; }),
                       entries_.end());
        throw;
    }
    std::lock_guard lk(m_);
    for (std::size_t i = before; i < entries_.size(); ++i)
        if (entries_[i]->library == lib)
            added.emplace_back(entries_[i]->b->name(), entries_[i]->b->version());
    return added;
}

code_registry& code() {
    return detail::require_process("coronet::code()")->home->rt.code;
}

code_registry& runtime::code() noexcept {
    return impl_->code;
}

}  // namespace coronet
