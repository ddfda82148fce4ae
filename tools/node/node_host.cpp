#include "node_host.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <stdexcept>
#include <tuple>
#include <coronet/blocking.hpp>
#include <coronet/hot_swap.hpp>
#include <coronet/monitor.hpp>
#include <coronet/net/node.hpp>
#include <coronet/receive.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "../common/log.hpp"

namespace coronet::tools {

namespace {

/// To the keeper: follow `who` (monitor it).
struct keeper_track {
    pid who;
};
/// To the keeper: cancel every tracked process and end.
struct keeper_stop {};

std::string describe(const exit_reason& r) {
    std::string out = to_string(r.kind);
    if (r.error) {
        try {
            std::rethrow_exception(r.error);
        } catch (const std::exception& e) {
            out += std::string(": ") + e.what();
        } catch (...) {
            out += ": a non-standard exception";
        }
    } else if (!r.detail.empty()) {
        out += ": " + r.detail;
    }
    return out;
}

/// Follows the tracked processes until stopped; then cancels them.
task<void> keeper_main(node_host* host) {
    for (;;) {
        const bool stop = co_await self().receive_any(
            [](keeper_track t) {
                (void)monitor(t.who);  // (a process already gone: a down at once)
                return false;
            },
            [host](down_msg d) {
                host->forget(d.who, describe(d.reason));
                return false;
            },
            [](keeper_stop) { return true; });
        if (stop) break;
    }
    const std::vector<pid> all = host->tracked();
    log_debug("cancelling " + std::to_string(all.size()) + " plugin processes");
    for (const pid& p : all) host->runtime_of().cancel(p, "node stopping");
}

/// Loads a new version of `function` from `library`, swaps its running
/// processes to it, and tells `reply_to`.
task<void> swap_main(node_host* host, pid reply_to, std::string function, std::string library) {
    swap_report r;
    r.function = function;
    r.library = library;
    // (The job captures pointers into this frame, not copies: README pitfalls.)
    auto job = [host, f = &function, l = &library] { return host->load_for_swap(*l, *f); };
    r.error = co_await run_blocking(job);
    if (r.error.empty()) {
        auto [procs, fn] = host->running(function);
        r.processes = static_cast<std::uint32_t>(procs.size());
        for (auto& [p, args] : procs) {
            const process_body next = bind_body(fn, args);
            const swap_result s = co_await swap_body(p, next, std::chrono::seconds(5));
            if (s) {
                ++r.swapped;
            } else if (s.status == swap_status::noproc) {
                --r.processes;  // (it ended meanwhile)
            } else {
                r.failures.push_back(to_string(p) + ": " + to_string(s.status) + ": " + s.error);
            }
        }
        log_info("swapped " + std::to_string(r.swapped) + " of " + std::to_string(r.processes) +
                 " processes of " + function + " to " + library);
    } else {
        log_error("swap of " + function + " to " + library + " failed: " + r.error);
    }
    send(reply_to, r);
}

}  // namespace

node_host::node_host(runtime& rt, net::node& n) : rt_(rt), node_(n) {
    keeper_ = rt_.spawn(keeper_main, this).id();
    node_.add_spawner(swap_function,
                      [this](runtime&, std::string_view args) { return spawn_swap(args); });
}

node_host::~node_host() = default;

void node_host::add_function(std::string name, discovery::plugin_function fn) {
    add(std::move(name), fn, false);
}

void node_host::add_swappable(std::string name, discovery::plugin_function fn) {
    add(std::move(name), fn, true);
}

void node_host::add(std::string name, discovery::plugin_function fn, bool swappable) {
    if (!fn) throw std::invalid_argument("coronet-node: a null function for " + name);
    if (name.empty() || name.starts_with("coronet."))
        throw std::invalid_argument("coronet-node: \"" + name +
                                    "\": function names starting with coronet. are reserved");
    {
        const std::lock_guard lock(m_);
        function_entry& e = functions_[name];
        e.fn = fn;
        e.swappable = swappable;
        e.library = loading_;
    }
    log_debug("function " + name + (swappable ? " (swappable)" : "") + " registered");
    node_.add_spawner(
        name, [this, name](runtime&, std::string_view args) { return spawn_function(name, args); });
}

pid node_host::spawn_function(const std::string& name, std::string_view bytes) {
    std::tuple<std::vector<std::string>> args;
    try {
        wire_reader r(bytes);
        wire_read(r, args);
        if (r.remaining() != 0) throw wire_error("bytes left over");
    } catch (const wire_error& e) {
        throw wire_error(name + " takes its arguments as one std::vector<std::string> (" +
                         e.what() + ")");
    }
    discovery::plugin_function fn = nullptr;
    bool swappable = false;
    {
        const std::lock_guard lock(m_);
        const auto it = functions_.find(name);
        if (it == functions_.end()) throw std::runtime_error("no function " + name);
        fn = it->second.fn;
        swappable = it->second.swappable;
    }
    spawn_options o;
    o.isolated = true;
    std::vector<std::string>& a = std::get<0>(args);
    const pid p =
        swappable ? spawn_swappable(rt_, bind_body(fn, a), o).id() : rt_.spawn_opt(o, fn, a).id();
    {
        const std::lock_guard lock(m_);
        if (stopping_) {
            // (spawned by a request that came during the stop: the keeper
            // has taken its list or is about to, so it would not cancel it)
            rt_.cancel(p, "node stopping");
            throw std::runtime_error("node " + node_.name() + " is stopping");
        }
        functions_[name].running.emplace_back(p, std::move(a));
    }
    rt_.send(keeper_, keeper_track{p});
    log_info("spawned " + name + " as " + to_string(p));
    return p;
}

pid node_host::spawn_swap(std::string_view bytes) {
    std::tuple<pid, std::string, std::string> args;
    wire_reader r(bytes);
    wire_read(r, args);
    auto& [reply_to, function, library] = args;
    log_info("swap of " + function + " to " + library + " requested");
    spawn_options o;
    o.isolated = true;
    const pid p = rt_.spawn_opt(o, swap_main, this, reply_to, function, library).id();
    track(p);
    return p;
}

void node_host::track(const pid& p) {
    {
        const std::lock_guard lock(m_);
        if (stopping_) {
            rt_.cancel(p, "node stopping");
            return;
        }
        others_.push_back(p);
    }
    rt_.send(keeper_, keeper_track{p});
}

std::string node_host::library() const {
    const std::lock_guard lock(m_);
    return loading_;
}

void node_host::load(const std::string& path) {
    const std::lock_guard one(load_m_);
    // RTLD_LOCAL: two versions of one plugin each find their own symbols.
    // Never dlclose: code of it may run, values it made may live anywhere.
    void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char* why = ::dlerror();
        throw std::runtime_error("cannot load " + path + ": " + (why ? why : "dlopen failed"));
    }
    auto entry =
        reinterpret_cast<discovery::plugin_entry>(::dlsym(h, discovery::plugin_entry_point));
    if (!entry)
        throw std::runtime_error(path + " has no entry point " + discovery::plugin_entry_point);
    {
        const std::lock_guard lock(m_);
        loading_ = path;
    }
    try {
        entry(*this);
    } catch (const std::exception& e) {
        const std::lock_guard lock(m_);
        loading_.clear();
        throw std::runtime_error(path + ": its entry point threw: " + e.what());
    }
    const std::lock_guard lock(m_);
    loading_.clear();
    libraries_.push_back(path);
    log_info("loaded " + path);
}

std::string node_host::load_for_swap(const std::string& path, const std::string& function) {
    {
        const std::lock_guard lock(m_);
        const auto it = functions_.find(function);
        if (it != functions_.end() && !it->second.swappable)
            return function + " is not swappable (registered with add_function)";
    }
    try {
        load(path);
    } catch (const std::exception& e) {
        return e.what();
    }
    const std::lock_guard lock(m_);
    const auto it = functions_.find(function);
    if (it == functions_.end() || it->second.library != path || !it->second.swappable)
        return path + " does not register " + function + " with add_swappable";
    return {};
}

std::pair<std::vector<std::pair<pid, std::vector<std::string>>>, discovery::plugin_function>
node_host::running(const std::string& function) const {
    const std::lock_guard lock(m_);
    const auto it = functions_.find(function);
    if (it == functions_.end()) return {};
    return {it->second.running, it->second.fn};
}

void node_host::request_stop() {
    {
        const std::lock_guard lock(m_);
        stopping_ = true;  // (before the keeper takes its list: see spawn_function, track)
    }
    rt_.send(keeper_, keeper_stop{});
}

std::vector<function_info> node_host::functions() const {
    const std::lock_guard lock(m_);
    std::vector<function_info> out;
    for (const auto& [name, e] : functions_)
        out.push_back({name, e.swappable, e.running.size(), e.library});
    return out;
}

std::vector<std::string> node_host::libraries() const {
    const std::lock_guard lock(m_);
    return libraries_;
}

void node_host::forget(const pid& p, const std::string& why) {
    std::string of;
    {
        const std::lock_guard lock(m_);
        for (auto& [name, e] : functions_) {
            auto& r = e.running;
            const auto it = std::find_if(r.begin(), r.end(), [&](auto& x) { return x.first == p; });
            if (it != r.end()) {
                r.erase(it);
                of = " of " + name;
            }
        }
        others_.erase(std::remove(others_.begin(), others_.end(), p), others_.end());
    }
    const bool clean = why.starts_with("normal") || why.starts_with("shutdown");
    log_line(clean ? log_level::debug : log_level::warn,
             "process " + to_string(p) + of + " exited: " + why);
}

std::vector<pid> node_host::tracked() const {
    const std::lock_guard lock(m_);
    std::vector<pid> out = others_;
    for (const auto& [name, e] : functions_)
        for (const auto& [p, args] : e.running) out.push_back(p);
    return out;
}

}  // namespace coronet::tools
