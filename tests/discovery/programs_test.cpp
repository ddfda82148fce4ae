// coronet-node and coronet-ctl (tools/), run as programs: nodes joined by
// seeds, the ctl commands, spawn and hot swap of a plugin function, the
// config file, errors, and a clean stop on SIGTERM. Every child is killed
// and reaped by its owner's destructor, also when an assertion fails;
// every wait is bounded (poll on pipes and pidfds, no sleeping).

#include <catch2/catch.hpp>

#ifdef CORONET_NODE_PROGRAM

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// Sanitized builds start slowly: every bound is generous.
constexpr auto start_bound = 60s;
constexpr auto ctl_bound = 60s;

int ms_left(clock_type::time_point until) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - clock_type::now());
    return static_cast<int>(std::max<long long>(0, left.count()));
}

/// A temporary file, removed at the end.
struct temp_file {
    std::string path;
    explicit temp_file(const std::string& content = {}) {
        char name[] = "/tmp/coronet-programs-XXXXXX";
        const int fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        ::close(fd);
        path = name;
        std::ofstream(path) << content;
    }
    ~temp_file() { ::unlink(path.c_str()); }
    std::string read() const {
        std::ifstream f(path);
        std::stringstream b;
        b << f.rdbuf();
        return b.str();
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
};

/// A child program; its standard output is a pipe, its standard error goes
/// to `err_path` (or a pipe when empty). Killed (SIGKILL) and reaped by
/// the destructor unless it was waited for.
class child {
  public:
    child(const std::string& program, const std::vector<std::string>& args,
          const std::string& err_path = {}) {
        int out[2], err[2] = {-1, -1};
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        if (err_path.empty()) REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t fa;
        ::posix_spawn_file_actions_init(&fa);
        ::posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        if (err_path.empty())
            ::posix_spawn_file_actions_adddup2(&fa, err[1], 2);
        else
            ::posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_APPEND, 0);
        std::vector<char*> argv{const_cast<char*>(program.c_str())};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, program.c_str(), &fa, nullptr, argv.data(), environ);
        ::posix_spawn_file_actions_destroy(&fa);
        ::close(out[1]);
        if (err[1] >= 0) ::close(err[1]);
        out_ = out[0];
        err_ = err[0];
        REQUIRE(rc == 0);
        pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
        REQUIRE(pidfd_ >= 0);
    }
    ~child() {
        if (!reaped_) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
        }
        for (int fd : {out_, err_, pidfd_})
            if (fd >= 0) ::close(fd);
    }
    child(const child&) = delete;
    child& operator=(const child&) = delete;

    pid_t id() const { return pid_; }
    void signal(int sig) { ::kill(pid_, sig); }

    /// The next line of standard output, or nullopt at its end or the deadline.
    std::optional<std::string> read_line(clock_type::time_point until) {
        for (;;) {
            if (const auto nl = out_buf_.find('\n'); nl != std::string::npos) {
                std::string line = out_buf_.substr(0, nl);
                out_buf_.erase(0, nl + 1);
                return line;
            }
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, ms_left(until)) != 1) return std::nullopt;
            char b[4096];
            const ssize_t n = ::read(out_, b, sizeof b);
            if (n <= 0) return std::nullopt;
            out_buf_.append(b, static_cast<std::size_t>(n));
        }
    }

    /// Reads both pipes to their end and waits for the exit: the exit code
    /// (128 + signal for a signal), or nullopt at the deadline.
    std::optional<int> finish(clock_type::time_point until) {
        std::vector<pollfd> fds;
        for (;;) {
            fds.clear();
            if (out_ >= 0) fds.push_back({out_, POLLIN, 0});
            if (err_ >= 0) fds.push_back({err_, POLLIN, 0});
            if (fds.empty()) break;
            if (::poll(fds.data(), fds.size(), ms_left(until)) <= 0) return std::nullopt;
            for (const pollfd& p : fds) {
                if (p.revents == 0) continue;
                char b[4096];
                const ssize_t n = ::read(p.fd, b, sizeof b);
                int& fd = p.fd == out_ ? out_ : err_;
                if (n <= 0) {
                    ::close(fd);
                    fd = -1;
                } else {
                    (p.fd == out_ ? out_buf_ : err_buf_).append(b, static_cast<std::size_t>(n));
                }
            }
        }
        return wait(until);
    }

    /// Waits for the exit only (the pidfd): as finish.
    std::optional<int> wait(clock_type::time_point until) {
        pollfd p{pidfd_, POLLIN, 0};
        if (::poll(&p, 1, ms_left(until)) != 1) return std::nullopt;
        int st = 0;
        if (::waitpid(pid_, &st, 0) != pid_) return std::nullopt;
        reaped_ = true;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }

    const std::string& out() const { return out_buf_; }
    const std::string& err() const { return err_buf_; }

  private:
    pid_t pid_ = -1;
    int out_ = -1;
    int err_ = -1;
    int pidfd_ = -1;
    bool reaped_ = false;
    std::string out_buf_;
    std::string err_buf_;
};

/// A coronet-node child, started and listening.
struct node_process {
    std::string name;
    std::string address;  ///< host:port
    temp_file log;
    std::unique_ptr<child> proc;
};

std::string plugin(int version) {
    return version == 1 ? CORONET_TEST_PLUGIN_V1 : CORONET_TEST_PLUGIN_V2;
}

/// Starts coronet-node with `args` (plus a port-0 listen and debug logs)
/// and reads its "listening on" line.
std::unique_ptr<node_process> start_node(std::vector<std::string> args) {
    auto n = std::make_unique<node_process>();
    args.insert(args.begin(),
                {"--listen", "127.0.0.1:0", "--log-level", "debug", "--status-period", "200ms"});
    n->proc = std::make_unique<child>(CORONET_NODE_PROGRAM, args, n->log.path);
    const auto line = n->proc->read_line(clock_type::now() + start_bound);
    INFO("coronet-node's log:\n" << n->log.read());
    REQUIRE(line);
    const std::string prefix = "coronet-node: listening on ";
    REQUIRE(line->rfind(prefix, 0) == 0);
    const auto as = line->find(" as ");
    REQUIRE(as != std::string::npos);
    n->address = line->substr(prefix.size(), as - prefix.size());
    n->name = line->substr(as + 4);
    return n;
}

struct run_result {
    int code = -1;
    std::string out;
    std::string err;
};

/// Runs a program to its end (bounded).
run_result run(const std::string& program, const std::vector<std::string>& args) {
    child c(program, args);
    const auto code = c.finish(clock_type::now() + ctl_bound);
    INFO(program << " did not end in time; its output so far: " << c.out() << c.err());
    REQUIRE(code);
    // (shown with the next failed assertion: why a ctl failed)
    if (*code != 0) UNSCOPED_INFO(program << " exited with " << *code << ": " << c.err());
    return {*code, c.out(), c.err()};
}

run_result ctl(const node_process& n, std::vector<std::string> args) {
    args.insert(args.begin(), {"--node", n.address, "--timeout", "10s"});
    return run(CORONET_CTL_PROGRAM, args);
}

/// The lines of `text` split into blank-separated words, the header dropped.
std::vector<std::vector<std::string>> rows(const std::string& text) {
    std::vector<std::vector<std::string>> out;
    std::istringstream lines(text);
    std::string line;
    bool header = true;
    while (std::getline(lines, line)) {
        if (std::exchange(header, false)) continue;
        std::istringstream words(line);
        std::vector<std::string> r;
        for (std::string w; words >> w;) r.push_back(w);
        if (!r.empty()) out.push_back(r);
    }
    return out;
}

std::vector<std::string> column(const std::string& text, std::size_t i) {
    std::vector<std::string> out;
    for (const auto& r : rows(text))
        if (r.size() > i) out.push_back(r[i]);
    return out;
}

/// Asks `n` for the members until it lists `expected` (bounded): the last answer.
std::vector<std::string> await_members(const node_process& n,
                                       const std::vector<std::string>& expected) {
    const auto until = clock_type::now() + start_bound;
    std::vector<std::string> got;
    do {
        const run_result r = ctl(n, {"nodes"});
        REQUIRE(r.code == 0);
        got = column(r.out, 0);
    } while (got != expected && clock_type::now() < until);
    return got;
}

}  // namespace

TEST_CASE("coronet-node processes joined by seeds list each other and report status",
          "[discovery][programs]") {
    const auto t0 = clock_type::now();
    auto alpha = start_node({"--name", "alpha", "--load", plugin(1)});
    auto beta = start_node({"--name", "beta", "--seed", alpha->address, "--load", plugin(1)});
    auto gamma = start_node({"--name", "gamma", "--seed", alpha->address, "--load", plugin(1)});
    const std::vector<std::string> all{"alpha", "beta", "gamma"};
    CHECK(await_members(*alpha, all) == all);
    CHECK(await_members(*beta, all) == all);
    CHECK(await_members(*gamma, all) == all);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
    UNSCOPED_INFO("3 coronet-node processes started and joined (as ctl sees it) in " << ms
                                                                                     << " ms");

    // nodes: each with its address.
    const run_result nodes = ctl(*beta, {"nodes"});
    REQUIRE(nodes.code == 0);
    CHECK(column(nodes.out, 1) ==
          std::vector<std::string>{alpha->address, beta->address, gamma->address});

    // status: one row per member, sorted, with a process count.
    const run_result status = ctl(*beta, {"status"});
    INFO(status.err);
    REQUIRE(status.code == 0);
    CHECK(status.out.rfind("NODE", 0) == 0);
    CHECK(column(status.out, 0) == all);
    for (const auto& p : column(status.out, 1)) CHECK(std::stoul(p) >= 1);

    // spawn on gamma through alpha (ctl connects to gamma), then names.
    const run_result spawned = ctl(*alpha, {"spawn", "gamma", "counter", "gamma-counter"});
    INFO(spawned.err);
    REQUIRE(spawned.code == 0);
    CHECK(spawned.out.rfind("spawned counter on gamma: <", 0) == 0);
    const auto until = clock_type::now() + 10s;
    run_result names;
    do {  // (the process registers its name when it first runs)
        names = ctl(*alpha, {"names"});
        REQUIRE(names.code == 0);
    } while (names.out.find("gamma-counter") == std::string::npos && clock_type::now() < until);
    const auto r = rows(names.out);
    REQUIRE(r.size() == 1);
    CHECK(r[0][0] == "gamma");
    CHECK(r[0][1] == "gamma-counter");
}

TEST_CASE("coronet-ctl spawns a plugin function and swap moves its processes to the new version",
          "[discovery][programs]") {
    auto alpha = start_node({"--name", "alpha", "--load", plugin(1)});
    REQUIRE(ctl(*alpha, {"spawn", "alpha", "counter", "c1"}).code == 0);
    REQUIRE(ctl(*alpha, {"spawn", "alpha", "counter", "c2"}).code == 0);
    REQUIRE(ctl(*alpha, {"spawn", "alpha", "echo", "e1"}).code == 0);
    const auto until = clock_type::now() + 10s;
    run_result first;
    do {  // (until c1 has registered its name)
        first = ctl(*alpha, {"call", "alpha", "c1", "hello"});
    } while (first.code != 0 && clock_type::now() < until);
    CHECK(first.out == "v1 count 1 hello\n");
    CHECK(ctl(*alpha, {"call", "alpha", "c1", "again"}).out == "v1 count 2 again\n");
    // Options also after the command; after "--", everything is an argument.
    const run_result late = run(CORONET_CTL_PROGRAM, {"call", "--timeout", "10s", "alpha", "c2",
                                                      "--node", alpha->address, "--", "--dashes"});
    INFO(late.err);
    CHECK(late.out == "v1 count 1 --dashes\n");

    const run_result functions = ctl(*alpha, {"functions"});
    REQUIRE(functions.code == 0);
    const auto f = rows(functions.out);
    REQUIRE(f.size() == 2);
    CHECK(f[0] == std::vector<std::string>{"alpha", "counter", "swappable", "2", plugin(1)});
    CHECK(f[1] == std::vector<std::string>{"alpha", "echo", "plain", "1", plugin(1)});

    const run_result swapped = ctl(*alpha, {"swap", "alpha", "counter", plugin(2)});
    INFO(swapped.err);
    REQUIRE(swapped.code == 0);
    CHECK(swapped.out == "swapped 2 of 2 processes of counter on alpha to " + plugin(2) + "\n");
    // Same process, same name, new code, and the count carried over.
    CHECK(ctl(*alpha, {"call", "alpha", "c1", "after"}).out == "v2 count 3 after\n");
    CHECK(ctl(*alpha, {"call", "alpha", "c2", "x"}).out.rfind("v2 count ", 0) == 0);
    const auto after = rows(ctl(*alpha, {"functions"}).out);
    REQUIRE(after.size() == 2);
    CHECK(after[0][4] == plugin(2));
    // A new process of it runs the new version.
    REQUIRE(ctl(*alpha, {"spawn", "alpha", "counter", "c3"}).code == 0);
    const auto until3 = clock_type::now() + 10s;
    run_result third;
    do {
        third = ctl(*alpha, {"call", "alpha", "c3", "new"});
    } while (third.code != 0 && clock_type::now() < until3);
    CHECK(third.out == "v2 count 1 new\n");

    // Swaps that cannot be done say why.
    const run_result plain = ctl(*alpha, {"swap", "alpha", "echo", plugin(2)});
    CHECK(plain.code == 1);
    CHECK(plain.err.find("echo is not swappable") != std::string::npos);
    const run_result missing = ctl(*alpha, {"swap", "alpha", "counter", "/nonexistent/lib.so"});
    CHECK(missing.code == 1);
    CHECK(missing.err.find("cannot load /nonexistent/lib.so") != std::string::npos);
    const run_result unknown = ctl(*alpha, {"spawn", "alpha", "nosuchfunction"});
    CHECK(unknown.code == 1);
    CHECK(unknown.err.find("nosuchfunction") != std::string::npos);
}

TEST_CASE("coronet-node reads a config file, the command line wins, multicast finds the nodes",
          "[discovery][programs]") {
    temp_file secret("0123456789abcdef-secret\n");
    // A group of this process's own (239.x.y.z from its pid): two test runs
    // on one host do not hear each other.
    const auto pid_bits = static_cast<unsigned>(::getpid());
    const std::string group = "239." + std::to_string((pid_bits >> 16) & 0xff) + "." +
                              std::to_string((pid_bits >> 8) & 0xff) + "." +
                              std::to_string(pid_bits & 0xff) + ":45999";
    temp_file config(
        "# a test node\n"
        "name = from-file\n"
        "\n"
        "cluster = programs\n"
        "load = " +
        plugin(1) +
        "\n"
        "multicast = " +
        group +
        "\n"
        "discovery-interface = 127.0.0.1\n"
        "secret-file = " +
        secret.path + "\n");
    auto a = start_node({"--config", config.path});
    CHECK(a->name == "from-file");
    auto b = start_node({"--name", "from-command-line", "--config", config.path});
    CHECK(b->name == "from-command-line");
    // The cluster name came from the file: a ctl of another cluster is refused.
    const run_result other = ctl(*a, {"nodes"});
    CHECK(other.code == 1);
    CHECK(other.err.find("cannot connect") != std::string::npos);
    // The secret too: a ctl of the cluster without it is refused, with it
    // it gets in.
    const run_result no_secret = run(CORONET_CTL_PROGRAM, {"--node", a->address, "--cluster",
                                                           "programs", "functions", "from-file"});
    CHECK(no_secret.code == 1);
    CHECK(no_secret.err.find("cluster secret") != std::string::npos);
    const run_result same =
        run(CORONET_CTL_PROGRAM, {"--node", a->address, "--cluster", "programs", "--secret-file",
                                  secret.path, "functions", "from-file"});
    REQUIRE(same.code == 0);
    CHECK(column(same.out, 1) == std::vector<std::string>{"counter", "echo"});
    CHECK(a->log.read().find("multicast discovery on " + group + " from 127.0.0.1") !=
          std::string::npos);
    // No seeds: they found each other by their multicast announcements.
    const std::vector<std::string> both{"from-command-line", "from-file"};
    const auto until = clock_type::now() + start_bound;
    std::vector<std::string> members;
    do {
        const run_result r = run(
            CORONET_CTL_PROGRAM,
            {"--node", a->address, "--cluster", "programs", "--secret-file", secret.path, "nodes"});
        REQUIRE(r.code == 0);
        members = column(r.out, 0);
    } while (members != both && clock_type::now() < until);
    CHECK(members == both);
}

#ifdef CORONET_TEST_CERTS_DIR
TEST_CASE("coronet-node and coronet-ctl over mutual TLS, and a ctl without TLS is refused",
          "[discovery][programs][tls]") {
    const std::string dir = CORONET_TEST_CERTS_DIR;
    const std::vector<std::string> tls{"--cert", dir + "/node.pem", "--key", dir + "/node.key",
                                       "--ca",   dir + "/ca.pem"};
    auto with_tls = [&](std::vector<std::string> args) {
        args.insert(args.end(), tls.begin(), tls.end());
        return args;
    };
    auto alpha = start_node(with_tls({"--name", "alpha"}));
    auto beta = start_node(with_tls({"--name", "beta", "--seed", alpha->address}));
    CHECK(alpha->log.read().find("with TLS, heartbeat 1000 ms") != std::string::npos);
    const std::vector<std::string> both{"alpha", "beta"};
    const auto until = clock_type::now() + start_bound;
    run_result nodes;
    do {  // (until beta's join has reached alpha)
        nodes = run(CORONET_CTL_PROGRAM,
                    with_tls({"--node", alpha->address, "--timeout", "10s", "nodes"}));
        INFO(nodes.err);
        REQUIRE(nodes.code == 0);
    } while (column(nodes.out, 0) != both && clock_type::now() < until);
    CHECK(column(nodes.out, 0) == both);
    // Options after the command, over TLS too; the nodes' TLS heartbeat is
    // the default on both sides (1 s), so a call takes no special option.
    const run_result status =
        run(CORONET_CTL_PROGRAM, with_tls({"status", "beta", "--node", alpha->address}));
    INFO(status.err);
    CHECK(status.code == 0);
    CHECK(column(status.out, 0) == std::vector<std::string>{"beta"});
    const run_result plain = run(CORONET_CTL_PROGRAM, {"--node", alpha->address, "nodes"});
    CHECK(plain.code == 1);
    CHECK(plain.err.find("cannot connect to " + alpha->address) != std::string::npos);
}
#endif

TEST_CASE("coronet-node and coronet-ctl reject bad options with a clear message",
          "[discovery][programs]") {
    struct bad_case {
        std::vector<std::string> args;
        int code;
        std::string message;
    };
    temp_file bad_config("name = x\nnmae = y\n");
    const std::vector<bad_case> cases = {
        {{"--bogus"}, 2, "unknown option --bogus"},
        {{"--name"}, 2, "--name needs a value"},
        {{"--config", "/nonexistent/node.conf"}, 2, "cannot open the config file"},
        {{"--config", bad_config.path}, 2, bad_config.path + ":2: unknown key \"nmae\""},
        {{"--listen", "localhost"}, 2, "is not HOST:PORT"},
        {{"--multicast", "10.0.0.1:4000", "--secret", "0123456789abcdef"},
         2,
         "neither a multicast group"},
        {{"--multicast", "239.1.1.1:4000"}, 2, "--multicast needs --secret"},
        {{"--secret", "short"}, 2, "at least 16 characters"},
        {{"--cert", "a.pem"}, 2, "TLS needs all of --cert, --key and --ca"},
        {{"--log-level", "loud"}, 2, "not a log level"},
        {{"--heartbeat", "soon"}, 2, "\"soon\" is not a duration"},
        {{"--listen", "127.0.0.1:0", "--load", "/nonexistent/plugin.so"},
         1,
         "cannot load /nonexistent/plugin.so"},
        {{"--listen", "127.0.0.1:0", "--load", CORONET_CTL_PROGRAM}, 1, "cannot load"},
    };
    for (const bad_case& c : cases) {
        const run_result r = run(CORONET_NODE_PROGRAM, c.args);
        INFO("coronet-node " << c.args[0] << " ...: " << r.err);
        CHECK(r.code == c.code);
        CHECK(r.err.find(c.message) != std::string::npos);
        CHECK(r.out.find("listening") == std::string::npos);
    }
    const run_result help = run(CORONET_NODE_PROGRAM, {"--help"});
    CHECK(help.code == 0);
    CHECK(help.out.find("--discovery-interface") != std::string::npos);

    const run_result no_command = run(CORONET_CTL_PROGRAM, {});
    CHECK(no_command.code == 2);
    CHECK(no_command.err.find("no command") != std::string::npos);
    const run_result unknown = run(CORONET_CTL_PROGRAM, {"frobnicate"});
    CHECK(unknown.code == 2);
    CHECK(unknown.err.find("unknown command \"frobnicate\"") != std::string::npos);
    const run_result arity = run(CORONET_CTL_PROGRAM, {"swap", "a", "b"});
    CHECK(arity.code == 2);
    // Nothing listens on port 1 of loopback.
    const run_result refused = run(CORONET_CTL_PROGRAM, {"--node", "127.0.0.1:1", "nodes"});
    CHECK(refused.code == 1);
    CHECK(refused.err.find("cannot connect to 127.0.0.1:1") != std::string::npos);
}

TEST_CASE("SIGTERM and SIGINT stop coronet-node cleanly with exit code 0",
          "[discovery][programs]") {
    auto a = start_node({"--name", "alpha", "--load", plugin(1)});
    auto b = start_node({"--name", "beta", "--seed", a->address});
    // A running plugin process must not keep the node from stopping.
    REQUIRE(ctl(*a, {"spawn", "alpha", "counter", "c1"}).code == 0);
    const auto t0 = clock_type::now();
    a->proc->signal(SIGTERM);
    const auto code = a->proc->wait(clock_type::now() + 30s);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
    UNSCOPED_INFO("coronet-node stopped " << ms << " ms after SIGTERM");
    INFO(a->log.read());
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(a->log.read().find("got SIGTERM: stopping") != std::string::npos);
    CHECK(a->log.read().find("alpha info: stopped") != std::string::npos);
    b->proc->signal(SIGINT);
    const auto code_b = b->proc->wait(clock_type::now() + 30s);
    INFO("beta: " << b->log.read());
    REQUIRE(code_b);
    CHECK(*code_b == 0);
    CHECK(b->log.read().find("got SIGINT: stopping") != std::string::npos);
}

#endif  // CORONET_NODE_PROGRAM
