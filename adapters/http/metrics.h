#pragma once
// Metrics: counters, gauges and histograms, rendered in the Prometheus text
// exposition format (version 0.0.4) for GET /metrics.
//
// A family is registered once, with its name, help and label names, before
// the server starts; the returned reference lives as long as the Metrics.
// Family::at() finds (or makes) a series under a short lock; recording on a
// series is lock-free, so hot paths keep the series they use. Each family holds at most
// kSeriesPerFamilyMax label combinations: values beyond that are counted in
// one series whose labels are all "other", so a client sending odd values
// (a route, a rejection code) cannot grow memory without bound.

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mledger::http {

inline constexpr size_t kSeriesPerFamilyMax = 512;

using Labels = std::vector<std::string>;  // values, in the family's label order

class Counter {
 public:
  void add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Cumulative buckets by upper bound; observe() is lock-free.
class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);
  void observe(double value);
  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double>* bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_->size() + 1
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

template <class Series>
class Family;

class Metrics {
 public:
  Family<Counter>& counter(std::string name, std::string help, std::vector<std::string> labels);
  Family<Histogram>& histogram(std::string name, std::string help, std::vector<std::string> labels,
                               std::vector<double> bounds);
  // A value read when /metrics is rendered (lags, heads, queue depths).
  void gauge(std::string name, std::string help, std::function<double()> read);
  // A cumulative count kept elsewhere (the writer's stats), read when rendered.
  void counter_reader(std::string name, std::string help, std::function<double()> read);
  // A gauge of constant value 1 whose labels carry facts (Prometheus' "info"
  // pattern: mledger_build_info{version="0.1.0"} 1).
  void info(std::string name, std::string help, std::vector<std::string> label_names, Labels values);

  // The text exposition: every family, series sorted by labels.
  std::string render() const;

 private:
  struct Gauge {
    std::string name, help;
    const char* type;
    std::function<double()> read;
    std::string labels;  // rendered, with braces; empty for none
  };
  mutable std::mutex mu_;
  std::deque<Family<Counter>> counters_;
  std::deque<Family<Histogram>> histograms_;
  std::vector<Gauge> gauges_;
};

template <class Series>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {});
  // The series of these label values (as many as the family's label names).
  Series& at(const Labels& values);

  void render(std::string& out, const char* type) const;

 private:
  Series& make(const Labels& values);
  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<Labels, std::unique_ptr<Series>> series_;
};

// Seconds buckets for request and command latencies: 100 µs .. 10 s.
std::vector<double> latency_buckets_seconds();
// Buckets for sizes (commands per write, per request): 1 .. 16384.
std::vector<double> size_buckets();

}  // namespace mledger::http
