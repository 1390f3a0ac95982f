// Thin logging for the agent and tools: one line per message on stderr with a
// UTC timestamp and a level. Debian's Abseil (20220623) has no absl/log, and
// gRPC's gpr_log is not meant for applications, so this is our own.
//
// Thread-safe: each message is written with a single write(2).
#ifndef QDT_COMMON_LOGGING_H_
#define QDT_COMMON_LOGGING_H_

#include <sstream>
#include <string>

namespace qdt {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Messages below this level are dropped. Default kInfo; QDT_LOG_LEVEL=debug lowers it.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

// Writes one formatted line. Prefer the QDT_LOG macro.
void LogLine(LogLevel level, const char* file, int line, const std::string& message);

namespace internal {
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line)
      : level_(level), file_(file), line_(line) {}
  ~LogMessage() { LogLine(level_, file_, line_, stream_.str()); }
  std::ostringstream& stream() { return stream_; }

 private:
  LogLevel level_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};
}  // namespace internal

}  // namespace qdt

// A for statement rather than if/else, so that `if (x) QDT_LOG(Info) << y;`
// nests without a dangling else.
#define QDT_LOG(level)                                                                    \
  for (bool qdt_log_on_ = ::qdt::LogLevel::k##level >= ::qdt::MinLogLevel(); qdt_log_on_; \
       qdt_log_on_ = false)                                                               \
  ::qdt::internal::LogMessage(::qdt::LogLevel::k##level, __FILE__, __LINE__).stream()

#endif  // QDT_COMMON_LOGGING_H_
