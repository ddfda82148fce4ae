#pragma once
// The file descriptor a socket class owns. Internal.

#include <utility>

namespace coronet::net::detail {

/// Owns one descriptor: closes it on destruction; movable, not copyable.
///
/// **Thread safety:** none. **Suspends:** never.
class socket_fd {
  public:
    socket_fd() noexcept = default;
    explicit socket_fd(int fd) noexcept : fd_(fd) {}
    socket_fd(socket_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    socket_fd& operator=(socket_fd&& o) noexcept {
        if (this != &o) {
            close();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    socket_fd(const socket_fd&) = delete;
    socket_fd& operator=(const socket_fd&) = delete;
    ~socket_fd() { close(); }

    void close() noexcept;
    int get() const noexcept { return fd_; }
    bool is_open() const noexcept { return fd_ >= 0; }

  private:
    int fd_ = -1;
};

}  // namespace coronet::net::detail
