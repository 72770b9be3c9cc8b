#include "tools/mledger/line_reader.h"

namespace mledger::cli {

LineReader::Result LineReader::next(std::string* out) {
  out->clear();
  bool too_long = false;
  bool any = false;
  for (;;) {
    const int c = std::fgetc(in_);
    if (c == EOF) {
      if (std::ferror(in_)) return Result::error;
      if (!any) return Result::end;
      break;
    }
    any = true;
    if (c == '\n') break;
    if (out->size() < max_) {
      out->push_back(static_cast<char>(c));
    } else {
      too_long = true;
    }
  }
  if (too_long) return Result::too_long;
  if (!out->empty() && out->back() == '\r') out->pop_back();
  return Result::line;
}

}  // namespace mledger::cli
