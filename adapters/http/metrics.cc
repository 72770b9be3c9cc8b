#include "adapters/http/metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>

namespace mledger::http {

namespace {

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Label values escape backslash, double quote and newline.
std::string escape(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string label_text(const std::vector<std::string>& names, const Labels& values,
                       const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!out.empty()) out += ',';
    out += names[i] + "=\"" + escape(values[i]) + "\"";
  }
  if (!extra.empty()) {
    if (!out.empty()) out += ',';
    out += extra;
  }
  return out.empty() ? "" : "{" + out + "}";
}

void header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
  const auto it = std::lower_bound(bounds_->begin(), bounds_->end(), value);
  buckets_[static_cast<size_t>(it - bounds_->begin())].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;  // consistent with the buckets, whatever observe() raced
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

template <class Series>
Family<Series>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

template <class Series>
Series& Family<Series>::make(const Labels& values) {
  if constexpr (std::is_same_v<Series, Histogram>) {
    return *series_.emplace(values, std::make_unique<Histogram>(&bounds_)).first->second;
  } else {
    return *series_.emplace(values, std::make_unique<Series>()).first->second;
  }
}

template <class Series>
Series& Family<Series>::at(const Labels& values) {
  assert(values.size() == label_names_.size() && "a series needs one value per label");
  std::lock_guard lock(mu_);
  if (auto it = series_.find(values); it != series_.end()) return *it->second;
  if (series_.size() + 1 >= kSeriesPerFamilyMax) {
    return make(Labels(label_names_.size(), "other"));  // the overflow series
  }
  return make(values);
}

template <>
void Family<Counter>::render(std::string& out, const char* type) const {
  header(out, name_, help_, type);
  std::lock_guard lock(mu_);
  for (const auto& [labels, c] : series_) {
    out += name_ + label_text(label_names_, labels) + " " + std::to_string(c->value()) + "\n";
  }
}

template <>
void Family<Histogram>::render(std::string& out, const char* type) const {
  header(out, name_, help_, type);
  std::lock_guard lock(mu_);
  for (const auto& [labels, h] : series_) {
    const Histogram::Snapshot s = h->snapshot();
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      const double le = i < bounds_.size() ? bounds_[i] : INFINITY;
      out += name_ + "_bucket" + label_text(label_names_, labels, "le=\"" + number(le) + "\"") +
             " " + std::to_string(s.cumulative[i]) + "\n";
    }
    out += name_ + "_sum" + label_text(label_names_, labels) + " " + number(s.sum) + "\n";
    out += name_ + "_count" + label_text(label_names_, labels) + " " + std::to_string(s.count) + "\n";
  }
}

template class Family<Counter>;
template class Family<Histogram>;

Family<Counter>& Metrics::counter(std::string name, std::string help,
                                  std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  return counters_.emplace_back(std::move(name), std::move(help), std::move(labels));
}

Family<Histogram>& Metrics::histogram(std::string name, std::string help,
                                      std::vector<std::string> labels, std::vector<double> bounds) {
  assert(std::is_sorted(bounds.begin(), bounds.end()) && !bounds.empty());
  std::lock_guard lock(mu_);
  return histograms_.emplace_back(std::move(name), std::move(help), std::move(labels),
                                  std::move(bounds));
}

void Metrics::gauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  gauges_.push_back(Gauge{std::move(name), std::move(help), "gauge", std::move(read), ""});
}

void Metrics::counter_reader(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  gauges_.push_back(Gauge{std::move(name), std::move(help), "counter", std::move(read), ""});
}

void Metrics::info(std::string name, std::string help, std::vector<std::string> label_names, Labels values) {
  assert(label_names.size() == values.size());
  std::lock_guard lock(mu_);
  gauges_.push_back(Gauge{std::move(name), std::move(help), "gauge", [] { return 1.0; },
                          label_text(label_names, values)});
}

std::string Metrics::render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& f : counters_) f.render(out, "counter");
  for (const auto& f : histograms_) f.render(out, "histogram");
  for (const auto& g : gauges_) {
    header(out, g.name, g.help, g.type);
    out += g.name + g.labels + " " + number(g.read()) + "\n";
  }
  return out;
}

std::vector<double> latency_buckets_seconds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> size_buckets() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
}

}  // namespace mledger::http
