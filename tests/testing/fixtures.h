// The one way tests read their input files: captured tool output under
// tests/fixtures (provenance in tests/fixtures/SOURCES.md) and expected job
// files under tests/golden. A missing or unreadable file fails the test that
// asked for it, naming the path, and yields "".
#ifndef QDT_TESTS_TESTING_FIXTURES_H_
#define QDT_TESTS_TESTING_FIXTURES_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/file_util.h"
#include "gtest/gtest.h"

namespace qdt::testing {

// `relative` under tests/fixtures, e.g. "fio/local_fio-3.33_....json".
inline std::string FixturePath(absl::string_view relative) {
  return absl::StrCat(QDT_FIXTURE_DIR, "/", relative);
}

inline std::string Fixture(absl::string_view relative) {
  auto text = ReadFile(FixturePath(relative));
  if (!text.ok()) {
    ADD_FAILURE() << "fixture: " << text.status().message();
    return "";
  }
  return *text;
}

// `relative` under tests/golden.
inline std::string GoldenPath(absl::string_view relative) {
  return absl::StrCat(QDT_GOLDEN_DIR, "/", relative);
}

inline std::string Golden(absl::string_view relative) {
  auto text = ReadFile(GoldenPath(relative));
  if (!text.ok()) {
    ADD_FAILURE() << "golden file: " << text.status().message();
    return "";
  }
  return *text;
}

}  // namespace qdt::testing

#endif  // QDT_TESTS_TESTING_FIXTURES_H_
