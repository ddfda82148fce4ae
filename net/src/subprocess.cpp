// subprocess: posix_spawnp for the start (so that exec errors come back to
// start, not as a child exiting with 127), a pidfd in the worker's epoll
// reactor for the wait (no SIGCHLD handler: the program's SIGCHLD stays its
// own), pidfd_send_signal for kill.

#include "coronet/net/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "coronet/io.hpp"
#include "fd_io.hpp"
#include "socket_util.hpp"

extern char** environ;  // NOLINT: POSIX declares it nowhere else

namespace coronet::net {

using detail::last_error;

namespace {

std::error_code errno_code(int e) noexcept {
    return {e, std::generic_category()};
}

// glibc 2.36 has wrappers, but its <sys/pidfd.h> lacks extern "C" (fixed in
// 2.37), so C++ cannot link them: the system calls themselves.
int open_pidfd(pid_t pid) noexcept {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
int send_signal(int pidfd, int sig) noexcept {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

/// posix_spawn's file actions and attributes, and the child's ends of the
/// pipes (closed here once the child has its copies).
class spawn_setup {
  public:
    spawn_setup() = default;
    spawn_setup(const spawn_setup&) = delete;
    spawn_setup& operator=(const spawn_setup&) = delete;
    ~spawn_setup() {
        if (actions_ok_) posix_spawn_file_actions_destroy(&actions);
        if (attr_ok_) posix_spawnattr_destroy(&attr);
    }

    /// The child: every signal at its default disposition (an ignored
    /// SIGPIPE would otherwise be inherited through exec) and none blocked.
    std::error_code init() noexcept {
        if (const int r = posix_spawn_file_actions_init(&actions)) return errno_code(r);
        actions_ok_ = true;
        if (const int r = posix_spawnattr_init(&attr)) return errno_code(r);
        attr_ok_ = true;
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);  // (glibc leaves its internal signals out)
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        if (const int r =
                posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            return errno_code(r);
        return {};
    }

    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attr{};
    std::vector<detail::socket_fd> child_ends;

  private:
    bool actions_ok_ = false;
    bool attr_ok_ = false;
};

/// Moves `fd` to a descriptor >= 3 (close-on-exec), so that no child end
/// is itself a standard stream that another dup2 of the child overwrites.
std::error_code above_stdio(detail::socket_fd& fd) noexcept {
    if (fd.get() > 2) return {};
    const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return last_error();
    fd = detail::socket_fd(moved);
    return {};
}

std::error_code set_nonblocking(int fd) noexcept {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return last_error();
    return {};
}

/// A pipe for the child's descriptor `target`: the child's end (blocking,
/// as programs expect) is dup2'd there; ours (a pipe_writer for standard
/// input, a pipe_reader otherwise) is non-blocking.
template <class End>
std::error_code add_pipe(spawn_setup& s, int target, End& ours) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return last_error();
    const bool child_reads = target == STDIN_FILENO;
    detail::socket_fd theirs(fds[child_reads ? 0 : 1]);
    ours = End(fds[child_reads ? 1 : 0]);
    if (auto ec = above_stdio(theirs)) return ec;
    if (auto ec = set_nonblocking(ours.native_handle())) return ec;
    if (const int r = posix_spawn_file_actions_adddup2(&s.actions, theirs.get(), target))
        return errno_code(r);
    s.child_ends.push_back(std::move(theirs));
    return {};
}

template <class End>
std::error_code add_stdio(spawn_setup& s, int target, stdio mode, End& ours) {
    switch (mode) {
        case stdio::inherit:
            return {};
        case stdio::null: {
            const int flags = target == STDIN_FILENO ? O_RDONLY : O_WRONLY;
            const int r =
                posix_spawn_file_actions_addopen(&s.actions, target, "/dev/null", flags, 0);
            return r ? errno_code(r) : std::error_code{};
        }
        case stdio::pipe:
            return add_pipe(s, target, ours);
    }
    return std::make_error_code(std::errc::invalid_argument);
}

/// The argv / envp form of `v`: pointers into it, then a null pointer.
std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

/// Kills and reaps a child that has no pidfd (start failed after the spawn).
void kill_and_reap(pid_t pid) noexcept {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

}  // namespace

// ---------------------------------------------------------------- exit_status

std::string exit_status::to_string() const {
    if (signal == 0) return "exited with code " + std::to_string(code);
    std::string s = "terminated by signal " + std::to_string(signal);
    if (const char* name = ::sigabbrev_np(signal)) s += std::string(" (SIG") + name + ")";
    if (core_dumped) s += ", core dumped";
    return s;
}

// ---------------------------------------------------------------- subprocess

subprocess::subprocess(subprocess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      pidfd_(std::move(o.pidfd_)),
      status_(std::exchange(o.status_, std::nullopt)),
      in_(std::move(o.in_)),
      out_(std::move(o.out_)),
      err_(std::move(o.err_)) {}

subprocess& subprocess::operator=(subprocess&& o) noexcept {
    if (this != &o) {
        terminate();
        pid_ = std::exchange(o.pid_, -1);
        pidfd_ = std::move(o.pidfd_);
        status_ = std::exchange(o.status_, std::nullopt);
        in_ = std::move(o.in_);
        out_ = std::move(o.out_);
        err_ = std::move(o.err_);
    }
    return *this;
}

subprocess::~subprocess() {
    terminate();
}

void subprocess::terminate() noexcept {
    if (!pidfd_.is_open()) return;
    if (!status_) {
        send_signal(pidfd_.get(), SIGKILL);
        (void)reap(true);  // (no_child_process if it was reaped elsewhere)
    }
    pidfd_.close();
}

result<subprocess> subprocess::start(std::string program, std::vector<std::string> args,
                                     subprocess_options options) {
    if (program.empty()) return std::make_error_code(std::errc::invalid_argument);
    spawn_setup setup;
    if (auto ec = setup.init()) return ec;
    subprocess p;
    if (auto ec = add_stdio(setup, STDIN_FILENO, options.in, p.in_)) return ec;
    if (auto ec = add_stdio(setup, STDOUT_FILENO, options.out, p.out_)) return ec;
    if (auto ec = add_stdio(setup, STDERR_FILENO, options.err, p.err_)) return ec;
    // Descriptors of this program that lack close-on-exec stay here.
    if (const int r = posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3))
        return errno_code(r);
    if (!options.working_directory.empty()) {
        const int r =
            posix_spawn_file_actions_addchdir_np(&setup.actions, options.working_directory.c_str());
        if (r) return errno_code(r);
    }
    args.insert(args.begin(), program);
    const std::vector<char*> argv = c_strings(args);
    std::vector<char*> envp;
    if (options.environment) envp = c_strings(*options.environment);
    pid_t pid = -1;
    // glibc reports the child's failed chdir or exec here (since 2.24).
    const int r = ::posix_spawnp(&pid, program.c_str(), &setup.actions, &setup.attr, argv.data(),
                                 options.environment ? envp.data() : environ);
    if (r != 0) return errno_code(r);
    const int pidfd = open_pidfd(pid);
    if (pidfd < 0 && errno == ESRCH) {
        // It has already ended and been reaped elsewhere (SIGCHLD ignored,
        // or a waitpid(-1) in the program): it ran, its status is gone
        // (wait gives no_child_process). Its pid may be another process's
        // by now: never signal it.
        p.pid_ = pid;
        return p;
    }
    if (pidfd < 0) {  // (EMFILE, ENOMEM: the child is ours, alive or a zombie)
        const std::error_code ec = last_error();
        kill_and_reap(pid);
        return ec;
    }
    p.pid_ = pid;
    p.pidfd_ = detail::socket_fd(pidfd);
    return p;
}

std::error_code subprocess::reap(bool block) noexcept {
    siginfo_t si;
    std::memset(&si, 0, sizeof si);  // si_pid stays 0 while the child runs (WNOHANG)
    const int options = WEXITED | (block ? 0 : WNOHANG);
    while (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &si, options) != 0) {
        if (errno != EINTR) return last_error();
    }
    if (si.si_pid == 0) return {};
    exit_status st;
    if (si.si_code == CLD_EXITED) {
        st.code = si.si_status;
    } else {
        st.signal = si.si_status;
        st.core_dumped = si.si_code == CLD_DUMPED;
    }
    status_ = st;
    return {};
}

task<result<exit_status>> subprocess::wait(duration timeout) {
    if (status_) co_return *status_;
    if (!pidfd_.is_open()) co_return std::make_error_code(std::errc::no_child_process);
    const time_point deadline = detail::deadline_of(timeout);
    for (;;) {
        // The pidfd is readable once the child has ended: reap then.
        if (auto ec = reap(false)) co_return ec;
        if (status_) co_return *status_;
        const duration left = detail::left_until(deadline);
        if (left <= duration::zero()) co_return detail::timed_out;
        const std::uint32_t ev = co_await wait_io(pidfd_.get(), io_events::readable, left);
        if (ev == 0) co_return detail::timed_out;
    }
}

std::optional<exit_status> subprocess::try_wait() {
    if (!status_ && pidfd_.is_open()) (void)reap(false);
    return status_;
}

std::error_code subprocess::kill(int sig) noexcept {
    if (!pidfd_.is_open()) return std::make_error_code(std::errc::no_such_process);
    if (send_signal(pidfd_.get(), sig) != 0) return last_error();
    return {};
}

}  // namespace coronet::net
