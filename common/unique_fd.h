// UniqueFd owns one file descriptor and closes it when it goes out of scope,
// so no error path can leak one. Move-only.
//
// Not thread-safe: one owner at a time.
#ifndef QDT_COMMON_UNIQUE_FD_H_
#define QDT_COMMON_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace qdt {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  // Gives up ownership without closing.
  int release() { return std::exchange(fd_, -1); }
  // Closes the current descriptor (if any) and owns `fd`.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace qdt

#endif  // QDT_COMMON_UNIQUE_FD_H_
