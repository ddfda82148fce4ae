#pragma once
// The file_read rows' plain parts (coronet_bench only): the temporary file,
// the check of what a read brought, a synchronous pread loop and an io_uring
// reader (when CORONET_BENCH_HAVE_URING is defined: bench/CMakeLists.txt
// defines it when it finds liburing).

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#ifdef CORONET_BENCH_HAVE_URING
#include <liburing.h>
#endif

namespace bench {

/// One file_read measurement: `total` bytes in `chunk`-byte reads, front to
/// back through the file of `file_bytes` bytes and round again (several
/// passes make a run long enough to time).
struct read_job {
    int fd = -1;
    std::size_t file_bytes = 0;
    std::size_t total = 0;
    std::size_t chunk = 0;
    /// The file offset of the read at position `pos` of the run.
    std::size_t offset(std::size_t pos) const noexcept { return pos % file_bytes; }
};

/// What one file_read run measured.
struct read_stats {
    double mib_per_s = 0;
    double ns_per_read = 0;
};

inline read_stats read_stats_of(const read_job& j, std::chrono::steady_clock::duration d) {
    const double s = std::chrono::duration<double>(d).count();
    return {double(j.total) / (1024.0 * 1024.0) / s, s * 1e9 / double(j.total / j.chunk)};
}

/// A file of `bytes` bytes in /tmp, created by the bench and unlinked at
/// once (it goes away with the descriptor, even if the bench dies). Each
/// 8-byte word holds its own offset, so a read can be checked. Just written,
/// it is in the page cache: the rows measure the read path, not the disk.
class temp_file {
  public:
    explicit temp_file(std::size_t bytes) {
        char name[] = "/tmp/coronet_bench_XXXXXX";
        fd_ = ::mkstemp(name);
        if (fd_ < 0) throw std::runtime_error("file_read: cannot create a file in /tmp");
        ::unlink(name);
        std::vector<std::uint64_t> words(1 << 16);
        for (std::size_t off = 0; off < bytes; off += words.size() * 8) {
            for (std::size_t i = 0; i < words.size(); ++i) words[i] = off + i * 8;
            const std::size_t n = std::min(words.size() * 8, bytes - off);
            if (::pwrite(fd_, words.data(), n, off_t(off)) != ssize_t(n))
                throw std::runtime_error("file_read: cannot write the file");
        }
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    ~temp_file() { ::close(fd_); }
    int fd() const noexcept { return fd_; }

  private:
    int fd_ = -1;
};

/// Whether `buf` (`size` bytes read at `off`) starts and ends with the
/// words temp_file wrote there.
inline bool chunk_ok(const char* buf, std::size_t off, std::size_t size) {
    std::uint64_t first = 0, last = 0;
    std::memcpy(&first, buf, 8);
    std::memcpy(&last, buf + size - 8, 8);
    return first == off && last == off + size - 8;
}

/// The synchronous baseline: pread one chunk after the other on the calling
/// thread.
inline read_stats sync_pread(const read_job& j) {
    std::vector<char> buf(j.chunk);
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t pos = 0; pos < j.total; pos += j.chunk) {
        const std::size_t off = j.offset(pos);
        if (::pread(j.fd, buf.data(), j.chunk, off_t(off)) != ssize_t(j.chunk) ||
            !chunk_ok(buf.data(), off, j.chunk))
            throw std::runtime_error("file_read: a wrong pread");
    }
    return read_stats_of(j, std::chrono::steady_clock::now() - t0);
}

#ifdef CORONET_BENCH_HAVE_URING

/// Does a read_job through one io_uring with up to `depth` reads in flight,
/// each into a buffer (slot) of its own.
/// fill() queues a read for every free slot, reap() takes the completions
/// there are and frees their slots; the caller submits and waits as it likes
/// (a thread in the kernel, a coronet process on an eventfd).
class uring_reader {
  public:
    uring_reader(const read_job& j, unsigned depth)
        : job_(j), bufs_(depth * j.chunk), slot_off_(depth) {
        if (io_uring_queue_init(depth, &ring_, 0) != 0)
            throw std::runtime_error("file_read: io_uring_queue_init failed");
        for (unsigned s = 0; s < depth; ++s) free_.push_back(s);
    }
    uring_reader(const uring_reader&) = delete;
    uring_reader& operator=(const uring_reader&) = delete;
    ~uring_reader() { io_uring_queue_exit(&ring_); }

    io_uring* ring() noexcept { return &ring_; }
    bool done() const noexcept { return reaped_ == job_.total; }

    /// Queues the next chunks in every free slot (not submitted yet).
    void fill() {
        const std::size_t chunk = job_.chunk;
        for (; !free_.empty() && next_ < job_.total; next_ += chunk) {
            const unsigned s = free_.back();
            free_.pop_back();
            slot_off_[s] = job_.offset(next_);
            io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
            io_uring_prep_read(sqe, job_.fd, bufs_.data() + s * chunk, unsigned(chunk),
                               slot_off_[s]);
            io_uring_sqe_set_data64(sqe, s);
        }
    }

    /// Takes every completion there is and checks it; how many there were.
    unsigned reap() {
        const std::size_t chunk = job_.chunk;
        unsigned head = 0, seen = 0;
        io_uring_cqe* cqe = nullptr;
        io_uring_for_each_cqe(&ring_, head, cqe) {
            const auto s = unsigned(io_uring_cqe_get_data64(cqe));
            if (cqe->res != int(chunk) || !chunk_ok(bufs_.data() + s * chunk, slot_off_[s], chunk))
                failed_ = true;
            free_.push_back(s);
            reaped_ += chunk;
            ++seen;
        }
        io_uring_cq_advance(&ring_, seen);
        if (failed_) throw std::runtime_error("file_read: a wrong io_uring read");
        return seen;
    }

  private:
    io_uring ring_{};
    read_job job_;
    std::vector<char> bufs_;
    std::vector<std::size_t> slot_off_;  ///< the file offset each slot reads
    std::vector<unsigned> free_;
    std::size_t next_ = 0;    ///< the run position of the next read to queue
    std::size_t reaped_ = 0;  ///< bytes read and checked
    bool failed_ = false;
};

/// The io_uring baseline on the calling thread: each round submits the
/// refilled slots and waits for at least one completion in one
/// io_uring_enter (io_uring_submit_and_wait).
inline read_stats uring_read(const read_job& j, unsigned depth) {
    uring_reader r(j, depth);
    const auto t0 = std::chrono::steady_clock::now();
    while (!r.done()) {
        r.fill();
        if (io_uring_submit_and_wait(r.ring(), 1) < 0)
            throw std::runtime_error("file_read: io_uring_submit_and_wait failed");
        r.reap();
    }
    return read_stats_of(j, std::chrono::steady_clock::now() - t0);
}

#endif  // CORONET_BENCH_HAVE_URING

}  // namespace bench
