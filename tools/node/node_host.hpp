#pragma once
// coronet-node's plugin_host: the plugin libraries it loaded, the functions
// they registered, the processes spawned from them (for swaps and for a
// clean stop), and the keeper process that follows those processes.
//
// Thread safety: every member from any thread, except where noted.
// Suspends: never (load blocks in dlopen; call it from main or run_blocking).

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>
#include <coronet/discovery/node_plugin.hpp>
#include <coronet/pid.hpp>

#include "../common/ctl_protocol.hpp"

namespace coronet::tools {

class node_host final : public discovery::plugin_host {
  public:
    /// Registers the swap function (ctl_protocol.hpp) with `n` and spawns
    /// the keeper, a root process of `rt`: runtime::run returns once it has
    /// ended (request_stop) and the processes it cancelled are gone. The
    /// node's spawners point here: destroy the node before this.
    node_host(runtime& rt, net::node& n);
    ~node_host() override;

    /// Set once, before any library is loaded.
    void set_cluster(discovery::cluster* c) noexcept { cluster_ = c; }

    runtime& runtime_of() override { return rt_; }
    net::node& node() override { return node_; }
    discovery::cluster& cluster() override { return *cluster_; }
    void add_function(std::string name, discovery::plugin_function fn) override;
    void add_swappable(std::string name, discovery::plugin_function fn) override;
    void track(const pid& p) override;
    std::string library() const override;

    /// Loads `path` and runs its entry point. Throws std::runtime_error
    /// (dlerror's text, no entry point, or what the entry point threw). The
    /// library is never unloaded.
    void load(const std::string& path);
    /// Loads `path` for a swap of `function`: "" when it registered a new
    /// version of it, else why not.
    std::string load_for_swap(const std::string& path, const std::string& function);
    /// The running processes of `function` with their arguments, and the
    /// function's current version (null when there is none).
    std::pair<std::vector<std::pair<pid, std::vector<std::string>>>, discovery::plugin_function>
    running(const std::string& function) const;

    /// The keeper cancels every tracked process and ends: the node stops.
    void request_stop();

    std::vector<function_info> functions() const;
    std::vector<std::string> libraries() const;

    /// The keeper's side (its process only): a tracked process ended.
    void forget(const pid& p, const std::string& why);
    /// Every tracked process (the keeper's, at stop).
    std::vector<pid> tracked() const;

  private:
    struct function_entry {
        discovery::plugin_function fn = nullptr;
        bool swappable = false;
        std::string library;
        std::vector<std::pair<pid, std::vector<std::string>>> running;
    };
    void add(std::string name, discovery::plugin_function fn, bool swappable);
    pid spawn_function(const std::string& name, std::string_view args);
    pid spawn_swap(std::string_view args);

    runtime& rt_;
    net::node& node_;
    discovery::cluster* cluster_ = nullptr;
    pid keeper_;

    mutable std::mutex m_;
    std::map<std::string, function_entry> functions_;  // (under m_)
    std::vector<pid> others_;                          // track()ed (under m_)
    bool stopping_ = false;  // request_stop was called: new processes are cancelled (under m_)
    std::vector<std::string> libraries_;  // (under m_)
    std::string loading_;                 // (under m_)
    std::mutex load_m_;                   // one load at a time
};

}  // namespace coronet::tools
