#pragma once
/// \file file.hpp
/// Files whose blocking system calls run on the runtime's blocking pool
/// (run_blocking), so that a slow disk never stalls a worker (asyncoro's
/// AsyncFile).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "coronet/net/detail/socket_fd.hpp"
#include "coronet/net/error.hpp"
#include "coronet/task.hpp"

namespace coronet::net {

/// How file::open opens a file; combine with `|`.
enum class file_flags : unsigned {
    read = 1,        ///< for reading
    write = 2,       ///< for writing
    read_write = 3,  ///< both
    create = 4,      ///< create it if missing (with the given permissions)
    truncate = 8,    ///< empty it (needs write)
    append = 16,     ///< every write goes to the end (implies write)
    exclusive = 32,  ///< create it; file_exists if it exists (implies create)
};

/// The union of two sets of flags.
constexpr file_flags operator|(file_flags a, file_flags b) noexcept {
    return static_cast<file_flags>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
/// True when every flag of `f` is in `set`.
constexpr bool has_flags(file_flags set, file_flags f) noexcept {
    return (static_cast<unsigned>(set) & static_cast<unsigned>(f)) == static_cast<unsigned>(f);
}

/// Where file::seek counts from (SEEK_SET, SEEK_CUR, SEEK_END).
enum class seek_from { begin, current, end };

/// An open file. Every system call that may block (open, read, write,
/// lseek, fstat, fsync) runs on the runtime's default blocking pool; the
/// calling process is suspended meanwhile, its worker goes on. A read is
/// first tried on the worker with preadv2(RWF_NOWAIT), which the kernel
/// serves only from the page cache without waiting: cached bytes cost a
/// copy, not a trip to the pool (about 0.4 µs instead of 6 µs for 4 KiB).
///
/// - Errors are values (io_result, result): no_such_file_or_directory,
///   file_exists, errc::eof for read_exactly, errc::not_connected on a
///   closed file. Reading at or past the end gives n == 0.
/// - No operation takes a timeout: a system call in progress cannot be
///   interrupted from outside. A with_timeout around one acts as a
///   cancellation (below).
/// - `read_some`, `read_exactly` and `write_all` use the file position
///   (the kernel's, shared with native_handle()); `read_at` and `write_at`
///   neither use nor move it. A large transfer is split into jobs of at
///   most 1 MiB.
/// - A job never touches the caller's buffer: it reads into (or writes
///   from) its own copy, and the bytes are copied into the caller's span
///   after the process has resumed. So a process may be cancelled or killed
///   in the middle of an operation without harm to its memory. What it
///   leaves behind: a cancelled process waits for the running job (see
///   run_blocking), a killed one does not and the job finishes on its own;
///   either way the bytes that job read are lost and the file position may
///   have moved past them, and a cancelled write may have written a prefix
///   (a killed one may go on to finish its current job of up to 1 MiB). Seek
///   to a known offset (or use read_at / write_at) before going on after a
///   cancellation, or close the file. A job not yet started when its
///   process is cancelled does nothing.
/// - The descriptor is shared with the running jobs: `close()` (or the
///   destructor) closes it when the last job using it has returned, so a
///   job that outlives its process can never read or write a descriptor
///   number that was meanwhile reused by another file. Call `sync()` before
///   closing to see write-back errors.
/// - Writing to a FIFO whose readers are gone gives broken_pipe, never
///   SIGPIPE.
/// - With `append`, Linux's pwrite also appends: write_at ignores its
///   offset then.
///
/// **Thread safety:** one process at a time uses a file (reads and writes
/// in order); read_at and write_at may come from several processes at once
/// as long as none of them closes, moves or destroys the file meanwhile.
/// It may be moved to another process.
/// **Suspends:** `open`, `read_*`, `write_*`, `seek`, `size`, `sync` (each
/// until its job or jobs on the blocking pool are done).
class file {
  public:
    /// A closed file.
    file() noexcept = default;
    file(file&& o) noexcept = default;
    file& operator=(file&& o) noexcept = default;
    file(const file&) = delete;
    file& operator=(const file&) = delete;
    ~file() = default;

    /// Opens `path` (close-on-exec); `perms` are the permissions of a file
    /// it creates (before the umask). invalid_argument when `flags` has
    /// neither read nor write (nor append), or truncate without write.
    [[nodiscard]] static task<result<file>> open(std::string path, file_flags flags,
                                                 unsigned perms = 0644);

    /// Some bytes at the file position (at least one, at most 1 MiB), or
    /// n == 0 at the end of the file.
    [[nodiscard]] task<io_result> read_some(std::span<char> buf);
    /// Exactly buf.size() bytes at the file position, or errc::eof (n says
    /// how many came).
    [[nodiscard]] task<io_result> read_exactly(std::span<char> buf);
    /// Up to buf.size() bytes at `offset`: n < buf.size() only when the end
    /// of the file came first (n == 0 at or past the end).
    [[nodiscard]] task<io_result> read_at(std::uint64_t offset, std::span<char> buf);
    /// All of `data` at the file position (at the end with `append`).
    [[nodiscard]] task<io_result> write_all(std::span<const char> data);
    [[nodiscard]] task<io_result> write_all(std::string_view data) {
        return write_all(std::span<const char>(data.data(), data.size()));
    }
    /// All of `data` at `offset` (a file grows as needed).
    [[nodiscard]] task<io_result> write_at(std::uint64_t offset, std::span<const char> data);
    [[nodiscard]] task<io_result> write_at(std::uint64_t offset, std::string_view data) {
        return write_at(offset, std::span<const char>(data.data(), data.size()));
    }

    /// Moves the file position; the new position from the beginning.
    [[nodiscard]] task<result<std::uint64_t>> seek(std::int64_t offset,
                                                   seek_from from = seek_from::begin);
    /// The file's size in bytes now.
    [[nodiscard]] task<result<std::uint64_t>> size();
    /// fsync: the data and metadata written so far are on the device.
    [[nodiscard]] task<std::error_code> sync();

    /// Gives up this object's use of the descriptor (closed once no job
    /// uses it). Never suspends.
    void close() noexcept { fd_.reset(); }
    /// False once closed or moved from.
    bool is_open() const noexcept { return fd_ != nullptr; }
    /// The descriptor, or -1 when closed.
    int native_handle() const noexcept { return fd_ ? fd_->get() : -1; }

  private:
    std::shared_ptr<detail::socket_fd> fd_;  ///< shared with the running jobs
};

}  // namespace coronet::net
