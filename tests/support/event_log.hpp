#pragma once
// A log that processes on any worker append to (mutex-protected), with the
// comparisons the [threads] tests need: as a set, and in per-process order.

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace coronet::test {

class event_log {
  public:
    /// Appends "who: what".
    void add(const std::string& who, const std::string& what) {
        std::lock_guard lk(m_);
        lines_.push_back(who + ": " + what);
    }
    std::vector<std::string> lines() const {
        std::lock_guard lk(m_);
        return lines_;
    }
    /// The lines sorted (a multiset), for logs whose interleaving may differ.
    std::vector<std::string> sorted() const {
        auto v = lines();
        std::sort(v.begin(), v.end());
        return v;
    }
    /// The lines of each "who", in the order that one logged them.
    std::map<std::string, std::vector<std::string>> per_process() const {
        std::map<std::string, std::vector<std::string>> out;
        for (const auto& l : lines()) {
            const auto colon = l.find(": ");
            out[l.substr(0, colon)].push_back(l.substr(colon + 2));
        }
        return out;
    }
    /// The lines from index `from` on.
    std::vector<std::string> since(std::size_t from) const {
        auto v = lines();
        return {v.begin() + static_cast<std::ptrdiff_t>(std::min(from, v.size())), v.end()};
    }
    std::size_t size() const {
        std::lock_guard lk(m_);
        return lines_.size();
    }

  private:
    mutable std::mutex m_;
    std::vector<std::string> lines_;
};

}  // namespace coronet::test
