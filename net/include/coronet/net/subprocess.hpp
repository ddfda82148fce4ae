#pragma once
/// \file subprocess.hpp
/// Child programs with pipes to their standard streams, waited for on the
/// workers' epoll reactor through a pidfd (no SIGCHLD handler, no polling).

#include <csignal>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "coronet/net/detail/socket_fd.hpp"
#include "coronet/net/error.hpp"
#include "coronet/net/pipe.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet::net {

/// What one of a child's standard streams is connected to.
enum class stdio {
    pipe,     ///< a new pipe; this program holds the other end (the default)
    inherit,  ///< this program's own stream
    null,     ///< /dev/null (reads see the end at once, writes vanish)
};

/// How subprocess::start runs a program.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct subprocess_options {
    /// The child's environment: this program's (the default), or exactly
    /// these "NAME=value" entries. The program itself is still looked up
    /// in this program's PATH.
    std::optional<std::vector<std::string>> environment;
    /// The child's working directory; empty: this program's. A relative
    /// program path containing a '/' is then taken from there.
    std::string working_directory;
    stdio in = stdio::pipe;   ///< standard input
    stdio out = stdio::pipe;  ///< standard output
    stdio err = stdio::pipe;  ///< standard error
};

/// How a child ended: an exit code, or the signal that terminated it.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct exit_status {
    int code = 0;              ///< the exit code (0..255), when signal == 0
    int signal = 0;            ///< the terminating signal, or 0 if it exited
    bool core_dumped = false;  ///< terminated by `signal`, with a core dump

    /// It ended by itself (exit or a return from main), with `code`.
    bool exited() const noexcept { return signal == 0; }
    /// It exited with code 0.
    bool success() const noexcept { return signal == 0 && code == 0; }
    /// "exited with code 3", "terminated by signal 9 (SIGKILL)".
    std::string to_string() const;
    friend bool operator==(const exit_status&, const exit_status&) = default;
};

/// A running child program (posix_spawnp), with pipes to its standard
/// streams as `subprocess_options` asks.
///
/// - A program that cannot be run (not found, not executable, a missing
///   working directory) is an error from `start` (e.g.
///   no_such_file_or_directory), never a child that exits with 127.
/// - The child starts with every signal at its default disposition (an
///   ignored SIGPIPE is not passed on) and none blocked, and inherits no
///   descriptor but its standard streams. (glibc's posix_spawn leaves its
///   own internal signals 32 and 33 ignored in the child.)
/// - `wait` suspends the calling process on a pidfd in the worker's
///   reactor: the library installs no SIGCHLD handler and never polls. It
///   must be the only one to reap this child: a `waitpid(-1, ...)` elsewhere
///   in the program, or SIGCHLD set to SIG_IGN, takes the exit status from
///   it (wait then gives no_child_process).
/// - `start` succeeds for a child that ended and was reaped elsewhere
///   before its pidfd was opened (possible with SIGCHLD ignored); `wait`
///   then gives no_child_process and `kill` no_such_process.
/// - `kill` signals through the pidfd: it cannot reach another process
///   that reused the pid once the child has been reaped.
/// - Destroying (or assigning to) a subprocess whose child has not been
///   reaped kills it with SIGKILL and reaps it (no zombie is left); that
///   blocks the calling thread until the killed child is gone (normally
///   well under a millisecond). `wait` for it first to let it finish.
/// - The pipe ends are the caller's to use and close: closing `in()` is how
///   the child sees the end of its input. They may be moved out (e.g. into
///   a writer process) and outlive the subprocess object.
/// - `start` blocks the calling thread until the child has called exec
///   (glibc's posix_spawn uses a vfork-like clone): typically well under a
///   millisecond.
///
/// **Thread safety:** one process waits at a time; `kill` and `pid` may be
/// called from any process meanwhile (kill touches only the pidfd); the
/// object must not be destroyed or moved while another process uses it.
/// `start` may be called from any thread, also outside a runtime (it reads
/// the program's environment: not while another thread calls setenv).
/// **Suspends:** `wait`.
class subprocess {
  public:
    /// An empty object: no child (pid() == -1).
    subprocess() noexcept = default;
    /// (A subprocess moved from is empty.)
    subprocess(subprocess&& o) noexcept;
    /// Kills and reaps the child this object had, if still running.
    subprocess& operator=(subprocess&& o) noexcept;
    subprocess(const subprocess&) = delete;
    subprocess& operator=(const subprocess&) = delete;
    /// Kills (SIGKILL) and reaps the child if it has not been reaped.
    ~subprocess();

    /// Runs `program` (looked up in PATH when it has no '/') with `args`
    /// (argv[1..]; argv[0] is `program`).
    static result<subprocess> start(std::string program, std::vector<std::string> args = {},
                                    subprocess_options options = {});

    /// The pipe to the child's standard input (closed unless stdio::pipe).
    pipe_writer& in() noexcept { return in_; }
    /// The pipe from the child's standard output (closed unless stdio::pipe).
    pipe_reader& out() noexcept { return out_; }
    /// The pipe from the child's standard error (closed unless stdio::pipe).
    pipe_reader& err() noexcept { return err_; }

    /// Waits until the child ends and reaps it: its exit_status (again on
    /// later calls), std::errc::timed_out, or no_child_process for an empty
    /// object (or a child reaped elsewhere). Throws cancelled_error when the
    /// process is cancelled (the child goes on).
    [[nodiscard]] task<result<exit_status>> wait(duration timeout = infinite);
    /// The non-waiting twin: the exit_status if the child has ended (it is
    /// reaped then), nullopt while it runs (or on an error).
    std::optional<exit_status> try_wait();
    /// Sends `sig` to the child; no_such_process once it has been reaped.
    std::error_code kill(int sig = SIGKILL) noexcept;
    /// The child's process id (it stays readable after the child is
    /// reaped), or -1 for an empty object.
    int pid() const noexcept { return pid_; }

  private:
    /// Reaps the child if it has ended (or, if `block`, once it ends),
    /// setting status_; the error of waitid otherwise.
    std::error_code reap(bool block) noexcept;
    /// The destructor's work: SIGKILL and reap an unreaped child.
    void terminate() noexcept;

    int pid_ = -1;
    detail::socket_fd pidfd_;
    std::optional<exit_status> status_;
    pipe_writer in_;
    pipe_reader out_;
    pipe_reader err_;
};

}  // namespace coronet::net
